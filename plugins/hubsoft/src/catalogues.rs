//! The configuration screens' catalogues: plans for sale (`/configuracao/servico`, or
//! `/prospecto/create?cep=` when the connection names a CEP), sellers (`/configuracao/vendedor`),
//! due dates (`/configuracao/vencimento`) and commercial origins
//! (`/configuracao/origem_cliente`). Each is one GET; Hubsoft lists active records only.

use ponte_pdk::prelude::*;
use ponte_pdk::serde_json::Value;
use ponte_pdk::{config, log};

use crate::client::{Hubsoft, array, text};

/// The `servicos[]` for sale: the plans the business unit of `cep` offers to prospects
/// (`GET /prospecto/create?cep=`), as `create_lead` must price them.
pub(crate) fn plans_at(hs: &Hubsoft, cep: &str) -> Result<Vec<Value>, Error> {
    let digits = ponte_pdk::helpers::only_digits(cep);
    let body = hs.get("prospecto/create", &[("cep", digits)])?.accepted()?;
    Ok(array(&body, "servicos").to_vec())
}

/// The entries of `key` with a non-empty id at `id_key`, as (id, the entry).
fn entries<'a>(body: &'a Value, key: &str, id_key: &str) -> impl Iterator<Item = (String, &'a Value)> {
    array(body, key).iter().map(move |entry| (text(&entry[id_key]), entry)).filter(|(id, _)| !id.is_empty())
}

/// Whether an entry has a name: the contract needs one, so a nameless entry is left out (with
/// a warning) rather than failing the whole list.
fn named(code: &str, name: &str) -> bool {
    if name.is_empty() {
        log::warn(format!("Hubsoft listed entry {code} without a name: left out"));
    }
    !name.is_empty()
}

/// `list_products`. With the `sales_cep` setting, the plans offered to prospects at that CEP
/// (what `create_lead` can sell there); without, every active service.
pub(crate) fn list_products(hs: &Hubsoft) -> Result<Vec<Product>, Error> {
    let rows = match config::get("sales_cep").filter(|c| !c.trim().is_empty()) {
        Some(cep) => plans_at(hs, &cep)?,
        None => array(&hs.get("configuracao/servico", &[])?.accepted()?, "servicos").to_vec(),
    };
    Ok(rows
        .iter()
        .map(|s| Product { codigo: text(&s["id_servico"]), nome: text(&s["descricao"]) })
        .filter(|p| !p.codigo.is_empty() && named(&p.codigo, &p.nome))
        .collect())
}

/// `list_resellers`: Hubsoft's sellers, `{id, name}` only (no CPF/CNPJ, no e-mail: both `""`).
pub(crate) fn list_resellers(hs: &Hubsoft) -> Result<Vec<Reseller>, Error> {
    let body = hs.get("configuracao/vendedor", &[])?.accepted()?;
    Ok(entries(&body, "vendedores", "id")
        .map(|(code, s)| Reseller { code, name: text(&s["name"]), taxvat: String::new(), email: String::new() })
        .filter(|r| named(&r.code, &r.name))
        .collect())
}

/// `list_due_dates`: `name` is the day as Hubsoft names it (`"10"`, or `"ultimo_dia"`).
pub(crate) fn list_due_dates(hs: &Hubsoft) -> Result<Vec<DueDate>, Error> {
    let body = hs.get("configuracao/vencimento", &[])?.accepted()?;
    Ok(entries(&body, "vencimentos", "id_vencimento")
        .map(|(code, d)| DueDate { code, name: text(&d["dia_vencimento"]) })
        .filter(|d| named(&d.code, &d.name))
        .collect())
}

/// `list_commercial_origins`.
pub(crate) fn list_commercial_origins(hs: &Hubsoft) -> Result<Vec<CommercialOrigin>, Error> {
    let body = hs.get("configuracao/origem_cliente", &[])?.accepted()?;
    Ok(entries(&body, "origens_cliente", "id_origem_cliente")
        .map(|(code, o)| CommercialOrigin { code, description: text(&o["descricao"]) })
        .filter(|o| named(&o.code, &o.description))
        .collect())
}
