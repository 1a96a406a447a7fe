//! Ponte's adapter for SGP (sgp.net.br, TSMX), a WebAssembly component built with `ponte-pdk`.
//!
//! Maps SGP's URA API (ERPS.md §2) onto the contract. SGP's identity is per contract: every
//! customer function starts from `POST /api/ura/consultacliente/` (one row per contract), and
//! invoices, tickets and unlocks key on the contract id. Values pass through as SGP gives them;
//! the host normalizes money, dates, documents, boleto lines and contacts.
//!
//! - `client`: transport, auth (token + app, or HTTP Basic), SGP's `status: 0` envelope.
//! - `customer`: customer, contacts, pending issues, plans, products, tickets, trust unlock.
//! - `invoices`: invoices, the boleto PDF, the baixa.
//!
//! README.md has the function map, the settings and the gaps.

mod client;
mod customer;
mod invoices;

use ponte_pdk::prelude::*;

use client::Sgp;

struct SgpAdapter {
    sgp: Sgp,
}

#[ponte_pdk::adapter]
impl Adapter for SgpAdapter {
    fn new() -> Result<Self, Error> {
        Ok(SgpAdapter { sgp: Sgp::from_config()? })
    }

    fn list_products(&self, _: NoInput) -> Result<Vec<Product>, Error> {
        customer::list_products(&self.sgp)
    }

    fn list_invoices(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&self.sgp, &input.customer_document_number, input.contract_id.as_ref())
    }

    fn list_totem_invoices(&self, input: CustomerInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&self.sgp, &input.customer_document_number, None)
    }

    fn get_invoice(&self, input: GetInvoiceInput) -> Result<Vec<Fatura>, Error> {
        invoices::get_invoice(&self.sgp, &input)
    }

    fn get_boleto_pdf(&self, input: GetBoletoPdfInput) -> Result<Pdf, Error> {
        invoices::get_boleto_pdf(&self.sgp, &input)
    }

    fn settle_invoice(&self, input: SettleInvoiceInput) -> Result<SettleInvoiceOutput, Error> {
        invoices::settle_invoice(&self.sgp, &input)
    }

    fn get_customer_contacts(&self, input: CustomerInput) -> Result<Vec<Contact>, Error> {
        customer::get_customer_contacts(&self.sgp, &input)
    }

    fn get_pending_issues(&self, input: CustomerInput) -> Result<Vec<String>, Error> {
        customer::get_pending_issues(&self.sgp, &input)
    }

    fn get_customer(&self, input: CustomerInput) -> Result<Customer, Error> {
        customer::get_customer(&self.sgp, &input)
    }

    fn create_ticket(&self, input: CreateTicketInput) -> Result<CreateTicketOutput, Error> {
        customer::create_ticket(&self.sgp, &input)
    }

    fn list_plans(&self, input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&self.sgp, &input, false)
    }

    fn list_blocked_plans(&self, input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&self.sgp, &input, true)
    }

    fn trust_unlock(&self, input: TrustUnlockInput) -> Result<TrustUnlockOutput, Error> {
        customer::trust_unlock(&self.sgp, &input)
    }
}

ponte_pdk::export!(SgpAdapter);

#[cfg(test)]
mod tests;
