//! A test-only plugin that probes the wasm runtime: a no-op, a canned invoice list (no
//! upstream), per-call state, per-tenant settings and kv, a runaway loop, and a memory hog.
//! `tests/plugins/probe-rhai/main.rhai` is the same plugin for the Rhai runtime.

use std::sync::atomic::{AtomicU32, Ordering};

use ponte_pdk::prelude::*;

struct Probe;

/// Counts calls within one instance: a fresh instance per call always answers 1.
static CALLS: AtomicU32 = AtomicU32::new(0);

#[ponte_pdk::adapter]
impl Adapter for Probe {
    fn new() -> Result<Self, Error> {
        Ok(Probe)
    }

    fn list_products(&self, _: NoInput) -> Result<Vec<Product>, Error> {
        Ok(Vec::new())
    }

    /// Twenty invoices in the messy forms ERPs send, built without any upstream call: what the
    /// benchmarks measure is the runtime and the host's enforcement.
    fn list_invoices(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
        Ok((1..=20)
            .map(|i| Fatura {
                document_number: input.customer_document_number.clone(),
                fatura: i.to_string(),
                nome_cliente: "Maria Aparecida da Silva".into(),
                valor_inicial: "R$ 1.234,50".into(),
                valor_final: "1234.5".into(),
                juros: "0,00".into(),
                multa: String::new(),
                emissao: "01/03/2026".into(),
                vencimento: format!("2026-04-{:02}", i),
                historico: "Fibra 300 Mega".into(),
                link_boleto: String::new(),
                linha_digitavel: "00190.50095 40144.816069 06809.350314 3 37370000000100".into(),
                code_fatura: format!("F-{i}"),
                identifier: String::new(),
                remote_id: i.to_string(),
                pix_code: "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D".into(),
                codigo_barras: String::new(),
            })
            .collect())
    }

    fn get_pending_issues(&self, _: CustomerInput) -> Result<Vec<String>, Error> {
        let n = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(vec![format!("calls in this instance: {n}")])
    }

    /// What this tenant's kv held before, then stores this tenant's label.
    fn list_commercial_origins(&self, _: NoInput) -> Result<Vec<CommercialOrigin>, Error> {
        let label = ponte_pdk::config::get("label").unwrap_or_default();
        let before = ponte_pdk::kv::get("marker")?;
        ponte_pdk::kv::set("marker", &label, None)?;
        Ok(vec![CommercialOrigin { code: label, description: before.unwrap_or_else(|| "none".into()) }])
    }

    fn get_customer(&self, _: CustomerInput) -> Result<Customer, Error> {
        let mut x: u64 = 0;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }

    fn list_resellers(&self, _: NoInput) -> Result<Vec<Reseller>, Error> {
        let mut hog: Vec<Vec<u8>> = Vec::new();
        loop {
            hog.push(vec![1u8; 8 * 1024 * 1024]);
            std::hint::black_box(&hog);
        }
    }
}

ponte_pdk::export!(Probe);
