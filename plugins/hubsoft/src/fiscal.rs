//! Fiscal notes: `GET /cliente/nota_fiscal` (per customer, by `id_cliente`), and a note's PDF
//! through its `link`.
//!
//! Hubsoft answers three lists: `notas_fiscais[]` (telecom notes, models 21/22, and model 0),
//! `nfes[]` (NF-e, model 55) and `nfses[]`. Their ids are per list, and Hubsoft finds notes only
//! per customer, so a note's `remote_id` is `<tipo>:<id>:<id_cliente>:<issue date>` with
//! Hubsoft's own document types (`nf_telecom:3064:42:2026-03-31`, `nfe:351:...`,
//! `nfse:106:...`, the `tipo_documento` of `/cliente/nota_fiscal/enviar_email`):
//! `get_fiscal_note_pdf` then needs nothing but the id (the contract's input) and asks for the
//! one 60-day window around the note's date, never an undated listing.
//!
//! Access keys: a model 21/22 note has no 44-digit access key (its `identificacao` is not
//! one), so its `access_key` is `""`, which the contract allows for notes without a key; the
//! note is listed, not skipped (it is the provider's usual note, and its number, date, amount
//! and PDF are what the customer needs). An NF-e's `chave` passes through and the host
//! verifies it. A note without a number, a date or an amount can't be a contract note: it is
//! left out with a warning.
//!
//! Dates: `data_inicio`/`data_fim` may span at most 60 days. Without `from` and `to` the
//! plugin asks without dates (every note: the dates are optional, *inferred* to mean no
//! filter). With `from`, the range up to `to` (else today) is asked in 60-day windows, newest
//! first, at most [`MAX_WINDOWS`]; a longer range, or `to` alone, is asked without dates and
//! filtered here. Results are filtered on `from`/`to` here too, deduplicated and sorted
//! newest first.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDate, TimeDelta};
use ponte_pdk::prelude::*;
use ponte_pdk::serde_json::Value;
use ponte_pdk::{clock, log};

use crate::client::{Hubsoft, Reply, array, says_not_found, text};
use crate::customer;

/// Days one request may span (`data_fim` − `data_inicio`): Hubsoft refuses more than 60; a
/// window of 60 calendar days spans 59.
const WINDOW_SPAN_DAYS: i64 = 59;

/// The most windows one listing asks for (about two years); beyond, one request without dates.
pub(crate) const MAX_WINDOWS: usize = 12;

/// Hubsoft's three lists: (list key, document type, id key).
const LISTS: [(&str, &str, &str); 3] =
    [("notas_fiscais", "nf_telecom", "id_nota_fiscal"), ("nfes", "nfe", "id_nfe"), ("nfses", "nfse", "id_nfse")];

/// A note as Hubsoft lists it, and its PDF link.
struct Entry {
    note: FiscalNote,
    /// The PDF's URL (`link`; an NFS-e's `link_pdf`), maybe empty.
    link: String,
}

fn first(row: &Value, keys: &[&str]) -> String {
    keys.iter().map(|k| text(&row[*k])).find(|t| !t.is_empty()).unwrap_or_default()
}

/// A note's status: cancelled when Hubsoft says so; otherwise from the list's status word (Hubsoft
/// lists only processed notes: NF-e "efetivada", NFS-e "autorizado", telecom "normal").
fn status(row: &Value) -> FiscalNoteStatus {
    let word = text(&row["status"]).to_lowercase();
    if row["cancelado"] == Value::Bool(true) || word.starts_with("cancel") {
        FiscalNoteStatus::Cancelled
    } else if word.starts_with("deneg") {
        FiscalNoteStatus::Denied
    } else if word.is_empty() || ["efetivad", "autoriz", "normal"].iter().any(|w| word.starts_with(w)) {
        FiscalNoteStatus::Authorized
    } else {
        FiscalNoteStatus::Pending
    }
}

/// One of Hubsoft's rows as a contract note, or `None` (with a warning) when it lacks what the
/// contract requires.
fn entry(list: &str, kind: &str, id_key: &str, client_id: &str, row: &Value) -> Option<Entry> {
    let id = text(&row[id_key]);
    let number = first(row, &["numero_nota", "numero_nf", "numero"]);
    // `data_emissao_br` is "25/02/2022" or "25/02/2022 09:07:06"; an NFS-e has only its
    // registration date.
    let date = first(row, &["data_emissao_br", "data_emissao", "data_cadastro_br", "data_cadastro"]);
    let issued_at = date.get(..10).and_then(ponte_pdk::helpers::iso_date);
    let amount = first(row, &["valor", "valor_total", "valor_nota", "valor_nf"]);
    let (Some(issued_at), false, false, false) = (issued_at, id.is_empty(), number.is_empty(), amount.is_empty())
    else {
        log::warn(format!(
            "Hubsoft listed a note in {list} ({kind} {id:?}) without a number, date or amount: left out"
        ));
        return None;
    };
    // Telecom notes (models 21/22) carry no access key; an NF-e (or a future NFCom) does.
    let access_key = first(row, &["chave", "chave_acesso"]);
    let link = first(row, &["link", "link_pdf"]);
    Some(Entry {
        note: FiscalNote {
            remote_id: format!("{kind}:{id}:{client_id}:{issued_at}"),
            number,
            series: first(row, &["serie_nota", "serie"]),
            access_key,
            issued_at,
            amount,
            status: status(row),
        },
        link,
    })
}

/// One request: the customer's notes, issued within `window` when given.
fn request(hs: &Hubsoft, client_id: &str, window: Option<(NaiveDate, NaiveDate)>) -> Result<Vec<Entry>, Error> {
    let mut query = vec![("busca", "id_cliente".to_owned()), ("termo_busca", client_id.to_owned())];
    if let Some((from, to)) = window {
        query.push(("data_inicio", from.format("%Y-%m-%d").to_string()));
        query.push(("data_fim", to.format("%Y-%m-%d").to_string()));
    }
    let body = match hs.get("cliente/nota_fiscal", &query)? {
        Reply::Ok(body) => body,
        Reply::Refused { message, .. } if says_not_found(&message) => return Ok(Vec::new()),
        refused => return refused.accepted().map(|_| Vec::new()),
    };
    Ok(LISTS
        .iter()
        .flat_map(|(list, kind, id_key)| {
            array(&body, list).iter().filter_map(|row| entry(list, kind, id_key, client_id, row))
        })
        .collect())
}

/// `from..=to` cut into windows Hubsoft accepts, newest first.
pub(crate) fn windows(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut end = to;
    while end >= from {
        let start = (end - TimeDelta::days(WINDOW_SPAN_DAYS)).max(from);
        out.push((start, end));
        end = start - TimeDelta::days(1);
    }
    out
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The customer's notes (every one, or those the dates ask for), newest first; none when
/// Hubsoft has no such customer.
fn customer_notes(hs: &Hubsoft, document: &str, from: Option<&str>, to: Option<&str>) -> Result<Vec<Entry>, Error> {
    let Some(client) = customer::find(hs, document)? else {
        return Ok(Vec::new());
    };
    let client_id = text(&client["id_cliente"]);
    let (from, to) = (from.and_then(date), to.and_then(date));
    let mut entries = match from {
        Some(from) => {
            let to = to.or_else(|| date(&clock::today())).unwrap_or(from);
            let windows = windows(from, to);
            if windows.len() <= MAX_WINDOWS {
                let mut all = Vec::new();
                for window in windows {
                    all.extend(request(hs, &client_id, Some(window))?);
                }
                all
            } else {
                log::info(format!("{} days of notes: asked without dates and filtered here", (to - from).num_days()));
                request(hs, &client_id, None)?
            }
        }
        None => request(hs, &client_id, None)?,
    };
    entries.retain(|e| {
        let issued = date(&e.note.issued_at);
        from.is_none_or(|f| issued.is_some_and(|d| d >= f)) && to.is_none_or(|t| issued.is_some_and(|d| d <= t))
    });
    entries
        .sort_by(|a, b| b.note.issued_at.cmp(&a.note.issued_at).then_with(|| a.note.remote_id.cmp(&b.note.remote_id)));
    entries.dedup_by(|a, b| a.note.remote_id == b.note.remote_id);
    Ok(entries)
}

/// `list_fiscal_notes`.
pub(crate) fn list_fiscal_notes(hs: &Hubsoft, input: &ListFiscalNotesInput) -> Result<Vec<FiscalNote>, Error> {
    let entries = customer_notes(hs, &input.customer_document_number, input.from.as_deref(), input.to.as_deref())?;
    Ok(entries.into_iter().map(|e| e.note).collect())
}

/// A note id this plugin made: (document type, Hubsoft id, `id_cliente`, issue date).
fn parse_note_id(id: &str) -> Option<(&str, &str, &str, NaiveDate)> {
    let mut parts = id.splitn(4, ':');
    let (kind, note, client, issued) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let known = LISTS.iter().any(|(_, k, _)| *k == kind);
    (known && !note.is_empty() && !client.is_empty()).then_some(())?;
    Some((kind, note, client, date(issued)?))
}

/// `get_fiscal_note_pdf`: the note is asked for in the 60-day window around its date, among its
/// customer's (the id says which), and its `link` downloaded. With `customer_document_number`,
/// a note of another customer is `not_found`.
pub(crate) fn get_fiscal_note_pdf(hs: &Hubsoft, input: &GetFiscalNotePdfInput) -> Result<Pdf, Error> {
    let id = input.note_id.as_str();
    let Some((_, _, client_id, issued)) = parse_note_id(id) else {
        return Err(Error::not_found(format!(
            "{id:?} is not a Hubsoft note id (<nf_telecom|nfe|nfse>:<id>:<id_cliente>:<date>, as list_fiscal_notes gives)"
        )));
    };
    if let Some(document) = &input.customer_document_number {
        let owner = customer::find(hs, document)?.map(|c| text(&c["id_cliente"]));
        if owner.as_deref() != Some(client_id) {
            return Err(Error::not_found(format!("Hubsoft has no note {id} of this customer")));
        }
    }
    let half = TimeDelta::days(WINDOW_SPAN_DAYS / 2);
    let entry = request(hs, client_id, Some((issued - half, issued + half)))?
        .into_iter()
        .find(|e| e.note.remote_id == id)
        .ok_or_else(|| Error::not_found(format!("Hubsoft has no note {id}")))?;
    if entry.link.is_empty() {
        return Err(Error::not_found(format!("Hubsoft has no PDF link for note {id}")));
    }
    let response = hs.download(&entry.link, "the note's PDF link")?;
    if !response.body.starts_with(b"%PDF") {
        return Err(Error::upstream(format!(
            "the link of note {id} answered {}, not a PDF",
            response.header("content-type").unwrap_or("no content type")
        )));
    }
    Ok(Pdf { base_64: STANDARD.encode(&response.body) })
}
