//! Data minimization at the kiosk: the tenant's [`TotemPolicy`] applied to a normalized answer
//! before a kiosk key (scope `totem` only) gets it, whatever the plugin returned. The cache and
//! the invocation log keep the whole answer; only what leaves for the kiosk is cut.
//!
//! What each totem function's answer carries of a person, and what the policy does with it:
//!
//! | function | personal data | rule |
//! |---|---|---|
//! | `list_invoices`, `list_totem_invoices`, `get_invoice` | `nome_cliente`, `document_number` | `customer_name`, `document` (a CNPJ is a company's public registry: shown) |
//! | `get_customer_contacts` | every `value` | `contacts` |
//! | `settle_invoice` | `api_response` (the ERP's raw answer) | `erp_response` |
//! | `trust_unlock` | `remote_message` (the ERP's text) | `erp_response` |
//! | `get_boleto_pdf` | the printed boleto (a bank document the payer needs whole) | none |
//! | `list_blocked_plans` | none (plan names and prices) | none |

use ponte_contract::Function;
use serde_json::Value;

use crate::config::privacy::{ContactRule, DocumentRule, ErpResponseRule, NameRule, TotemPolicy};

/// Cuts `output` of `function` down to what `policy` lets a kiosk see.
pub fn minimize(policy: &TotemPolicy, function: Function, output: &mut Value) {
    match function {
        Function::ListInvoices | Function::ListTotemInvoices | Function::GetInvoice => {
            for invoice in items(output) {
                let company = invoice.get("document_number").and_then(Value::as_str).is_some_and(|d| d.len() == 14);
                if !company {
                    replace_text(invoice, "nome_cliente", |name| mask_name(policy.customer_name, name));
                    replace_text(invoice, "document_number", |document| mask_document(policy.document, document));
                }
            }
        }
        Function::GetCustomerContacts => match policy.contacts {
            ContactRule::Full => {}
            ContactRule::Hidden => *output = Value::Array(Vec::new()),
            ContactRule::Masked => {
                for contact in items(output) {
                    let is_email = contact.get("type").and_then(Value::as_str) == Some("email");
                    replace_text(
                        contact,
                        "value",
                        |value| {
                            if is_email { mask_email(value) } else { mask_phone(value) }
                        },
                    );
                }
            }
        },
        Function::SettleInvoice => {
            if policy.erp_response == ErpResponseRule::Hidden
                && let Some(response) = output.get_mut("api_response")
            {
                *response = Value::Object(serde_json::Map::new());
            }
        }
        Function::TrustUnlock => {
            if policy.erp_response == ErpResponseRule::Hidden
                && let Some(message) = output.get_mut("remote_message")
            {
                *message = Value::Null;
            }
        }
        // The printed boleto and plan lists carry nothing to cut; the rest are not totem
        // functions (a kiosk key can't call them). Listed one by one so a new function is
        // placed here on purpose.
        Function::GetBoletoPdf
        | Function::ListBlockedPlans
        | Function::CreateOrder
        | Function::CreateOrderExistingCustomer
        | Function::CreateLead
        | Function::ListResellers
        | Function::ListProducts
        | Function::ListDueDates
        | Function::ListCommercialOrigins
        | Function::GetPendingIssues
        | Function::GetCustomer
        | Function::UpdateCustomer
        | Function::CreateTicket
        | Function::ListFiscalNotes
        | Function::GetFiscalNotePdf
        | Function::ListPlans => {}
    }
}

/// The objects of a list answer.
fn items(output: &mut Value) -> impl Iterator<Item = &mut serde_json::Map<String, Value>> {
    output.as_array_mut().into_iter().flatten().filter_map(Value::as_object_mut)
}

fn replace_text(object: &mut serde_json::Map<String, Value>, field: &str, change: impl FnOnce(&str) -> String) {
    if let Some(Value::String(text)) = object.get_mut(field) {
        *text = change(text);
    }
}

/// Particles that are not initials of a Brazilian name.
const PARTICLES: &[&str] = &["da", "das", "de", "do", "dos", "e", "di", "du"];

/// `Maria da Silva Oliveira` → `Maria S. O.` (first name) or `M. S. O.` (initials).
pub fn mask_name(rule: NameRule, name: &str) -> String {
    let initial = |word: &str| word.chars().next().map(|c| format!("{}.", c.to_uppercase())).unwrap_or_default();
    let words: Vec<&str> =
        name.split_whitespace().filter(|w| !PARTICLES.contains(&w.to_lowercase().as_str())).collect();
    match (rule, words.split_first()) {
        (NameRule::Full, _) | (_, None) => name.to_owned(),
        (NameRule::FirstName, Some((first, rest))) => {
            std::iter::once((*first).to_owned()).chain(rest.iter().map(|w| initial(w))).collect::<Vec<_>>().join(" ")
        }
        (NameRule::Initials, Some(_)) => words.iter().map(|w| initial(w)).collect::<Vec<_>>().join(" "),
    }
}

/// A CPF's middle six digits only: `71460238001` → `***602380**`.
pub fn mask_document(rule: DocumentRule, document: &str) -> String {
    match rule {
        DocumentRule::Full => document.to_owned(),
        DocumentRule::Masked => {
            document.chars().enumerate().map(|(i, c)| if (3..9).contains(&i) { c } else { '*' }).collect()
        }
    }
}

/// `maria.silva@gmail.com` → `m***@gmail.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `+5511987654321` → `+55*******4321`: the country code and the last four digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let keep_head = if phone.starts_with("+55") { 3 } else { 0 };
    let keep_tail = chars.len().saturating_sub(keep_head).min(4);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_head || i >= chars.len() - keep_tail { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_documents_e_mails_and_phones_are_masked() {
        assert_eq!(mask_name(NameRule::FirstName, "Maria da Silva  Oliveira"), "Maria S. O.");
        assert_eq!(mask_name(NameRule::Initials, "maria da silva"), "M. S.");
        assert_eq!(mask_name(NameRule::FirstName, "Ângela"), "Ângela");
        assert_eq!(mask_name(NameRule::FirstName, ""), "");
        assert_eq!(mask_name(NameRule::Full, "Maria da Silva"), "Maria da Silva");
        assert_eq!(mask_document(DocumentRule::Masked, "71460238001"), "***602380**");
        assert_eq!(mask_email("maria.silva@gmail.com"), "m***@gmail.com");
        assert_eq!(mask_phone("+5511987654321"), "+55*******4321");
        assert_eq!(mask_phone("12"), "12");
    }

    #[test]
    fn the_default_policy_cuts_every_totem_answer_whatever_the_plugin_sent() {
        let policy = TotemPolicy::default();
        let mut invoices = json!([
            {"nome_cliente": "Maria da Silva", "document_number": "71460238001", "valor_final": "99.90"},
            {"nome_cliente": "Provedor Exemplo LTDA", "document_number": "11222333000181"},
            {"nome_cliente": 7},
        ]);
        minimize(&policy, Function::ListTotemInvoices, &mut invoices);
        assert_eq!(invoices[0]["nome_cliente"], "Maria S.");
        assert_eq!(invoices[0]["document_number"], "***602380**");
        assert_eq!(invoices[0]["valor_final"], "99.90");
        assert_eq!(invoices[1]["nome_cliente"], "Provedor Exemplo LTDA", "a company's name is public");
        assert_eq!(invoices[2]["nome_cliente"], 7, "what is not text is left to the contract");

        let mut contacts =
            json!([{"type": "email", "value": "maria@example.com"}, {"type": "phone", "value": "+5511987654321"}]);
        minimize(&policy, Function::GetCustomerContacts, &mut contacts);
        assert_eq!(
            contacts,
            json!([{"type": "email", "value": "m***@example.com"}, {"type": "phone", "value": "+55*******4321"}])
        );
        let hidden = TotemPolicy { contacts: ContactRule::Hidden, ..policy };
        minimize(&hidden, Function::GetCustomerContacts, &mut contacts);
        assert_eq!(contacts, json!([]));

        let mut settled = json!({"success": true, "api_response": {"cliente": "Maria", "cpf": "71460238001"}});
        minimize(&policy, Function::SettleInvoice, &mut settled);
        assert_eq!(settled, json!({"success": true, "api_response": {}}));
        let mut unlocked = json!({"success": true, "unlocked_until": null, "remote_message": "Liberado para MARIA"});
        minimize(&policy, Function::TrustUnlock, &mut unlocked);
        assert_eq!(unlocked["remote_message"], Value::Null);
    }

    #[test]
    fn the_full_policy_changes_nothing() {
        let original = json!([{"nome_cliente": "Maria da Silva", "document_number": "71460238001"}]);
        let mut output = original.clone();
        minimize(&TotemPolicy::FULL, Function::ListInvoices, &mut output);
        assert_eq!(output, original);
    }
}
