//! Trust unlock, which SGP calls a payment promise ("liberação por confiança" / "promessa de
//! pagamento"): `POST /api/ura/liberacaopromessa/` (integration auth) and
//! `POST /api/central/promessapagamento/` (the customer's own login), plus what a payment does
//! to a suspended contract.
//!
//! # Behaviour (ERPS.md §2.4; *inferred* where marked)
//!
//! Parameters (\[H\] T1): `contrato` (required), `data_promessa` `AAAA-MM-DD` (optional),
//! `enviar_sms`, `conteudo`, `uracontato`, `uraIP`; JSON or form bodies both work (clients
//! disagree, ERPS.md says accept both). Checks, in order (*inferred* rules and wording):
//!
//! 1. no `contrato`, or one that doesn't exist: `{"status":0,"msg":...}`;
//! 2. on the central endpoint, a contract of another customer: refused;
//! 3. a promise already made this calendar month (the dataset's [`CONTRACT_UNLOCK_USED`] on
//!    [`USED_PROMISE_DATE`]; and any contract right after a successful promise): refused,
//!    the message carrying the date (one promise a month, as a bot built on SGP tells its
//!    users);
//! 4. status 1 Ativo: nothing to release, refused; 2 Inativo or 3 Cancelado: refused;
//! 5. `data_promessa` not after today or more than [`PROMISE_MAX_DAYS`] ahead: refused.
//!
//! Refusals answer `{"status":0,"liberado":false,"liberado_dias":0,"msg":...,"contratoId":...,
//! "razaoSocial":...,"cpfCnpj":...}`. Success (status 4 Suspenso or 7 Reduzido) answers
//! `{"status":1,"liberado":true,"liberado_dias":N,"data_promessa":"AAAA-MM-DD","protocolo":...,
//! "msg":...,"contratoId":...,"razaoSocial":...,"cpfCnpj":...}` (fields \[M\] T3, \[L\]
//! fixtures; `data_promessa` reported by a client): the contract becomes 1 Ativo with a
//! `motivo_status` saying until when, for [`TRUST_UNLOCK_DAYS`] days by default (or until
//! `data_promessa`), and an ocorrência of type [`OCORRENCIA_TYPE_PROMISE`] is opened (its
//! protocol is `protocolo`). The simulator's clock never moves, so a promise never expires.
//!
//! A payment that leaves a contract without late títulos turns 4 Suspenso or 7 Reduzido back
//! to 1 Ativo and clears `motivo_status` (*inferred*: SGP's automatic release).

use chrono::{Datelike, Days};
use serde_json::json;

use super::data::{self, OCORRENCIA_TYPE_PROMISE, PROMISE_MAX_DAYS, TRUST_UNLOCK_DAYS};
#[cfg(doc)]
use super::data::{CONTRACT_UNLOCK_USED, USED_PROMISE_DATE};
use super::store::{Store, status};
use super::{Reply, Request, br_date, date_param, id_param, iso_date};

/// `POST /api/ura/liberacaopromessa/`; with `customer`, only that customer's contracts.
pub(crate) fn liberacao_promessa(store: &mut Store, customer: Option<u64>, request: &Request) -> Reply {
    let params = &request.params;
    let contract_id = match id_param(params, "contrato") {
        Ok(Some(id)) => id,
        Ok(None) => return Reply::error("O campo contrato é obrigatório."),
        Err(reply) => return reply,
    };
    let Some(contract) = store.contract(contract_id) else {
        return Reply::error(format!("Contrato {contract_id} não encontrado."));
    };
    let owner = store.customer(contract.customer_id);
    let name = owner.map(|c| c.name.clone()).unwrap_or_default();
    let document = owner.map(|c| c.document.clone()).unwrap_or_default();
    let refuse = |msg: String| {
        Reply::Json(json!({
            "status": 0, "liberado": false, "liberado_dias": 0, "msg": msg,
            "contratoId": contract_id, "razaoSocial": name, "cpfCnpj": document,
        }))
    };
    if customer.is_some_and(|id| id != contract.customer_id) {
        return refuse(format!("Contrato {contract_id} não pertence ao cliente."));
    }
    let today = data::reference_date();
    if let Some((made_on, _)) = contract.last_promise
        && made_on.year() == today.year()
        && made_on.month() == today.month()
    {
        return refuse(format!(
            "Promessa de pagamento já utilizada em {} para o contrato {contract_id}. É permitida uma promessa por mês.",
            br_date(made_on)
        ));
    }
    match contract.status {
        status::SUSPENDED | status::REDUCED => {}
        status::ACTIVE => return refuse(format!("Contrato {contract_id} está ativo: não há bloqueio para liberar.")),
        code => {
            return refuse(format!(
                "Contrato {contract_id} está {}: não é possível liberar por promessa de pagamento.",
                status::display(code)
            ));
        }
    }
    let latest = today.checked_add_days(Days::new(PROMISE_MAX_DAYS)).unwrap_or(today);
    let until = match date_param(params, "data_promessa") {
        Ok(Some(date)) if date <= today || date > latest => {
            return refuse(format!(
                "Data da promessa inválida: {}. Informe uma data entre {} e {}.",
                iso_date(date),
                br_date(today.succ_opt().unwrap_or(today)),
                br_date(latest)
            ));
        }
        Ok(Some(date)) => date,
        Ok(None) => today.checked_add_days(Days::new(TRUST_UNLOCK_DAYS)).unwrap_or(today),
        Err(reply) => return reply,
    };
    let days = (until - today).num_days();
    let content = params.trimmed("conteudo");
    let content = if content.is_empty() {
        format!("Liberação por promessa de pagamento até {} (via API).", br_date(until))
    } else {
        content
    };
    if let Some(contract) = store.contract_mut(contract_id) {
        contract.status = status::ACTIVE;
        contract.reason = format!("Liberado por promessa de pagamento até {}", br_date(until));
        contract.last_promise = Some((today, until));
    }
    let protocol = store.open_ocorrencia(contract_id, OCORRENCIA_TYPE_PROMISE, content, None);
    Reply::Json(json!({
        "status": 1,
        "liberado": true,
        "liberado_dias": days,
        "data_promessa": iso_date(until),
        "protocolo": protocol,
        "msg": format!("Contrato {contract_id} liberado por promessa de pagamento até {}.", br_date(until)),
        "contratoId": contract_id,
        "razaoSocial": name,
        "cpfCnpj": document,
    }))
}

/// `POST /api/central/promessapagamento/`: as [`liberacao_promessa`], for the logged-in
/// customer (whose only contract is used when `contrato` is absent: *inferred*). With token +
/// app it behaves as the URA endpoint.
pub(crate) fn central_promessa(store: &mut Store, customer: Option<u64>, request: &Request) -> Reply {
    let Some(customer_id) = customer else {
        return liberacao_promessa(store, None, request);
    };
    if request.params.trimmed("contrato").is_empty() {
        let contracts = store.contracts_of(customer_id);
        if let [only] = contracts.as_slice() {
            let mut params = request.params.clone();
            params = params.merged(crate::params::Params::from_query(&format!("contrato={}", only.id)));
            return liberacao_promessa(store, Some(customer_id), &Request { params, form: request.form });
        }
    }
    liberacao_promessa(store, Some(customer_id), request)
}

/// After a payment on `contract_id`: once no late título is left, a suspended or reduced
/// contract is active again (*inferred*).
pub(crate) fn after_payment(store: &mut Store, contract_id: u64) {
    let today = data::reference_date();
    let still_late = store.titulos_of(contract_id).any(|t| t.is_overdue(today));
    if still_late {
        return;
    }
    if let Some(contract) = store.contract_mut(contract_id) {
        if matches!(contract.status, status::SUSPENDED | status::REDUCED) {
            contract.status = status::ACTIVE;
            contract.reason.clear();
        } else if contract.status == status::ACTIVE && contract.reason.starts_with("Liberado por promessa") {
            contract.reason.clear();
        }
    }
}
