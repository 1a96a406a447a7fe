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

struct HubsoftAdapter;

impl Adapter for HubsoftAdapter {
    const FUNCTIONS: &'static [Function] = &[
        Function::CreateLead,
        Function::ListResellers,
        Function::ListProducts,
        Function::ListDueDates,
        Function::ListCommercialOrigins,
        Function::ListInvoices,
        Function::ListTotemInvoices,
        Function::GetInvoice,
        Function::GetBoletoPdf,
        Function::SettleInvoice,
        Function::GetCustomerContacts,
        Function::GetPendingIssues,
        Function::GetCustomer,
        Function::CreateTicket,
        Function::ListFiscalNotes,
        Function::GetFiscalNotePdf,
        Function::ListPlans,
        Function::ListBlockedPlans,
        Function::TrustUnlock,
    ];

    fn create_lead(input: CreateLeadInput) -> Result<Empty, Error> {
        lead::create_lead(&Hubsoft::from_config()?, &input)
    }

    fn list_resellers(_: NoInput) -> Result<Vec<Reseller>, Error> {
        catalogues::list_resellers(&Hubsoft::from_config()?)
    }

    fn list_products(_: NoInput) -> Result<Vec<Product>, Error> {
        catalogues::list_products(&Hubsoft::from_config()?)
    }

    fn list_due_dates(_: NoInput) -> Result<Vec<DueDate>, Error> {
        catalogues::list_due_dates(&Hubsoft::from_config()?)
    }

    fn list_commercial_origins(_: NoInput) -> Result<Vec<CommercialOrigin>, Error> {
        catalogues::list_commercial_origins(&Hubsoft::from_config()?)
    }

    fn list_invoices(input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&Hubsoft::from_config()?, &input.customer_document_number, input.contract_id.as_ref())
    }

    fn list_totem_invoices(input: CustomerInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&Hubsoft::from_config()?, &input.customer_document_number, None)
    }

    fn get_invoice(input: GetInvoiceInput) -> Result<Vec<Fatura>, Error> {
        invoices::get_invoice(&Hubsoft::from_config()?, &input)
    }

    fn get_boleto_pdf(input: GetBoletoPdfInput) -> Result<Pdf, Error> {
        invoices::get_boleto_pdf(&Hubsoft::from_config()?, &input)
    }

    fn settle_invoice(input: SettleInvoiceInput) -> Result<SettleInvoiceOutput, Error> {
        invoices::settle_invoice(&Hubsoft::from_config()?, &input)
    }

    fn get_customer_contacts(input: CustomerInput) -> Result<Vec<Contact>, Error> {
        customer::get_customer_contacts(&Hubsoft::from_config()?, &input)
    }

    fn get_pending_issues(input: CustomerInput) -> Result<Vec<String>, Error> {
        customer::get_pending_issues(&Hubsoft::from_config()?, &input)
    }

    fn get_customer(input: CustomerInput) -> Result<Customer, Error> {
        customer::get_customer(&Hubsoft::from_config()?, &input)
    }

    fn create_ticket(input: CreateTicketInput) -> Result<CreateTicketOutput, Error> {
        customer::create_ticket(&Hubsoft::from_config()?, &input)
    }

    fn list_fiscal_notes(input: ListFiscalNotesInput) -> Result<Vec<FiscalNote>, Error> {
        fiscal::list_fiscal_notes(&Hubsoft::from_config()?, &input)
    }

    fn get_fiscal_note_pdf(input: GetFiscalNotePdfInput) -> Result<Pdf, Error> {
        fiscal::get_fiscal_note_pdf(&Hubsoft::from_config()?, &input)
    }

    fn list_plans(input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&Hubsoft::from_config()?, &input, false)
    }

    fn list_blocked_plans(input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&Hubsoft::from_config()?, &input, true)
    }

    fn trust_unlock(input: TrustUnlockInput) -> Result<TrustUnlockOutput, Error> {
        customer::trust_unlock(&Hubsoft::from_config()?, &input)
    }
}

ponte_pdk::export!(HubsoftAdapter);

#[cfg(test)]
mod tests;
