//! The deterministic demo dataset every [`spawn`](super::spawn) starts from.
//!
//! Dates are relative to [`REFERENCE_DATE`] (the simulator's "today"), never the real clock,
//! so what is overdue is the same on every run. Money is stored as IXC lists it (`"99.90"`),
//! CPF/CNPJ with their mask (`"714.602.380-01"`), every value a string.
//!
//! | customer (`cliente.id`) | document | what it is for |
//! |---|---|---|
//! | [`CUSTOMER_ID`] `101` Maria Aparecida da Silva | CPF [`CUSTOMER_CPF`] | the main customer: one contract, an invoice of every kind |
//! | [`CUSTOMER_NO_INVOICES_ID`] `102` João Pereira Santos | CPF [`CUSTOMER_NO_INVOICES_CPF`] | active contract, no invoice at all |
//! | [`COMPANY_ID`] `103` Padaria Pão de Mel Ltda | alphanumeric CNPJ [`COMPANY_CNPJ`] | a company; a Gateway invoice with a payment link, a paid boleto |
//! | [`BLOCKED_CUSTOMER_ID`] `104` Carlos Eduardo Lima | CPF [`BLOCKED_CUSTOMER_CPF`] | blocked contracts for trust unlock (eligible, already used, inactive); an `alerta` |
//! | [`INACTIVE_CUSTOMER_ID`] `105` Ana Beatriz Costa | CPF [`INACTIVE_CUSTOMER_CPF`] | inactive customer (`ativo` N), cancelled contract, no invoices |
//! | [`BULK_CUSTOMER_ID`] `106` Bruno Carga Volume | CPF [`BULK_CUSTOMER_CPF`] | only with [`IxcConfig::bulk_invoices`](super::IxcConfig::bulk_invoices) > 0: contract [`BULK_CUSTOMER_CONTRACT`] `208` (active) and that many open boletos |
//!
//! Invoices (`fn_areceber.id`), bank boletos of Banco do Brasil (`001`) whose
//! `linha_digitavel` is valid (every check digit) and encodes the invoice's `valor` and due
//! date:
//!
//! | id | customer / contract | status | what |
//! |---|---|---|---|
//! | [`INVOICE_OPEN_OVERDUE`] `1001` | 101 / 201 | A | Boleto, 99.90, due 2026-04-10 (overdue) |
//! | [`INVOICE_OPEN`] `1002` | 101 / 201 | A | Boleto, 99.90, due 2026-06-10 |
//! | [`INVOICE_PAID`] `1003` | 101 / 201 | R | Boleto, 99.90, paid 2026-03-09 |
//! | [`INVOICE_CANCELLED`] `1004` | 101 / 201 | C | Boleto, 99.90, cancelled |
//! | [`INVOICE_HIDDEN`] `1005` | 101 / 201 | A | `liberado` N: not released to the customer yet |
//! | [`INVOICE_PARTIAL`] `1006` | 101 / 201 | P | Boleto, 129.90 with 30.00 received: 99.90 open, due 2026-05-10 |
//! | [`INVOICE_PIX`] `1007` | 101 / 201 | A | `tipo_recebimento` Pix, 99.90, due 2026-05-20; its `linha_digitavel` is garbage |
//! | [`COMPANY_INVOICE_GATEWAY`] `1008` | 103 / 203 | A | Gateway, 199.90, due 2026-05-25, `gateway_link` set, no line |
//! | [`COMPANY_INVOICE_PAID`] `1009` | 103 / 203 | R | Boleto, 199.90, paid |
//! | [`BLOCKED_INVOICE_OLDEST`] `1010` | 104 / 204 | A | Boleto, 99.90, due 2026-04-05 (overdue) |
//! | [`BLOCKED_INVOICE_NEWEST`] `1011` | 104 / 204 | A | Boleto, 99.90, due 2026-05-05 (overdue) |
//! | [`USED_UNLOCK_INVOICE`] `1012` | 104 / 205 | A | Boleto, 129.90, due 2026-04-15 (overdue, unpaid since the last trust unlock) |
//! | [`bulk_invoice_id`]`(n)` = [`BULK_INVOICE_FIRST_ID`] `100001` + n | 106 / 208 | A | only with `bulk_invoices` > 0, n in `0..bulk_invoices`: Boleto, [`bulk_invoice_cents`]`(n)` (59.90 to 60.06), due [`bulk_invoice_due`]`(n)` (2026-05-25 to 2026-08-22, never overdue) |
//!
//! Contracts (`cliente_contrato.id`): `201` (101, active), `202` (102, active), `203` (103,
//! active), [`CONTRACT_UNLOCK_ELIGIBLE`] `204` (104, blocked CA), [`CONTRACT_UNLOCK_USED`]
//! `205` (104, blocked CA, trust unlock used on 2026-05-01 and still unpaid: answers 113),
//! [`CONTRACT_INACTIVE`] `206` (104, inactive: answers 109), `207` (105, desistente),
//! [`BULK_CUSTOMER_CONTRACT`] `208` (106, active; only with bulk invoices).
//! [`CONTRACT_MISSING`] `999` does not exist (answers 106); `201` is active (answers 107).
//!
//! Catalogues: plans (`vd_contratos`) 1-4 (4 inactive) and sellers (`vendedor`) 1-3 (3
//! inactive) from the shared [`catalogue`]; ticket subjects (`su_oss_assunto`) 1-6 (6
//! inactive), departments (`su_ticket_setor`) 1-3, payment terms (`condicoes_pagamento`) 1-4,
//! cities (`cidade`) and states (`uf`), one `empresa`, RADIUS logins (`radusuarios`), fiscal
//! notes (`vd_saida` with `modelo_nf` 21/55), a ticket and a lead.

pub use crate::people::{
    BLOCKED_CUSTOMER_CPF, BLOCKED_CUSTOMER_CPF_DIGITS, BLOCKED_CUSTOMER_ID, BLOCKED_INVOICE_NEWEST,
    BLOCKED_INVOICE_OLDEST, BULK_CUSTOMER_CONTRACT, BULK_CUSTOMER_CPF, BULK_CUSTOMER_CPF_DIGITS, BULK_CUSTOMER_ID,
    BULK_CUSTOMER_NAME, COMPANY_CNPJ, COMPANY_CNPJ_DIGITS, COMPANY_CONTRACT, COMPANY_ID, COMPANY_INVOICE_GATEWAY,
    COMPANY_INVOICE_PAID, CONTRACT_INACTIVE, CONTRACT_MISSING, CONTRACT_UNLOCK_ELIGIBLE, CONTRACT_UNLOCK_USED,
    CUSTOMER_CONTRACT, CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, CUSTOMER_EMAIL, CUSTOMER_ID, CUSTOMER_MOBILE, CUSTOMER_NAME,
    CUSTOMER_NO_INVOICES_CPF, CUSTOMER_NO_INVOICES_CPF_DIGITS, CUSTOMER_NO_INVOICES_ID, INACTIVE_CUSTOMER_CPF,
    INACTIVE_CUSTOMER_ID, INVOICE_CANCELLED, INVOICE_OPEN, INVOICE_OPEN_OVERDUE, INVOICE_PAID, INVOICE_PARTIAL,
    INVOICE_PIX, PROVIDER_CNPJ, PROVIDER_NAME, REFERENCE_DATE, REFERENCE_TIME, UNKNOWN_CPF, USED_UNLOCK_INVOICE,
};
use chrono::NaiveDate;

use super::finance;
use super::store::Store;
use crate::{catalogue, payment};

/// Open boleto not released to the customer (`liberado` N): adapters must hide it.
pub const INVOICE_HIDDEN: &str = "1005";
/// The garbage IXC holds in [`INVOICE_PIX`]'s `linha_digitavel` (a truncated line).
pub const INVOICE_PIX_GARBAGE_LINE: &str = "00190.00009 03128.557000";

/// Days a trust unlock lasts.
pub const TRUST_UNLOCK_DAYS: u64 = 3;

/// Bank of every boleto: Banco do Brasil.
pub const BANK_CODE: &str = "001";
/// Banco do Brasil "convênio" (7 digits) leading every nosso número.
pub const BANK_AGREEMENT: &str = "3128557";

/// The id of the first bulk invoice ([`bulk_invoice_id`]`(0)`); the others follow it.
pub const BULK_INVOICE_FIRST_ID: u32 = 100_001;

/// The id of bulk invoice `n` (from 0): `"100001"`, `"100002"`, ... Exists when
/// `n < IxcConfig::bulk_invoices`.
pub fn bulk_invoice_id(n: u32) -> String {
    (u64::from(BULK_INVOICE_FIRST_ID) + u64::from(n)).to_string()
}

/// Bulk invoice `n`'s amount in cents: 59.90 plus `n % 17` cents.
pub fn bulk_invoice_cents(n: u32) -> u64 {
    5990 + u64::from(n % 17)
}

/// Bulk invoice `n`'s due date: 10 to 99 days after [`REFERENCE_DATE`] (`10 + n % 90`).
pub fn bulk_invoice_due(n: u32) -> NaiveDate {
    let today = reference_date();
    today.checked_add_days(chrono::Days::new(10 + u64::from(n % 90))).unwrap_or(today)
}

/// [`REFERENCE_DATE`] as a date.
pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 15).unwrap_or_default()
}

/// The simulator's clock as IXC stamps it: `2026-05-15 09:00:00`.
pub(crate) fn now_stamp() -> String {
    format!("{REFERENCE_DATE} {REFERENCE_TIME}")
}

/// The boleto "nosso número" of an invoice: agreement + the id on 10 digits (17 digits).
pub fn nosso_numero(invoice_id: &str) -> String {
    format!("{BANK_AGREEMENT}{:0>10}", invoice_id)
}

/// The 25-digit free field of an invoice's boleto (Banco do Brasil, 7-digit agreement
/// layout: six zeros, nosso número, wallet 17).
pub(crate) fn free_field(invoice_id: &str) -> String {
    format!("000000{}17", nosso_numero(invoice_id))
}

/// The PIX txid IXC's gateway assigns to an invoice (32 characters).
pub fn pix_txid(invoice_id: &str) -> String {
    format!("PONTESIMIXC{:0>21}", invoice_id)
}

/// `(column, value)` pairs with any value type.
macro_rules! cols {
    ($($column:literal => $value:expr),* $(,)?) => {
        vec![$(($column, ($value).to_string())),*]
    };
}

/// Builds the dataset, with `bulk_invoices` open boletos of the bulk customer (none, and no
/// bulk customer, when 0).
pub(crate) fn store(bulk_invoices: u32) -> Store {
    let mut store = Store::empty();
    let stamp = now_stamp();
    seed_catalogues(&mut store);
    seed_customers(&mut store, &stamp);
    seed_contracts(&mut store, &stamp);
    seed_invoices(&mut store, &stamp);
    seed_others(&mut store, &stamp);
    if bulk_invoices > 0 {
        seed_bulk(&mut store, &stamp, bulk_invoices);
    }
    store
}

/// The bulk customer, its contract and `count` open boletos. Rows are seeded already in their
/// open state (status A, nothing received), so no per-invoice recompute runs: building 10,000
/// stays linear.
fn seed_bulk(store: &mut Store, stamp: &str, count: u32) {
    seed(
        store,
        "cliente",
        cols! {
            "id" => BULK_CUSTOMER_ID, "razao" => BULK_CUSTOMER_NAME, "cnpj_cpf" => BULK_CUSTOMER_CPF,
            "tipo_pessoa" => "F", "ativo" => "S", "data_nascimento" => "1990-09-09", "email" => "bruno.carga@example.com",
            "telefone_celular" => "(11) 96666-1234", "whatsapp" => "11966661234", "endereco" => "Rua da Consolação",
            "numero" => "2000", "bairro" => "Consolação", "cidade" => "3828", "uf" => "25", "cep" => "01302-001",
            "data_cadastro" => "2025-01-15", "id_vendedor" => "1", "cond_pagamento" => "2",
            "ultima_atualizacao" => stamp,
        },
    );
    seed(
        store,
        "cliente_contrato",
        cols! {
            "id" => BULK_CUSTOMER_CONTRACT, "tipo" => "I", "id_cliente" => BULK_CUSTOMER_ID, "id_vd_contrato" => "1",
            "contrato" => "Fibra 300 Mega", "id_tipo_contrato" => "1", "id_modelo" => "1", "id_filial" => "1",
            "data" => "2025-01-20", "data_ativacao" => "2025-01-20", "pago_ate_data" => "2026-05-10",
            "status" => "A", "status_internet" => "A", "status_velocidade" => "N", "id_tipo_documento" => "501",
            "id_carteira_cobranca" => "1", "id_vendedor" => "1", "cc_previsao" => "M", "tipo_cobranca" => "P",
            "renovacao_automatica" => "S", "base_geracao_tipo_doc" => "P", "bloqueio_automatico" => "S",
            "aviso_atraso" => "S", "desbloqueio_confianca" => "S", "desbloqueio_confianca_ativo" => "N",
            "endereco_padrao_cliente" => "S", "dia_fixo_vencimento" => "10", "ultima_atualizacao" => stamp,
        },
    );
    let emissao = iso(reference_date());
    let Some(table) = store.table_mut("fn_areceber") else {
        debug_assert!(false, "no table fn_areceber");
        return;
    };
    table.rows.reserve(usize::try_from(count).unwrap_or(0));
    // One template with every common column, cloned per invoice: seeding each row column by
    // column is some 10x slower.
    let mut template = table.blank_row();
    let common = cols! {
        "id_cliente" => BULK_CUSTOMER_ID, "id_contrato" => BULK_CUSTOMER_CONTRACT, "liberado" => "S",
        "status" => "A", "valor_recebido" => "0.00", "data_emissao" => emissao, "tipo_recebimento" => "Boleto",
        "id_conta" => "12", "id_carteira_cobranca" => "1", "ultima_atualizacao" => stamp,
    };
    for (column, value) in common {
        put(&mut template, column, value);
    }
    for n in 0..count {
        let id = bulk_invoice_id(n);
        let cents = bulk_invoice_cents(n);
        let due = bulk_invoice_due(n);
        let valor = payment::cents_dot(cents);
        let line =
            payment::bank_boleto(BANK_CODE, due, cents, &free_field(&id)).map(|b| b.line_formatted).unwrap_or_default();
        let mut row = template.clone();
        put(&mut row, "valor_aberto", valor.clone());
        put(&mut row, "valor", valor);
        put(&mut row, "data_vencimento", iso(due));
        put(&mut row, "nn_boleto", nosso_numero(&id));
        put(&mut row, "linha_digitavel", line);
        put(&mut row, "obs", format!("Fatura de carga {}", n + 1));
        put(&mut row, "documento", id.clone());
        put(&mut row, "id", id);
        table.seed_row(row);
    }
}

/// Replaces the value of a column the row already has (no key allocation).
fn put(row: &mut super::store::Row, column: &str, value: String) {
    if let Some(slot) = row.get_mut(column) {
        *slot = value;
    } else {
        debug_assert!(false, "no column {column}");
    }
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn seed(store: &mut Store, table: &str, values: Vec<(&str, String)>) {
    if let Some(t) = store.table_mut(table) {
        t.seed(&values);
    } else {
        debug_assert!(false, "no table {table}");
    }
}

fn seed_catalogues(store: &mut Store) {
    for (id, sigla, nome) in [("25", "SP", "São Paulo"), ("24", "SC", "Santa Catarina")] {
        seed(store, "uf", cols! { "id" => id, "sigla" => sigla, "nome" => nome });
    }
    for (id, nome, uf) in [("3828", "São Paulo", "25"), ("3550", "Campinas", "25"), ("4205", "Florianópolis", "24")] {
        seed(store, "cidade", cols! { "id" => id, "nome" => nome, "uf" => uf });
    }
    seed(
        store,
        "empresa",
        cols! {
            "id" => "1", "razao" => PROVIDER_NAME, "fantasia" => "Ponte Fibra", "cnpj" => PROVIDER_CNPJ,
        },
    );
    for plan in catalogue::PLANS {
        seed(
            store,
            "vd_contratos",
            cols! {
                "id" => plan.id, "tipo" => "I", "nome" => plan.name, "descricao" => plan.description,
                "valor_contrato" => payment::cents_dot(plan.price_cents), "Ativo" => if plan.active { "S" } else { "N" },
                "id_tipo_documento" => "501", "id_carteira_cobranca" => "1", "id_filial" => "1", "moeda" => "R$",
            },
        );
    }
    for seller in catalogue::SELLERS {
        seed(
            store,
            "vendedor",
            cols! {
                "id" => seller.id, "nome" => seller.name, "comissao" => "3.00", "id_cidade" => "3828",
                "cnpj_cpf" => seller.taxvat, "email" => seller.email, "status" => if seller.active { "A" } else { "I" },
            },
        );
    }
    for (id, assunto, ativo) in [
        ("1", "Sem conexão", "S"),
        ("2", "Lentidão", "S"),
        ("3", "Financeiro - 2ª via de boleto", "S"),
        ("4", "Mudança de endereço", "S"),
        ("5", "Cancelamento", "S"),
        ("6", "Assunto antigo (desativado)", "N"),
    ] {
        seed(
            store,
            "su_oss_assunto",
            cols! {
                "id" => id, "assunto" => assunto, "ativo" => ativo, "layout_impressao" => "1", "numero_de_vias" => "1",
                "exige_comodato_finalizar_os" => "N", "exige_produto_finalizar_os" => "N",
            },
        );
    }
    for (id, setor) in [("1", "Suporte Técnico"), ("2", "Financeiro"), ("3", "Comercial")] {
        seed(store, "su_ticket_setor", cols! { "id" => id, "setor" => setor });
    }
    for (id, condicao, dia) in [
        ("1", "Vencimento dia 05", "5"),
        ("2", "Vencimento dia 10", "10"),
        ("3", "Vencimento dia 15", "15"),
        ("4", "Vencimento dia 20", "20"),
    ] {
        seed(store, "condicoes_pagamento", cols! { "id" => id, "condicao" => condicao, "dia_vencimento" => dia });
    }
}

fn seed_customers(store: &mut Store, stamp: &str) {
    seed(
        store,
        "cliente",
        cols! {
            "id" => CUSTOMER_ID, "razao" => CUSTOMER_NAME, "fantasia" => "", "cnpj_cpf" => CUSTOMER_CPF,
            "tipo_pessoa" => "F", "ativo" => "S", "ie_identidade" => "32.456.789-1", "data_nascimento" => "1985-07-22",
            "email" => CUSTOMER_EMAIL, "hotsite_email" => CUSTOMER_EMAIL, "telefone_celular" => CUSTOMER_MOBILE,
            "fone" => "(11) 3456-7890", "whatsapp" => "11987654321", "endereco" => "Rua das Palmeiras",
            "numero" => "123", "complemento" => "Apto 45", "bairro" => "Jardim Paulista", "cidade" => "3828",
            "uf" => "25", "cep" => "01415-001", "data_cadastro" => "2023-02-14", "id_vendedor" => "1",
            "cond_pagamento" => "2", "ultima_atualizacao" => stamp,
        },
    );
    seed(
        store,
        "cliente",
        cols! {
            "id" => CUSTOMER_NO_INVOICES_ID, "razao" => "João Pereira Santos", "cnpj_cpf" => CUSTOMER_NO_INVOICES_CPF,
            "tipo_pessoa" => "F", "ativo" => "S", "data_nascimento" => "1992-01-30", "email" => "joao.santos@example.com",
            "telefone_celular" => "(19) 99123-4567", "whatsapp" => "", "endereco" => "Avenida Brasil", "numero" => "900",
            "bairro" => "Centro", "cidade" => "3550", "uf" => "25", "cep" => "13010-100", "data_cadastro" => "2026-05-02",
            "id_vendedor" => "2", "ultima_atualizacao" => stamp,
        },
    );
    seed(
        store,
        "cliente",
        cols! {
            "id" => COMPANY_ID, "razao" => "Padaria Pão de Mel Ltda", "fantasia" => "Padaria Pão de Mel",
            "cnpj_cpf" => COMPANY_CNPJ, "tipo_pessoa" => "J", "ativo" => "S", "ie_identidade" => "ISENTO",
            "contribuinte_icms" => "I", "email" => "financeiro@paodemel.example", "telefone_comercial" => "(11) 3222-1100",
            "telefone_celular" => "", "fone" => "(11) 3222-1100", "whatsapp" => "11932221100",
            "endereco" => "Rua Augusta", "numero" => "1500", "complemento" => "Loja 2", "bairro" => "Consolação",
            "cidade" => "3828", "uf" => "25", "cep" => "01304-001", "data_cadastro" => "2024-08-01",
            "tipo_assinante" => "1", "id_vendedor" => "2", "ultima_atualizacao" => stamp,
        },
    );
    seed(
        store,
        "cliente",
        cols! {
            "id" => BLOCKED_CUSTOMER_ID, "razao" => "Carlos Eduardo Lima", "cnpj_cpf" => BLOCKED_CUSTOMER_CPF,
            "tipo_pessoa" => "F", "ativo" => "S", "data_nascimento" => "1978-11-03", "email" => "carlos.lima@example.com",
            "telefone_celular" => "(48) 99876-5432", "whatsapp" => "48998765432", "endereco" => "Rua Bocaiúva",
            "numero" => "77", "bairro" => "Centro", "cidade" => "4205", "uf" => "24", "cep" => "88015-530",
            "data_cadastro" => "2022-06-20", "alerta" => "Cliente com faturas em atraso: encaminhar ao financeiro.",
            "obs" => "Negociação de débitos em andamento.", "ultima_atualizacao" => stamp,
        },
    );
    seed(
        store,
        "cliente",
        cols! {
            "id" => INACTIVE_CUSTOMER_ID, "razao" => "Ana Beatriz Costa", "cnpj_cpf" => INACTIVE_CUSTOMER_CPF,
            "tipo_pessoa" => "F", "ativo" => "N", "data_nascimento" => "2000-03-12", "email" => "ana.costa@example.com",
            "telefone_celular" => "(11) 97777-0000", "endereco" => "Rua Vergueiro", "numero" => "10", "bairro" => "Liberdade",
            "cidade" => "3828", "uf" => "25", "cep" => "01504-000", "data_cadastro" => "2021-01-10",
            "ultima_atualizacao" => stamp,
        },
    );
}

/// One contract's specific values; the rest is common.
struct ContractSeed {
    id: &'static str,
    cliente: &'static str,
    /// The plan (`vd_contratos.id`), from the shared catalogue.
    plan: u64,
    status: &'static str,
    status_internet: &'static str,
    data_ativacao: &'static str,
    pago_ate_data: &'static str,
    unlock_active: &'static str,
    last_unlock: &'static str,
}

fn seed_contracts(store: &mut Store, stamp: &str) {
    let contracts = [
        ContractSeed {
            id: CUSTOMER_CONTRACT,
            cliente: CUSTOMER_ID,
            plan: 1,
            status: "A",
            status_internet: "A",
            data_ativacao: "2023-02-20",
            pago_ate_data: "2026-03-10",
            unlock_active: "N",
            last_unlock: "",
        },
        ContractSeed {
            id: "202",
            cliente: CUSTOMER_NO_INVOICES_ID,
            plan: 2,
            status: "A",
            status_internet: "A",
            data_ativacao: "2026-05-05",
            pago_ate_data: "",
            unlock_active: "N",
            last_unlock: "",
        },
        ContractSeed {
            id: COMPANY_CONTRACT,
            cliente: COMPANY_ID,
            plan: 3,
            status: "A",
            status_internet: "A",
            data_ativacao: "2024-08-05",
            pago_ate_data: "2026-04-25",
            unlock_active: "N",
            last_unlock: "",
        },
        ContractSeed {
            id: CONTRACT_UNLOCK_ELIGIBLE,
            cliente: BLOCKED_CUSTOMER_ID,
            plan: 1,
            status: "A",
            status_internet: "CA",
            data_ativacao: "2022-06-25",
            pago_ate_data: "2026-03-05",
            unlock_active: "N",
            last_unlock: "",
        },
        ContractSeed {
            id: CONTRACT_UNLOCK_USED,
            cliente: BLOCKED_CUSTOMER_ID,
            plan: 2,
            status: "A",
            status_internet: "CA",
            data_ativacao: "2023-09-01",
            pago_ate_data: "2026-03-15",
            unlock_active: "N",
            last_unlock: "2026-05-01",
        },
        ContractSeed {
            id: CONTRACT_INACTIVE,
            cliente: BLOCKED_CUSTOMER_ID,
            plan: 4,
            status: "I",
            status_internet: "D",
            data_ativacao: "2019-04-01",
            pago_ate_data: "2021-12-10",
            unlock_active: "N",
            last_unlock: "",
        },
        ContractSeed {
            id: "207",
            cliente: INACTIVE_CUSTOMER_ID,
            plan: 1,
            status: "D",
            status_internet: "D",
            data_ativacao: "2021-01-15",
            pago_ate_data: "2022-10-10",
            unlock_active: "N",
            last_unlock: "",
        },
    ];
    for c in contracts {
        let blocked_on = if c.status_internet == "CA" { "2026-04-20" } else { "" };
        seed(
            store,
            "cliente_contrato",
            cols! {
                "id" => c.id, "tipo" => "I", "id_cliente" => c.cliente, "id_vd_contrato" => c.plan,
                "contrato" => catalogue::plan(c.plan).name, "id_tipo_contrato" => "1", "id_modelo" => "1", "id_filial" => "1",
                "data" => c.data_ativacao, "data_ativacao" => c.data_ativacao, "pago_ate_data" => c.pago_ate_data,
                "status" => c.status, "status_internet" => c.status_internet, "status_velocidade" => "N",
                "id_tipo_documento" => "501", "id_carteira_cobranca" => "1", "id_vendedor" => "1", "cc_previsao" => "M",
                "tipo_cobranca" => "P", "renovacao_automatica" => "S", "base_geracao_tipo_doc" => "P",
                "bloqueio_automatico" => "S", "aviso_atraso" => "S", "desbloqueio_confianca" => "S",
                "desbloqueio_confianca_ativo" => c.unlock_active, "dt_ult_des_bloq_conf" => c.last_unlock,
                "dt_ult_bloq_auto" => blocked_on, "endereco_padrao_cliente" => "S", "dia_fixo_vencimento" => "10",
                "alerta_contrato" => if c.id == CONTRACT_UNLOCK_USED { "Desbloqueio de confiança já utilizado." } else { "" },
                "ultima_atualizacao" => stamp,
            },
        );
    }
}

/// One invoice's specific values; the rest follows from them.
struct InvoiceSeed {
    id: &'static str,
    cliente: &'static str,
    contrato: &'static str,
    valor_cents: u64,
    emissao: &'static str,
    vencimento: &'static str,
    tipo: &'static str,
    liberado: &'static str,
    obs: &'static str,
}

fn seed_invoices(store: &mut Store, stamp: &str) {
    let invoices = [
        InvoiceSeed {
            id: INVOICE_OPEN_OVERDUE,
            cliente: CUSTOMER_ID,
            contrato: CUSTOMER_CONTRACT,
            valor_cents: 9990,
            emissao: "2026-03-31",
            vencimento: "2026-04-10",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 04/2026",
        },
        InvoiceSeed {
            id: INVOICE_OPEN,
            cliente: CUSTOMER_ID,
            contrato: CUSTOMER_CONTRACT,
            valor_cents: 9990,
            emissao: "2026-05-11",
            vencimento: "2026-06-10",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 06/2026",
        },
        InvoiceSeed {
            id: INVOICE_PAID,
            cliente: CUSTOMER_ID,
            contrato: CUSTOMER_CONTRACT,
            valor_cents: 9990,
            emissao: "2026-02-28",
            vencimento: "2026-03-10",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 03/2026",
        },
        InvoiceSeed {
            id: INVOICE_CANCELLED,
            cliente: CUSTOMER_ID,
            contrato: CUSTOMER_CONTRACT,
            valor_cents: 9990,
            emissao: "2026-01-31",
            vencimento: "2026-02-10",
            tipo: "Boleto",
            liberado: "S",
            obs: "Cancelada: cobrança em duplicidade",
        },
        InvoiceSeed {
            id: INVOICE_HIDDEN,
            cliente: CUSTOMER_ID,
            contrato: CUSTOMER_CONTRACT,
            valor_cents: 9990,
            emissao: "2026-05-14",
            vencimento: "2026-07-10",
            tipo: "Boleto",
            liberado: "N",
            obs: "Referente a 07/2026",
        },
        InvoiceSeed {
            id: INVOICE_PARTIAL,
            cliente: CUSTOMER_ID,
            contrato: CUSTOMER_CONTRACT,
            valor_cents: 12990,
            emissao: "2026-04-30",
            vencimento: "2026-05-10",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 05/2026 + taxa de visita técnica",
        },
        InvoiceSeed {
            id: INVOICE_PIX,
            cliente: CUSTOMER_ID,
            contrato: CUSTOMER_CONTRACT,
            valor_cents: 9990,
            emissao: "2026-05-10",
            vencimento: "2026-05-20",
            tipo: "Pix",
            liberado: "S",
            obs: "Upgrade de plano (proporcional)",
        },
        InvoiceSeed {
            id: COMPANY_INVOICE_GATEWAY,
            cliente: COMPANY_ID,
            contrato: COMPANY_CONTRACT,
            valor_cents: 19990,
            emissao: "2026-05-15",
            vencimento: "2026-05-25",
            tipo: "Gateway",
            liberado: "S",
            obs: "Referente a 05/2026",
        },
        InvoiceSeed {
            id: COMPANY_INVOICE_PAID,
            cliente: COMPANY_ID,
            contrato: COMPANY_CONTRACT,
            valor_cents: 19990,
            emissao: "2026-04-15",
            vencimento: "2026-04-25",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 04/2026",
        },
        InvoiceSeed {
            id: BLOCKED_INVOICE_OLDEST,
            cliente: BLOCKED_CUSTOMER_ID,
            contrato: CONTRACT_UNLOCK_ELIGIBLE,
            valor_cents: 9990,
            emissao: "2026-03-26",
            vencimento: "2026-04-05",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 04/2026",
        },
        InvoiceSeed {
            id: BLOCKED_INVOICE_NEWEST,
            cliente: BLOCKED_CUSTOMER_ID,
            contrato: CONTRACT_UNLOCK_ELIGIBLE,
            valor_cents: 9990,
            emissao: "2026-04-25",
            vencimento: "2026-05-05",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 05/2026",
        },
        InvoiceSeed {
            id: USED_UNLOCK_INVOICE,
            cliente: BLOCKED_CUSTOMER_ID,
            contrato: CONTRACT_UNLOCK_USED,
            valor_cents: 12990,
            emissao: "2026-04-05",
            vencimento: "2026-04-15",
            tipo: "Boleto",
            liberado: "S",
            obs: "Referente a 04/2026",
        },
    ];
    for inv in &invoices {
        let valor = payment::cents_dot(inv.valor_cents);
        let (nn_boleto, linha, gateway_link, pix_txid) = match inv.tipo {
            "Boleto" => {
                let due = NaiveDate::parse_from_str(inv.vencimento, "%Y-%m-%d").unwrap_or_else(|_| reference_date());
                let line = payment::bank_boleto(BANK_CODE, due, inv.valor_cents, &free_field(inv.id))
                    .map(|b| b.line_formatted)
                    .unwrap_or_default();
                (nosso_numero(inv.id), line, String::new(), String::new())
            }
            "Pix" => (String::new(), INVOICE_PIX_GARBAGE_LINE.to_owned(), String::new(), pix_txid(inv.id)),
            _ => (
                String::new(),
                String::new(),
                format!("https://pagamentos.ponte-demo.example/fatura/{}", inv.id),
                String::new(),
            ),
        };
        seed(
            store,
            "fn_areceber",
            cols! {
                "id" => inv.id, "id_cliente" => inv.cliente, "id_contrato" => inv.contrato, "liberado" => inv.liberado,
                "status" => "A", "valor" => valor, "valor_aberto" => valor, "valor_recebido" => "0.00",
                "data_emissao" => inv.emissao, "data_vencimento" => inv.vencimento, "documento" => inv.id,
                "id_saida" => "", "nn_boleto" => nn_boleto, "linha_digitavel" => linha, "gateway_link" => gateway_link,
                "pix_txid" => pix_txid, "tipo_recebimento" => inv.tipo, "obs" => inv.obs, "id_conta" => "12",
                "id_carteira_cobranca" => "1", "ultima_atualizacao" => stamp,
            },
        );
    }

    // Payments already posted before the simulator started (not counted as postings).
    for (id, invoice, data, valor, tipo) in [
        ("5001", INVOICE_PAID, "2026-03-09", "99.90", "Boleto"),
        ("5002", INVOICE_PARTIAL, "2026-05-08", "30.00", "Dinheiro"),
        ("5003", COMPANY_INVOICE_PAID, "2026-04-24", "199.90", "Boleto"),
    ] {
        seed(
            store,
            "fn_areceber_baixas",
            cols! {
                "id" => id, "id_receber" => invoice, "filial_id" => "1", "conta_" => "12", "id_conta" => "12",
                "tipo_recebimento" => tipo, "data" => data, "valor_parcela" => valor, "valor_total_recebido" => valor,
                "credito" => valor, "historico" => "Recebimento", "tipo_lanc" => "R", "previsao" => "N",
                "ultima_atualizacao" => format!("{data} 10:00:00"),
            },
        );
    }
    for inv in &invoices {
        finance::recompute_invoice(store, inv.id);
    }
    if let Some(row) = store.row_mut("fn_areceber", INVOICE_CANCELLED) {
        finance::cancel(row, "2026-02-05", "1");
    }
}

fn seed_others(store: &mut Store, stamp: &str) {
    for (id, cliente, contrato, login, online) in [
        ("301", CUSTOMER_ID, CUSTOMER_CONTRACT, "maria.silva", "S"),
        ("302", CUSTOMER_NO_INVOICES_ID, "202", "joao.santos", "S"),
        ("303", COMPANY_ID, COMPANY_CONTRACT, "paodemel", "S"),
        ("304", BLOCKED_CUSTOMER_ID, CONTRACT_UNLOCK_ELIGIBLE, "carlos.lima", "N"),
        ("305", BLOCKED_CUSTOMER_ID, CONTRACT_UNLOCK_USED, "carlos.lima2", "N"),
    ] {
        seed(
            store,
            "radusuarios",
            cols! {
                "id" => id, "id_cliente" => cliente, "id_contrato" => contrato, "login" => login, "senha" => "",
                "online" => online, "ultima_conexao_inicial" => "2026-05-14 22:10:00",
            },
        );
    }
    for (id, cliente, contrato, emissao, numero, modelo, valor) in [
        ("7001", CUSTOMER_ID, CUSTOMER_CONTRACT, "2026-03-31", "1203", "21", "99.90"),
        ("7002", CUSTOMER_ID, CUSTOMER_CONTRACT, "2026-02-28", "1104", "21", "99.90"),
        ("7003", COMPANY_ID, COMPANY_CONTRACT, "2026-04-15", "88", "55", "199.90"),
    ] {
        seed(
            store,
            "vd_saida",
            cols! {
                "id" => id, "id_tipo_documento" => "501", "id_cliente" => cliente, "id_condicao_pagamento" => "2",
                "filial_id" => "1", "data_emissao" => emissao, "data_saida" => emissao, "valor_total" => valor,
                "documento" => numero, "status" => "F", "numero_nf" => numero, "modelo_nf" => modelo, "serie" => "1",
                "id_contrato" => contrato, "gera_estoque" => "N", "modalidade_frete" => "9", "id_comissionado" => "1",
            },
        );
    }
    store.protocol_seq = 1;
    seed(
        store,
        "su_ticket",
        cols! {
            "id" => "3001", "tipo" => "C", "protocolo" => format!("{}000001", REFERENCE_DATE.replace('-', "")),
            "id_cliente" => CUSTOMER_ID, "id_contrato" => CUSTOMER_CONTRACT, "id_assunto" => "2",
            "titulo" => "Lentidão à noite", "id_ticket_setor" => "1", "prioridade" => "M",
            "menssagem" => "Cliente relata lentidão entre 20h e 23h.", "su_status" => "N", "status" => "N",
            "data_criacao" => "2026-05-12 18:30:00", "ultima_atualizacao" => stamp,
        },
    );
    seed(
        store,
        "contato",
        cols! {
            "id" => "4001", "nome" => "Fernanda Rocha", "data_cadastro" => "2026-05-10", "lead" => "S", "ativo" => "S",
            "fone_celular" => "(11) 95555-1234", "email" => "fernanda.rocha@example.com", "cidade" => "3828",
            "origem_source" => "site",
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ponte_contract::normalize::document::Document;

    #[test]
    fn company_documents_are_valid() {
        for cnpj in [COMPANY_CNPJ, PROVIDER_CNPJ, "11.222.333/0001-81"] {
            let doc = Document::parse(cnpj).expect("valid CNPJ");
            assert_eq!(doc.formatted(), cnpj);
        }
        assert_eq!(Document::parse(COMPANY_CNPJ).map(|d| d.as_str().to_owned()), Ok(COMPANY_CNPJ_DIGITS.to_owned()));
    }

    #[test]
    fn dataset_builds_with_consistent_invoices() {
        // Seeding checks every column name (debug assertion).
        let store = store(0);
        let invoice = |id: &str| store.row("fn_areceber", id).cloned().unwrap_or_default();
        let get = |id: &str, column: &str| invoice(id).get(column).cloned().unwrap_or_default();
        assert_eq!(get(INVOICE_PAID, "status"), "R");
        assert_eq!(get(INVOICE_PAID, "pagamento_data"), "2026-03-09");
        assert_eq!(get(INVOICE_PARTIAL, "status"), "P");
        assert_eq!(get(INVOICE_PARTIAL, "valor_aberto"), "99.90");
        assert_eq!(get(INVOICE_CANCELLED, "status"), "C");
        assert_eq!(get(INVOICE_CANCELLED, "valor_cancelado"), "99.90");
        assert_eq!(get(INVOICE_OPEN, "status"), "A");
        assert_eq!(get(INVOICE_OPEN, "pagamento_valor"), "");
        assert_eq!(get(INVOICE_PIX, "linha_digitavel"), INVOICE_PIX_GARBAGE_LINE);
    }

    #[test]
    fn bulk_invoices_are_open_valid_boletos_of_the_bulk_customer() {
        use ponte_contract::normalize::boleto::BoletoLine;

        assert!(store(0).row("cliente", BULK_CUSTOMER_ID).is_none(), "no bulk customer without bulk invoices");
        let started = std::time::Instant::now();
        let store = store(10_000);
        eprintln!("dataset with 10,000 bulk invoices built in {:?}", started.elapsed());
        let table = store.table("fn_areceber").expect("table");
        assert_eq!(table.rows_where("id_cliente", BULK_CUSTOMER_ID).len(), 10_000);
        assert_eq!(bulk_invoice_id(0), "100001");
        assert_eq!(bulk_invoice_id(9_999), "110000");
        for n in [0, 1, 16, 17, 89, 9_999] {
            let row = store.row("fn_areceber", &bulk_invoice_id(n)).expect("bulk invoice");
            let get = |column: &str| row.get(column).cloned().unwrap_or_default();
            assert_eq!(
                (get("status"), get("liberado"), get("tipo_recebimento")),
                ("A".into(), "S".into(), "Boleto".into())
            );
            assert_eq!(get("valor"), get("valor_aberto"));
            assert_eq!(get("id_contrato"), BULK_CUSTOMER_CONTRACT);
            assert!(bulk_invoice_due(n) > reference_date());
            let line = BoletoLine::parse(&get("linha_digitavel")).expect("valid line");
            assert_eq!(line.amount_cents(), Some(bulk_invoice_cents(n)));
            assert_eq!(line.due_date(), Some(bulk_invoice_due(n)));
        }
        assert_eq!(payment::cents_dot(bulk_invoice_cents(16)), "60.06");
        let contract = store.row("cliente_contrato", BULK_CUSTOMER_CONTRACT).expect("contract");
        assert_eq!(contract.get("status").map(String::as_str), Some("A"));
    }

    #[test]
    fn ids_and_txids_have_the_documented_shapes() {
        assert_eq!(nosso_numero("1001"), "31285570000001001");
        assert_eq!(free_field("1001").len(), 25);
        assert_eq!(pix_txid("1001").len(), 32);
        assert_eq!(reference_date().to_string(), REFERENCE_DATE);
    }
}
