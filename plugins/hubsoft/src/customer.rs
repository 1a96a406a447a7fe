//! The customer side: `GET /cliente` (with its `servicos[]`), and what is built on it:
//! customer, contacts, pending issues, plans, tickets and the trust unlock.

use ponte_pdk::prelude::*;
use ponte_pdk::serde_json::{Value, json};
use ponte_pdk::{clock, config};

use crate::client::{Hubsoft, Reply, array, document_key, says_not_found, text};

/// The customer with this CPF/CNPJ (`clientes[]` entry), or `None`.
pub(crate) fn find(hs: &Hubsoft, document: &str) -> Result<Option<Value>, Error> {
    let query = [
        ("busca", "cpf_cnpj".to_owned()),
        ("termo_busca", document.to_owned()),
        ("limit", "5".to_owned()),
        ("cancelado", "sim".to_owned()),
        ("inativo", "sim".to_owned()),
    ];
    let body = match hs.get("cliente", &query)? {
        Reply::Ok(body) => body,
        Reply::Refused { message, .. } if says_not_found(&message) => return Ok(None),
        refused => return refused.accepted().map(|_| None),
    };
    let wanted = document_key(document);
    // A loose match must not hand over another customer.
    Ok(array(&body, "clientes").iter().find(|c| document_key(&text(&c["cpf_cnpj"])) == wanted).cloned())
}

fn require(hs: &Hubsoft, document: &str) -> Result<Value, Error> {
    find(hs, document)?.ok_or_else(|| Error::not_found("Hubsoft has no customer with this CPF/CNPJ"))
}

/// A service's plan status from `status_prefixo` (ERPS.md §3.4's known values), else from the
/// `status` text. `suspenso_debito` is what the trust unlock lifts: `blocked`.
pub(crate) fn plan_status(service: &Value) -> Option<PlanStatus> {
    let prefix = text(&service["status_prefixo"]).to_lowercase();
    let status = match prefix.as_str() {
        "servico_habilitado" | "franquia_excedida" => PlanStatus::Active,
        "suspenso_debito" => PlanStatus::Blocked,
        "suspenso_parcialmente" | "suspenso_pedido_cliente" => PlanStatus::Suspended,
        "cancelado" | "inativo" => PlanStatus::Cancelled,
        p if p.starts_with("aguardando") || p.starts_with("agendado") => PlanStatus::Active,
        _ => {
            let display = text(&service["status"]).to_lowercase();
            if display.contains("débito") || display.contains("debito") || display.contains("bloque") {
                PlanStatus::Blocked
            } else if display.contains("suspen") {
                PlanStatus::Suspended
            } else if display.contains("cancel") || display.contains("inativ") {
                PlanStatus::Cancelled
            } else if display.contains("habilitad") || display.contains("ativo") {
                PlanStatus::Active
            } else {
                return None;
            }
        }
    };
    Some(status)
}

fn services(client: &Value) -> &[Value] {
    array(client, "servicos")
}

/// `get_customer`.
pub(crate) fn get_customer(hs: &Hubsoft, input: &CustomerInput) -> Result<Customer, Error> {
    let client = require(hs, &input.customer_document_number)?;
    let statuses: Vec<Option<PlanStatus>> = services(&client).iter().map(plan_status).collect();
    let status = if statuses.contains(&Some(PlanStatus::Active)) {
        CustomerStatus::Active
    } else if statuses.iter().any(|s| matches!(s, Some(PlanStatus::Blocked | PlanStatus::Suspended))) {
        CustomerStatus::Blocked
    } else {
        CustomerStatus::Inactive
    };
    let address = &client["endereco_cadastral"];
    let non_empty = |v: String| Some(v).filter(|v| !v.is_empty());
    Ok(Customer {
        remote_id: text(&client["id_cliente"]),
        name: text(&client["nome_razaosocial"]),
        document_number: text(&client["cpf_cnpj"]),
        email: non_empty(text(&client["email_principal"])),
        phone: non_empty(text(&client["telefone_primario"])),
        address: Address {
            street: text(&address["endereco"]),
            number: text(&address["numero"]),
            complement: text(&address["complemento"]),
            neighborhood: text(&address["bairro"]),
            city: text(&address["cidade"]),
            state: text(&address["estado"]),
            zip_code: text(&address["cep"]),
        },
        status,
    })
}

/// `get_customer_contacts`: the three phones and two e-mails Hubsoft keeps.
pub(crate) fn get_customer_contacts(hs: &Hubsoft, input: &CustomerInput) -> Result<Vec<Contact>, Error> {
    let Some(client) = find(hs, &input.customer_document_number)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for key in ["email_principal", "email_secundario"] {
        let value = text(&client[key]);
        if !value.is_empty() {
            out.push(Contact { kind: ContactType::Email, value });
        }
    }
    for key in ["telefone_primario", "telefone_secundario", "telefone_terciario"] {
        let value = text(&client[key]);
        if !value.is_empty() {
            out.push(Contact { kind: ContactType::Phone, value });
        }
    }
    Ok(out)
}

/// `get_pending_issues`: `alerta_mensagens[]` when `alerta` is set.
pub(crate) fn get_pending_issues(hs: &Hubsoft, input: &CustomerInput) -> Result<Vec<String>, Error> {
    let Some(client) = find(hs, &input.customer_document_number)? else {
        return Ok(Vec::new());
    };
    let messages: Vec<String> = array(&client, "alerta_mensagens")
        .iter()
        .map(|m| if m.is_object() { text(&m["mensagem"]) } else { text(m) })
        .filter(|m| !m.is_empty())
        .collect();
    Ok(messages)
}

/// `list_plans` and `list_blocked_plans` (`only_blocked`): the customer's services.
pub(crate) fn list_plans(hs: &Hubsoft, input: &CustomerInput, only_blocked: bool) -> Result<Vec<Plan>, Error> {
    let Some(client) = find(hs, &input.customer_document_number)? else {
        return Ok(Vec::new());
    };
    let mut plans = Vec::new();
    for service in services(&client) {
        let id = text(&service["id_cliente_servico"]);
        let status = plan_status(service).ok_or_else(|| {
            Error::upstream(format!(
                "service {id}: unknown status_prefixo {:?} ({:?})",
                text(&service["status_prefixo"]),
                text(&service["status"])
            ))
        })?;
        if only_blocked && status != PlanStatus::Blocked {
            continue;
        }
        let due_day = text(&service["dia_vencimento"]);
        let due_day = if due_day.is_empty() { text(&service["vencimento"]["dia_vencimento"]) } else { due_day };
        plans.push(Plan {
            contract_id: id,
            name: text(&service["nome"]),
            status,
            price: text(&service["valor"]),
            due_day: due_day.parse::<u8>().ok().filter(|d| (1..=31).contains(d)),
        });
    }
    Ok(plans)
}

/// The customer's service `id`, or [`Error::NotFound`].
fn own_service<'a>(client: &'a Value, id: &str) -> Result<&'a Value, Error> {
    services(client)
        .iter()
        .find(|s| text(&s["id_cliente_servico"]) == id)
        .ok_or_else(|| Error::not_found(format!("service {id} is not this customer's")))
}

/// An id as Hubsoft's JSON takes it: an integer when it is one.
pub(crate) fn id_json(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| Value::String(id.to_owned()), Value::from)
}

/// A phone as Hubsoft's writes (`/atendimento`, `/prospecto`) want it: `DDNNNNNNNNN` (10 or
/// 11 digits, no country code).
pub(crate) fn local_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        12 | 13 if digits.starts_with("55") => digits[2..].to_owned(),
        _ => digits,
    }
}

/// `create_ticket`: `POST /atendimento` on the service asked for, else the customer's first
/// active one. Hubsoft requires a name and a phone: the customer's own.
pub(crate) fn create_ticket(hs: &Hubsoft, input: &CreateTicketInput) -> Result<CreateTicketOutput, Error> {
    let client = require(hs, &input.customer_document_number)?;
    let service_id = match &input.contract_id {
        Some(id) => text(&own_service(&client, id.as_str())?["id_cliente_servico"]),
        None => services(&client)
            .iter()
            .find(|s| plan_status(s) == Some(PlanStatus::Active))
            .or(services(&client).first())
            .map(|s| text(&s["id_cliente_servico"]))
            .ok_or_else(|| Error::not_found("the customer has no service in Hubsoft"))?,
    };
    let phone = ["telefone_primario", "telefone_secundario", "telefone_terciario"]
        .iter()
        .map(|k| local_phone(&text(&client[*k])))
        .find(|p| (10..=11).contains(&p.len()))
        .ok_or_else(|| Error::upstream("the customer has no valid phone in Hubsoft, which tickets require"))?;
    let mut body = json!({
        "id_cliente_servico": id_json(&service_id),
        "descricao": format!("{}\n\n{}", input.subject, input.message),
        "nome": text(&client["nome_razaosocial"]),
        "telefone": phone,
        "abrir_os": false,
    });
    let email = text(&client["email_principal"]);
    if !email.is_empty() {
        body["email"] = Value::String(email);
    }
    if let Some(kind) = config::get("ticket_type").filter(|t| !t.trim().is_empty()) {
        body["id_tipo_atendimento"] = id_json(kind.trim());
    }
    let answer = hs.post("atendimento", &body)?.accepted()?;
    let ticket = &answer["atendimento"];
    let protocol = text(&ticket["protocolo"]);
    if protocol.is_empty() {
        return Err(Error::upstream("Hubsoft opened no atendimento (its answer has no protocolo)"));
    }
    let id = text(&ticket["id_atendimento"]);
    Ok(CreateTicketOutput { remote_id: if id.is_empty() { protocol.clone() } else { id }, protocol })
}

/// `trust_unlock`: `POST /cliente/desbloqueio_confianca` for `unlock_days` days. Hubsoft's
/// refusal is an answer: `success: false` with its message.
pub(crate) fn trust_unlock(hs: &Hubsoft, input: &TrustUnlockInput) -> Result<TrustUnlockOutput, Error> {
    let client = require(hs, &input.customer_document_number)?;
    own_service(&client, input.contract_id.as_str())?;
    let days = config::get("unlock_days").and_then(|d| d.trim().parse::<u32>().ok()).filter(|d| *d >= 1).unwrap_or(1);
    let body = json!({ "id_cliente_servico": id_json(input.contract_id.as_str()), "dias_desbloqueio": days });
    let (answer, refused) = match hs.post("cliente/desbloqueio_confianca", &body)? {
        Reply::Ok(answer) => (answer, false),
        Reply::Refused { body, .. } => (body, true),
    };
    let message = Some(text(&answer["msg"])).filter(|m| !m.is_empty());
    if refused {
        return Ok(TrustUnlockOutput { success: false, unlocked_until: None, remote_message: message });
    }
    // "…realizado com sucesso até a data 26/11/2018": the date in the message, else today + days.
    let until = message.as_deref().and_then(date_in).or_else(|| add_days(&clock::today(), i64::from(days)));
    Ok(TrustUnlockOutput { success: true, unlocked_until: until, remote_message: message })
}

/// The first `dd/mm/yyyy` in `text`, as `YYYY-MM-DD`.
pub(crate) fn date_in(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(10).find_map(|w| {
        let candidate: String = w.iter().collect();
        let shape = candidate.char_indices().all(|(i, c)| if i == 2 || i == 5 { c == '/' } else { c.is_ascii_digit() });
        if shape { ponte_pdk::helpers::iso_date(&candidate) } else { None }
    })
}

fn add_days(date: &str, days: i64) -> Option<String> {
    let day = ponte_pdk::normalize::date::parse_date(date).ok()?;
    let until = day.checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
    Some(ponte_pdk::normalize::date::format_date(until))
}
