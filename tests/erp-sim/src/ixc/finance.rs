//! Receivables actions: `get_boleto`, `get_pix`, the baixa
//! (`fn_areceber_recebimentos_baixas_novo`), `cancelar_financeiro` and `imprimir_nota`, and
//! how a payment changes an invoice.
//!
//! # Behaviour (ERPS.md §1.4-1.6; *inferred* where marked)
//!
//! - **Baixa**: needs `id_receber`, `data` as `dd/mm/yyyy`, a bank account (`id_conta` or
//!   `conta_`) and the amount (`valor_total_recebido`, else `valor_parcela`) as `"26.00"` or
//!   `"0,20"`; anything else is a business error (HTTP 200 `{"type":"error"}`). Requiring the
//!   account is *inferred* (every documented client sends it). It adds a row to
//!   `fn_areceber_baixas` and recomputes the invoice: `valor_recebido` is the sum of its
//!   payments, `valor_aberto` what is left, `status` R when nothing is left (P when something
//!   is), `pagamento_data`/`baixa_data`/`credito_data` the latest payment's date. It answers
//!   `{"type":"success","message":...,"id":"<payment id>"}` (S1 documents no answer; shape
//!   *inferred* from the other inserts).
//! - **A baixa of an invoice already paid is accepted** and recorded as a second payment
//!   (`valor_recebido` then exceeds `valor`; the status stays R). IXC records whatever an
//!   operator posts; nothing in the docs says it refuses (*inferred*). That is exactly why
//!   Ponte must never post one payment twice. A cancelled invoice (C) refuses payments.
//! - Paying off a contract's last overdue invoice lifts an automatic block (`status_internet`
//!   CA or FA back to A) and ends an active trust unlock, as IXC's automatic unblocking does
//!   (*inferred*).
//! - **`get_boleto`** works only for `tipo_recebimento` "Boleto" (\[H\] S1); others (and
//!   cancelled invoices) get a business error. `tipo_boleto`: `dados` → an array with one
//!   object per id; `arquivo` → a PDF, as raw base64 text (`base64` S; or JSON
//!   `{"base64":...}` with [`IxcConfig::boleto_base64_json`](super::IxcConfig)) or raw bytes
//!   (`base64` N or absent, *inferred* default); `mail`/`sms` → `{"registros":[{"sucesso":true}]}`.
//!   With `atualiza_boleto` S and `juro`/`multa` S, an overdue boleto is recomputed to today
//!   (2% fine, 1% a month interest pro rata, *inferred* rates) with a new line; with
//!   `atualiza_boleto` S a partly paid boleto is reissued for what is open. In `dados`,
//!   `data_vencimento` is `dd/mm/yyyy` and `valor_boleto` `"99,90"` as printed on the slip
//!   (*inferred*).
//! - **`get_pix`** answers S1's nested shape for any open invoice (A or P) whatever its
//!   `tipo_recebimento` (IXC's PIX gateway charges the boleto too): `pix.qrCode.qrcode` and
//!   `pix.dadosPix.pixCopiaECola` hold the same valid dynamic BR Code. Paid, cancelled and
//!   unknown invoices get a business error (*inferred*). The invoice's `pix_txid` is set.
//! - **`cancelar_financeiro`** answers exactly S1's example, `"success": false` inside
//!   `dadosCancelamento` included even though it worked.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use super::data::{self, BANK_CODE, PROVIDER_NAME};
use super::params::Params;
use super::store::{Row, Store, field, set};
use super::{Reply, br_date, iso_date, parse_br_date, parse_iso_date};
use crate::payment::{self, PixSpec, cents_comma, cents_dot, parse_cents};
use crate::{Core, pdf};

/// Recomputes an invoice's payment columns from its rows in `fn_areceber_baixas`. Cancelled
/// invoices are left alone.
pub(crate) fn recompute_invoice(store: &mut Store, invoice_id: &str) {
    let payments = store.rows_where("fn_areceber_baixas", "id_receber", invoice_id);
    let received: u64 = payments.iter().filter_map(|p| parse_cents(field(p, "valor_total_recebido"))).sum();
    let last_date = payments.iter().map(|p| field(p, "data").to_owned()).max().unwrap_or_default();
    let via_pix = payments.iter().any(|p| field(p, "tipo_recebimento").eq_ignore_ascii_case("pix"));
    let Some(row) = store.row_mut("fn_areceber", invoice_id) else { return };
    if field(row, "status") == "C" {
        return;
    }
    let valor = parse_cents(field(row, "valor")).unwrap_or(0);
    let open = valor.saturating_sub(received);
    let status = if received == 0 {
        "A"
    } else if open == 0 {
        "R"
    } else {
        "P"
    };
    set(row, "status", status);
    set(row, "valor_recebido", cents_dot(received));
    set(row, "valor_aberto", cents_dot(open));
    let paid = |text: &str| if received == 0 { String::new() } else { text.to_owned() };
    set(row, "pagamento_valor", paid(&cents_dot(received)));
    set(row, "pagamento_data", paid(&last_date));
    set(row, "baixa_data", paid(&last_date));
    set(row, "credito_data", paid(&last_date));
    set(row, "recebido_via_pix", if via_pix { "S" } else { "N" });
}

/// Marks an invoice cancelled on `date` (ISO) for reason `motivo`.
pub(crate) fn cancel(row: &mut Row, date: &str, motivo: &str) {
    let open = field(row, "valor_aberto").to_owned();
    set(row, "status", "C");
    set(row, "valor_cancelado", open);
    set(row, "valor_aberto", "0.00");
    set(row, "data_cancelamento", date);
    set(row, "id_mot_cancelamento", motivo);
}

/// `POST fn_areceber_recebimentos_baixas_novo`.
pub(crate) fn baixa(store: &mut Store, core: &Core, params: &Params) -> Reply {
    let invoice_id = params.trimmed("id_receber");
    if invoice_id.is_empty() {
        return Reply::error("Informe a conta a receber (id_receber)!");
    }
    let Some(invoice) = store.row("fn_areceber", &invoice_id) else {
        return Reply::error(format!("Conta a receber {invoice_id} não encontrada!"));
    };
    if field(invoice, "status") == "C" {
        return Reply::error(format!("A conta a receber {invoice_id} está cancelada e não pode ser recebida!"));
    }
    let contract_id = field(invoice, "id_contrato").to_owned();
    let Some(date) = parse_br_date(&params.trimmed("data")) else {
        return Reply::error("Data do recebimento inválida! Informe no formato dd/mm/aaaa.");
    };
    let account = [params.trimmed("id_conta"), params.trimmed("conta_")].into_iter().find(|a| !a.is_empty());
    let Some(account) = account else {
        return Reply::error("Informe a conta bancária do recebimento (id_conta)!");
    };
    let amount_text =
        [params.trimmed("valor_total_recebido"), params.trimmed("valor_parcela")].into_iter().find(|v| !v.is_empty());
    let Some(amount_text) = amount_text else {
        return Reply::error("Informe o valor recebido!");
    };
    let Some(amount) = parse_cents(&amount_text).filter(|c| *c > 0) else {
        return Reply::error(format!("Valor recebido inválido: {amount_text}"));
    };

    let stamp = data::now_stamp();
    let Some(table) = store.table_mut("fn_areceber_baixas") else {
        return Reply::ServerError;
    };
    let mut row = table.blank_row();
    for key in params.keys() {
        if let Some(column) = table.spec.resolve(key) {
            set(&mut row, column, params.trimmed(key));
        }
    }
    set(&mut row, "id_receber", invoice_id.as_str());
    set(&mut row, "id_conta", account.as_str());
    set(&mut row, "data", iso_date(date));
    set(&mut row, "valor_total_recebido", cents_dot(amount));
    let parcela = parse_cents(&params.trimmed("valor_parcela")).unwrap_or(amount);
    set(&mut row, "valor_parcela", cents_dot(parcela));
    if field(&row, "tipo_lanc").is_empty() {
        set(&mut row, "tipo_lanc", "R");
    }
    if field(&row, "previsao").is_empty() {
        set(&mut row, "previsao", "N");
    }
    set(&mut row, "ultima_atualizacao", stamp.as_str());
    let payment_id = table.insert(row);

    recompute_invoice(store, &invoice_id);
    if let Some(invoice) = store.row_mut("fn_areceber", &invoice_id) {
        set(invoice, "ultima_atualizacao", stamp.as_str());
    }
    super::unlock::after_payment(store, &contract_id, &invoice_id);
    core.record_posting(&invoice_id);
    Reply::Json(json!({
        "type": "success",
        "message": "Recebimento efetuado com sucesso!",
        "id": payment_id,
    }))
}

/// One boleto as issued now: amount, due date, line and charges.
struct Slip {
    amount: u64,
    due: NaiveDate,
    line: String,
    barcode: String,
}

/// Issues the boleto of `invoice` with the `get_boleto` options.
fn issue(invoice: &Row, params: &Params) -> Option<Slip> {
    let id = field(invoice, "id");
    let valor = parse_cents(field(invoice, "valor"))?;
    let open = parse_cents(field(invoice, "valor_aberto")).unwrap_or(valor);
    let original_due = parse_iso_date(field(invoice, "data_vencimento"))?;
    let today = data::reference_date();
    let update = params.trimmed("atualiza_boleto").eq_ignore_ascii_case("S");
    let juro = params.trimmed("juro").eq_ignore_ascii_case("S");
    let multa = params.trimmed("multa").eq_ignore_ascii_case("S");

    let (amount, due) = if update && original_due < today && (juro || multa) {
        let days = u64::try_from((today - original_due).num_days()).unwrap_or(0);
        let fine = if multa { (open * 2 + 50) / 100 } else { 0 };
        // 1% a month, pro rata per day (30-day month).
        let interest = if juro { (open * days + 1500) / 3000 } else { 0 };
        (open + fine + interest, today)
    } else if update {
        (open, original_due)
    } else {
        (valor, original_due)
    };
    let boleto = payment::bank_boleto(BANK_CODE, due, amount, &data::free_field(id))?;
    Some(Slip { amount, due, line: boleto.line_formatted, barcode: boleto.barcode })
}

/// `get_boleto`.
pub(crate) fn get_boleto(store: &Store, base64_json: bool, params: &Params) -> Reply {
    let ids: Vec<String> =
        params.trimmed("boletos").split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    if ids.is_empty() {
        return Reply::error("Nenhum boleto informado!");
    }
    let mut invoices = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some(row) = store.row("fn_areceber", id) else {
            return Reply::error(format!("Boleto {id} não encontrado!"));
        };
        invoices.push(row);
    }
    let kind = params.trimmed("tipo_boleto").to_ascii_lowercase();
    if kind == "mail" || kind == "sms" {
        return Reply::Json(json!({ "registros": [{ "sucesso": true }] }));
    }
    let mut slips = Vec::with_capacity(invoices.len());
    for invoice in &invoices {
        let id = field(invoice, "id");
        let tipo = field(invoice, "tipo_recebimento");
        if tipo != "Boleto" {
            return Reply::error(format!(
                "O título {id} possui tipo de recebimento {tipo}. Somente títulos do tipo Boleto possuem boleto!"
            ));
        }
        if field(invoice, "status") == "C" {
            return Reply::error(format!("O título {id} está cancelado!"));
        }
        let Some(slip) = issue(invoice, params) else {
            return Reply::error(format!("Não foi possível gerar o boleto {id}!"));
        };
        slips.push(slip);
    }
    match kind.as_str() {
        "dados" => {
            let items: Vec<Value> =
                invoices.iter().zip(&slips).map(|(invoice, slip)| boleto_data(store, invoice, slip)).collect();
            Reply::Json(Value::Array(items))
        }
        "" | "arquivo" => {
            let pages: Vec<Vec<String>> =
                invoices.iter().zip(&slips).map(|(invoice, slip)| boleto_page(store, invoice, slip)).collect();
            let pdf = pdf::render(&format!("Boletos {}", ids.join(",")), &pages);
            if params.trimmed("base64").eq_ignore_ascii_case("S") {
                let encoded = BASE64.encode(&pdf);
                if base64_json { Reply::Json(json!({ "base64": encoded })) } else { Reply::Text(encoded) }
            } else {
                Reply::Pdf(pdf)
            }
        }
        other => Reply::error(format!("Tipo de boleto inválido: {other}")),
    }
}

/// The customer and place of an invoice, for slips.
struct Payer {
    name: String,
    document: String,
    address: String,
    cep: String,
    city: String,
    state: String,
}

fn payer(store: &Store, invoice: &Row) -> Payer {
    let Some(customer) = store.row("cliente", field(invoice, "id_cliente")) else {
        return Payer {
            name: String::new(),
            document: String::new(),
            address: String::new(),
            cep: String::new(),
            city: String::new(),
            state: String::new(),
        };
    };
    let city = store.row("cidade", field(customer, "cidade"));
    let state = store.row("uf", field(customer, "uf"));
    let mut address = format!("{}, {}", field(customer, "endereco"), field(customer, "numero"));
    for part in [field(customer, "complemento"), field(customer, "bairro")] {
        if !part.is_empty() {
            address.push_str(" - ");
            address.push_str(part);
        }
    }
    Payer {
        name: field(customer, "razao").to_owned(),
        document: field(customer, "cnpj_cpf").to_owned(),
        address,
        cep: field(customer, "cep").to_owned(),
        city: city.map(|c| field(c, "nome").to_owned()).unwrap_or_default(),
        state: state.map(|s| field(s, "sigla").to_owned()).unwrap_or_default(),
    }
}

const PAYMENT_PLACE: &str = "Pagável em qualquer banco até o vencimento";
const BRANCH_ACCOUNT: &str = "1234-5 / 12345-6";
const INSTRUCTION_CHARGES: &str = "Após o vencimento cobrar multa de 2,00% e juros de 1,00% ao mês";
const INSTRUCTION_LIMIT: &str = "Não receber após 90 dias do vencimento";

fn boleto_data(store: &Store, invoice: &Row, slip: &Slip) -> Value {
    let payer = payer(store, invoice);
    json!({
        "linha_digitavel": slip.line,
        "nosso_numero": field(invoice, "nn_boleto"),
        "numero_documento": field(invoice, "documento"),
        "data_vencimento": br_date(slip.due),
        "valor_boleto": cents_comma(slip.amount),
        "sacado": payer.name,
        "CPF": payer.document,
        "Endereco": payer.address,
        "CEP": payer.cep,
        "Cidade": payer.city,
        "Estado_sigla": payer.state,
        "local_pagamento": PAYMENT_PLACE,
        "linha1": format!("Fatura {} - {}", field(invoice, "id"), field(invoice, "obs")),
        "linha2": INSTRUCTION_CHARGES,
        "linha3": INSTRUCTION_LIMIT,
        "codigo_banco_com_dv": "001-9",
        "agencia_codigo": BRANCH_ACCOUNT,
        "cedente_nome": PROVIDER_NAME,
    })
}

fn boleto_page(store: &Store, invoice: &Row, slip: &Slip) -> Vec<String> {
    let payer = payer(store, invoice);
    vec![
        format!("BOLETO - {PROVIDER_NAME} (IXC Soft simulado)"),
        format!("Banco do Brasil 001-9    {}", slip.line),
        format!("Local de pagamento: {PAYMENT_PLACE}"),
        format!("Fatura: {}    Documento: {}", field(invoice, "id"), field(invoice, "documento")),
        format!("Nosso numero: {}    Agencia/Codigo: {BRANCH_ACCOUNT}", field(invoice, "nn_boleto")),
        format!("Vencimento: {}    Valor: R$ {}", br_date(slip.due), cents_comma(slip.amount)),
        format!("Sacado: {} - {}", payer.name, payer.document),
        format!("{} - CEP {} - {}/{}", payer.address, payer.cep, payer.city, payer.state),
        format!("Referente: {}", field(invoice, "obs")),
        INSTRUCTION_CHARGES.to_owned(),
        INSTRUCTION_LIMIT.to_owned(),
        format!("Codigo de barras: {}", slip.barcode),
    ]
}

/// The provider's PIX key (random key) shown in `dadosPix.chave`.
const PIX_KEY: &str = "0b5e3c4a-9f1d-4c2b-8a7e-6d5f4e3c2b1a";

/// `get_pix`.
pub(crate) fn get_pix(store: &mut Store, base_url: &str, params: &Params) -> Reply {
    let id = params.trimmed("id_areceber");
    let Some(invoice) = store.row("fn_areceber", &id) else {
        return Reply::error(format!("Conta a receber {id} não encontrada!"));
    };
    match field(invoice, "status") {
        "R" => return Reply::error(format!("A conta a receber {id} já foi recebida!")),
        "C" => return Reply::error(format!("A conta a receber {id} está cancelada!")),
        _ => {}
    }
    let Some(due) = parse_iso_date(field(invoice, "data_vencimento")) else {
        return Reply::error(format!("Conta a receber {id} sem data de vencimento!"));
    };
    let txid = data::pix_txid(&id);
    let location = format!("pix.ponte-demo.example/qr/v2/cobv/{}", txid.to_ascii_lowercase());
    let code = payment::pix_copia_e_cola(&PixSpec {
        location: &location,
        merchant_name: "PONTE DEMO TELECOM",
        merchant_city: "SAO PAULO",
    });
    let payer = payer(store, invoice);
    let document: String = payer.document.chars().filter(char::is_ascii_alphanumeric).collect();
    let debtor = if document.len() == 14 {
        json!({ "cnpj": document, "nome": payer.name })
    } else {
        json!({ "cpf": document, "nome": payer.name })
    };
    let expires = due.checked_add_days(Days::new(90)).unwrap_or(due);
    let created = format!("{}T{}", data::REFERENCE_DATE, data::REFERENCE_TIME);
    let loc_id: u64 = id.parse().map(|n: u64| 1_994_570_000 + n).unwrap_or(1_994_570_000);
    let answer = json!({
        "pix": {
            "dadosPix": {
                "revisao": 0,
                "loc": { "id": loc_id, "location": location, "tipoCob": "cobv", "criacao": format!("{created}.000Z") },
                "calendario": {
                    "criacao": format!("{created}Z"),
                    "dataDeVencimento": iso_date(due),
                    "validadeAposVencimento": 90,
                },
                "devedor": debtor,
                "valor": {
                    "original": field(invoice, "valor_aberto"),
                    "abatimento": [],
                    "juros": { "valorPerc": "0.03", "modalidade": 2 },
                    "multa": { "valorPerc": "2.00", "modalidade": 2 },
                },
                "chave": PIX_KEY,
                "txid": txid,
                "status": "ATIVA",
                "solicitacaoPagador": field(invoice, "obs"),
                "infoAdicionais": [],
                "pixCopiaECola": code,
                "expiracaoPix": format!("{} 00:00:00", br_date(expires)),
            },
            "qrCode": {
                "qrcode": code,
                "imagemQrcode": "",
                "imagemSrc": format!("{base_url}/api-module/webhook-pagamentos/pix/get-qr-code?code={txid}"),
            },
        },
        "gateway": { "gatewayNome": "MB" },
        "type": "success",
    });
    if let Some(row) = store.row_mut("fn_areceber", &id)
        && field(row, "pix_txid").is_empty()
    {
        set(row, "pix_txid", txid);
    }
    Reply::Json(answer)
}

/// `cancelar_financeiro`.
pub(crate) fn cancelar_financeiro(store: &mut Store, params: &Params) -> Reply {
    let id = params.trimmed("id");
    let Some(row) = store.row_mut("fn_areceber", &id) else {
        return Reply::error(format!("Conta a receber {id} não encontrada!"));
    };
    match field(row, "status") {
        "R" | "P" => {
            return Reply::error(format!("A conta a receber {id} possui recebimentos e não pode ser cancelada!"));
        }
        "C" => return Reply::error(format!("A conta a receber {id} já está cancelada!")),
        _ => {}
    }
    let Some(date) = parse_br_date(&params.trimmed("data_cancelamento")) else {
        return Reply::error("Data de cancelamento inválida! Informe no formato dd/mm/aaaa.");
    };
    let reason = params.trimmed("id_mot_cancelamento");
    cancel(row, &iso_date(date), &reason);
    set(row, "ultima_atualizacao", data::now_stamp());
    Reply::Json(json!({
        "dadosCancelamento": { "success": false, "idVenda": null },
        "message": format!("Contas à receber {id} cancelados com sucesso!<br />"),
        "type": "success",
    }))
}

/// `imprimir_nota`: the fiscal note's PDF, raw base64 text with `base64` S (*inferred*, like
/// `get_boleto`), raw bytes otherwise.
pub(crate) fn imprimir_nota(store: &Store, params: &Params) -> Reply {
    let id = params.trimmed("id");
    let Some(note) = store.row("vd_saida", &id) else {
        return Reply::error(format!("Nota {id} não encontrada!"));
    };
    let customer = store.row("cliente", field(note, "id_cliente"));
    let page = vec![
        format!("NOTA FISCAL modelo {} - {PROVIDER_NAME} (IXC Soft simulado)", field(note, "modelo_nf")),
        format!("Numero: {}    Serie: {}", field(note, "numero_nf"), field(note, "serie")),
        format!("Emissao: {}", field(note, "data_emissao")),
        format!(
            "Destinatario: {} - {}",
            customer.map(|c| field(c, "razao")).unwrap_or_default(),
            customer.map(|c| field(c, "cnpj_cpf")).unwrap_or_default()
        ),
        format!("Valor total: R$ {}", field(note, "valor_total")),
    ];
    let pdf = pdf::render(&format!("Nota {id}"), &[page]);
    if params.trimmed("base64").eq_ignore_ascii_case("S") { Reply::Text(BASE64.encode(&pdf)) } else { Reply::Pdf(pdf) }
}
