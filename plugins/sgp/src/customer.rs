//! The customer side: `consultacliente` (one row per contract), and what is built on it:
//! customer, contacts, pending issues, plans, tickets and the trust unlock.

use ponte_pdk::prelude::*;
use ponte_pdk::serde_json::{Map, Value};
use ponte_pdk::{clock, config, log};

use crate::client::{Reply, Sgp, array, document_key, first, says_not_found, text};

/// One row of `POST /api/ura/consultacliente/`: SGP's customer identity is per contract.
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    /// `contratoId` (`contrato` / `id` on some versions).
    pub(crate) id: String,
    /// `clienteId`.
    pub(crate) customer_id: String,
    /// `razaoSocial`.
    pub(crate) name: String,
    /// `cpfCnpj` as SGP stores it (masked or not).
    pub(crate) document: String,
    pub(crate) phones: Vec<String>,
    pub(crate) emails: Vec<String>,
    /// `contratoStatus` (1 Ativo, 2 Inativo, 3 Cancelado, 4 Suspenso, 7 Reduzido).
    pub(crate) status: Option<i64>,
    /// `contratoStatusDisplay` ("Ativo", "Suspenso", "Bloqueado", ...).
    pub(crate) status_display: String,
    /// `motivo_status`.
    pub(crate) status_reason: String,
    /// `planointernet` (else `servico_plano`).
    pub(crate) plan: String,
    /// `cobVencimento`: the due day.
    pub(crate) due_day: String,
    pub(crate) row: Value,
}

impl Contract {
    fn from_row(row: &Value) -> Self {
        Contract {
            id: first(row, &["contratoId", "contrato", "id"]),
            customer_id: first(row, &["clienteId", "cliente_id"]),
            name: first(row, &["razaoSocial", "nome"]),
            document: first(row, &["cpfCnpj", "cpfcnpj"]),
            phones: contacts(&row["telefones"], &["numero", "telefone", "contato", "value"]),
            emails: contacts(&row["emails"], &["email", "contato", "value"]),
            status: match &row["contratoStatus"] {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            },
            status_display: text(&row["contratoStatusDisplay"]),
            status_reason: text(&row["motivo_status"]),
            plan: first(row, &["planointernet", "servico_plano"]),
            due_day: text(&row["cobVencimento"]),
            row: row.clone(),
        }
    }

    /// The plan status, from the documented code, or from the display text when the code is
    /// one ERPS.md doesn't know (5, 6).
    ///
    /// SGP has no "blocked" code: it suspends (4) a contract for late payment, and that is what
    /// its trust unlock (`liberacaopromessa`) lifts, so 4 is the contract's `blocked`.
    /// "Reduzido" (7, reduced speed) is `suspended`; "Inativo" (2) has no service and no unlock:
    /// `cancelled`.
    pub(crate) fn plan_status(&self) -> Option<PlanStatus> {
        let display = self.status_display.to_lowercase();
        if display.contains("bloque") {
            return Some(PlanStatus::Blocked);
        }
        match self.status {
            Some(1) => Some(PlanStatus::Active),
            Some(2 | 3) => Some(PlanStatus::Cancelled),
            Some(4) => Some(PlanStatus::Blocked),
            Some(7) => Some(PlanStatus::Suspended),
            _ if display.contains("ativo") && !display.contains("inativ") => Some(PlanStatus::Active),
            _ if display.contains("suspen") => Some(PlanStatus::Blocked),
            _ if display.contains("reduz") => Some(PlanStatus::Suspended),
            _ if display.contains("cancel") || display.contains("inativ") => Some(PlanStatus::Cancelled),
            _ => None,
        }
    }
}

/// Phones or e-mails: SGP lists them as strings, some versions as objects.
fn contacts(list: &Value, keys: &[&str]) -> Vec<String> {
    let Some(items) = list.as_array() else {
        return match list {
            Value::String(s) if !s.trim().is_empty() => s.split([',', ';']).map(|v| v.trim().to_owned()).collect(),
            _ => Vec::new(),
        };
    };
    items
        .iter()
        .map(|item| match item {
            Value::Object(map) => {
                let named = first(item, keys);
                if named.is_empty() {
                    map.values().map(text).find(|t| !t.is_empty()).unwrap_or_default()
                } else {
                    named
                }
            }
            other => text(other),
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// The customer's contracts; empty when SGP doesn't know the CPF/CNPJ.
pub(crate) fn contracts(sgp: &Sgp, document: &str) -> Result<Vec<Contract>, Error> {
    let reply = sgp.post_form("/api/ura/consultacliente/", &[("cpfcnpj", document.to_owned())])?;
    let body = match reply {
        Reply::Ok(body) => body,
        Reply::Refused { message, .. } if says_not_found(&message) => return Ok(Vec::new()),
        refused => return refused.accepted().map(|_| Vec::new()),
    };
    let wanted = document_key(document);
    Ok(array(&body, "contratos")
        .iter()
        .map(Contract::from_row)
        // A search that matched loosely must not hand over another customer's contract.
        .filter(|c| c.document.is_empty() || document_key(&c.document) == wanted)
        .collect())
}

/// `get_customer`.
pub(crate) fn get_customer(sgp: &Sgp, input: &CustomerInput) -> Result<Customer, Error> {
    let contracts = contracts(sgp, &input.customer_document_number)?;
    // The registration data of an active contract when there is one.
    let main = contracts
        .iter()
        .find(|c| c.plan_status() == Some(PlanStatus::Active))
        .or(contracts.first())
        .ok_or_else(|| Error::not_found("SGP has no customer with this CPF/CNPJ"))?;
    let statuses: Vec<Option<PlanStatus>> = contracts.iter().map(Contract::plan_status).collect();
    let status = if statuses.contains(&Some(PlanStatus::Active)) {
        CustomerStatus::Active
    } else if statuses.iter().any(|s| matches!(s, Some(PlanStatus::Blocked | PlanStatus::Suspended))) {
        CustomerStatus::Blocked
    } else {
        CustomerStatus::Inactive
    };
    let row = &main.row;
    Ok(Customer {
        remote_id: if main.customer_id.is_empty() { main.id.clone() } else { main.customer_id.clone() },
        name: main.name.clone(),
        document_number: if main.document.is_empty() {
            input.customer_document_number.clone()
        } else {
            main.document.clone()
        },
        email: contracts.iter().flat_map(|c| c.emails.first()).next().cloned(),
        phone: contracts.iter().flat_map(|c| c.phones.first()).next().cloned(),
        address: Address {
            street: text(&row["endereco_logradouro"]),
            number: text(&row["endereco_numero"]),
            complement: text(&row["endereco_complemento"]),
            neighborhood: text(&row["endereco_bairro"]),
            city: text(&row["endereco_cidade"]),
            state: text(&row["endereco_uf"]),
            zip_code: text(&row["endereco_cep"]),
        },
        status,
    })
}

/// `get_customer_contacts`: every contract's phones and e-mails (the host drops duplicates and
/// invalid entries).
pub(crate) fn get_customer_contacts(sgp: &Sgp, input: &CustomerInput) -> Result<Vec<Contact>, Error> {
    let mut out = Vec::new();
    for contract in contracts(sgp, &input.customer_document_number)? {
        out.extend(contract.emails.into_iter().map(|value| Contact { kind: ContactType::Email, value }));
        out.extend(contract.phones.into_iter().map(|value| Contact { kind: ContactType::Phone, value }));
    }
    Ok(out)
}

/// `get_pending_issues`: each contract's `motivo_status` (why it is not simply active), or, for
/// a contract that is not active and gives no reason, its status text.
pub(crate) fn get_pending_issues(sgp: &Sgp, input: &CustomerInput) -> Result<Vec<String>, Error> {
    let mut texts: Vec<String> = Vec::new();
    for contract in contracts(sgp, &input.customer_document_number)? {
        let text = if !contract.status_reason.is_empty() {
            contract.status_reason.clone()
        } else if matches!(contract.plan_status(), Some(PlanStatus::Blocked | PlanStatus::Suspended)) {
            format!("Contrato {}: {}", contract.id, contract.status_display)
        } else {
            continue;
        };
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    Ok(texts)
}

/// `list_plans` and `list_blocked_plans` (`only_blocked`).
///
/// `consultacliente` gives each contract's plan name but not its price: the price comes from
/// SGP's plan list (`GET /api/ura/consultaplano/`, \[M\] fields), matched by the plan's name.
/// A plan no longer sold is not in that list: its price is then read from
/// `POST /api/ura/listacontrato/` (documented parameters, undocumented fields: best effort),
/// and a cancelled contract whose price can't be found is left out with a warning.
pub(crate) fn list_plans(sgp: &Sgp, input: &CustomerInput, only_blocked: bool) -> Result<Vec<Plan>, Error> {
    let mut selected = Vec::new();
    for contract in contracts(sgp, &input.customer_document_number)? {
        let status = contract.plan_status().ok_or_else(|| {
            Error::upstream(format!(
                "contract {}: unknown contratoStatus {:?} ({:?})",
                contract.id, contract.status, contract.status_display
            ))
        })?;
        if !only_blocked || status == PlanStatus::Blocked {
            selected.push((contract, status));
        }
    }
    if selected.is_empty() {
        return Ok(Vec::new());
    }
    let catalog = plan_catalog(sgp)?;
    let mut plans = Vec::with_capacity(selected.len());
    for (contract, status) in selected {
        let key = plan_key(&contract.plan);
        let listed = catalog.iter().find(|(name, _)| *name == key).map(|(_, price)| price.clone());
        let price = match listed {
            Some(price) => price,
            None => match contract_price(sgp, &contract.id)? {
                Some(price) => price,
                None if status == PlanStatus::Cancelled => {
                    log::warn(format!(
                        "contract {}: plan {:?} has no known price; left out",
                        contract.id, contract.plan
                    ));
                    continue;
                }
                None => {
                    return Err(Error::upstream(format!(
                        "the plan {:?} of contract {} has no price in SGP's plan list",
                        contract.plan, contract.id
                    )));
                }
            },
        };
        plans.push(Plan {
            contract_id: contract.id,
            name: contract.plan,
            status,
            price,
            due_day: contract.due_day.parse::<u8>().ok().filter(|d| (1..=31).contains(d)),
        });
    }
    Ok(plans)
}

/// SGP's plans for sale: `(name key, price)`.
fn plan_catalog(sgp: &Sgp) -> Result<Vec<(String, String)>, Error> {
    let body = sgp.get("/api/ura/consultaplano/", &[])?.accepted()?;
    Ok(plans_of(&body)
        .iter()
        .map(|p| (plan_key(&first(p, &["descricao", "nome"])), first(p, &["preco", "valor"])))
        .collect())
}

/// A contract's plan price from `listacontrato`, if it answers one.
fn contract_price(sgp: &Sgp, contract_id: &str) -> Result<Option<String>, Error> {
    let body = match sgp.post_form("/api/ura/listacontrato/", &[("contrato", contract_id.to_owned())])? {
        Reply::Ok(body) => body,
        Reply::Refused { .. } => return Ok(None),
    };
    Ok(array(&body, "contratos")
        .iter()
        .find(|row| first(row, &["contratoId", "contrato", "id"]) == contract_id)
        .map(|row| first(row, &["planoValor", "plano_valor", "valorPlano", "valor"]))
        .filter(|price| !price.is_empty()))
}

fn plans_of(body: &Value) -> &[Value] {
    match body {
        Value::Array(items) => items,
        _ => array(body, "planos"),
    }
}

fn plan_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// `list_products`: SGP's plans for sale.
pub(crate) fn list_products(sgp: &Sgp) -> Result<Vec<Product>, Error> {
    let body = sgp.get("/api/ura/consultaplano/", &[])?.accepted()?;
    Ok(plans_of(&body)
        .iter()
        .map(|p| Product { codigo: first(p, &["id"]), nome: first(p, &["descricao", "nome"]) })
        .filter(|p| !p.codigo.is_empty())
        .collect())
}

/// The customer's contract `contract_id`, or [`Error::NotFound`].
fn own_contract(contracts: &[Contract], contract_id: &str) -> Result<(), Error> {
    if contracts.iter().any(|c| c.id == contract_id) {
        Ok(())
    } else {
        Err(Error::not_found(format!("contract {contract_id} is not this customer's")))
    }
}

/// A contract id as SGP's JSON endpoints take it: an integer when it is one.
fn contract_json(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| Value::String(id.to_owned()), Value::from)
}

/// `create_ticket`: `POST /api/ura/chamado/` (JSON), an ocorrência on the contract asked for,
/// else on the customer's first active contract.
pub(crate) fn create_ticket(sgp: &Sgp, input: &CreateTicketInput) -> Result<CreateTicketOutput, Error> {
    let contracts = contracts(sgp, &input.customer_document_number)?;
    if contracts.is_empty() {
        return Err(Error::not_found("SGP has no customer with this CPF/CNPJ"));
    }
    let contract_id = match &input.contract_id {
        Some(id) => {
            own_contract(&contracts, id.as_str())?;
            id.as_str().to_owned()
        }
        None => contracts
            .iter()
            .find(|c| c.plan_status() == Some(PlanStatus::Active))
            .or(contracts.first())
            .map(|c| c.id.clone())
            .unwrap_or_default(),
    };
    let ticket_type = config::get("ticket_type").filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "5".to_owned());
    let mut body = Map::new();
    body.insert("contrato".into(), contract_json(&contract_id));
    body.insert("ocorrenciatipo".into(), contract_json(ticket_type.trim()));
    body.insert("conteudo".into(), Value::String(format!("{}\n\n{}", input.subject, input.message)));
    let answer = sgp.post_json("/api/ura/chamado/", body)?.accepted()?;
    let protocol = first(&answer, &["protocolo", "protocol"]);
    if protocol.is_empty() {
        return Err(Error::upstream("SGP opened no ocorrência (its answer has no protocolo)"));
    }
    Ok(CreateTicketOutput { remote_id: protocol.clone(), protocol })
}

/// `trust_unlock`: `POST /api/ura/liberacaopromessa/` (JSON). SGP's refusal (`status: 0`,
/// "já utilizou", "contrato não suspenso") is an answer: `success: false` with its message.
pub(crate) fn trust_unlock(sgp: &Sgp, input: &TrustUnlockInput) -> Result<TrustUnlockOutput, Error> {
    let contracts = contracts(sgp, &input.customer_document_number)?;
    if contracts.is_empty() {
        return Err(Error::not_found("SGP has no customer with this CPF/CNPJ"));
    }
    own_contract(&contracts, input.contract_id.as_str())?;
    let mut body = Map::new();
    body.insert("contrato".into(), contract_json(input.contract_id.as_str()));
    let (answer, refused) = match sgp.post_json("/api/ura/liberacaopromessa/", body)? {
        Reply::Ok(answer) => (answer, false),
        Reply::Refused { body, .. } => (body, true),
    };
    let message = Some(first(&answer, &["msg", "message", "mensagem"])).filter(|m| !m.is_empty());
    let unlocked = !refused && answer.get("liberado").is_none_or(|l| matches!(l, Value::Bool(true)) || text(l) == "1");
    if !unlocked {
        return Ok(TrustUnlockOutput { success: false, unlocked_until: None, remote_message: message });
    }
    // `data_promessa` when SGP answers it (one client reports it), else today + `liberado_dias`.
    let promised = ponte_pdk::helpers::iso_date(&text(&answer["data_promessa"]));
    let days = text(&answer["liberado_dias"]).parse::<i64>().ok().filter(|d| *d > 0);
    let unlocked_until = promised.or_else(|| days.and_then(|d| add_days(&clock::today(), d)));
    Ok(TrustUnlockOutput { success: true, unlocked_until, remote_message: message })
}

fn add_days(date: &str, days: i64) -> Option<String> {
    let day = ponte_pdk::normalize::date::parse_date(date).ok()?;
    let until = day.checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
    Some(ponte_pdk::normalize::date::format_date(until))
}
