//! The deterministic demo dataset every [`spawn`](super::spawn) starts from.
//!
//! It mirrors the IXC simulator's dataset ([`crate::ixc::data`]): the same people, documents,
//! ids and scenario roles, so a conformance suite can drive both ERPs with one set of test
//! documents. Dates are relative to [`REFERENCE_DATE`] (the simulator's "today"), never the real
//! clock. Ids are given as text, as the host passes them around; SGP's JSON carries them as
//! numbers.
//!
//! | customer (`clienteId`) | document | contracts (`contratoId`, status) | what it is for |
//! |---|---|---|---|
//! | [`CUSTOMER_ID`] `101` Maria Aparecida da Silva | CPF [`CUSTOMER_CPF`] | `201` (1 Ativo) | the main customer: a título of every kind |
//! | [`CUSTOMER_NO_INVOICES_ID`] `102` João Pereira Santos | CPF [`CUSTOMER_NO_INVOICES_CPF`] | `202` (1 Ativo) | no título at all |
//! | [`COMPANY_ID`] `103` Padaria Pão de Mel Ltda | alphanumeric CNPJ [`COMPANY_CNPJ`] | `203` (1 Ativo) | a company; a payment-link título, a paid boleto |
//! | [`BLOCKED_CUSTOMER_ID`] `104` Carlos Eduardo Lima | CPF [`BLOCKED_CUSTOMER_CPF`] | `204` (4 Suspenso, eligible), `205` (4 Suspenso, promise used this month), `206` (2 Inativo) | trust unlock ("liberação por confiança"), one row per contract in `consultacliente` |
//! | [`INACTIVE_CUSTOMER_ID`] `105` Ana Beatriz Costa | CPF [`INACTIVE_CUSTOMER_CPF`] | `207` (3 Cancelado) | a former customer |
//!
//! [`UNKNOWN_CPF`] is valid and belongs to nobody; [`CONTRACT_MISSING`] `999` does not exist.
//!
//! Títulos (`id`; `numeroDocumento` is [`document_number`], not the id). Boletos are Sicoob
//! (`756`) "boletos híbridos": a valid line (every check digit) encoding the título's amount and
//! due date, and a valid PIX code. IXC's `1005` (an invoice not released to the customer) has
//! no SGP counterpart: SGP documents no such flag, so that id does not exist here.
//!
//! | id | contract | status | what |
//! |---|---|---|---|
//! | [`INVOICE_OPEN_OVERDUE`] `1001` | 201 | aberto | boleto, 99.90, due 2026-04-10 (35 days late) |
//! | [`INVOICE_OPEN`] `1002` | 201 | aberto | boleto, 99.90, due 2026-06-10 |
//! | [`INVOICE_PAID`] `1003` | 201 | pago | boleto, 99.90, paid 2026-03-09 |
//! | [`INVOICE_CANCELLED`] `1004` | 201 | cancelado | boleto, 99.90, cancelled 2026-02-05 |
//! | [`INVOICE_PARTIAL`] `1006` | 201 | aberto | boleto, 129.90 with 30.00 received (partial liquidation): 99.90 open, due 2026-05-10 |
//! | [`INVOICE_PIX`] `1007` | 201 | aberto | PIX only (no line), 99.90, due 2026-05-20 |
//! | [`COMPANY_INVOICE_GATEWAY`] `1008` | 203 | aberto | payment link (`link_cobranca`), 199.90, due 2026-05-25: no line, no PIX |
//! | [`COMPANY_INVOICE_PAID`] `1009` | 203 | pago | boleto, 199.90, paid 2026-04-24 |
//! | [`BLOCKED_INVOICE_OLDEST`] `1010` | 204 | aberto | boleto, 99.90, due 2026-04-05 (late) |
//! | [`BLOCKED_INVOICE_NEWEST`] `1011` | 204 | aberto | boleto, 99.90, due 2026-05-05 (late) |
//! | [`USED_UNLOCK_INVOICE`] `1012` | 205 | aberto | boleto, 129.90, due 2026-04-15 (late) |
//!
//! Plans: the shared [`catalogue`](crate::catalogue)'s: `1` Fibra 300 Mega 99.90, `2` Fibra
//! 600 Mega 129.90, `3` Fibra 1 Giga Empresarial 199.90 (POP 1 only), `4` Rádio 15 Megas
//! 79.90 (discontinued: never listed). POPs `1` São Paulo, `2` Campinas, `3` Florianópolis.
//! Ocorrências: [`OCORRENCIA_OPEN`] (open, on 201) and `3002` (closed, on 204). Catalogues: [`OCORRENCIA_TYPES`], [`SECTORS`], [`OS_REASONS`],
//! [`METHODS`], [`CLASSIFICATIONS`].

pub use crate::people::{
    BLOCKED_CUSTOMER_CPF, BLOCKED_CUSTOMER_CPF_DIGITS, BLOCKED_CUSTOMER_ID, BLOCKED_INVOICE_NEWEST,
    BLOCKED_INVOICE_OLDEST, COMPANY_CNPJ, COMPANY_CNPJ_DIGITS, COMPANY_CONTRACT, COMPANY_ID, COMPANY_INVOICE_GATEWAY,
    COMPANY_INVOICE_PAID, CONTRACT_INACTIVE, CONTRACT_MISSING, CONTRACT_UNLOCK_ELIGIBLE, CONTRACT_UNLOCK_USED,
    CUSTOMER_CONTRACT, CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, CUSTOMER_EMAIL, CUSTOMER_ID, CUSTOMER_MOBILE, CUSTOMER_NAME,
    CUSTOMER_NO_INVOICES_CPF, CUSTOMER_NO_INVOICES_CPF_DIGITS, CUSTOMER_NO_INVOICES_ID, INACTIVE_CUSTOMER_CPF,
    INACTIVE_CUSTOMER_ID, INVOICE_CANCELLED, INVOICE_OPEN, INVOICE_OPEN_OVERDUE, INVOICE_PAID, INVOICE_PARTIAL,
    INVOICE_PIX, PROVIDER_NAME, REFERENCE_DATE, REFERENCE_TIME, UNKNOWN_CPF, USED_UNLOCK_INVOICE,
};
use chrono::NaiveDate;

use super::store::{
    Address, Carrier, Contract, Customer, Ocorrencia, OrdemServico, Payment, Plan, Pop, Store, Titulo, status,
};

/// Main customer's Central do Assinante password (`contratoCentralSenha`); the login
/// (`contratoCentralLogin`) is the CPF's digits.
pub const CUSTOMER_CENTRAL_PASSWORD: &str = "maria-central-2023";

/// [`CUSTOMER_NO_INVOICES_ID`]'s contract.
pub const CUSTOMER_NO_INVOICES_CONTRACT: &str = "202";

/// [`BLOCKED_CUSTOMER_ID`]'s Central do Assinante password.
pub const BLOCKED_CUSTOMER_CENTRAL_PASSWORD: &str = "carlos-central-2022";
/// When [`CONTRACT_UNLOCK_USED`]'s promise was made. ISO.
pub const USED_PROMISE_DATE: &str = "2026-05-01";
/// Days a payment promise releases a contract when no `data_promessa` is sent
/// (`liberado_dias`); the same as IXC's trust unlock.
pub const TRUST_UNLOCK_DAYS: u64 = 3;
/// The furthest `data_promessa` accepted, in days from today (*inferred*).
pub const PROMISE_MAX_DAYS: u64 = 5;

/// [`INACTIVE_CUSTOMER_ID`]'s contract (3 Cancelado).
pub const CONTRACT_CANCELLED: &str = "207";

/// The open ocorrência on [`CUSTOMER_CONTRACT`] (with an ordem de serviço).
pub const OCORRENCIA_OPEN: &str = "3001";
/// Its protocol.
pub const OCORRENCIA_OPEN_PROTOCOL: &str = "20260512000001";

/// Bank of every boleto: Sicoob.
pub const BANK_CODE: &str = "756";
/// Sicoob cooperative (agency) of the beneficiary.
pub const BANK_COOPERATIVE: &str = "4321";
/// Sicoob beneficiary code (7 digits).
pub const BANK_BENEFICIARY: &str = "0123456";

/// Ocorrência types (`GET /api/os/ocorrencia/tipo/list/`): id, description, active. `5` is
/// `/api/ura/chamado/`'s default `ocorrenciatipo`; `12` is what `fatura2via` opens; `13` what
/// a payment promise opens; `99` is inactive (refused).
pub const OCORRENCIA_TYPES: &[(u64, &str, bool)] = &[
    (1, "Suporte técnico", true),
    (5, "Atendimento URA", true),
    (12, "Segunda via de fatura", true),
    (13, "Promessa de pagamento", true),
    (30, "Sem conexão", true),
    (31, "Lentidão", true),
    (40, "Mudança de endereço", true),
    (99, "Tipo antigo (desativado)", false),
];
/// The ocorrência type `fatura2via` opens.
pub const OCORRENCIA_TYPE_SECOND_COPY: u64 = 12;
/// The ocorrência type a payment promise opens.
pub const OCORRENCIA_TYPE_PROMISE: u64 = 13;
/// `ocorrenciatipo` when `/api/ura/chamado/` gets none (ERPS.md §2.4).
pub const OCORRENCIA_TYPE_DEFAULT: u64 = 5;
/// Sectors (`GET /api/os/ocorrencia/setor/list/`).
pub const SECTORS: &[(u64, &str, bool)] =
    &[(1, "Suporte Técnico", true), (2, "Financeiro", true), (3, "Comercial", true)];
/// Ordem de serviço reasons (`GET /api/os/ocorrencia/motivo/list/`); `2` is the default of an
/// ordem opened by `/api/ura/chamado/` (*inferred*).
pub const OS_REASONS: &[(u64, &str, bool)] =
    &[(1, "Instalação", true), (2, "Manutenção", true), (6, "Reparo", true), (8, "Retirada de equipamento", true)];
/// Contact methods (`GET /api/os/ocorrencia/metodo/list/`).
pub const METHODS: &[(u64, &str, bool)] =
    &[(1, "Telefone", true), (2, "WhatsApp", true), (3, "Aplicativo", true), (4, "Presencial", true)];
/// Classifications (`GET /api/ura/classificacoes/list/`), for `tipoclassificacoes`.
pub const CLASSIFICATIONS: &[(u64, &str, bool)] =
    &[(1, "Sem conexão", true), (2, "Lentidão", true), (5, "Quedas frequentes", true), (7, "Financeiro", true)];

/// [`REFERENCE_DATE`] as a date.
pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 15).unwrap_or_default()
}

/// The simulator's clock as SGP prints date-times: `2026-05-15 09:00:00`.
pub(crate) fn now_stamp() -> String {
    format!("{REFERENCE_DATE} {REFERENCE_TIME}")
}

/// A título's `numeroDocumento`: `50000` + its id (deliberately not the id).
pub fn document_number(titulo_id: &str) -> String {
    (50_000 + id(titulo_id)).to_string()
}

/// A título's Sicoob "nosso número": its id on 8 digits.
pub fn nosso_numero(titulo_id: &str) -> String {
    format!("{:0>8}", id(titulo_id))
}

/// The 25-digit free field of a título's boleto (Sicoob layout: wallet 1, cooperative,
/// modality 01, beneficiary, nosso número, installment 001).
pub(crate) fn free_field(titulo_id: u64) -> String {
    format!("1{BANK_COOPERATIVE}01{BANK_BENEFICIARY}{titulo_id:0>8}001")
}

/// The PIX txid of a título (32 characters).
pub fn pix_txid(titulo_id: &str) -> String {
    format!("PONTESIMSGP{:0>21}", id(titulo_id))
}

/// The key in a título's public boleto link (`/boleto/<id>/<key>`): 16 hex digits derived from
/// the id, so links can't be guessed from ids alone.
pub fn boleto_link_key(titulo_id: &str) -> String {
    // FNV-1a, 64 bits: deterministic and dependency-free.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("ponte-sgp-boleto-{}", id(titulo_id)).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// A numeric id from its text (`0` when not numeric: such ids never exist).
pub(crate) fn id(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| reference_date())
}

fn address(
    street: &str,
    number: &str,
    complement: &str,
    district: &str,
    city: &str,
    state: &str,
    cep: &str,
) -> Address {
    Address {
        street: street.into(),
        number: number.into(),
        complement: complement.into(),
        district: district.into(),
        city: city.into(),
        state: state.into(),
        cep: cep.into(),
    }
}

/// Builds the dataset.
pub(crate) fn store() -> Store {
    let pops = [(1, "POP São Paulo - Centro"), (2, "POP Campinas"), (3, "POP Florianópolis")]
        .into_iter()
        .map(|(id, name)| Pop { id, name: name.into() })
        .collect();
    // The shared catalogue's plans; which POPs sell each is SGP's own.
    let plans = crate::catalogue::PLANS
        .iter()
        .map(|p| Plan {
            id: p.id,
            name: p.name.into(),
            price_cents: p.price_cents,
            active: p.active,
            pops: match p.id {
                3 => vec![1],
                4 => vec![3],
                _ => vec![1, 2, 3],
            },
        })
        .collect();
    let mut store = Store { pops, plans, ..Store::default() };
    seed_customers(&mut store);
    seed_contracts(&mut store);
    seed_titulos(&mut store);
    seed_ocorrencias(&mut store);
    store
}

fn seed_customers(store: &mut Store) {
    let customer = |id_text: &str,
                    name: &str,
                    document: &str,
                    birth: Option<&str>,
                    phones: &[&str],
                    emails: &[&str],
                    address: Address,
                    created: &str,
                    password: &str| Customer {
        id: id(id_text),
        name: name.into(),
        document: document.into(),
        birth: birth.map(date),
        phones: phones.iter().map(|p| (*p).to_owned()).collect(),
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
        address,
        created: date(created),
        central_password: password.into(),
    };
    store.customers = vec![
        customer(
            CUSTOMER_ID,
            CUSTOMER_NAME,
            CUSTOMER_CPF,
            Some("1985-07-22"),
            &[CUSTOMER_MOBILE, "(11) 3456-7890"],
            &[CUSTOMER_EMAIL],
            address("Rua das Palmeiras", "123", "Apto 45", "Jardim Paulista", "São Paulo", "SP", "01415-001"),
            "2023-02-14",
            CUSTOMER_CENTRAL_PASSWORD,
        ),
        customer(
            CUSTOMER_NO_INVOICES_ID,
            "João Pereira Santos",
            CUSTOMER_NO_INVOICES_CPF,
            Some("1992-01-30"),
            &["(19) 99123-4567"],
            &["joao.santos@example.com"],
            address("Avenida Brasil", "900", "", "Centro", "Campinas", "SP", "13010-100"),
            "2026-05-02",
            "joao-central-2026",
        ),
        customer(
            COMPANY_ID,
            "Padaria Pão de Mel Ltda",
            COMPANY_CNPJ,
            None,
            &["(11) 3222-1100", "(11) 93222-1100"],
            &["financeiro@paodemel.example"],
            address("Rua Augusta", "1500", "Loja 2", "Consolação", "São Paulo", "SP", "01304-001"),
            "2024-08-01",
            "paodemel-central-2024",
        ),
        customer(
            BLOCKED_CUSTOMER_ID,
            "Carlos Eduardo Lima",
            BLOCKED_CUSTOMER_CPF,
            Some("1978-11-03"),
            &["(48) 99876-5432"],
            &["carlos.lima@example.com"],
            address("Rua Bocaiúva", "77", "", "Centro", "Florianópolis", "SC", "88015-530"),
            "2022-06-20",
            BLOCKED_CUSTOMER_CENTRAL_PASSWORD,
        ),
        customer(
            INACTIVE_CUSTOMER_ID,
            "Ana Beatriz Costa",
            INACTIVE_CUSTOMER_CPF,
            Some("2000-03-12"),
            &["(11) 97777-0000"],
            &["ana.costa@example.com"],
            address("Rua Vergueiro", "10", "", "Liberdade", "São Paulo", "SP", "01504-000"),
            "2021-01-10",
            "ana-central-2021",
        ),
    ];
}

fn seed_contracts(store: &mut Store) {
    const DEBT: &str = "Bloqueio automático por inadimplência";
    let contract = |id_text: &str,
                    customer: &str,
                    plan_id: u64,
                    code: u8,
                    reason: &str,
                    due_day: u8,
                    login: &str,
                    pop_id: u64,
                    created: &str| Contract {
        id: id(id_text),
        customer_id: id(customer),
        plan_id,
        status: code,
        reason: reason.into(),
        due_day,
        login: login.into(),
        pop_id,
        created: date(created),
        last_promise: None,
    };
    store.contracts = vec![
        contract(CUSTOMER_CONTRACT, CUSTOMER_ID, 1, status::ACTIVE, "", 10, "maria.silva", 1, "2023-02-20"),
        contract(
            CUSTOMER_NO_INVOICES_CONTRACT,
            CUSTOMER_NO_INVOICES_ID,
            2,
            status::ACTIVE,
            "",
            10,
            "joao.santos",
            2,
            "2026-05-05",
        ),
        contract(COMPANY_CONTRACT, COMPANY_ID, 3, status::ACTIVE, "", 25, "paodemel", 1, "2024-08-05"),
        contract(
            CONTRACT_UNLOCK_ELIGIBLE,
            BLOCKED_CUSTOMER_ID,
            1,
            status::SUSPENDED,
            DEBT,
            5,
            "carlos.lima",
            3,
            "2022-06-25",
        ),
        Contract {
            last_promise: Some((date(USED_PROMISE_DATE), date("2026-05-04"))),
            ..contract(
                CONTRACT_UNLOCK_USED,
                BLOCKED_CUSTOMER_ID,
                2,
                status::SUSPENDED,
                DEBT,
                15,
                "carlos.lima2",
                3,
                "2023-09-01",
            )
        },
        contract(
            CONTRACT_INACTIVE,
            BLOCKED_CUSTOMER_ID,
            4,
            status::INACTIVE,
            "Inativado a pedido do cliente",
            10,
            "carlos.radio",
            3,
            "2019-04-01",
        ),
        contract(
            CONTRACT_CANCELLED,
            INACTIVE_CUSTOMER_ID,
            1,
            status::CANCELLED,
            "Cancelado: mudança de cidade",
            10,
            "ana.costa",
            1,
            "2021-01-15",
        ),
    ];
}

fn seed_titulos(store: &mut Store) {
    let titulo = |id_text: &str, contract: &str, carrier, cents, issued: &str, due: &str, note: &str| Titulo {
        id: id(id_text),
        contract_id: id(contract),
        document_number: id(&document_number(id_text)),
        carrier,
        amount_cents: cents,
        issued: date(issued),
        due: date(due),
        cancelled: None,
        payments: Vec::new(),
        note: note.into(),
    };
    let paid = |on: &str, cents, method: &str| Payment {
        date: date(on),
        amount_cents: cents,
        discount_cents: 0,
        fees_cents: 0,
        method: method.into(),
        point: "Caixa Matriz".into(),
        note: String::new(),
    };
    use Carrier::{Boleto, PaymentLink, Pix};
    store.titulos = vec![
        titulo(
            INVOICE_OPEN_OVERDUE,
            CUSTOMER_CONTRACT,
            Boleto,
            9990,
            "2026-03-31",
            "2026-04-10",
            "Referente a 04/2026",
        ),
        titulo(INVOICE_OPEN, CUSTOMER_CONTRACT, Boleto, 9990, "2026-05-11", "2026-06-10", "Referente a 06/2026"),
        Titulo {
            payments: vec![paid("2026-03-09", 9990, "PIX")],
            ..titulo(INVOICE_PAID, CUSTOMER_CONTRACT, Boleto, 9990, "2026-02-28", "2026-03-10", "Referente a 03/2026")
        },
        Titulo {
            cancelled: Some((date("2026-02-05"), "Cobrança em duplicidade".into())),
            ..titulo(
                INVOICE_CANCELLED,
                CUSTOMER_CONTRACT,
                Boleto,
                9990,
                "2026-01-31",
                "2026-02-10",
                "Referente a 02/2026",
            )
        },
        Titulo {
            payments: vec![paid("2026-05-08", 3000, "DINHEIRO")],
            ..titulo(
                INVOICE_PARTIAL,
                CUSTOMER_CONTRACT,
                Boleto,
                12990,
                "2026-04-30",
                "2026-05-10",
                "Referente a 05/2026 + taxa de visita técnica",
            )
        },
        titulo(
            INVOICE_PIX,
            CUSTOMER_CONTRACT,
            Pix,
            9990,
            "2026-05-10",
            "2026-05-20",
            "Upgrade de plano (proporcional)",
        ),
        titulo(
            COMPANY_INVOICE_GATEWAY,
            COMPANY_CONTRACT,
            PaymentLink,
            19990,
            "2026-05-15",
            "2026-05-25",
            "Referente a 05/2026",
        ),
        Titulo {
            payments: vec![paid("2026-04-24", 19990, "DEBITO")],
            ..titulo(
                COMPANY_INVOICE_PAID,
                COMPANY_CONTRACT,
                Boleto,
                19990,
                "2026-04-15",
                "2026-04-25",
                "Referente a 04/2026",
            )
        },
        titulo(
            BLOCKED_INVOICE_OLDEST,
            CONTRACT_UNLOCK_ELIGIBLE,
            Boleto,
            9990,
            "2026-03-26",
            "2026-04-05",
            "Referente a 04/2026",
        ),
        titulo(
            BLOCKED_INVOICE_NEWEST,
            CONTRACT_UNLOCK_ELIGIBLE,
            Boleto,
            9990,
            "2026-04-25",
            "2026-05-05",
            "Referente a 05/2026",
        ),
        titulo(
            USED_UNLOCK_INVOICE,
            CONTRACT_UNLOCK_USED,
            Boleto,
            12990,
            "2026-04-05",
            "2026-04-15",
            "Referente a 04/2026",
        ),
    ];
}

fn seed_ocorrencias(store: &mut Store) {
    store.ocorrencias = vec![
        Ocorrencia {
            id: id(OCORRENCIA_OPEN),
            protocol: OCORRENCIA_OPEN_PROTOCOL.into(),
            contract_id: id(CUSTOMER_CONTRACT),
            type_id: 31,
            content: "Cliente relata lentidão entre 20h e 23h.".into(),
            status_id: 0,
            created: "2026-05-12 18:30:00".into(),
            closed: None,
            sector_id: Some(1),
            method_id: Some(2),
            classifications: vec![2],
            contact_name: CUSTOMER_NAME.into(),
            contact_phone: CUSTOMER_MOBILE.into(),
            order: Some(OrdemServico {
                id: 4001,
                reason_id: 6,
                scheduled: Some("2026-05-16 14:00".into()),
                responsible: "Equipe Campo 1".into(),
            }),
        },
        Ocorrencia {
            id: 3002,
            protocol: "20260420000002".into(),
            contract_id: id(CONTRACT_UNLOCK_ELIGIBLE),
            type_id: 30,
            content: "Sem conexão desde o bloqueio.".into(),
            status_id: 1,
            created: "2026-04-20 10:15:00".into(),
            closed: Some("2026-04-20 11:00:00".into()),
            sector_id: Some(2),
            method_id: Some(1),
            classifications: vec![1, 7],
            contact_name: "Carlos Eduardo Lima".into(),
            contact_phone: "(48) 99876-5432".into(),
            order: None,
        },
    ];
    store.protocol_seq = 2;
    store.next_ocorrencia_id = 3002;
    store.next_order_id = 4001;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ixc::data as ixc;
    use crate::payment;
    use ponte_contract::normalize::boleto::BoletoLine;

    #[test]
    fn trust_unlocks_last_as_long_as_ixcs() {
        assert_eq!(TRUST_UNLOCK_DAYS, ixc::TRUST_UNLOCK_DAYS);
    }

    #[test]
    fn every_boleto_line_is_valid_and_encodes_amount_and_due_date() {
        let store = store();
        for titulo in store.titulos.iter().filter(|t| t.carrier == Carrier::Boleto) {
            let boleto = payment::bank_boleto(BANK_CODE, titulo.due, titulo.amount_cents, &free_field(titulo.id))
                .expect("buildable boleto");
            let line = BoletoLine::parse(&boleto.line_formatted).expect("valid line");
            assert_eq!(line.amount_cents(), Some(titulo.amount_cents));
            assert_eq!(line.due_date(), Some(titulo.due));
            assert_eq!(line.bank_code(), Some(BANK_CODE));
        }
    }

    #[test]
    fn dataset_ids_resolve_and_links_keys_differ() {
        let store = store();
        for id_text in [INVOICE_OPEN_OVERDUE, INVOICE_PIX, COMPANY_INVOICE_GATEWAY, USED_UNLOCK_INVOICE] {
            assert!(store.titulo(id(id_text)).is_some(), "{id_text}");
        }
        assert!(store.titulo(1005).is_none());
        assert_eq!(store.contracts_of(id(BLOCKED_CUSTOMER_ID)).len(), 3);
        assert_ne!(boleto_link_key("1001"), boleto_link_key("1002"));
        assert_eq!(boleto_link_key("1001").len(), 16);
        assert_eq!(free_field(1001).len(), 25);
        assert_eq!(pix_txid("1001").len(), 32);
        assert_eq!(document_number("1001"), "51001");
        assert_eq!(reference_date().to_string(), REFERENCE_DATE);
    }
}
