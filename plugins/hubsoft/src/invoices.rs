//! Invoices: `GET /cliente/financeiro` (list; one by id, since Hubsoft has no by-id
//! endpoint), the fatura's PDF through its `link`, and the liquidation
//! (`POST /financeiro/fatura/liquidar`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::FixedOffset;
use ponte_pdk::prelude::*;
use ponte_pdk::serde_json::{Value, json};
use ponte_pdk::{config, log};

use crate::client::{Hubsoft, Reply, array, document_key, says_not_found, text};

/// `/cliente/financeiro` answers at most 50 and documents no offset.
const LIMIT: usize = 50;

/// The customer's faturas (`pending_only`: the open ones), oldest due first.
fn faturas(hs: &Hubsoft, document: &str, pending_only: bool) -> Result<Vec<Value>, Error> {
    let query = [
        ("busca", "cpf_cnpj".to_owned()),
        ("termo_busca", document.to_owned()),
        ("apenas_pendente", if pending_only { "sim" } else { "nao" }.to_owned()),
        ("limit", LIMIT.to_string()),
        ("order_by", "data_vencimento".to_owned()),
        ("order_type", "asc".to_owned()),
    ];
    let body = match hs.get("cliente/financeiro", &query)? {
        Reply::Ok(body) => body,
        Reply::Refused { message, .. } if says_not_found(&message) => return Ok(Vec::new()),
        refused => return refused.accepted().map(|_| Vec::new()),
    };
    let rows = array(&body, "faturas");
    if rows.len() >= LIMIT {
        log::warn(format!("Hubsoft returned {LIMIT} faturas, its maximum: older ones may be missing"));
    }
    let wanted = document_key(document);
    let mut rows: Vec<Value> = rows
        .iter()
        // A fatura of another customer is never handed over (the host checks too).
        .filter(|row| {
            let owner = text(&row["cliente"]["cpf_cnpj"]);
            owner.is_empty() || document_key(&owner) == wanted
        })
        .cloned()
        .collect();
    rows.sort_by_key(|row| ponte_pdk::helpers::iso_date(&text(&row["data_vencimento"])).unwrap_or_default());
    Ok(rows)
}

/// Money as cents, from any form Hubsoft sends.
fn cents(value: &Value) -> Option<i64> {
    let normalized = ponte_pdk::helpers::money(value)?;
    let (whole, fraction) = normalized.split_once('.')?;
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let whole: i64 = whole.trim_start_matches('-').parse().ok()?;
    let fraction: i64 = fraction.parse().ok()?;
    Some(sign * (whole * 100 + fraction))
}

fn money_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn settled(row: &Value) -> bool {
    row["quitado"] == Value::Bool(true) || text(&row["status"]).eq_ignore_ascii_case("pago")
}

fn cancelled(row: &Value) -> bool {
    text(&row["status"]).to_lowercase().starts_with("cancel")
}

/// A fatura as a [`Fatura`], values as Hubsoft gives them (the host normalizes dates, money,
/// lines and the PIX). `valor_final` is what is due now: `valor` less `valor_pago`, zero once
/// `quitado`.
fn fatura(row: &Value, document: &str) -> Fatura {
    let id = text(&row["id_fatura"]);
    let client = &row["cliente"];
    let valor = text(&row["valor"]);
    let due_now = match (cents(&row["valor"]), cents(&row["valor_pago"])) {
        _ if settled(row) => "0.00".to_owned(),
        (Some(total), Some(paid)) if paid > 0 => money_text((total - paid).max(0)),
        _ => valor.clone(),
    };
    let line = text(&row["linha_digitavel"]);
    let barcode = text(&row["codigo_barras"]);
    let historico = array(row, "detalhamento").iter().map(|d| text(&d["descricao"])).find(|d| !d.is_empty());
    Fatura {
        document_number: {
            let owner = text(&client["cpf_cnpj"]);
            if owner.is_empty() { document.to_owned() } else { owner }
        },
        fatura: id.clone(),
        nome_cliente: text(&client["nome_razaosocial"]),
        valor_inicial: valor,
        valor_final: due_now,
        // Hubsoft has no current interest or fine field (ERPS.md §3.4: NOT FOUND).
        juros: String::new(),
        multa: String::new(),
        emissao: text(&row["data_cadastro"]),
        vencimento: text(&row["data_vencimento"]),
        historico: historico.unwrap_or_else(|| text(&client["servico"]["nome"])),
        link_boleto: text(&row["link"]),
        codigo_barras: if line.is_empty() { barcode } else { String::new() },
        linha_digitavel: line,
        code_fatura: text(&row["numero_documento"]),
        identifier: text(&row["nosso_numero"]),
        remote_id: id,
        pix_code: text(&row["pix_copia_cola"]),
    }
}

/// `list_invoices` (`contract`: only that service's) and `list_totem_invoices`: the open ones.
pub(crate) fn open_invoices(hs: &Hubsoft, document: &str, contract: Option<&RemoteId>) -> Result<Vec<Fatura>, Error> {
    Ok(faturas(hs, document, true)?
        .iter()
        .filter(|row| !settled(row) && !cancelled(row))
        .filter(|row| contract.is_none_or(|c| text(&row["cliente"]["servico"]["id_cliente_servico"]) == c.as_str()))
        .map(|row| fatura(row, document))
        .collect())
}

/// The customer's fatura `id`, whatever its state.
fn own_fatura(hs: &Hubsoft, document: &str, id: &str) -> Result<Option<Value>, Error> {
    Ok(faturas(hs, document, false)?.into_iter().find(|row| text(&row["id_fatura"]) == id))
}

/// `get_invoice`.
pub(crate) fn get_invoice(hs: &Hubsoft, input: &GetInvoiceInput) -> Result<Vec<Fatura>, Error> {
    let document = &input.customer_document_number;
    Ok(own_fatura(hs, document, input.customer_bill_id.as_str())?
        .map(|row| fatura(&row, document))
        .into_iter()
        .collect())
}

/// `get_boleto_pdf`: Hubsoft gives the PDF's URL (`link`), not the PDF; the plugin downloads
/// it. Hubsoft has no lookup by invoice id, so the customer's document is required.
pub(crate) fn get_boleto_pdf(hs: &Hubsoft, input: &GetBoletoPdfInput) -> Result<Pdf, Error> {
    let id = input.boleto_id.as_str();
    let Some(document) = &input.customer_document_number else {
        return Err(Error::not_found(format!(
            "Hubsoft finds invoices only by customer: call with customer_document_number to get invoice {id}"
        )));
    };
    let row = own_fatura(hs, document, id)?
        .ok_or_else(|| Error::not_found(format!("Hubsoft has no invoice {id} of this customer")))?;
    let link = text(&row["link"]);
    if link.is_empty() {
        return Err(Error::not_found(format!("Hubsoft has no PDF link for invoice {id}")));
    }
    let response = hs.download(&link, "the fatura's link")?;
    if !response.body.starts_with(b"%PDF") {
        return Err(Error::upstream(format!(
            "the link of invoice {id} answered {}, not a PDF",
            response.header("content-type").unwrap_or("no content type")
        )));
    }
    Ok(Pdf { base_64: STANDARD.encode(&response.body) })
}

/// `settle_invoice`: the liquidation, exactly once.
///
/// The invoice is read first: already paid is success without a second liquidation (the host
/// calls again after a lost answer). "já encontra-se quitada" from Hubsoft is success too.
pub(crate) fn settle_invoice(hs: &Hubsoft, input: &SettleInvoiceInput) -> Result<SettleInvoiceOutput, Error> {
    let id = input.boleto_id.as_str();
    let document = &input.customer_document_number;
    let row = own_fatura(hs, document, id)?
        .ok_or_else(|| Error::not_found(format!("Hubsoft has no invoice {id} of this customer")))?;
    if settled(&row) {
        return Ok(SettleInvoiceOutput { success: true, api_response: json!({"already_paid": true, "fatura": row}) });
    }
    if cancelled(&row) {
        return Ok(SettleInvoiceOutput { success: false, api_response: json!({"cancelled": true, "fatura": row}) });
    }
    let cash = config::require("cash_account_id")?;
    let t = &input.transaction;
    let mut body = json!({
        "id_fatura": id.parse::<u64>().map_or_else(|_| Value::String(id.to_owned()), Value::from),
        "id_caixa_financeiro": cash.trim().parse::<u64>().map_or_else(|_| Value::String(cash.trim().to_owned()), Value::from),
        "data_pagamento": payment_date(&t.paid_at)?,
        "valor_pago": t.amount,
    });
    if let Some(method) = payment_method(t.method) {
        body["meio_pagamento"] = Value::String(method.to_owned());
    }
    match hs.post("financeiro/fatura/liquidar", &body)? {
        Reply::Ok(answer) => Ok(SettleInvoiceOutput { success: true, api_response: answer }),
        Reply::Refused { message, body, .. } if message.to_lowercase().contains("quitad") => {
            log::info(format!("invoice {id} was already paid at Hubsoft"));
            Ok(SettleInvoiceOutput { success: true, api_response: body })
        }
        Reply::Refused { body, .. } => Ok(SettleInvoiceOutput { success: false, api_response: body }),
    }
}

/// Hubsoft's `meio_pagamento` prefixes (GET `/configuracao/meio_pagamento`).
fn payment_method(method: PaymentMethod) -> Option<&'static str> {
    match method {
        PaymentMethod::Pix => Some("pix"),
        PaymentMethod::Card => Some("cartao_credito"),
        PaymentMethod::Debit => Some("cartao_debito"),
        PaymentMethod::Cash => Some("dinheiro"),
        PaymentMethod::Boleto => Some("boleto"),
    }
}

/// The payment's date in Brasília (UTC−3), `YYYY-MM-DD` as Hubsoft takes it.
fn payment_date(paid_at: &str) -> Result<String, Error> {
    let at = ponte_pdk::normalize::date::parse_datetime(paid_at)
        .map_err(|e| Error::failed(format!("transaction.paid_at {paid_at:?}: {e}")))?;
    let brasilia = FixedOffset::west_opt(3 * 3600).ok_or_else(|| Error::failed("UTC-3 is a valid offset"))?;
    Ok(at.with_timezone(&brasilia).date_naive().format("%Y-%m-%d").to_string())
}
