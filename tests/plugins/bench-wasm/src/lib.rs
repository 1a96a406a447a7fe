//! The load driver's adapter as a wasm component (`bench/load`): one GET to its upstream, ten
//! invoices renamed to the contract's fields. `tests/plugins/bench-rhai` is the same in Rhai.

use ponte_pdk::http::Request;
use ponte_pdk::prelude::*;
use serde::Deserialize;

struct Bench;

/// One invoice as the load driver's upstream sends it.
#[derive(Deserialize)]
struct Row {
    id: String,
    cliente: String,
    valor: String,
    valor_aberto: String,
    juros: String,
    multa: String,
    data_emissao: String,
    data_vencimento: String,
    obs: String,
    linha_digitavel: String,
    codigo_barras: String,
    pix: String,
}

fn invoices(document: &str) -> Result<Vec<Fatura>, Error> {
    let base = ponte_pdk::config::get("base_url").unwrap_or_default();
    let response = Request::get(format!("{base}/invoices?document={document}")).send()?;
    if response.status != 200 {
        return Err(Error::upstream(format!("HTTP {}", response.status)));
    }
    let rows: Vec<Row> = response.json()?;
    Ok(rows
        .into_iter()
        .map(|row| Fatura {
            document_number: document.to_owned(),
            fatura: row.id.clone(),
            remote_id: row.id.clone(),
            code_fatura: row.id,
            nome_cliente: row.cliente,
            valor_inicial: row.valor,
            valor_final: row.valor_aberto,
            juros: row.juros,
            multa: row.multa,
            emissao: row.data_emissao,
            vencimento: row.data_vencimento,
            historico: row.obs,
            link_boleto: String::new(),
            identifier: String::new(),
            linha_digitavel: row.linha_digitavel,
            codigo_barras: row.codigo_barras,
            pix_code: row.pix,
        })
        .collect())
}

#[ponte_pdk::adapter]
impl Adapter for Bench {
    fn new() -> Result<Self, Error> {
        Ok(Bench)
    }

    fn list_invoices(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
        invoices(&input.customer_document_number)
    }

    fn list_totem_invoices(&self, input: CustomerInput) -> Result<Vec<Fatura>, Error> {
        invoices(&input.customer_document_number)
    }
}

ponte_pdk::export!(Bench);
