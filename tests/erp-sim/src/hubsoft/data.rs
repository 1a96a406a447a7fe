//! The deterministic demo dataset every [`spawn`](super::spawn) starts from, and its records.
//!
//! The same people, documents, ids and roles as the other simulators ([`crate::people`]).
//! Hubsoft's keys: the customer is `id_cliente` (and `codigo_cliente`, here the same number),
//! each contract is a service, `id_cliente_servico` (the people's contract ids: `201`...), and
//! each invoice is `id_fatura` (the people's invoice ids: `1001`...). Documents are stored as
//! digits only (ERPS.md §6).
//!
//! | customer | document | services (`id_cliente_servico`, `status_prefixo`) |
//! |---|---|---|
//! | `101` Maria Aparecida da Silva | [`CUSTOMER_CPF`] | `201` servico_habilitado |
//! | `102` João Pereira Santos | [`CUSTOMER_NO_INVOICES_CPF`] | `202` servico_habilitado, no invoice |
//! | `103` Padaria Pão de Mel Ltda (pj) | [`COMPANY_CNPJ`] | `203` servico_habilitado |
//! | `104` Carlos Eduardo Lima (has an `alerta`) | [`BLOCKED_CUSTOMER_CPF`] | `204` suspenso_debito (eligible), `205` suspenso_debito (trust unlock already used), `206` inativo |
//! | `105` Ana Beatriz Costa | [`INACTIVE_CUSTOMER_CPF`] | `207` cancelado |
//!
//! Invoices as in [`crate::people`]: `1001` overdue, `1002` open, `1003` paid, `1004`
//! cancelled, `1006` partially paid (129.90 with 30.00 received), `1007` PIX only (no line),
//! `1008` the company's payment-link invoice (no line, no PIX), `1009` the company's paid one,
//! `1010`/`1011` Carlos's overdue on 204, `1012` on 205. Boletos are Banco do Brasil (`001`)
//! with valid lines and PIX codes ("boleto híbrido").
//!
//! Services are the shared [`catalogue`]'s plans (name and price), and so are the
//! configuration catalogues (`servicos`, `vendedores`, `vencimentos`, `origens_cliente`).
//! Prospects start empty; [`SALES_AREAS`] say which plans each CEP's business unit offers.
//! Fiscal notes are PlugStorage's ([`crate::plugstorage::data::notes`]): the same notes of the
//! same people, in Hubsoft's shapes (see `fiscal.rs`).

pub use crate::people::{
    BLOCKED_CUSTOMER_CPF, BLOCKED_CUSTOMER_CPF_DIGITS, BLOCKED_CUSTOMER_ID, BLOCKED_INVOICE_NEWEST,
    BLOCKED_INVOICE_OLDEST, COMPANY_CNPJ, COMPANY_CNPJ_DIGITS, COMPANY_CONTRACT, COMPANY_ID, COMPANY_INVOICE_GATEWAY,
    COMPANY_INVOICE_PAID, CONTRACT_INACTIVE, CONTRACT_MISSING, CONTRACT_UNLOCK_ELIGIBLE, CONTRACT_UNLOCK_USED,
    CUSTOMER_CONTRACT, CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, CUSTOMER_EMAIL, CUSTOMER_ID, CUSTOMER_MOBILE, CUSTOMER_NAME,
    CUSTOMER_NO_INVOICES_CPF, CUSTOMER_NO_INVOICES_CPF_DIGITS, CUSTOMER_NO_INVOICES_ID, INACTIVE_CUSTOMER_CPF,
    INACTIVE_CUSTOMER_ID, INVOICE_CANCELLED, INVOICE_OPEN, INVOICE_OPEN_OVERDUE, INVOICE_PAID, INVOICE_PARTIAL,
    INVOICE_PIX, REFERENCE_DATE, UNKNOWN_CPF, USED_UNLOCK_INVOICE,
};
use chrono::NaiveDate;

use crate::catalogue;

/// Days a trust unlock lasts at most (the tenant's panel rule); the same as IXC's and SGP's.
pub const TRUST_UNLOCK_DAYS: u64 = 3;
/// Bank of every boleto: Banco do Brasil.
pub const BANK_CODE: &str = "001";
/// The cash accounts (`id_caixa_financeiro`) a payment may be posted to.
pub const CASH_ACCOUNTS: &[(u64, &str)] = &[(1, "Caixa Matriz"), (2, "Caixa PIX")];
/// Payment methods (`meio_pagamento` prefixes) a posting may name.
pub const PAYMENT_METHODS: &[&str] =
    &["boleto", "pix", "cartao_credito", "cartao_debito", "dinheiro", "deposito", "transferencia"];
/// Ticket types (`id_tipo_atendimento`); `1` is the default.
pub const TICKET_TYPES: &[(u64, &str)] = &[(1, "Suporte Técnico"), (2, "Financeiro"), (3, "Comercial")];
/// The alert message of [`BLOCKED_CUSTOMER_ID`].
pub const BLOCKED_ALERT: &str = "Cliente com faturas em atraso: serviço suspenso por débito";

/// The first id a prospect created through the API gets.
pub const FIRST_PROSPECT_ID: u64 = 9001;

/// A business unit ("unidade de negócio"): the CEPs of its city and the plans it offers to
/// prospects (`/prospecto/create?cep=`). The CEP ranges are the cities' real ones, trimmed
/// (*inferred*: which ranges a tenant configures is its own).
#[derive(Debug, Clone, Copy)]
pub struct SalesArea {
    /// The city.
    pub city: &'static str,
    /// First and last CEP (8 digits as a number).
    pub ceps: (u32, u32),
    /// The [`catalogue::PLANS`] ids offered (active plans only are ever listed).
    pub plans: &'static [u64],
}

/// The business units: every plan for sale in São Paulo; no business plan elsewhere.
pub const SALES_AREAS: &[SalesArea] = &[
    SalesArea { city: "São Paulo", ceps: (1_000_000, 5_999_999), plans: &[1, 2, 3] },
    SalesArea { city: "Campinas", ceps: (13_000_000, 13_139_999), plans: &[1, 2] },
    SalesArea { city: "Florianópolis", ceps: (88_000_000, 88_099_999), plans: &[1, 2] },
];

/// The business unit of a CEP (any punctuation), if any.
pub fn sales_area(cep: &str) -> Option<&'static SalesArea> {
    let digits: String = cep.chars().filter(char::is_ascii_digit).collect();
    let number: u32 = if digits.len() == 8 { digits.parse().ok()? } else { return None };
    SALES_AREAS.iter().find(|a| (a.ceps.0..=a.ceps.1).contains(&number))
}

/// [`REFERENCE_DATE`] as a date.
pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 15).unwrap_or_default()
}

/// How an invoice is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Boleto with a line and a PIX code.
    Boleto,
    /// PIX only.
    Pix,
    /// A card payment link: no line, no PIX.
    Link,
}

/// A customer (`clientes[]`).
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: u64,
    pub name: String,
    /// Digits only, as Hubsoft stores it.
    pub document: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// street, number, complement, district, city, state, cep.
    pub address: [String; 7],
    pub created: String,
    pub alerts: Vec<String>,
}

/// A service (`servicos[]`): the contract.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub id: u64,
    pub customer_id: u64,
    pub plan_number: u64,
    pub name: String,
    pub price_cents: u64,
    pub status_prefix: &'static str,
    pub due_day: u8,
    pub login: String,
    /// The trust unlock was used and the debt is still unpaid.
    pub unlock_used: bool,
}

/// An invoice (`faturas[]`).
#[derive(Debug, Clone)]
pub(crate) struct Invoice {
    pub id: u64,
    pub service_id: u64,
    pub kind: Kind,
    pub amount_cents: u64,
    pub paid_cents: u64,
    pub issued: NaiveDate,
    pub due: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub cancelled: bool,
    pub description: String,
}

impl Invoice {
    /// Paid in full.
    pub(crate) fn settled(&self) -> bool {
        !self.cancelled && self.paid_cents >= self.amount_cents
    }

    /// Open (not paid in full, not cancelled).
    pub(crate) fn pending(&self) -> bool {
        !self.cancelled && !self.settled()
    }

    /// What is left to pay.
    pub(crate) fn open_cents(&self) -> u64 {
        self.amount_cents.saturating_sub(self.paid_cents)
    }
}

/// A ticket (`atendimento`).
#[derive(Debug, Clone)]
#[expect(dead_code, reason = "the ERP's record, kept whole; no endpoint served here lists tickets")]
pub(crate) struct Ticket {
    pub id: u64,
    pub protocol: String,
    pub service_id: u64,
    pub type_id: u64,
    pub description: String,
}

/// A prospect (`prospecto`), created through the API (`POST /prospecto`).
#[derive(Debug, Clone)]
pub(crate) struct Prospect {
    pub id: u64,
    /// Upper-cased, as Hubsoft stores it.
    pub name: String,
    /// Digits only; `None` when none was sent.
    pub document: Option<String>,
    pub phone: String,
    pub email: Option<String>,
    pub notes: Option<String>,
    /// `pf` or `pj`.
    pub person_type: String,
    pub service_id: u64,
    /// `servico.valor` as sent, as text (Hubsoft answers it as a string).
    pub value: String,
    /// cep, street, number, district, complement.
    pub address: [String; 5],
    pub seller_id: Option<u64>,
    pub origin_id: Option<u64>,
    pub due_date_id: Option<u64>,
}

/// The simulated Hubsoft's records.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub customers: Vec<Customer>,
    pub services: Vec<Service>,
    pub invoices: Vec<Invoice>,
    pub tickets: Vec<Ticket>,
    pub prospects: Vec<Prospect>,
    pub next_receipt: u64,
}

impl Store {
    pub(crate) fn services_of(&self, customer_id: u64) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(move |s| s.customer_id == customer_id)
    }

    pub(crate) fn service(&self, id: u64) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub(crate) fn customer(&self, id: u64) -> Option<&Customer> {
        self.customers.iter().find(|c| c.id == id)
    }
}

fn id(text: &str) -> u64 {
    text.parse().unwrap_or(0)
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| reference_date())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Builds the dataset.
pub(crate) fn store() -> Store {
    let customer = |id_text: &str,
                    name: &str,
                    document: &str,
                    phones: &[&str],
                    emails: &[&str],
                    address: [&str; 7],
                    created: &str| {
        Customer {
            id: id(id_text),
            name: name.into(),
            document: document.into(),
            phones: strings(phones),
            emails: strings(emails),
            address: address.map(str::to_owned),
            created: format!("{created} 00:00:00"),
            alerts: Vec::new(),
        }
    };
    let customers = vec![
        customer(
            CUSTOMER_ID,
            CUSTOMER_NAME,
            CUSTOMER_CPF_DIGITS,
            &["11987654321", "1134567890"],
            &[CUSTOMER_EMAIL],
            ["Rua das Palmeiras", "123", "Apto 45", "Jardim Paulista", "São Paulo", "SP", "01415001"],
            "2023-02-14",
        ),
        customer(
            CUSTOMER_NO_INVOICES_ID,
            "João Pereira Santos",
            CUSTOMER_NO_INVOICES_CPF_DIGITS,
            &["19991234567"],
            &["joao.santos@example.com"],
            ["Avenida Brasil", "900", "", "Centro", "Campinas", "SP", "13010100"],
            "2026-05-02",
        ),
        customer(
            COMPANY_ID,
            "Padaria Pão de Mel Ltda",
            COMPANY_CNPJ_DIGITS,
            &["1132221100", "11932221100"],
            &["financeiro@paodemel.example"],
            ["Rua Augusta", "1500", "Loja 2", "Consolação", "São Paulo", "SP", "01304001"],
            "2024-08-01",
        ),
        Customer {
            alerts: vec![BLOCKED_ALERT.to_owned()],
            ..customer(
                BLOCKED_CUSTOMER_ID,
                "Carlos Eduardo Lima",
                BLOCKED_CUSTOMER_CPF_DIGITS,
                &["48998765432"],
                &["carlos.lima@example.com"],
                ["Rua Bocaiúva", "77", "", "Centro", "Florianópolis", "SC", "88015530"],
                "2022-06-20",
            )
        },
        customer(
            INACTIVE_CUSTOMER_ID,
            "Ana Beatriz Costa",
            "46385102726",
            &["11977770000"],
            &["ana.costa@example.com"],
            ["Rua Vergueiro", "10", "", "Liberdade", "São Paulo", "SP", "01504000"],
            "2021-01-10",
        ),
    ];
    let service = |id_text: &str, customer: &str, plan: u64, status_prefix: &'static str, due_day: u8, login: &str| {
        let plan_record = catalogue::plan(plan);
        Service {
            id: id(id_text),
            customer_id: id(customer),
            plan_number: plan,
            name: plan_record.name.into(),
            price_cents: plan_record.price_cents,
            status_prefix,
            due_day,
            login: login.into(),
            unlock_used: false,
        }
    };
    let services = vec![
        service(CUSTOMER_CONTRACT, CUSTOMER_ID, 1, "servico_habilitado", 10, "maria.silva"),
        service("202", CUSTOMER_NO_INVOICES_ID, 2, "servico_habilitado", 10, "joao.santos"),
        service(COMPANY_CONTRACT, COMPANY_ID, 3, "servico_habilitado", 25, "paodemel"),
        service(CONTRACT_UNLOCK_ELIGIBLE, BLOCKED_CUSTOMER_ID, 1, "suspenso_debito", 5, "carlos.lima"),
        Service {
            unlock_used: true,
            ..service(CONTRACT_UNLOCK_USED, BLOCKED_CUSTOMER_ID, 2, "suspenso_debito", 15, "carlos.lima2")
        },
        service(CONTRACT_INACTIVE, BLOCKED_CUSTOMER_ID, 4, "inativo", 10, "carlos.radio"),
        service("207", INACTIVE_CUSTOMER_ID, 1, "cancelado", 10, "ana.costa"),
    ];
    let invoice = |id_text: &str, service: &str, kind, cents, issued: &str, due: &str, note: &str| Invoice {
        id: id(id_text),
        service_id: id(service),
        kind,
        amount_cents: cents,
        paid_cents: 0,
        issued: date(issued),
        due: date(due),
        paid_on: None,
        cancelled: false,
        description: note.into(),
    };
    let paid =
        |invoice: Invoice, on: &str| Invoice { paid_cents: invoice.amount_cents, paid_on: Some(date(on)), ..invoice };
    use Kind::{Boleto, Link, Pix};
    let invoices = vec![
        invoice(INVOICE_OPEN_OVERDUE, CUSTOMER_CONTRACT, Boleto, 9990, "2026-03-31", "2026-04-10", "Fibra 300 Mega"),
        invoice(INVOICE_OPEN, CUSTOMER_CONTRACT, Boleto, 9990, "2026-05-11", "2026-06-10", "Fibra 300 Mega"),
        paid(
            invoice(INVOICE_PAID, CUSTOMER_CONTRACT, Boleto, 9990, "2026-02-28", "2026-03-10", "Fibra 300 Mega"),
            "2026-03-09",
        ),
        Invoice {
            cancelled: true,
            ..invoice(INVOICE_CANCELLED, CUSTOMER_CONTRACT, Boleto, 9990, "2026-01-31", "2026-02-10", "Fibra 300 Mega")
        },
        Invoice {
            paid_cents: 3000,
            ..invoice(
                INVOICE_PARTIAL,
                CUSTOMER_CONTRACT,
                Boleto,
                12990,
                "2026-04-30",
                "2026-05-10",
                "Fibra 300 Mega + taxa de visita técnica",
            )
        },
        invoice(
            INVOICE_PIX,
            CUSTOMER_CONTRACT,
            Pix,
            9990,
            "2026-05-10",
            "2026-05-20",
            "Upgrade de plano (proporcional)",
        ),
        invoice(
            COMPANY_INVOICE_GATEWAY,
            COMPANY_CONTRACT,
            Link,
            19990,
            "2026-05-15",
            "2026-05-25",
            "Fibra 1 Giga Empresarial",
        ),
        paid(
            invoice(
                COMPANY_INVOICE_PAID,
                COMPANY_CONTRACT,
                Boleto,
                19990,
                "2026-04-15",
                "2026-04-25",
                "Fibra 1 Giga Empresarial",
            ),
            "2026-04-24",
        ),
        invoice(
            BLOCKED_INVOICE_OLDEST,
            CONTRACT_UNLOCK_ELIGIBLE,
            Boleto,
            9990,
            "2026-03-26",
            "2026-04-05",
            "Fibra 300 Mega",
        ),
        invoice(
            BLOCKED_INVOICE_NEWEST,
            CONTRACT_UNLOCK_ELIGIBLE,
            Boleto,
            9990,
            "2026-04-25",
            "2026-05-05",
            "Fibra 300 Mega",
        ),
        invoice(USED_UNLOCK_INVOICE, CONTRACT_UNLOCK_USED, Boleto, 12990, "2026-04-05", "2026-04-15", "Fibra 600 Mega"),
    ];
    Store { customers, services, invoices, tickets: Vec::new(), prospects: Vec::new(), next_receipt: 7000 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_people_role_is_here() {
        let store = store();
        for invoice in
            [INVOICE_OPEN_OVERDUE, INVOICE_OPEN, INVOICE_PAID, INVOICE_PARTIAL, INVOICE_PIX, USED_UNLOCK_INVOICE]
        {
            assert!(store.invoices.iter().any(|i| i.id == id(invoice)), "{invoice}");
        }
        assert_eq!(store.services_of(id(BLOCKED_CUSTOMER_ID)).count(), 3);
        assert!(store.service(id(CONTRACT_MISSING)).is_none());
        assert!(store.customers.iter().all(|c| c.document.chars().all(|ch| ch.is_ascii_alphanumeric())));
        assert_eq!(reference_date().to_string(), REFERENCE_DATE);
    }
}
