//! The simulated SGP's database: typed records (customers, contracts, títulos, ocorrências) and
//! the arithmetic every endpoint shares (what is open, how late, the corrected value).

use chrono::NaiveDate;

use super::data;

/// Contract status codes (ERPS.md §2.3, \[H\] T1).
pub(crate) mod status {
    /// Ativo.
    pub const ACTIVE: u8 = 1;
    /// Inativo.
    pub const INACTIVE: u8 = 2;
    /// Cancelado.
    pub const CANCELLED: u8 = 3;
    /// Suspenso (what a block for debt sets: *inferred*).
    pub const SUSPENDED: u8 = 4;
    /// Reduzido (speed reduced).
    pub const REDUCED: u8 = 7;

    /// `contratoStatusDisplay` for a code.
    pub fn display(code: u8) -> &'static str {
        match code {
            ACTIVE => "Ativo",
            INACTIVE => "Inativo",
            CANCELLED => "Cancelado",
            SUSPENDED => "Suspenso",
            REDUCED => "Reduzido",
            _ => "Desconhecido",
        }
    }
}

/// A postal address, as SGP splits it.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub street: String,
    pub number: String,
    pub complement: String,
    pub district: String,
    pub city: String,
    pub state: String,
    pub cep: String,
}

/// A customer ("cliente"). SGP keys most actions on the contract, not on this.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: u64,
    pub name: String,
    /// CPF/CNPJ as SGP stores and returns it: masked (`714.602.380-01`).
    pub document: String,
    pub birth: Option<NaiveDate>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub address: Address,
    pub created: NaiveDate,
    /// Central do Assinante password (`contratoCentralSenha`).
    pub central_password: String,
}

impl Customer {
    /// The Central do Assinante login (`contratoCentralLogin`): the document without mask.
    pub(crate) fn central_login(&self) -> String {
        document_key(&self.document)
    }
}

/// A contract ("contrato"): the key of nearly every SGP action.
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    pub id: u64,
    pub customer_id: u64,
    pub plan_id: u64,
    /// One of [`status`]'s codes.
    pub status: u8,
    /// `motivo_status`: why the contract is in its status (`""` when active).
    pub reason: String,
    /// `cobVencimento`: the day of the month invoices fall due.
    pub due_day: u8,
    /// The PPPoE login of its internet service.
    pub login: String,
    pub pop_id: u64,
    pub created: NaiveDate,
    /// The last payment promise ("liberação por confiança") and until when it released.
    pub last_promise: Option<(NaiveDate, NaiveDate)>,
}

/// A plan sold to contracts.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub id: u64,
    pub name: String,
    pub price_cents: u64,
    pub active: bool,
    /// The POPs it is sold at.
    pub pops: Vec<u64>,
}

/// A point of presence.
#[derive(Debug, Clone)]
pub(crate) struct Pop {
    pub id: u64,
    pub name: String,
}

/// How a título is charged ("portador"), which decides what artefacts it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    /// A bank boleto with a PIX code on it ("boleto híbrido"): line, PIX, PDF.
    Boleto,
    /// PIX only: a PIX code, no boleto line.
    Pix,
    /// A card/payment-link gateway: only `link_cobranca`; no line, no PIX.
    PaymentLink,
}

impl Carrier {
    /// The `portador` text (*inferred* names).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Carrier::Boleto => "SICOOB - BOLETO HIBRIDO",
            Carrier::Pix => "PIX - SICOOB",
            Carrier::PaymentLink => "GATEWAY - LINK DE PAGAMENTO",
        }
    }

    /// Whether SGP can generate a PIX code for it (`gerarpix`).
    pub(crate) fn has_pix(self) -> bool {
        !matches!(self, Carrier::PaymentLink)
    }
}

/// One payment ("baixa") of a título.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub date: NaiveDate,
    pub amount_cents: u64,
    pub discount_cents: u64,
    pub fees_cents: u64,
    /// `forma_pagamento`: DINHEIRO, CARTAO, DEBITO or PIX.
    pub method: String,
    pub point: String,
    pub note: String,
}

/// Where a título stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TituloStatus {
    /// `aberto` (partly paid ones too).
    Open,
    /// `pago`.
    Paid,
    /// `cancelado`.
    Cancelled,
}

impl TituloStatus {
    /// The `status` text of `/api/ura/titulos/`.
    pub(crate) fn ura(self) -> &'static str {
        match self {
            TituloStatus::Open => "aberto",
            TituloStatus::Paid => "pago",
            TituloStatus::Cancelled => "cancelado",
        }
    }
}

/// A título (invoice, "fatura").
#[derive(Debug, Clone)]
pub(crate) struct Titulo {
    pub id: u64,
    pub contract_id: u64,
    /// `numeroDocumento`: not the id.
    pub document_number: u64,
    pub carrier: Carrier,
    pub amount_cents: u64,
    pub issued: NaiveDate,
    pub due: NaiveDate,
    /// Cancellation date and reason.
    pub cancelled: Option<(NaiveDate, String)>,
    pub payments: Vec<Payment>,
    pub note: String,
}

impl Titulo {
    /// Money received (discounts excluded).
    pub(crate) fn received_cents(&self) -> u64 {
        self.payments.iter().map(|p| p.amount_cents).sum()
    }

    /// What is still owed of the principal (payments and discounts deducted).
    pub(crate) fn open_cents(&self) -> u64 {
        let settled: u64 = self.payments.iter().map(|p| p.amount_cents + p.discount_cents).sum();
        self.amount_cents.saturating_sub(settled)
    }

    pub(crate) fn status(&self) -> TituloStatus {
        if self.cancelled.is_some() {
            TituloStatus::Cancelled
        } else if self.open_cents() == 0 {
            TituloStatus::Paid
        } else {
            TituloStatus::Open
        }
    }

    /// The date of the last payment, once paid off.
    pub(crate) fn paid_on(&self) -> Option<NaiveDate> {
        if self.status() == TituloStatus::Paid { self.payments.iter().map(|p| p.date).max() } else { None }
    }

    /// Days past due, for an open título (`diasAtraso`).
    pub(crate) fn days_late(&self, today: NaiveDate) -> u64 {
        if self.status() == TituloStatus::Open && self.due < today {
            u64::try_from((today - self.due).num_days()).unwrap_or(0)
        } else {
            0
        }
    }

    /// `valorCorrigido`: what is open plus a 2% fine and 1% a month interest pro rata once
    /// late (*inferred* rates, the same as the IXC simulator's); the amount itself when paid or
    /// cancelled.
    pub(crate) fn corrected_cents(&self, today: NaiveDate) -> u64 {
        if self.status() != TituloStatus::Open {
            return self.amount_cents;
        }
        let open = self.open_cents();
        let days = self.days_late(today);
        if days == 0 {
            return open;
        }
        let fine = (open * 2 + 50) / 100;
        let interest = (open * days + 1500) / 3000;
        open + fine + interest
    }

    /// Open and due before `today`.
    pub(crate) fn is_overdue(&self, today: NaiveDate) -> bool {
        self.days_late(today) > 0
    }
}

/// An ocorrência (ticket), with the ordem de serviço it may have opened.
#[derive(Debug, Clone)]
pub(crate) struct Ocorrencia {
    pub id: u64,
    pub protocol: String,
    pub contract_id: u64,
    pub type_id: u64,
    pub content: String,
    /// `0` aberta, `1` encerrada.
    pub status_id: u8,
    /// `AAAA-MM-DD HH:MM:SS`.
    pub created: String,
    pub closed: Option<String>,
    pub sector_id: Option<u64>,
    pub method_id: Option<u64>,
    pub classifications: Vec<u64>,
    pub contact_name: String,
    pub contact_phone: String,
    /// The ordem de serviço opened with it.
    pub order: Option<OrdemServico>,
}

/// An ordem de serviço (work order).
#[derive(Debug, Clone)]
pub(crate) struct OrdemServico {
    pub id: u64,
    pub reason_id: u64,
    /// `AAAA-MM-DD HH:MM`, when scheduled.
    pub scheduled: Option<String>,
    pub responsible: String,
}

/// Every record, plus the sequences.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub customers: Vec<Customer>,
    pub contracts: Vec<Contract>,
    pub plans: Vec<Plan>,
    pub pops: Vec<Pop>,
    pub titulos: Vec<Titulo>,
    pub ocorrencias: Vec<Ocorrencia>,
    /// Last protocol number's sequence part.
    pub protocol_seq: u64,
    pub next_ocorrencia_id: u64,
    pub next_order_id: u64,
}

pub(crate) use crate::people::document_key;

impl Store {
    pub(crate) fn customer(&self, id: u64) -> Option<&Customer> {
        self.customers.iter().find(|c| c.id == id)
    }

    pub(crate) fn customer_mut(&mut self, id: u64) -> Option<&mut Customer> {
        self.customers.iter_mut().find(|c| c.id == id)
    }

    /// The customer with this CPF/CNPJ, given masked or not (SGP accepts digits; the masked form
    /// is *inferred* to work too).
    pub(crate) fn customer_by_document(&self, text: &str) -> Option<&Customer> {
        let key = document_key(text);
        if key.is_empty() {
            return None;
        }
        self.customers.iter().find(|c| document_key(&c.document) == key)
    }

    pub(crate) fn contract(&self, id: u64) -> Option<&Contract> {
        self.contracts.iter().find(|c| c.id == id)
    }

    pub(crate) fn contract_mut(&mut self, id: u64) -> Option<&mut Contract> {
        self.contracts.iter_mut().find(|c| c.id == id)
    }

    /// The customer's contracts, by id.
    pub(crate) fn contracts_of(&self, customer_id: u64) -> Vec<&Contract> {
        self.contracts.iter().filter(|c| c.customer_id == customer_id).collect()
    }

    pub(crate) fn plan(&self, id: u64) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    pub(crate) fn pop(&self, id: u64) -> Option<&Pop> {
        self.pops.iter().find(|p| p.id == id)
    }

    pub(crate) fn titulo(&self, id: u64) -> Option<&Titulo> {
        self.titulos.iter().find(|t| t.id == id)
    }

    pub(crate) fn titulo_mut(&mut self, id: u64) -> Option<&mut Titulo> {
        self.titulos.iter_mut().find(|t| t.id == id)
    }

    /// The títulos of a contract.
    pub(crate) fn titulos_of(&self, contract_id: u64) -> impl Iterator<Item = &Titulo> {
        self.titulos.iter().filter(move |t| t.contract_id == contract_id)
    }

    /// The customer a contract belongs to.
    pub(crate) fn owner(&self, contract_id: u64) -> Option<&Customer> {
        self.customer(self.contract(contract_id)?.customer_id)
    }

    /// The next protocol number: `yyyymmdd` of `date` and a 6-digit sequence (*inferred*
    /// layout).
    pub(crate) fn next_protocol(&mut self, date: NaiveDate) -> String {
        self.protocol_seq += 1;
        format!("{}{:06}", date.format("%Y%m%d"), self.protocol_seq)
    }

    /// Opens an ocorrência now on `contract_id` (with an ordem de serviço when `order` is
    /// given); returns its protocol.
    pub(crate) fn open_ocorrencia(
        &mut self,
        contract_id: u64,
        type_id: u64,
        content: String,
        order: Option<OrdemServico>,
    ) -> String {
        let protocol = self.next_protocol(data::reference_date());
        self.next_ocorrencia_id += 1;
        let ocorrencia = Ocorrencia {
            id: self.next_ocorrencia_id,
            protocol: protocol.clone(),
            contract_id,
            type_id,
            content,
            status_id: 0,
            created: data::now_stamp(),
            closed: None,
            sector_id: None,
            method_id: None,
            classifications: Vec::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            order,
        };
        self.ocorrencias.push(ocorrencia);
        protocol
    }

    /// A fresh ordem de serviço id.
    pub(crate) fn next_order(&mut self) -> u64 {
        self.next_order_id += 1;
        self.next_order_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titulo(amount: u64, due: &str) -> Titulo {
        Titulo {
            id: 1,
            contract_id: 1,
            document_number: 1,
            carrier: Carrier::Boleto,
            amount_cents: amount,
            issued: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            due: NaiveDate::parse_from_str(due, "%Y-%m-%d").unwrap_or_default(),
            cancelled: None,
            payments: Vec::new(),
            note: String::new(),
        }
    }

    #[test]
    fn late_titulo_gets_fine_and_pro_rata_interest() {
        let today = data::reference_date();
        let late = titulo(9990, "2026-04-10");
        assert_eq!(late.days_late(today), 35);
        // 99.90 + 2.00 fine + 1.17 interest (35 days at 1% a month).
        assert_eq!(late.corrected_cents(today), 9990 + 200 + 117);
        let current = titulo(9990, "2026-06-10");
        assert_eq!(current.corrected_cents(today), 9990);
        assert!(!current.is_overdue(today));
    }

    #[test]
    fn payments_and_discounts_settle_and_cancellation_wins() {
        let mut t = titulo(12990, "2026-05-10");
        let pay = |amount, discount| Payment {
            date: NaiveDate::from_ymd_opt(2026, 5, 8).unwrap_or_default(),
            amount_cents: amount,
            discount_cents: discount,
            fees_cents: 0,
            method: "DINHEIRO".into(),
            point: String::new(),
            note: String::new(),
        };
        t.payments.push(pay(3000, 0));
        assert_eq!((t.status(), t.open_cents()), (TituloStatus::Open, 9990));
        t.payments.push(pay(9890, 100));
        assert_eq!(t.status(), TituloStatus::Paid);
        assert_eq!(t.received_cents(), 12890);
        assert!(t.paid_on().is_some());
        t.cancelled = Some((data::reference_date(), "x".into()));
        assert_eq!(t.status(), TituloStatus::Cancelled);
    }

    #[test]
    fn documents_match_masked_or_not() {
        assert_eq!(document_key("12.abc.345/01DE-35"), "12ABC34501DE35");
        assert_eq!(document_key(" 714.602.380-01 "), "71460238001");
    }
}
