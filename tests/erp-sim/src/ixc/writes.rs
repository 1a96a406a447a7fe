//! Inserts (`POST /<table>` without `ixcsoft: listar`), updates (`PUT /<table>/<id>`),
//! deletes (`DELETE /<table>/<id>`) and `gerar_protocolo_atendimento`.
//!
//! # Behaviour (ERPS.md §1.2, §1.5, §1.6; *inferred* where marked)
//!
//! - **Insert**: the table's required fields ([`TableSpec::insert_required`], from S1's
//!   "Obrigatório" marks) must be filled, date fields must be `dd/mm/yyyy` (stored as ISO);
//!   otherwise a business error. Unknown fields are ignored, unset columns take their
//!   defaults. Answer: `{"type":"success","message":"Registro inserido com sucesso!","id":"N"}`
//!   (message wording *inferred*). Per table:
//!   - `contato` (lead): besides `nome` and `data_cadastro`, at least one of `fone_celular`,
//!     `fone_whatsapp`, `email` (\[H\] S1). `lead` is stored as sent (`S` marks a lead); it
//!     is not required (*inferred*).
//!   - `su_ticket`: `menssagem` (double s) among the required fields; the customer, subject
//!     (active), department and, when given, the contract (of that customer) must exist
//!     (*inferred*). Without `protocolo`, one is generated (`yyyymmdd` + 6-digit sequence) and
//!     returned in `atualiza_campos` (`[{"tipo":"protocolo","campo":"protocolo","valor":...}]`),
//!     the documented extra of insert answers (\[M\] S4; exact content *inferred*). The same
//!     sequence feeds `gerar_protocolo_atendimento`, which answers the bare number as text
//!     (S1 documents the endpoint, not its answer: *inferred*).
//!   - `su_oss_chamado`: same protocol rule; customer and subject must exist.
//!   - `vd_saida` (order/sale), `cliente_contrato`: the customer (and plan, seller) must exist.
//!   - `cliente`: the CPF/CNPJ must be valid and not already registered (*inferred*); it is
//!     stored as sent.
//! - **Update** needs the **full row**: a body missing any column of the record (`id` and
//!   `ultima_atualizacao` aside) fails with IXC's red HTML error, HTTP 200 (\[H\] S1 "não é
//!   possível modificar apenas um campo", \[M\] S6). Dates may come back as listed (ISO, `""`,
//!   `0000-00-00`) or as `dd/mm/yyyy`. On `fn_areceber`, writes to `gateway_link`,
//!   `linha_digitavel` and `id_cobranca` are silently dropped (\[M\] S6). `fn_areceber_altera`
//!   answers HTTP 500 with the red HTML error, as S6 saw on real tenants.
//! - **Delete** fails with a business error while dependent rows exist (contracts/invoices of a
//!   customer, invoices of a contract, contracts of a plan, tickets of a subject). Deleting a
//!   row of `fn_areceber_baixas` reverses that payment.

use ponte_contract::normalize::document::Document;
use serde_json::{Value, json};

use super::data;
use super::finance;
use super::params::Params;
use super::schema::TableSpec;
use super::store::{Row, Store, field, set};
use super::{Reply, iso_date, parse_br_date, parse_iso_date};

/// `POST /<table>`.
pub(crate) fn insert(store: &mut Store, spec: &'static TableSpec, params: &Params) -> Reply {
    let Some(required) = spec.insert_required else {
        return Reply::unavailable(spec.name);
    };
    for column in required {
        if params.trimmed(column).is_empty() {
            return Reply::error(format!("O campo {column} é obrigatório!"));
        }
    }
    if let Err(message) = validate_insert(store, spec, params) {
        return Reply::error(message);
    }
    let stamp = data::now_stamp();
    let mut protocol = None;
    let Some(table) = store.table(spec.name) else {
        return Reply::ServerError;
    };
    let mut row = table.blank_row();
    if let Err(message) = apply_fields(spec, params, &mut row, false) {
        return Reply::error(message);
    }
    if row.contains_key("ultima_atualizacao") {
        set(&mut row, "ultima_atualizacao", stamp.as_str());
    }
    match spec.name {
        "su_ticket" | "su_oss_chamado" => {
            if field(&row, "protocolo").is_empty() {
                let number = next_protocol(store);
                set(&mut row, "protocolo", number.as_str());
                protocol = Some(number);
            }
            let created = if spec.name == "su_ticket" { "data_criacao" } else { "data_abertura" };
            if field(&row, created).is_empty() {
                set(&mut row, created, stamp.as_str());
            }
        }
        "cliente" if field(&row, "data_cadastro") == "0000-00-00" => {
            set(&mut row, "data_cadastro", iso_date(data::reference_date()));
        }
        _ => {}
    }
    let Some(table) = store.table_mut(spec.name) else {
        return Reply::ServerError;
    };
    let id = table.insert(row);
    let mut answer = json!({ "type": "success", "message": "Registro inserido com sucesso!", "id": id });
    if let (Some(number), Value::Object(map)) = (protocol, &mut answer) {
        map.insert("atualiza_campos".into(), json!([{ "tipo": "protocolo", "campo": "protocolo", "valor": number }]));
    }
    Reply::Json(answer)
}

/// Table-specific insert rules beyond the required fields.
fn validate_insert(store: &Store, spec: &TableSpec, params: &Params) -> Result<(), String> {
    let exists = |table: &str, key: &str| -> Result<(), String> {
        let id = params.trimmed(key);
        if store.row(table, &id).is_some() { Ok(()) } else { Err(format!("Registro {id} não encontrado ({key})!")) }
    };
    match spec.name {
        "contato" if ["fone_celular", "fone_whatsapp", "email"].iter().all(|k| params.trimmed(k).is_empty()) => {
            return Err("Pelo menos um dos telefones ou e-mail deve ser informado!".into());
        }
        "su_ticket" | "su_oss_chamado" => {
            exists("cliente", "id_cliente")?;
            exists("su_oss_assunto", "id_assunto")?;
            let subject = store.row("su_oss_assunto", &params.trimmed("id_assunto"));
            if subject.is_some_and(|s| field(s, "ativo") != "S") {
                return Err("Assunto inativo!".into());
            }
            if spec.name == "su_ticket" {
                exists("su_ticket_setor", "id_ticket_setor")?;
            }
            let contract_id = params.trimmed("id_contrato");
            if !contract_id.is_empty() && contract_id != "0" {
                let customer = params.trimmed("id_cliente");
                let contract = store.row("cliente_contrato", &contract_id);
                if contract.is_none_or(|c| field(c, "id_cliente") != customer) {
                    return Err(format!("Contrato {contract_id} não pertence ao cliente {customer}!"));
                }
            }
        }
        "vd_saida" => {
            exists("cliente", "id_cliente")?;
            exists("vendedor", "id_comissionado")?;
        }
        "cliente_contrato" => {
            exists("cliente", "id_cliente")?;
            exists("vd_contratos", "id_vd_contrato")?;
            exists("vendedor", "id_vendedor")?;
        }
        "cliente" => {
            let given = params.trimmed("cnpj_cpf");
            let document = Document::parse(&given).map_err(|_| format!("CPF/CNPJ inválido: {given}"))?;
            let taken = store.table("cliente").is_some_and(|t| {
                t.rows.iter().any(|r| Document::parse(field(r, "cnpj_cpf")).is_ok_and(|d| d == document))
            });
            if taken {
                return Err(format!("Já existe um cliente cadastrado com o CPF/CNPJ {given}!"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Copies the body's fields that name columns into `row` (never `id`), converting date fields.
/// An update also accepts dates as listed (ISO, zero date, empty) and skips the table's
/// silently dropped columns.
fn apply_fields(spec: &TableSpec, params: &Params, row: &mut Row, is_update: bool) -> Result<(), String> {
    for key in params.keys() {
        let Some(column) = spec.resolve(key) else { continue };
        if column == "id" || (is_update && spec.update_drops.contains(&column)) {
            continue;
        }
        let Some(value) = params.text(key) else { continue };
        let value = if spec.write_dates.contains(&column) { write_date(&value, is_update, column)? } else { value };
        set(row, column, value);
    }
    Ok(())
}

fn write_date(value: &str, lenient: bool, column: &str) -> Result<String, String> {
    let v = value.trim();
    if let Some(date) = parse_br_date(v) {
        return Ok(iso_date(date));
    }
    if v.is_empty() || lenient && (v == "0000-00-00" || parse_iso_date(v).is_some()) {
        return Ok(v.to_owned());
    }
    Err(format!("Data inválida no campo {column}: {v}. Informe no formato dd/mm/aaaa."))
}

/// `PUT /<table>/<id>`.
pub(crate) fn update(store: &mut Store, spec: &'static TableSpec, id: Option<&str>, params: &Params) -> Reply {
    if !spec.update {
        return Reply::unavailable(spec.name);
    }
    let Some(id) = id.filter(|id| !id.trim().is_empty()) else {
        return Reply::error("Informe o ID do registro a ser alterado!");
    };
    let Some(current) = store.row(spec.name, id) else {
        return Reply::error(format!("Registro {id} não encontrado!"));
    };
    // "É necessário trazer todos os campos": every column must be in the body.
    let missing = spec
        .column_names()
        .filter(|c| !matches!(*c, "id" | "ultima_atualizacao"))
        .find(|column| !params.keys().any(|k| k.eq_ignore_ascii_case(column)) && current.contains_key(*column));
    if let Some(column) = missing {
        tracing::debug!(table = spec.name, column, "partial PUT refused");
        return Reply::HtmlError;
    }
    let mut row = current.clone();
    if let Err(message) = apply_fields(spec, params, &mut row, true) {
        return Reply::error(message);
    }
    set(&mut row, "ultima_atualizacao", data::now_stamp());
    if let Some(slot) = store.row_mut(spec.name, id) {
        *slot = row;
    }
    Reply::Json(json!({ "type": "success", "message": "Registro atualizado com sucesso!", "id": id }))
}

/// `DELETE /<table>/<id>`.
pub(crate) fn delete(store: &mut Store, spec: &'static TableSpec, id: Option<&str>) -> Reply {
    if !spec.delete {
        return Reply::unavailable(spec.name);
    }
    let Some(id) = id.filter(|id| !id.trim().is_empty()) else {
        return Reply::error("Informe o ID do registro a ser excluído!");
    };
    if store.row(spec.name, id).is_none() {
        return Reply::error(format!("Registro {id} não encontrado!"));
    }
    let dependents: &[(&str, &str)] = match spec.name {
        "cliente" => &[("cliente_contrato", "id_cliente"), ("fn_areceber", "id_cliente"), ("su_ticket", "id_cliente")],
        "cliente_contrato" => &[("fn_areceber", "id_contrato")],
        "vd_contratos" => &[("cliente_contrato", "id_vd_contrato")],
        "su_oss_assunto" => &[("su_ticket", "id_assunto"), ("su_oss_chamado", "id_assunto")],
        _ => &[],
    };
    for (table, column) in dependents {
        if !store.rows_where(table, column, id).is_empty() {
            return Reply::error(format!(
                "Não é possível excluir o registro {id}: existem registros dependentes em {table}!"
            ));
        }
    }
    let removed = store.table_mut(spec.name).and_then(|t| t.remove(id));
    if spec.name == "fn_areceber_baixas"
        && let Some(payment) = removed
    {
        finance::recompute_invoice(store, field(&payment, "id_receber"));
    }
    Reply::Json(json!({ "type": "success", "message": "Registro excluído com sucesso!" }))
}

/// The next protocol number: `yyyymmdd` of today and a 6-digit sequence.
pub(crate) fn next_protocol(store: &mut Store) -> String {
    store.protocol_seq += 1;
    format!("{}{:06}", data::REFERENCE_DATE.replace('-', ""), store.protocol_seq)
}
