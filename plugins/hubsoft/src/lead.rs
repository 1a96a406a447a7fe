//! `create_lead`: a prospect (`POST /prospecto`), priced from the plans the lead's CEP is
//! offered (`GET /prospecto/create?cep=`).
//!
//! The contract passes the app's `lead` as it was sent; each Hubsoft field is the first
//! non-empty of a list of keys, in the lead or in its nested objects (`customer`, `address`,
//! ...), two levels deep: the same keys the IXC adapter reads (README.md lists them). Hubsoft
//! decides which fields a prospect requires (the tenant can require more than the documented
//! ones), so the plugin sends what the lead has and Hubsoft's refusal, naming the fields, is
//! the caller's `upstream_error`. So is a CPF/CNPJ already on another prospect.

use ponte_pdk::helpers::{document_key, iso_date, only_digits};
use ponte_pdk::prelude::*;
use ponte_pdk::serde_json::{Map, Value, json};
use ponte_pdk::{config, log};

use crate::catalogues::plans_at;
use crate::client::{Hubsoft, Reply, array, text};
use crate::customer::{id_json, local_phone};

const NAME: &[&str] = &["nome_razaosocial", "nome", "name", "full_name", "razao", "razao_social"];
const EMAIL: &[&str] = &["email", "e_mail", "mail"];
const PHONE: &[&str] = &["telefone", "fone_celular", "telefone_celular", "celular", "mobile", "phone", "cellphone"];
const PHONE_2: &[&str] = &["telefone_secundario", "whatsapp", "fone_whatsapp"];
const DOCUMENT: &[&str] = &["cpf_cnpj", "cnpj_cpf", "document_number", "document", "cpf", "cnpj", "taxvat"];
const PERSON_TYPE: &[&str] = &["tipo_pessoa", "person_type"];
const BIRTH: &[&str] = &["data_nascimento", "birth_date", "birthdate", "date_of_birth"];
const CEP: &[&str] = &["cep", "zip_code", "zipcode", "postal_code"];
const STREET: &[&str] = &["endereco", "street", "logradouro"];
const NUMBER: &[&str] = &["numero", "number"];
const DISTRICT: &[&str] = &["bairro", "neighborhood", "district"];
const COMPLEMENT: &[&str] = &["complemento", "complement"];
const REFERENCE: &[&str] = &["referencia", "reference"];
const NOTES: &[&str] = &["observacao", "obs", "message", "mensagem", "notes"];
const PLAN: &[&str] = &["id_servico", "plan_id", "product_id", "product_code", "codigo", "plan_code"];
const SELLER: &[&str] = &["id_vendedor", "reseller_code", "reseller_id", "seller_id", "vendedor"];
const DUE_DATE: &[&str] = &["id_vencimento", "due_date_code", "due_date_id", "vencimento"];
const ORIGIN_CODE: &[&str] = &["id_origem_cliente", "commercial_origin_code", "origin_code"];
const SOURCE: &[&str] = &["origem_source", "utm_source", "source", "origin", "origem"];

/// The first non-empty text (or number) of `keys` in `value`, or in its nested objects, at most
/// two levels down; `""` when none.
pub(crate) fn pick(value: &Value, keys: &[&str]) -> String {
    fn find(value: &Value, keys: &[&str], depth: u8) -> Option<String> {
        let object = value.as_object().filter(|_| depth <= 2)?;
        let here = keys.iter().filter_map(|k| object.get(*k)).find_map(|v| match v {
            Value::String(_) | Value::Number(_) => Some(text(v)).filter(|t| !t.is_empty()),
            _ => None,
        });
        here.or_else(|| object.values().find_map(|v| find(v, keys, depth + 1)))
    }
    find(value, keys, 0).unwrap_or_default()
}

/// Lower case without accents, to match an origin's name.
fn fold(text: &str) -> String {
    ponte_pdk::helpers::fold(text.trim())
}

/// `pf` or `pj`: the lead's own, else from the document (14 characters: a CNPJ).
fn person_type(given: &str, document: &str) -> &'static str {
    match given.trim().to_lowercase().as_str() {
        "pj" | "j" | "juridica" | "jurídica" => "pj",
        "pf" | "f" | "fisica" | "física" => "pf",
        _ if document.len() == 14 => "pj",
        _ => "pf",
    }
}

/// `servico`: the plan asked for (else the `lead_service_id` setting) at the price Hubsoft offers
/// it at the lead's CEP. `None` without a plan; without a CEP, the plan without a price (Hubsoft
/// then names what is missing).
fn service(hs: &Hubsoft, lead: &Value, cep: &str) -> Result<Option<Value>, Error> {
    let mut plan = pick(lead, PLAN);
    if plan.is_empty() {
        plan = config::get("lead_service_id").map(|p| p.trim().to_owned()).unwrap_or_default();
    }
    if plan.is_empty() {
        return Ok(None);
    }
    if cep.is_empty() {
        return Ok(Some(json!({ "id_servico": id_json(&plan) })));
    }
    let offered = plans_at(hs, cep)?;
    let Some(entry) = offered.iter().find(|s| text(&s["id_servico"]) == plan) else {
        return Err(Error::upstream(format!(
            "Hubsoft offers no plan {plan} to prospects at CEP {cep} (it offers: {})",
            offered.iter().map(|s| text(&s["id_servico"])).collect::<Vec<_>>().join(", ")
        )));
    };
    Ok(Some(json!({ "id_servico": id_json(&plan), "valor": entry["valor"].clone() })))
}

/// The origin's id: the lead's code, else the origin whose name is the lead's source
/// (`utm_source`...). `Err(source)` when the lead names a source Hubsoft doesn't list.
fn origin(hs: &Hubsoft, lead: &Value) -> Result<Option<Result<String, String>>, Error> {
    let code = pick(lead, ORIGIN_CODE);
    if !code.is_empty() {
        return Ok(Some(Ok(code)));
    }
    let source = pick(lead, SOURCE);
    if source.is_empty() {
        return Ok(None);
    }
    let body = hs.get("configuracao/origem_cliente", &[])?.accepted()?;
    let wanted = fold(&source);
    Ok(Some(
        array(&body, "origens_cliente")
            .iter()
            .find(|o| fold(&text(&o["descricao"])) == wanted)
            .map(|o| text(&o["id_origem_cliente"]))
            .filter(|id| !id.is_empty())
            .ok_or(source),
    ))
}

/// `create_lead`.
pub(crate) fn create_lead(hs: &Hubsoft, input: &CreateLeadInput) -> Result<Empty, Error> {
    let lead = Value::Object(input.lead.clone());
    let document = document_key(&pick(&lead, DOCUMENT));
    let cep = only_digits(&pick(&lead, CEP));
    let mut notes = pick(&lead, NOTES);
    let mut body = Map::new();
    let mut put = |key: &str, value: String| {
        // Empty fields are left out, so Hubsoft's refusal names exactly what is missing.
        if !value.is_empty() {
            body.insert(key.to_owned(), Value::String(value));
        }
    };
    put("nome_razaosocial", pick(&lead, NAME));
    put("telefone", local_phone(&pick(&lead, PHONE)));
    put("telefone_secundario", local_phone(&pick(&lead, PHONE_2)));
    put("email", pick(&lead, EMAIL).to_lowercase());
    put("cpf_cnpj", document.clone());
    put("tipo_pessoa", person_type(&pick(&lead, PERSON_TYPE), &document).to_owned());
    put("data_nascimento", iso_date(&pick(&lead, BIRTH)).unwrap_or_default());
    put("cep", cep.clone());
    put("endereco", pick(&lead, STREET));
    put("numero", pick(&lead, NUMBER));
    put("bairro", pick(&lead, DISTRICT));
    put("complemento", pick(&lead, COMPLEMENT));
    put("referencia", pick(&lead, REFERENCE));
    for (key, keys) in [("id_vendedor", SELLER), ("id_vencimento", DUE_DATE)] {
        let id = pick(&lead, keys);
        if !id.is_empty() {
            body.insert(key.to_owned(), id_json(&id));
        }
    }
    match origin(hs, &lead)? {
        Some(Ok(id)) => {
            body.insert("id_origem_cliente".to_owned(), id_json(&id));
        }
        Some(Err(source)) => {
            // Not lost: the source goes to the notes.
            notes = format!("{notes}\nOrigem: {source}").trim().to_owned();
        }
        None => {}
    }
    if !notes.is_empty() {
        body.insert("observacao".to_owned(), Value::String(notes));
    }
    if let Some(service) = service(hs, &lead, &cep)? {
        body.insert("servico".to_owned(), service);
    }
    match hs.post("prospecto", &Value::Object(body))? {
        Reply::Ok(answer) => {
            let id = text(&answer["prospecto"]["id_prospecto"]);
            if id.is_empty() {
                return Err(Error::upstream("Hubsoft answered the prospect without an id_prospecto"));
            }
            log::info(format!("Hubsoft created prospect {id}"));
            Ok(Empty {})
        }
        Reply::Refused { message, .. } if message.to_lowercase().contains("já foi cadastrado") => {
            // Hubsoft's message names the existing prospect ("... no prospecto <NOME>"): whoever
            // knows a CPF would learn its owner's name. Only the fact goes back.
            Err(Error::upstream(
                "Hubsoft refused the prospect: this CPF/CNPJ já foi cadastrado (a prospect with it already exists)",
            ))
        }
        Reply::Refused { message, body, .. } => {
            // A validation refusal's `msg` is generic ("Erro de validação"): the fields are in `errors`.
            let details: Vec<String> =
                array(&body, "errors").iter().map(text).filter(|e| !e.is_empty() && *e != message).collect();
            let message = if details.is_empty() { message } else { format!("{message}: {}", details.join("; ")) };
            Err(Error::upstream(format!("Hubsoft refused the prospect: {message}")))
        }
    }
}
