//! Ponte's adapter for Hubsoft, a WebAssembly component built with `ponte-pdk`.
//!
//! Maps Hubsoft's integration API (ERPS.md §3) onto the contract. Every call authenticates
//! with an OAuth2 password grant whose token is cached in the host's kv (a little under its
//! `expires_in`), reused across calls and refreshed once on a 401. Customers are found by
//! CPF/CNPJ (`GET /cliente`); their services (`id_cliente_servico`) are the contract's
//! `contract_id`. Values pass through as Hubsoft gives them; the host normalizes them.
//!
//! - `client`: transport, the token, the `status: "error"` envelope.
//! - `customer`: customer, contacts, pending issues, plans, tickets, trust unlock.
//! - `invoices`: invoices, the PDF, the liquidation.
//! - `catalogues`: plans for sale, sellers, due dates, commercial origins.
//! - `lead`: the lead as a prospect.
//! - `fiscal`: the customer's fiscal notes and their PDFs.
//!
//! README.md has the function map, the settings and the gaps.

mod catalogues;
mod client;
mod customer;
mod fiscal;
mod invoices;
mod lead;

use ponte_pdk::prelude::*;

use client::Hubsoft;

struct HubsoftAdapter {
    hubsoft: Hubsoft,
}

#[ponte_pdk::adapter]
impl Adapter for HubsoftAdapter {
    fn new() -> Result<Self, Error> {
        Ok(HubsoftAdapter { hubsoft: Hubsoft::from_config()? })
    }

    fn create_lead(&self, input: CreateLeadInput) -> Result<Empty, Error> {
        lead::create_lead(&self.hubsoft, &input)
    }

    fn list_resellers(&self, _: NoInput) -> Result<Vec<Reseller>, Error> {
        catalogues::list_resellers(&self.hubsoft)
    }

    fn list_products(&self, _: NoInput) -> Result<Vec<Product>, Error> {
        catalogues::list_products(&self.hubsoft)
    }

    fn list_due_dates(&self, _: NoInput) -> Result<Vec<DueDate>, Error> {
        catalogues::list_due_dates(&self.hubsoft)
    }

    fn list_commercial_origins(&self, _: NoInput) -> Result<Vec<CommercialOrigin>, Error> {
        catalogues::list_commercial_origins(&self.hubsoft)
    }

    fn list_invoices(&self, input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&self.hubsoft, &input.customer_document_number, input.contract_id.as_ref())
    }

    fn list_totem_invoices(&self, input: CustomerInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&self.hubsoft, &input.customer_document_number, None)
    }

    fn get_invoice(&self, input: GetInvoiceInput) -> Result<Vec<Fatura>, Error> {
        invoices::get_invoice(&self.hubsoft, &input)
    }

    fn get_boleto_pdf(&self, input: GetBoletoPdfInput) -> Result<Pdf, Error> {
        invoices::get_boleto_pdf(&self.hubsoft, &input)
    }

    fn settle_invoice(&self, input: SettleInvoiceInput) -> Result<SettleInvoiceOutput, Error> {
        invoices::settle_invoice(&self.hubsoft, &input)
    }

    fn get_customer_contacts(&self, input: CustomerInput) -> Result<Vec<Contact>, Error> {
        customer::get_customer_contacts(&self.hubsoft, &input)
    }

    fn get_pending_issues(&self, input: CustomerInput) -> Result<Vec<String>, Error> {
        customer::get_pending_issues(&self.hubsoft, &input)
    }

    fn get_customer(&self, input: CustomerInput) -> Result<Customer, Error> {
        customer::get_customer(&self.hubsoft, &input)
    }

    fn create_ticket(&self, input: CreateTicketInput) -> Result<CreateTicketOutput, Error> {
        customer::create_ticket(&self.hubsoft, &input)
    }

    fn list_fiscal_notes(&self, input: ListFiscalNotesInput) -> Result<Vec<FiscalNote>, Error> {
        fiscal::list_fiscal_notes(&self.hubsoft, &input)
    }

    fn get_fiscal_note_pdf(&self, input: GetFiscalNotePdfInput) -> Result<Pdf, Error> {
        fiscal::get_fiscal_note_pdf(&self.hubsoft, &input)
    }

    fn list_plans(&self, input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&self.hubsoft, &input, false)
    }

    fn list_blocked_plans(&self, input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&self.hubsoft, &input, true)
    }

    fn trust_unlock(&self, input: TrustUnlockInput) -> Result<TrustUnlockOutput, Error> {
        customer::trust_unlock(&self.hubsoft, &input)
    }
}

ponte_pdk::export!(HubsoftAdapter);

#[cfg(test)]
mod tests;
