//! Títulos: `titulos`, `fatura2via`, `pagamento/pix`, `enviafatura`, the baixa
//! (`banco/titulo/{id}/baixar`), its reversal and cancellation, the Central do Assinante's
//! `central/titulos`, and the public boleto links.
//!
//! # Behaviour (ERPS.md §2.2-2.5; *inferred* where marked)
//!
//! - **`titulos`** needs one of `cpfcnpj`, `cliente_id`, `contrato`, `titulo_id`; an unknown
//!   customer or contract is a business error, a `titulo_id` that matches nothing an empty list
//!   (*inferred*). `status` `abertos`/`pagos`/`cancelados` (the singulars too: *inferred*),
//!   absent for all; `ordenar` `data_vencimento` (default), `data_emissao`, `data_pagamento`,
//!   `id`, `valor`, `numero_documento` with `ordenar_ordem` `asc` (default)/`desc`; date ranges
//!   inclusive, `AAAA-MM-DD` only. `offset`/`limit` (default and max 250, larger limits capped:
//!   *inferred*). Answer `{"status":1,"titulos":[...],"paginacao":{offset,limit,parcial,total}}`
//!   (\[M\] T5). Each título: `id`, `numeroDocumento` (≠ id), `portador`, `contrato`, `status`
//!   (`aberto`/`pago`/`cancelado`), `valor`, `valorCorrigido` (open amount plus 2% fine and 1% a
//!   month pro rata once late: *inferred* rates; no separate juros/multa, as ERPS.md says),
//!   `valorPago`, `diasAtraso`, `codigoBarras`, `codigoPix`, `link`, `link_cobranca`,
//!   `dataEmissao`, `dataVencimento`, `dataPagamento`, `dataCancelamento` (\[M\] T3).
//!   `codigoBarras` holds the **linha digitável** (47 digits, no mask) of the original boleto,
//!   not the 44-digit barcode: the key-name drift ERPS.md §2.5 warns about (*inferred* content).
//!   `codigoPix` is `""` for paid and cancelled títulos and for the payment-link portador;
//!   `link_cobranca` is set for that portador only (*inferred*).
//! - **`fatura2via`** (`cpfcnpj` or `contrato`): `fatura` picks one open título; `faturas_abertas_todas=1`
//!   lists every open one; otherwise the late ones plus the next one due (*inferred*: one
//!   client shows several links without the flag). `numero_documento` filters. Each link:
//!   `fatura`, `numero_documento`, `vencimento`, `vencimento_original`, `valor` (with fine and
//!   interest, \[M\]), `valor_original`, `linhadigitavel` (masked; for a late boleto a
//!   **reissued** line for `valor` due today: *inferred*, like IXC's `atualiza_boleto`),
//!   `codigopix`, `link`, `link_cobranca`; `link_pdf=1` appends `.pdf` to the links (\[H\]).
//!   The top-level `link` is the link of the newest título. **Unless `nao_gerar_os=1`, every
//!   call opens an ocorrência** (type [`OCORRENCIA_TYPE_SECOND_COPY`]) and answers its
//!   `protocolo` (\[H\] T1, \[M\]); with it `protocolo` is `""` (*inferred*). No open título:
//!   `{"status":0,"msg":...,"links":[]}` (reported by a tested client).
//! - **`pagamento/pix/{fatura}`** (`contrato` optional, checked when sent): `{"status":1,
//!   "fatura":...,"codigoPix":...,"valor":...,"vencimento":...}`: the key of the code is
//!   uncertain in ERPS.md (\[L\] T3 reads `codigoPix`, `pix` or `codigo`); this answers
//!   `codigoPix`. Paid, cancelled and payment-link títulos are business errors (*inferred*).
//! - **Baixa**, `POST banco/titulo/{id}/baixar/` (\[H\] params; the answer is NOT FOUND, so it is
//!   the generic `{"status":1,"msg":...}`): `data_pagamento` `AAAA-MM-DD` (required, not in
//!   the future), `valor_pago` (default: what is open), `forma_pagamento`
//!   DINHEIRO/CARTAO/DEBITO/PIX (default DINHEIRO), `desconto`, `tarifas`, `ponto_recebimento`,
//!   `observacao`, `liquidacao_parcial=1`. *Inferred* rules: paying at least the open principal
//!   (discount included) settles the título, interest is not enforced; less needs
//!   `liquidacao_parcial=1` and leaves it `aberto` with `valorPago` raised; **a paid título
//!   refuses another baixa** (`"Título ... já está liquidado."`), as does a cancelled one.
//!   Every accepted baixa is counted in [`Simulator::postings`](crate::Simulator::postings); a
//!   refused one is not. Paying off a suspended contract's last late título reactivates it.
//! - **`estornar`** removes every payment of a título (*inferred*: every portador allows it);
//!   **`cancelar`** needs `motivo` and a título without payments.
//! - **`central/titulos`**: `{"paginacao":{...},"faturas":[...]}` with lower-case keys (\[M\]
//!   T5): `id`, `numero_documento`, `vencimento`, `vencimento_atualizado`, `valor`,
//!   `valorcorrigido`, `status` (`Gerado`/`Pago`/`Cancelado`), `statusid` (1/2/3),
//!   `data_pagamento`, `codigopix`, `gerarpix`, `linhadigitavel` (the current line), `link`.
//! - **Links**: `link` is `<base>/boleto/<id>/<key>` (an HTML page) and `<...>.pdf` the boleto
//!   PDF; no auth, as links are sent to customers (*inferred* layout). The PDF shows the current
//!   slip (reissued when late), the PIX code, or "PAGO"/"CANCELADO".

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::data::{self, BANK_CODE, OCORRENCIA_TYPE_SECOND_COPY, PROVIDER_NAME};
use super::store::{Carrier, Payment, Store, Titulo, TituloStatus};
use super::{Ctx, Reply, Request, br_date, date_param, flag, id_param, iso_date, money_param, page_params, paginate};
use crate::payment::{self, BankBoleto, PixSpec, cents_comma};
use crate::{Core, pdf};

/// The original boleto of a título (boleto portador only).
fn original_boleto(t: &Titulo) -> Option<BankBoleto> {
    if t.carrier != Carrier::Boleto {
        return None;
    }
    payment::bank_boleto(BANK_CODE, t.due, t.amount_cents, &data::free_field(t.id))
}

/// The boleto as issued today: for a late título, reissued for the corrected value due today;
/// otherwise for what is open, due on its date. `None` for other portadores and closed títulos.
fn current_boleto(t: &Titulo, today: NaiveDate) -> Option<(u64, NaiveDate, BankBoleto)> {
    if t.carrier != Carrier::Boleto || t.status() != TituloStatus::Open {
        return None;
    }
    let amount = t.corrected_cents(today);
    let due = if t.is_overdue(today) { today } else { t.due };
    let boleto = payment::bank_boleto(BANK_CODE, due, amount, &data::free_field(t.id))?;
    Some((amount, due, boleto))
}

/// The título's PIX "copia e cola" (`""` when it can't be paid by PIX now).
fn pix_code(t: &Titulo) -> String {
    if !t.carrier.has_pix() || t.status() != TituloStatus::Open {
        return String::new();
    }
    let txid = data::pix_txid(&t.id.to_string());
    let location = format!("pix.ponte-demo.example/sgp/cobv/{}", txid.to_ascii_lowercase());
    payment::pix_copia_e_cola(&PixSpec {
        location: &location,
        merchant_name: "PONTE DEMO TELECOM",
        merchant_city: "SAO PAULO",
    })
}

/// `<base>/boleto/<id>/<key>`.
fn link(base_url: &str, t: &Titulo) -> String {
    let id = t.id.to_string();
    format!("{base_url}/boleto/{id}/{}", data::boleto_link_key(&id))
}

/// The gateway's payment page, for the payment-link portador.
fn link_cobranca(t: &Titulo) -> String {
    if t.carrier == Carrier::PaymentLink {
        format!("https://pagamentos.ponte-demo.example/fatura/{}", t.id)
    } else {
        String::new()
    }
}

/// A título as `/api/ura/titulos/` lists it (`with_link` false: as `/api/ura/clientes/`
/// embeds it).
pub(crate) fn titulo_json(ctx: &Ctx<'_>, t: &Titulo, with_link: bool) -> Value {
    let today = data::reference_date();
    let line = original_boleto(t).map(|b| b.line_formatted.chars().filter(char::is_ascii_digit).collect::<String>());
    let mut value = json!({
        "id": t.id,
        "numeroDocumento": t.document_number,
        "portador": t.carrier.name(),
        "contrato": t.contract_id,
        "status": t.status().ura(),
        "valor": ctx.money(t.amount_cents),
        "valorCorrigido": ctx.money(t.corrected_cents(today)),
        "valorPago": ctx.money(t.received_cents()),
        "diasAtraso": t.days_late(today),
        "codigoBarras": line.unwrap_or_default(),
        "codigoPix": pix_code(t),
        "link_cobranca": link_cobranca(t),
        "dataEmissao": ctx.date(t.issued),
        "dataVencimento": ctx.date(t.due),
        "dataPagamento": ctx.opt_date(t.paid_on()),
        "dataCancelamento": ctx.opt_date(t.cancelled.as_ref().map(|(date, _)| *date)),
    });
    if let (true, Value::Object(map)) = (with_link, &mut value) {
        map.insert("link".into(), json!(link(ctx.base_url, t)));
    }
    value
}

/// Which contracts a request's `cpfcnpj`/`cliente_id`/`contrato` designate.
enum Scope {
    /// Every título.
    None,
    /// These contracts.
    Contracts(Vec<u64>),
}

fn scope(store: &Store, request: &Request, require: bool) -> Result<Scope, Reply> {
    let params = &request.params;
    let document = params.trimmed("cpfcnpj");
    let customer_id = super::id_param(params, "cliente_id")?;
    let contract_id = super::id_param(params, "contrato")?;
    let mut contracts: Option<Vec<u64>> = None;
    let mut narrow = |ids: Vec<u64>| {
        contracts = Some(match contracts.take() {
            Some(current) => current.into_iter().filter(|id| ids.contains(id)).collect(),
            None => ids,
        });
    };
    if !document.is_empty() {
        let customer = store.customer_by_document(&document).ok_or_else(|| Reply::error("Cliente não encontrado."))?;
        narrow(store.contracts_of(customer.id).iter().map(|c| c.id).collect());
    }
    if let Some(id) = customer_id {
        let customer = store.customer(id).ok_or_else(|| Reply::error("Cliente não encontrado."))?;
        narrow(store.contracts_of(customer.id).iter().map(|c| c.id).collect());
    }
    if let Some(id) = contract_id {
        store.contract(id).ok_or_else(|| Reply::error(format!("Contrato {id} não encontrado.")))?;
        narrow(vec![id]);
    }
    match contracts {
        Some(ids) => Ok(Scope::Contracts(ids)),
        None if require => Err(Reply::error("Informe cpfcnpj ou contrato.")),
        None => Ok(Scope::None),
    }
}

/// `POST /api/ura/titulos/`.
pub(crate) fn titulos(store: &Store, ctx: &Ctx<'_>, request: &Request) -> Reply {
    match list_titulos(store, ctx, request) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn list_titulos(store: &Store, ctx: &Ctx<'_>, request: &Request) -> Result<Reply, Reply> {
    let params = &request.params;
    let titulo_id = id_param(params, "titulo_id")?;
    let scope = scope(store, request, false)?;
    if titulo_id.is_none() && matches!(scope, Scope::None) {
        return Err(Reply::error("Informe cpfcnpj, cliente_id, contrato ou titulo_id."));
    }
    let wanted = match params.trimmed("status").to_ascii_lowercase().as_str() {
        "" => None,
        "abertos" | "aberto" => Some(TituloStatus::Open),
        "pagos" | "pago" => Some(TituloStatus::Paid),
        "cancelados" | "cancelado" => Some(TituloStatus::Cancelled),
        other => return Err(Reply::error(format!("Status inválido: {other}. Use abertos, pagos ou cancelados."))),
    };
    let ranges = [("data_vencimento_inicio", "data_vencimento_fim"), ("data_pagamento_inicio", "data_pagamento_fim")]
        .map(|(from, to)| Ok::<_, Reply>((date_param(params, from)?, date_param(params, to)?)));
    let [due_range, paid_range] = ranges;
    let (due_from, due_to) = due_range?;
    let (paid_from, paid_to) = paid_range?;
    let order = params.trimmed("ordenar");
    let order = if order.is_empty() { "data_vencimento".to_owned() } else { order };
    let descending = match params.trimmed("ordenar_ordem").to_ascii_lowercase().as_str() {
        "" | "asc" => false,
        "desc" => true,
        other => return Err(Reply::error(format!("ordenar_ordem inválido: {other}. Use asc ou desc."))),
    };
    let (offset, limit) = page_params(params, 250, 250)?;

    let in_range = |date: Option<NaiveDate>, from: Option<NaiveDate>, to: Option<NaiveDate>| {
        (from.is_none() && to.is_none())
            || date.is_some_and(|d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t))
    };
    let mut found: Vec<&Titulo> = store
        .titulos
        .iter()
        .filter(|t| match &scope {
            Scope::None => true,
            Scope::Contracts(ids) => ids.contains(&t.contract_id),
        })
        .filter(|t| titulo_id.is_none_or(|id| t.id == id))
        .filter(|t| wanted.is_none_or(|s| t.status() == s))
        .filter(|t| in_range(Some(t.due), due_from, due_to))
        .filter(|t| in_range(t.paid_on(), paid_from, paid_to))
        .collect();
    match order.as_str() {
        "data_vencimento" => found.sort_by_key(|t| (t.due, t.id)),
        "data_emissao" => found.sort_by_key(|t| (t.issued, t.id)),
        "data_pagamento" => found.sort_by_key(|t| (t.paid_on(), t.id)),
        "id" => found.sort_by_key(|t| t.id),
        "valor" => found.sort_by_key(|t| (t.amount_cents, t.id)),
        "numero_documento" => found.sort_by_key(|t| (t.document_number, t.id)),
        other => return Err(Reply::error(format!("Campo de ordenação inválido: {other}"))),
    }
    if descending {
        found.reverse();
    }
    let items = found.into_iter().map(|t| titulo_json(ctx, t, true)).collect();
    let (paginacao, page) = paginate(items, offset, limit);
    Ok(Reply::Json(json!({ "status": 1, "titulos": page, "paginacao": paginacao })))
}

/// `POST /api/ura/fatura2via/`.
pub(crate) fn fatura2via(store: &mut Store, ctx: &Ctx<'_>, request: &Request) -> Reply {
    let params = &request.params;
    let contract_ids = match scope(store, request, true) {
        Ok(Scope::Contracts(ids)) => ids,
        Ok(Scope::None) => return Reply::error("Informe cpfcnpj ou contrato."),
        Err(reply) => return reply,
    };
    let fatura = match id_param(params, "fatura") {
        Ok(fatura) => fatura,
        Err(reply) => return reply,
    };
    let document_number = match id_param(params, "numero_documento") {
        Ok(number) => number,
        Err(reply) => return reply,
    };
    let today = data::reference_date();
    let mut open: Vec<&Titulo> = store
        .titulos
        .iter()
        .filter(|t| contract_ids.contains(&t.contract_id) && t.status() == TituloStatus::Open)
        .filter(|t| fatura.is_none_or(|id| t.id == id))
        .filter(|t| document_number.is_none_or(|n| t.document_number == n))
        .collect();
    open.sort_by_key(|t| (t.due, t.id));
    if fatura.is_none() && document_number.is_none() && !flag(params, "faturas_abertas_todas") {
        // The late ones and the next one due.
        let late = open.iter().filter(|t| t.is_overdue(today)).count();
        open.truncate(late + 1);
    }
    let pdf = flag(params, "link_pdf");
    let with_suffix = |url: String| if pdf { format!("{url}.pdf") } else { url };
    let links: Vec<Value> = open
        .iter()
        .map(|t| {
            let current = current_boleto(t, today);
            let due = current.as_ref().map_or(t.due, |(_, due, _)| *due);
            json!({
                "fatura": t.id,
                "numero_documento": t.document_number,
                "vencimento": ctx.date(due),
                "vencimento_original": ctx.date(t.due),
                "valor": ctx.money(t.corrected_cents(today)),
                "valor_original": ctx.money(t.amount_cents),
                "linhadigitavel": current.map(|(_, _, b)| b.line_formatted).unwrap_or_default(),
                "codigopix": pix_code(t),
                "link": with_suffix(link(ctx.base_url, t)),
                "link_cobranca": link_cobranca(t),
            })
        })
        .collect();
    let latest = open.iter().max_by_key(|t| (t.due, t.id)).map(|t| with_suffix(link(ctx.base_url, t)));
    let first_contract = open.first().map(|t| t.contract_id).or_else(|| contract_ids.first().copied());
    let owner = first_contract.and_then(|id| store.owner(id));
    let (name, document) = owner.map(|c| (c.name.clone(), c.document.clone())).unwrap_or_default();
    let listed: Vec<String> = open.iter().map(|t| t.id.to_string()).collect();

    let protocol = match (flag(params, "nao_gerar_os"), first_contract) {
        (false, Some(contract_id)) => store.open_ocorrencia(
            contract_id,
            OCORRENCIA_TYPE_SECOND_COPY,
            format!("Segunda via de fatura solicitada via URA/API. Faturas: {}", listed.join(", ")),
            None,
        ),
        _ => String::new(),
    };
    if links.is_empty() {
        let msg = if fatura.is_some() {
            "Fatura não encontrada ou não está em aberto."
        } else {
            "Não há faturas em aberto."
        };
        return Reply::Json(json!({
            "status": 0, "msg": msg, "razaoSocial": name, "cpfCnpj": document, "protocolo": protocol, "links": [],
        }));
    }
    Reply::Json(json!({
        "status": 1,
        "msg": "",
        "razaoSocial": name,
        "cpfCnpj": document,
        "protocolo": protocol,
        "link": latest,
        "links": links,
    }))
}

/// `POST /api/ura/pagamento/pix/{fatura}`.
pub(crate) fn pix(store: &Store, ctx: &Ctx<'_>, id: &str, request: &Request) -> Reply {
    let Some(t) = id.trim().parse().ok().and_then(|id| store.titulo(id)) else {
        return Reply::error(format!("Fatura {id} não encontrada."));
    };
    match id_param(&request.params, "contrato") {
        Ok(Some(contract)) if contract != t.contract_id => {
            return Reply::error(format!("Fatura {id} não pertence ao contrato {contract}."));
        }
        Err(reply) => return reply,
        _ => {}
    }
    match t.status() {
        TituloStatus::Paid => return Reply::error(format!("Fatura {id} já está paga.")),
        TituloStatus::Cancelled => return Reply::error(format!("Fatura {id} está cancelada.")),
        TituloStatus::Open => {}
    }
    if !t.carrier.has_pix() {
        return Reply::error(format!("O portador da fatura {id} não permite pagamento via PIX."));
    }
    let today = data::reference_date();
    Reply::Json(json!({
        "status": 1,
        "msg": "PIX gerado com sucesso.",
        "fatura": t.id,
        "codigoPix": pix_code(t),
        "valor": ctx.money(t.corrected_cents(today)),
        "vencimento": ctx.date(t.due),
    }))
}

/// `POST /api/ura/enviafatura/` (`contrato`, `tipo` email/sms, `email`, `celular`,
/// `numero_documento`): nothing is sent; the answer is *inferred*.
pub(crate) fn envia_fatura(store: &Store, request: &Request) -> Reply {
    let params = &request.params;
    let contract_id = match id_param(params, "contrato") {
        Ok(Some(id)) => id,
        Ok(None) => return Reply::error("O campo contrato é obrigatório."),
        Err(reply) => return reply,
    };
    let Some(customer) = store.owner(contract_id) else {
        return Reply::error(format!("Contrato {contract_id} não encontrado."));
    };
    let number = match id_param(params, "numero_documento") {
        Ok(number) => number,
        Err(reply) => return reply,
    };
    let open = store
        .titulos_of(contract_id)
        .filter(|t| t.status() == TituloStatus::Open)
        .filter(|t| number.is_none_or(|n| t.document_number == n))
        .count();
    if open == 0 {
        return Reply::error("Não há faturas em aberto para enviar.");
    }
    let kind = params.trimmed("tipo").to_ascii_lowercase();
    let destination = match kind.as_str() {
        "email" => Some(params.trimmed("email")).filter(|e| !e.is_empty()).or_else(|| customer.emails.first().cloned()),
        "sms" => Some(params.trimmed("celular")).filter(|c| !c.is_empty()).or_else(|| customer.phones.first().cloned()),
        other => return Reply::error(format!("Tipo inválido: {other}. Use email ou sms.")),
    };
    let Some(destination) = destination else {
        return Reply::error("Cliente sem contato cadastrado para o envio.");
    };
    Reply::Json(json!({ "status": 1, "msg": format!("Fatura enviada para {destination}.") }))
}

const PAYMENT_METHODS: &[&str] = &["DINHEIRO", "CARTAO", "DEBITO", "PIX"];

/// `POST /api/banco/titulo/{id}/baixar/`.
pub(crate) fn baixar(store: &mut Store, core: &Core, id: &str, request: &Request) -> Reply {
    match settle(store, core, id, request) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn settle(store: &mut Store, core: &Core, id: &str, request: &Request) -> Result<Reply, Reply> {
    let params = &request.params;
    let titulo_id: u64 = id.trim().parse().map_err(|_| Reply::error(format!("Título {id} não encontrado.")))?;
    let t = store.titulo(titulo_id).ok_or_else(|| Reply::error(format!("Título {id} não encontrado.")))?;
    match t.status() {
        TituloStatus::Cancelled => {
            return Err(Reply::error(format!("Título {id} está cancelado e não pode ser liquidado.")));
        }
        TituloStatus::Paid => return Err(Reply::error(format!("Título {id} já está liquidado."))),
        TituloStatus::Open => {}
    }
    let open = t.open_cents();
    let contract_id = t.contract_id;
    let today = data::reference_date();
    let date = date_param(params, "data_pagamento")?
        .ok_or_else(|| Reply::error("O campo data_pagamento é obrigatório (AAAA-MM-DD)."))?;
    if date > today {
        return Err(Reply::error(format!("Data de pagamento {} não pode ser futura.", iso_date(date))));
    }
    let amount = money_param(params, "valor_pago")?.unwrap_or(open);
    if amount == 0 {
        return Err(Reply::error("Valor pago inválido: 0."));
    }
    let discount = money_param(params, "desconto")?.unwrap_or(0);
    let fees = money_param(params, "tarifas")?.unwrap_or(0);
    let method = params.trimmed("forma_pagamento").to_ascii_uppercase();
    let method = if method.is_empty() { "DINHEIRO".to_owned() } else { method };
    if !PAYMENT_METHODS.contains(&method.as_str()) {
        return Err(Reply::error(format!("forma_pagamento inválida: {method}. Use DINHEIRO, CARTAO, DEBITO ou PIX.")));
    }
    let partial = flag(params, "liquidacao_parcial");
    if amount + discount < open && !partial {
        return Err(Reply::error(format!(
            "Valor pago ({}) menor que o valor em aberto ({}). Para liquidação parcial envie liquidacao_parcial=1.",
            cents_comma(amount),
            cents_comma(open)
        )));
    }
    let payment = Payment {
        date,
        amount_cents: amount,
        discount_cents: discount,
        fees_cents: fees,
        method,
        point: params.trimmed("ponto_recebimento"),
        note: params.trimmed("observacao"),
    };
    let Some(t) = store.titulo_mut(titulo_id) else {
        return Err(Reply::error(format!("Título {id} não encontrado.")));
    };
    t.payments.push(payment);
    let paid_off = t.status() == TituloStatus::Paid;
    core.record_posting(&titulo_id.to_string());
    super::unlock::after_payment(store, contract_id);
    let msg = if paid_off {
        format!("Título {id} liquidado com sucesso.")
    } else {
        format!("Liquidação parcial do título {id} registrada com sucesso.")
    };
    Ok(Reply::Json(json!({ "status": 1, "msg": msg })))
}

/// `POST /api/banco/titulo/{id}/estornar/`.
pub(crate) fn estornar(store: &mut Store, id: &str) -> Reply {
    let Some(t) = id.trim().parse().ok().and_then(|n| store.titulo_mut(n)) else {
        return Reply::error(format!("Título {id} não encontrado."));
    };
    if t.cancelled.is_some() {
        return Reply::error(format!("Título {id} está cancelado."));
    }
    if t.payments.is_empty() {
        return Reply::error(format!("Título {id} não possui liquidação para estornar."));
    }
    t.payments.clear();
    Reply::Json(json!({ "status": 1, "msg": format!("Liquidação do título {id} estornada com sucesso.") }))
}

/// `POST /api/banco/titulo/{id}/cancelar/` (`motivo` required).
pub(crate) fn cancelar(store: &mut Store, id: &str, request: &Request) -> Reply {
    let reason = request.params.trimmed("motivo");
    let Some(t) = id.trim().parse().ok().and_then(|n| store.titulo_mut(n)) else {
        return Reply::error(format!("Título {id} não encontrado."));
    };
    if reason.is_empty() {
        return Reply::error("O campo motivo é obrigatório.");
    }
    match t.status() {
        TituloStatus::Cancelled => return Reply::error(format!("Título {id} já está cancelado.")),
        _ if !t.payments.is_empty() => {
            return Reply::error(format!("Título {id} possui liquidação: estorne antes de cancelar."));
        }
        _ => {}
    }
    t.cancelled = Some((data::reference_date(), reason));
    Reply::Json(json!({ "status": 1, "msg": format!("Título {id} cancelado com sucesso.") }))
}

/// `POST /api/central/titulos/`: the logged-in customer's faturas (`customer`), or with token
/// + app those of `cpfcnpj`/`contrato`.
pub(crate) fn central_titulos(store: &Store, ctx: &Ctx<'_>, customer: Option<u64>, request: &Request) -> Reply {
    match list_central(store, ctx, customer, request) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn list_central(store: &Store, ctx: &Ctx<'_>, customer: Option<u64>, request: &Request) -> Result<Reply, Reply> {
    let params = &request.params;
    let contract = id_param(params, "contrato")?;
    let contracts: Vec<u64> = match customer {
        Some(customer_id) => {
            let own: Vec<u64> = store.contracts_of(customer_id).iter().map(|c| c.id).collect();
            match contract {
                Some(id) if !own.contains(&id) => {
                    return Err(Reply::error(format!("Contrato {id} não pertence ao cliente.")));
                }
                Some(id) => vec![id],
                None => own,
            }
        }
        None => match scope(store, request, true)? {
            Scope::Contracts(ids) => ids,
            Scope::None => Vec::new(),
        },
    };
    let (offset, limit) = page_params(params, 250, 250)?;
    let today = data::reference_date();
    let mut found: Vec<&Titulo> = store.titulos.iter().filter(|t| contracts.contains(&t.contract_id)).collect();
    found.sort_by_key(|t| (t.due, t.id));
    let items = found
        .into_iter()
        .map(|t| {
            let (status, status_id) = match t.status() {
                TituloStatus::Open => ("Gerado", 1),
                TituloStatus::Paid => ("Pago", 2),
                TituloStatus::Cancelled => ("Cancelado", 3),
            };
            let current = current_boleto(t, today);
            json!({
                "id": t.id,
                "numero_documento": t.document_number,
                "contrato": t.contract_id,
                "vencimento": ctx.date(t.due),
                "vencimento_atualizado": ctx.date(current.as_ref().map_or(t.due, |(_, due, _)| *due)),
                "valor": ctx.money(t.amount_cents),
                "valorcorrigido": ctx.money(t.corrected_cents(today)),
                "status": status,
                "statusid": status_id,
                "data_pagamento": ctx.opt_date(t.paid_on()),
                "codigopix": pix_code(t),
                "gerarpix": t.carrier.has_pix() && t.status() == TituloStatus::Open,
                "linhadigitavel": current.map(|(_, _, b)| b.line_formatted).unwrap_or_default(),
                "link": link(ctx.base_url, t),
            })
        })
        .collect();
    let (paginacao, page) = paginate(items, offset, limit);
    Ok(Reply::Json(json!({ "paginacao": paginacao, "faturas": page })))
}

/// `GET /boleto/<id>/<key>` (HTML) and `GET /boleto/<id>/<key>.pdf` (the PDF); a wrong key or
/// unknown título is 404.
pub(crate) fn boleto_page(store: &Store, base_url: &str, path: &str) -> Reply {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let [id, key] = segments.as_slice() else {
        return Reply::NotFound;
    };
    let (key, as_pdf) = match key.strip_suffix(".pdf") {
        Some(key) => (key, true),
        None => (*key, false),
    };
    if data::boleto_link_key(id) != key {
        return Reply::NotFound;
    }
    let Some(t) = id.parse().ok().and_then(|n| store.titulo(n)) else {
        return Reply::NotFound;
    };
    let lines = slip_lines(store, t);
    if as_pdf {
        return Reply::Pdf(pdf::render(&format!("Fatura {}", t.id), &[lines]));
    }
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"pt-br\"><head><meta charset=\"utf-8\"><title>Fatura {id}</title></head><body>\n"
    );
    for line in &lines {
        page.push_str("<p>");
        page.push_str(&escape(line));
        page.push_str("</p>\n");
    }
    page.push_str(&format!("<p><a href=\"{}.pdf\">Baixar PDF</a></p>\n</body></html>\n", link(base_url, t)));
    Reply::Html(page)
}

/// The text of a título's slip, for its page and PDF.
fn slip_lines(store: &Store, t: &Titulo) -> Vec<String> {
    let today = data::reference_date();
    let customer = store.owner(t.contract_id);
    let mut lines = vec![
        format!("FATURA - {PROVIDER_NAME} (SGP simulado)"),
        format!("Fatura: {}    Documento: {}    Contrato: {}", t.id, t.document_number, t.contract_id),
        format!(
            "Pagador: {} - {}",
            customer.map(|c| c.name.as_str()).unwrap_or_default(),
            customer.map(|c| c.document.as_str()).unwrap_or_default()
        ),
    ];
    if let Some(c) = customer {
        let a = &c.address;
        lines.push(format!("{}, {} - {} - {}/{} - CEP {}", a.street, a.number, a.district, a.city, a.state, a.cep));
    }
    lines.push(format!("Referente: {}", t.note));
    lines.push(format!(
        "Vencimento original: {}    Valor original: R$ {}",
        br_date(t.due),
        cents_comma(t.amount_cents)
    ));
    match t.status() {
        TituloStatus::Paid => {
            lines.push(format!("PAGO em {}", t.paid_on().map(br_date).unwrap_or_default()));
            for p in &t.payments {
                lines.push(format!(
                    "Recebimento {}: R$ {} ({}) desconto R$ {} tarifas R$ {} {} {}",
                    br_date(p.date),
                    cents_comma(p.amount_cents),
                    p.method,
                    cents_comma(p.discount_cents),
                    cents_comma(p.fees_cents),
                    p.point,
                    p.note
                ));
            }
            return lines;
        }
        TituloStatus::Cancelled => {
            lines.push("CANCELADO".to_owned());
            return lines;
        }
        TituloStatus::Open => {}
    }
    if let Some((amount, due, boleto)) = current_boleto(t, today) {
        lines.push(format!("Sicoob 756-0    {}", boleto.line_formatted));
        lines.push(format!("Vencimento: {}    Valor: R$ {}", br_date(due), cents_comma(amount)));
        lines.push(format!("Nosso numero: {}", data::nosso_numero(&t.id.to_string())));
        lines.push(format!("Codigo de barras: {}", boleto.barcode));
        lines.push("Após o vencimento cobrar multa de 2,00% e juros de 1,00% ao mês".to_owned());
    } else {
        lines.push(format!("Valor: R$ {}", cents_comma(t.corrected_cents(today))));
    }
    let pix = pix_code(t);
    if !pix.is_empty() {
        lines.push("PIX copia e cola:".to_owned());
        // PDF lines don't wrap: split the code.
        let chars: Vec<char> = pix.chars().collect();
        lines.extend(chars.chunks(80).map(|chunk| chunk.iter().collect::<String>()));
    }
    if t.carrier == Carrier::PaymentLink {
        lines.push(format!("Pague pelo link: {}", link_cobranca(t)));
    }
    lines
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
