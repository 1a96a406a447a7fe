//! Contract releases: `desbloqueio_confianca` (trust unlock) and the temporary-release button
//! `cliente_contrato_btn_lib_temp_24722`, plus what a payment does to a blocked contract.
//!
//! # Trust unlock (`POST desbloqueio_confianca {"id": "<contract>"}`)
//!
//! Answers with Portuguese keys (\[M\] S3): `{"tipo":"sucesso","mensagem":...}` or
//! `{"tipo":"erro","codigo":...,"mensagem":...}`, HTTP 200. Checks, in order:
//!
//! | code | when |
//! |---|---|
//! | 106 | the contract does not exist |
//! | 109 | the contract is not active (`status` other than A) or its access is disabled (`status_internet` D), or its block is of a kind a trust unlock doesn't lift (AA, CE: *inferred*) |
//! | 113 | a trust unlock is running (`desbloqueio_confianca_ativo` S), or the last one (`dt_ult_des_bloq_conf`) was used while invoices now overdue were already due and they are still unpaid; the message carries the date |
//! | 107 | the contract is already released (`status_internet` A): nothing to do |
//!
//! The order of 113 before 107 makes a second call right after a successful one answer 113,
//! "already used". Success releases the contract (`status_internet` A), sets
//! `desbloqueio_confianca_ativo` S, `dt_ult_des_bloq_conf` to today and `nao_bloquear_ate` to
//! today + [`TRUST_UNLOCK_DAYS`]; its message says until when.
//! The message wording is *inferred*; the codes' meanings are S3's.

use chrono::Days;
use serde_json::json;

use super::data::{self, TRUST_UNLOCK_DAYS};
use super::params::Params;
use super::store::{Store, field, set};
use super::{Reply, br_date, iso_date, parse_iso_date};

/// `desbloqueio_confianca`.
pub(crate) fn desbloqueio_confianca(store: &mut Store, params: &Params) -> Reply {
    let id = params.trimmed("id");
    let refuse =
        |code: &str, message: String| Reply::Json(json!({ "tipo": "erro", "codigo": code, "mensagem": message }));
    let Some(contract) = store.row("cliente_contrato", &id) else {
        return refuse("106", format!("Contrato {id} não existe!"));
    };
    let status = field(contract, "status");
    let access = field(contract, "status_internet");
    if status != "A" || access == "D" {
        return refuse("109", format!("Contrato {id} inativo: não é possível efetuar o desbloqueio de confiança."));
    }
    if let Some(used_on) = unpaid_unlock(store, &id) {
        return refuse(
            "113",
            format!(
                "Desbloqueio de confiança já utilizado em {used_on} e as faturas em atraso ainda não foram pagas. \
                 Regularize os débitos para utilizar novamente."
            ),
        );
    }
    if access == "A" {
        return refuse("107", format!("Contrato {id} já está ativo: não é necessário o desbloqueio de confiança."));
    }
    if !matches!(access, "CA" | "CM" | "FA") {
        return refuse("109", format!("O bloqueio do contrato {id} ({access}) não permite desbloqueio de confiança."));
    }

    let today = data::reference_date();
    let until = today.checked_add_days(Days::new(TRUST_UNLOCK_DAYS)).unwrap_or(today);
    let Some(contract) = store.row_mut("cliente_contrato", &id) else {
        return refuse("106", format!("Contrato {id} não existe!"));
    };
    set(contract, "status_internet", "A");
    set(contract, "desbloqueio_confianca_ativo", "S");
    set(contract, "dt_ult_des_bloq_conf", iso_date(today));
    set(contract, "nao_bloquear_ate", iso_date(until));
    set(contract, "ultima_atualizacao", data::now_stamp());
    Reply::Json(json!({
        "tipo": "sucesso",
        "mensagem": format!("Desbloqueio de confiança efetuado com sucesso! Contrato liberado até {}.", br_date(until)),
    }))
}

/// When the contract's trust unlock can't be used again, the date (`dd/mm/yyyy`) it was used.
fn unpaid_unlock(store: &Store, contract_id: &str) -> Option<String> {
    let contract = store.row("cliente_contrato", contract_id)?;
    let last = parse_iso_date(field(contract, "dt_ult_des_bloq_conf"));
    if field(contract, "desbloqueio_confianca_ativo") == "S" {
        return Some(last.map(br_date).unwrap_or_default());
    }
    let last = last?;
    let unpaid_since_then = store.table("fn_areceber")?.rows.iter().any(|invoice| {
        field(invoice, "id_contrato") == contract_id
            && is_overdue(invoice)
            && parse_iso_date(field(invoice, "data_vencimento")).is_some_and(|due| due <= last)
    });
    unpaid_since_then.then(|| br_date(last))
}

/// An open (A/P), released invoice due before today.
fn is_overdue(invoice: &super::store::Row) -> bool {
    matches!(field(invoice, "status"), "A" | "P")
        && field(invoice, "liberado") == "S"
        && parse_iso_date(field(invoice, "data_vencimento")).is_some_and(|due| due < data::reference_date())
}

/// After a payment on `invoice_id`: advances the contract's `pago_ate_data` when the invoice
/// is paid, and once no overdue invoice is left, lifts an automatic block (CA, FA) and ends a
/// running trust unlock (*inferred*: IXC's automatic unblocking).
pub(crate) fn after_payment(store: &mut Store, contract_id: &str, invoice_id: &str) {
    if contract_id.is_empty() {
        return;
    }
    let paid_due = store
        .row("fn_areceber", invoice_id)
        .filter(|i| field(i, "status") == "R")
        .map(|i| field(i, "data_vencimento").to_owned());
    // Only a blocked contract or a running trust unlock has anything to lift: skip the scan
    // over every invoice otherwise (it dominates a baixa with thousands of invoices).
    let has_something_to_lift = store.row("cliente_contrato", contract_id).is_some_and(|c| {
        matches!(field(c, "status_internet"), "CA" | "FA") || field(c, "desbloqueio_confianca_ativo") == "S"
    });
    let still_overdue = has_something_to_lift
        && store
            .table("fn_areceber")
            .is_some_and(|t| t.rows.iter().any(|i| field(i, "id_contrato") == contract_id && is_overdue(i)));
    let Some(contract) = store.row_mut("cliente_contrato", contract_id) else { return };
    if let Some(due) = paid_due
        && due.as_str() > field(contract, "pago_ate_data")
    {
        set(contract, "pago_ate_data", due);
    }
    if !still_overdue {
        if matches!(field(contract, "status_internet"), "CA" | "FA") {
            set(contract, "status_internet", "A");
        }
        set(contract, "desbloqueio_confianca_ativo", "N");
    }
    set(contract, "ultima_atualizacao", data::now_stamp());
}

/// `cliente_contrato_btn_lib_temp_24722` (`{"get_id": ...}` per S1, `{"id": ...}` per S3):
/// releases a blocked contract for the day. Validation is weak, as goixc's test shows (it
/// expects success for contract `-1`): an unknown contract also gets success.
pub(crate) fn temporary_release(store: &mut Store, params: &Params) -> Reply {
    let id = [params.trimmed("get_id"), params.trimmed("id")].into_iter().find(|s| !s.is_empty()).unwrap_or_default();
    if let Some(contract) = store.row_mut("cliente_contrato", &id)
        && field(contract, "status") == "A"
        && field(contract, "status_internet") != "A"
    {
        set(contract, "status_internet", "A");
        set(contract, "nao_bloquear_ate", iso_date(data::reference_date()));
        set(contract, "ultima_atualizacao", data::now_stamp());
    }
    Reply::Json(json!({ "type": "success", "message": "Contrato liberado temporariamente!" }))
}
