//! Invoices: `POST /api/ura/titulos/` (list, one by id), the boleto's PDF through its link,
//! and the baixa (`POST /api/banco/titulo/{id}/baixar/`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::FixedOffset;
use ponte_pdk::prelude::*;
use ponte_pdk::serde_json::{Value, json};
use ponte_pdk::{config, log};

use crate::client::{Reply, Sgp, array, first, says_not_found, text};
use crate::customer::{Contract, contracts};

const TITULOS: &str = "/api/ura/titulos/";
/// `titulos` answers at most 250 per page.
const PAGE: usize = 250;
/// 10 000 invoices: far past any customer's; a guard against a pager that never ends.
const MAX_PAGES: usize = 40;

/// A `titulos` row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Paid,
    Cancelled,
    Other,
}

fn state(row: &Value) -> State {
    let status = text(&row["status"]).to_lowercase();
    if status.starts_with("abert") {
        State::Open
    } else if status.starts_with("pag") {
        State::Paid
    } else if status.starts_with("cancel") {
        State::Cancelled
    } else {
        State::Other
    }
}

/// Every `titulos` row matching `filters`, all pages; empty when SGP says the customer or
/// invoice doesn't exist.
fn titulos(sgp: &Sgp, filters: &[(&str, String)]) -> Result<Vec<Value>, Error> {
    let mut rows = Vec::new();
    for page in 0..MAX_PAGES {
        let mut fields = filters.to_vec();
        fields.push(("offset", (page * PAGE).to_string()));
        fields.push(("limit", PAGE.to_string()));
        let body = match sgp.post_form(TITULOS, &fields)? {
            Reply::Ok(body) => body,
            Reply::Refused { message, .. } if says_not_found(&message) => return Ok(rows),
            refused => return refused.accepted().map(|_| Vec::new()),
        };
        let batch = array(&body, "titulos");
        rows.extend(batch.iter().cloned());
        let total = text(&body["paginacao"]["total"]).parse::<usize>().ok();
        if batch.len() < PAGE || total.is_some_and(|t| rows.len() >= t) {
            return Ok(rows);
        }
    }
    Err(Error::upstream(format!("SGP kept paging past {} invoices", PAGE * MAX_PAGES)))
}

/// The row's contract among the customer's, when the row names one; `None` for a row of a
/// contract that is not the customer's.
fn owner<'a>(row: &Value, contracts: &'a [Contract]) -> Option<Option<&'a Contract>> {
    let contract = first(row, &["contrato", "contratoId", "contrato_id"]);
    if contract.is_empty() {
        return Some(None);
    }
    contracts.iter().find(|c| c.id == contract).map(Some)
}

/// A `titulos` row as a [`Fatura`], values as SGP gives them (the host normalizes).
fn fatura(row: &Value, contract: Option<&Contract>, document: &str) -> Fatura {
    let id = first(row, &["id", "titulo_id", "fatura"]);
    let (linha_digitavel, codigo_barras) = boleto_fields(row);
    let value = first(row, &["valor", "valor_original"]);
    let corrected = first(row, &["valorCorrigido", "valorcorrigido", "valor_corrigido"]);
    Fatura {
        document_number: contract
            .map(|c| c.document.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| document.to_owned()),
        fatura: id.clone(),
        nome_cliente: contract.map(|c| c.name.clone()).unwrap_or_default(),
        valor_inicial: value.clone(),
        // The amount due now: nothing once paid (SGP keeps the título's value on a paid one; the
        // host's check of a payment whose answer was lost reads `valor_final`).
        valor_final: if state(row) == State::Paid {
            "0.00".to_owned()
        } else if corrected.is_empty() {
            value
        } else {
            corrected
        },
        // SGP does not split interest from fine: `valorCorrigido` is the updated total.
        juros: String::new(),
        multa: String::new(),
        emissao: first(row, &["dataEmissao", "data_emissao", "emissao"]),
        vencimento: first(row, &["dataVencimento", "data_vencimento", "vencimento"]),
        historico: contract.map(|c| c.plan.clone()).unwrap_or_default(),
        // A payment-link título's page is where it is paid; otherwise the boleto's page.
        link_boleto: first(row, &["link_cobranca", "link"]),
        linha_digitavel,
        code_fatura: first(row, &["numeroDocumento", "numero_documento"]),
        identifier: first(row, &["portador"]),
        remote_id: id,
        pix_code: first(row, &["codigoPix", "codigopix", "pix"]),
        codigo_barras,
    }
}

/// The boleto line and barcode. SGP's `codigoBarras` holds the 47/48-digit line on some
/// versions and the 44-digit barcode on others (ERPS.md §2.5): route it by its length and let
/// the host derive the other.
fn boleto_fields(row: &Value) -> (String, String) {
    let line = first(row, &["linhaDigitavel", "linhadigitavel", "linha_digitavel"]);
    let code = first(row, &["codigoBarras", "codigobarras", "codigo_barras"]);
    let is_barcode = code.chars().filter(char::is_ascii_digit).count() == 44;
    match (line.is_empty(), is_barcode) {
        (false, true) => (line, code),
        (false, false) => (line, String::new()),
        (true, true) => (String::new(), code),
        (true, false) => (code, String::new()),
    }
}

/// `list_invoices` (`contract`: only that contract's) and `list_totem_invoices`: the open ones.
pub(crate) fn open_invoices(sgp: &Sgp, document: &str, contract: Option<&RemoteId>) -> Result<Vec<Fatura>, Error> {
    let contracts = contracts(sgp, document)?;
    if contracts.is_empty() || contract.is_some_and(|id| !contracts.iter().any(|c| c.id == id.as_str())) {
        return Ok(Vec::new());
    }
    let mut filters = vec![
        ("cpfcnpj", document.to_owned()),
        ("status", "abertos".to_owned()),
        ("ordenar", "data_vencimento".to_owned()),
        ("ordenar_ordem", "asc".to_owned()),
    ];
    if let Some(id) = contract {
        filters.push(("contrato", id.as_str().to_owned()));
    }
    let mut out = Vec::new();
    for row in titulos(sgp, &filters)? {
        let Some(owner) = owner(&row, &contracts) else { continue };
        if contract.is_some_and(|id| owner.is_some_and(|c| c.id != id.as_str())) {
            continue;
        }
        if matches!(state(&row), State::Open | State::Other) {
            out.push(fatura(&row, owner, document));
        }
    }
    Ok(out)
}

/// The customer's invoice `id` (any state) with its contract, or `None`.
fn own_invoice(sgp: &Sgp, document: &str, id: &str) -> Result<Option<(Value, Vec<Contract>)>, Error> {
    let contracts = contracts(sgp, document)?;
    if contracts.is_empty() {
        return Ok(None);
    }
    let rows = titulos(sgp, &[("titulo_id", id.to_owned()), ("cpfcnpj", document.to_owned())])?;
    let row = rows.into_iter().find(|row| first(row, &["id", "titulo_id"]) == id && owner(row, &contracts).is_some());
    Ok(row.map(|row| (row, contracts)))
}

/// `get_invoice`: the customer's invoice by id, whatever its state; empty when it is not theirs.
pub(crate) fn get_invoice(sgp: &Sgp, input: &GetInvoiceInput) -> Result<Vec<Fatura>, Error> {
    let document = &input.customer_document_number;
    Ok(match own_invoice(sgp, document, input.customer_bill_id.as_str())? {
        Some((row, contracts)) => vec![fatura(&row, owner(&row, &contracts).flatten(), document)],
        None => Vec::new(),
    })
}

/// `get_boleto_pdf`: SGP gives links, not the PDF (ERPS.md §2.4: a base64 PDF is NOT FOUND),
/// so the plugin downloads the título's `link` with `.pdf` appended (what `fatura2via`'s
/// `link_pdf=1` does to its links; `fatura2via` itself only lists open títulos). The link must
/// be on the manifest's hosts, i.e. on the SGP's own address. With the customer's document, a
/// boleto of another customer is [`Error::NotFound`].
pub(crate) fn get_boleto_pdf(sgp: &Sgp, input: &GetBoletoPdfInput) -> Result<Pdf, Error> {
    let id = input.boleto_id.as_str();
    let not_found = || Error::not_found(format!("SGP has no invoice {id} of this customer"));
    let row = match &input.customer_document_number {
        Some(document) => own_invoice(sgp, document, id)?.map(|(row, _)| row),
        None => titulos(sgp, &[("titulo_id", id.to_owned())])?
            .into_iter()
            .find(|row| first(row, &["id", "titulo_id"]) == id),
    }
    .ok_or_else(not_found)?;
    let link = first(&row, &["link"]);
    if link.is_empty() {
        return Err(Error::not_found(format!("SGP has no boleto link for invoice {id}")));
    }
    let pdf_link = if link.ends_with(".pdf") { link.clone() } else { format!("{link}.pdf") };
    let mut response = sgp.download(&pdf_link)?;
    if !response.body.starts_with(b"%PDF") && pdf_link != link {
        response = sgp.download(&link)?;
    }
    if !response.body.starts_with(b"%PDF") {
        return Err(Error::upstream(format!(
            "the boleto link of invoice {id} answered {}, not a PDF",
            response.header("content-type").unwrap_or("no content type")
        )));
    }
    Ok(Pdf { base_64: STANDARD.encode(&response.body) })
}

/// `settle_invoice`: the baixa, exactly once.
///
/// The host calls again after a lost answer, so the invoice's state is read first: already
/// paid is success without a second baixa. SGP's answer to the baixa is undocumented (ERPS.md
/// §2.4 NOT FOUND): without an explicit `status: 1` the invoice is read again, and only a paid
/// invoice is a success.
pub(crate) fn settle_invoice(sgp: &Sgp, input: &SettleInvoiceInput) -> Result<SettleInvoiceOutput, Error> {
    let id = input.boleto_id.as_str();
    let document = &input.customer_document_number;
    let (row, _) = own_invoice(sgp, document, id)?
        .ok_or_else(|| Error::not_found(format!("SGP has no invoice {id} of this customer")))?;
    match state(&row) {
        State::Paid => {
            return Ok(SettleInvoiceOutput {
                success: true,
                api_response: json!({"already_paid": true, "titulo": row}),
            });
        }
        State::Cancelled => {
            return Ok(SettleInvoiceOutput { success: false, api_response: json!({"cancelled": true, "titulo": row}) });
        }
        State::Open | State::Other => {}
    }

    let t = &input.transaction;
    let mut fields = vec![
        ("data_pagamento", payment_date(&t.paid_at)?),
        ("valor_pago", t.amount.clone()),
        ("observacao", format!("Ponte: {} {}", t.method.as_str(), t.id)),
    ];
    if let Some(method) = payment_method(t.method) {
        fields.push(("forma_pagamento", method.to_owned()));
    }
    if let Some(point) = config::get("payment_point").filter(|p| !p.trim().is_empty()) {
        fields.push(("ponto_recebimento", point));
    }
    let answer = match sgp.post_form(&format!("/api/banco/titulo/{id}/baixar/"), &fields)? {
        Reply::Refused { body, .. } => return Ok(SettleInvoiceOutput { success: false, api_response: body }),
        Reply::Ok(answer) => answer,
    };
    let confirmed = match (&answer["status"], &answer["success"]) {
        (Value::Number(n), _) => n.as_i64() == Some(1),
        (Value::Bool(b), _) | (_, Value::Bool(b)) => *b,
        (Value::String(s), _) => s.trim() == "1",
        _ => false,
    };
    if confirmed {
        return Ok(SettleInvoiceOutput { success: true, api_response: answer });
    }
    log::warn(format!("the baixa of invoice {id} answered without a status; reading the invoice back"));
    match own_invoice(sgp, document, id)? {
        Some((row, _)) if state(&row) == State::Paid => Ok(SettleInvoiceOutput { success: true, api_response: answer }),
        _ => Err(Error::upstream(format!(
            "SGP's answer to the baixa of invoice {id} did not confirm it, and it is not paid"
        ))),
    }
}

/// SGP's `forma_pagamento` (DINHEIRO, CARTAO, DEBITO, PIX); a boleto paid at a bank has none.
fn payment_method(method: PaymentMethod) -> Option<&'static str> {
    match method {
        PaymentMethod::Pix => Some("PIX"),
        PaymentMethod::Card => Some("CARTAO"),
        PaymentMethod::Debit => Some("DEBITO"),
        PaymentMethod::Cash => Some("DINHEIRO"),
        PaymentMethod::Boleto => None,
    }
}

/// The payment's date in Brasília (UTC−3, no daylight saving since 2019), `AAAA-MM-DD` as SGP
/// takes request dates.
fn payment_date(paid_at: &str) -> Result<String, Error> {
    let at = ponte_pdk::normalize::date::parse_datetime(paid_at)
        .map_err(|e| Error::failed(format!("transaction.paid_at {paid_at:?}: {e}")))?;
    let brasilia = FixedOffset::west_opt(3 * 3600).ok_or_else(|| Error::failed("UTC-3 is a valid offset"))?;
    Ok(at.with_timezone(&brasilia).date_naive().format("%Y-%m-%d").to_string())
}
