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

struct SgpAdapter;

impl Adapter for SgpAdapter {
    const FUNCTIONS: &'static [Function] = &[
        Function::ListProducts,
        Function::ListInvoices,
        Function::ListTotemInvoices,
        Function::GetInvoice,
        Function::GetBoletoPdf,
        Function::SettleInvoice,
        Function::GetCustomerContacts,
        Function::GetPendingIssues,
        Function::GetCustomer,
        Function::CreateTicket,
        Function::ListPlans,
        Function::ListBlockedPlans,
        Function::TrustUnlock,
    ];

    fn list_products(_: NoInput) -> Result<Vec<Product>, Error> {
        customer::list_products(&Sgp::from_config()?)
    }

    fn list_invoices(input: ListInvoicesInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&Sgp::from_config()?, &input.customer_document_number, input.contract_id.as_ref())
    }

    fn list_totem_invoices(input: CustomerInput) -> Result<Vec<Fatura>, Error> {
        invoices::open_invoices(&Sgp::from_config()?, &input.customer_document_number, None)
    }

    fn get_invoice(input: GetInvoiceInput) -> Result<Vec<Fatura>, Error> {
        invoices::get_invoice(&Sgp::from_config()?, &input)
    }

    fn get_boleto_pdf(input: GetBoletoPdfInput) -> Result<Pdf, Error> {
        invoices::get_boleto_pdf(&Sgp::from_config()?, &input)
    }

    fn settle_invoice(input: SettleInvoiceInput) -> Result<SettleInvoiceOutput, Error> {
        invoices::settle_invoice(&Sgp::from_config()?, &input)
    }

    fn get_customer_contacts(input: CustomerInput) -> Result<Vec<Contact>, Error> {
        customer::get_customer_contacts(&Sgp::from_config()?, &input)
    }

    fn get_pending_issues(input: CustomerInput) -> Result<Vec<String>, Error> {
        customer::get_pending_issues(&Sgp::from_config()?, &input)
    }

    fn get_customer(input: CustomerInput) -> Result<Customer, Error> {
        customer::get_customer(&Sgp::from_config()?, &input)
    }

    fn create_ticket(input: CreateTicketInput) -> Result<CreateTicketOutput, Error> {
        customer::create_ticket(&Sgp::from_config()?, &input)
    }

    fn list_plans(input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&Sgp::from_config()?, &input, false)
    }

    fn list_blocked_plans(input: CustomerInput) -> Result<Vec<Plan>, Error> {
        customer::list_plans(&Sgp::from_config()?, &input, true)
    }

    fn trust_unlock(input: TrustUnlockInput) -> Result<TrustUnlockOutput, Error> {
        customer::trust_unlock(&Sgp::from_config()?, &input)
    }
}

ponte_pdk::export!(SgpAdapter);

#[cfg(test)]
mod tests;
