//! The endpoints under `/api/v1/integracao/` and the PDF links (see the module docs of
//! [`hubsoft`](super) for what is documented and what is inferred).

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::data::{self, CASH_ACCOUNTS, Customer, Invoice, Kind, PAYMENT_METHODS, Service, Store, TICKET_TYPES};
use super::{Reply, fnv};
use crate::params::Params;
use crate::payment::{self, PixSpec, cents_dot, parse_cents};
use crate::{Core, pdf};

/// Links and the shared counters, for handlers.
pub(crate) struct Ctx<'a> {
    pub base_url: &'a str,
    pub core: &'a Core,
}

/// Money as PHP's `json_encode` prints a float: `9990` → `99.9`, `3000` → `30`.
pub(super) use crate::payment::json_money as php_money;

pub(super) fn br_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

pub(super) use crate::people::document_key;

/// `limit`: default, range checked.
fn limit(params: &Params, default: u64, max: u64) -> Result<u64, Reply> {
    let text = params.trimmed("limit");
    if text.is_empty() {
        return Ok(default);
    }
    match text.parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(Reply::error(format!("O campo limit deve ser um número entre 1 e {max}."))),
    }
}

/// `sim`/`nao` (anything else: the default).
fn yes_no(params: &Params, key: &str, default: bool) -> bool {
    match params.trimmed(key).to_ascii_lowercase().as_str() {
        "sim" => true,
        "nao" | "não" => false,
        _ => default,
    }
}

/// `busca` + `termo_busca` → the customers matched.
pub(super) fn search<'s>(store: &'s Store, params: &Params, allowed: &[&str]) -> Result<Vec<&'s Customer>, Reply> {
    let busca = params.trimmed("busca");
    let term = params.trimmed("termo_busca");
    if busca.is_empty() || term.is_empty() {
        return Err(Reply::error("Os campos busca e termo_busca são obrigatórios."));
    }
    if !allowed.contains(&busca.as_str()) {
        return Err(Reply::error(format!("Tipo de busca inválido: {busca}")));
    }
    let by_service = |c: &Customer| store.services_of(c.id).any(|s| s.id.to_string() == term);
    Ok(store
        .customers
        .iter()
        .filter(|c| match busca.as_str() {
            "cpf_cnpj" => c.document == document_key(&term),
            "codigo_cliente" => c.id.to_string() == term,
            "id_cliente_servico" => by_service(c),
            "nome_razaosocial" => c.name.to_lowercase().contains(&term.to_lowercase()),
            _ => false,
        })
        .collect())
}

fn status_text(prefix: &str) -> &'static str {
    match prefix {
        "servico_habilitado" => "Serviço Habilitado",
        "suspenso_debito" => "Suspenso por Débito",
        "inativo" => "Inativo",
        "cancelado" => "Cancelado",
        _ => "Outro",
    }
}

fn service_json(s: &Service) -> Value {
    json!({
        "id_cliente_servico": s.id,
        "numero_plano": s.plan_number,
        "nome": s.name,
        "valor": php_money(s.price_cents),
        "status": status_text(s.status_prefix),
        "status_prefixo": s.status_prefix,
        "tecnologia": "FTTH",
        "login": s.login,
        "dia_vencimento": s.due_day,
        "ultima_conexao": { "conectado": s.status_prefix == "servico_habilitado" },
        "pacotes": [],
    })
}

fn phone(list: &[String], i: usize) -> Value {
    list.get(i).map_or(Value::Null, |p| Value::String(p.clone()))
}

fn customer_json(store: &Store, c: &Customer, include_cancelled: bool, include_inactive: bool) -> Value {
    let services: Vec<Value> = store
        .services_of(c.id)
        .filter(|s| {
            (include_cancelled || s.status_prefix != "cancelado") && (include_inactive || s.status_prefix != "inativo")
        })
        .map(service_json)
        .collect();
    let [street, number, complement, district, city, state, cep] = &c.address;
    json!({
        "id_cliente": c.id,
        "codigo_cliente": c.id,
        "nome_razaosocial": c.name,
        "nome_fantasia": if c.document.len() == 14 { Value::String(c.name.clone()) } else { Value::Null },
        "tipo_pessoa": if c.document.len() == 14 { "pj" } else { "pf" },
        "cpf_cnpj": c.document,
        "data_cadastro": c.created,
        "telefone_primario": phone(&c.phones, 0),
        "telefone_secundario": phone(&c.phones, 1),
        "telefone_terciario": phone(&c.phones, 2),
        "email_principal": c.emails.first(),
        "email_secundario": c.emails.get(1),
        "alerta": !c.alerts.is_empty(),
        "alerta_mensagens": c.alerts,
        "endereco_cadastral": {
            "endereco": street, "numero": number, "complemento": complement, "bairro": district,
            "cidade": city, "estado": state, "cep": cep,
        },
        "servicos": services,
    })
}

/// `GET /cliente`.
pub(crate) fn clientes(store: &Store, params: &Params) -> Reply {
    let limit = match limit(params, 5, 100) {
        Ok(limit) => limit,
        Err(reply) => return reply,
    };
    let found = match search(store, params, &["cpf_cnpj", "codigo_cliente", "id_cliente_servico", "nome_razaosocial"]) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    // `cancelado`/`inativo` default `nao`: such services are left out, and a customer with no
    // other service too (*inferred*).
    let cancelled = yes_no(params, "cancelado", false);
    let inactive = yes_no(params, "inativo", false);
    let clients: Vec<Value> = found
        .into_iter()
        .map(|c| customer_json(store, c, cancelled, inactive))
        .filter(|c| c["servicos"].as_array().is_some_and(|s| !s.is_empty()))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Reply::Json(json!({ "status": "success", "msg": "Dados consultados com sucesso", "clientes": clients }))
}

fn link_hash(id: u64) -> String {
    format!("{:016x}", fnv(&format!("ponte-hubsoft-fatura-{id}")))
}

fn boleto(i: &Invoice) -> Option<payment::BankBoleto> {
    if i.kind != Kind::Boleto || !i.pending() {
        return None;
    }
    let free_field = format!("{:0>25}", i.id * 1000 + 17);
    payment::bank_boleto(data::BANK_CODE, i.due, i.open_cents(), &free_field)
}

fn pix(i: &Invoice) -> String {
    if i.kind == Kind::Link || !i.pending() {
        return String::new();
    }
    let location = format!("pix.ponte-demo.example/hubsoft/cobv/{:0>26}", i.id);
    payment::pix_copia_e_cola(&PixSpec {
        location: &location,
        merchant_name: "PONTE DEMO TELECOM",
        merchant_city: "SAO PAULO",
    })
}

fn invoice_json(store: &Store, ctx: &Ctx<'_>, i: &Invoice) -> Value {
    let service = store.service(i.service_id);
    let customer = service.and_then(|s| store.customer(s.customer_id));
    let today = data::reference_date();
    let status = if i.cancelled {
        "cancelado"
    } else if i.settled() {
        "pago"
    } else if i.due < today {
        "vencido"
    } else {
        "aguardando_pagamento"
    };
    let boleto = boleto(i);
    let line: String =
        boleto.as_ref().map(|b| b.line_formatted.chars().filter(char::is_ascii_digit).collect()).unwrap_or_default();
    json!({
        "id_fatura": i.id,
        "quitado": i.settled(),
        "status": status,
        "valor": php_money(i.amount_cents),
        "valor_pago": php_money(i.paid_cents),
        "data_vencimento": br_date(i.due),
        "data_pagamento": i.paid_on.map(br_date),
        "data_cadastro": br_date(i.issued),
        "nosso_numero": format!("{:0>10}", i.id),
        "linha_digitavel": if line.is_empty() { Value::Null } else { Value::String(line) },
        "codigo_barras": boleto.as_ref().map(|b| b.barcode.clone()),
        "pix_copia_cola": Some(pix(i)).filter(|p| !p.is_empty()),
        "link": format!("{}/pdf/fatura/{}", ctx.base_url, link_hash(i.id)),
        "tipo_cobranca": match i.kind { Kind::Boleto => "boleto_bancario", Kind::Pix => "pix", Kind::Link => "cartao_credito" },
        "numero_documento": (50_000 + i.id).to_string(),
        "detalhamento": [{ "descricao": i.description, "valor": php_money(i.amount_cents) }],
        "empresa": { "razao_social": crate::people::PROVIDER_NAME },
        "cliente": {
            "codigo_cliente": customer.map(|c| c.id),
            "nome_razaosocial": customer.map(|c| c.name.clone()),
            "cpf_cnpj": customer.map(|c| c.document.clone()),
            "servico": { "id_cliente_servico": i.service_id, "nome": service.map(|s| s.name.clone()) },
        },
    })
}

/// `GET /cliente/financeiro`.
pub(crate) fn financeiro(store: &Store, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let limit = match limit(params, 20, 50) {
        Ok(limit) => limit,
        Err(reply) => return reply,
    };
    let found = match search(store, params, &["cpf_cnpj", "codigo_cliente", "id_cliente_servico"]) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let term = params.trimmed("termo_busca");
    let by_service = params.trimmed("busca") == "id_cliente_servico";
    let pending_only = yes_no(params, "apenas_pendente", true);
    let mut invoices: Vec<&Invoice> = store
        .invoices
        .iter()
        .filter(|i| {
            store.service(i.service_id).is_some_and(|s| found.iter().any(|c| c.id == s.customer_id))
                && (!by_service || i.service_id.to_string() == term)
                && (!pending_only || i.pending())
        })
        .collect();
    // `order_by` data_vencimento (default) or data_cadastro; `order_type` asc (default) or desc.
    if params.trimmed("order_by") == "data_cadastro" {
        invoices.sort_by_key(|i| (i.issued, i.id));
    } else {
        invoices.sort_by_key(|i| (i.due, i.id));
    }
    if params.trimmed("order_type").eq_ignore_ascii_case("desc") {
        invoices.reverse();
    }
    let faturas: Vec<Value> = invoices
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|i| invoice_json(store, ctx, i))
        .collect();
    Reply::Json(json!({ "status": "success", "msg": "Dados consultados com sucesso", "faturas": faturas }))
}

/// `POST /financeiro/fatura/liquidar`.
pub(crate) fn liquidar(store: &mut Store, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let Some(id) = params.trimmed("id_fatura").parse::<u64>().ok() else {
        return Reply::error("O campo id_fatura é obrigatório.");
    };
    let cash = params.trimmed("id_caixa_financeiro");
    if !CASH_ACCOUNTS.iter().any(|(c, _)| c.to_string() == cash) {
        return Reply::error("O campo id_caixa_financeiro é obrigatório e deve ser um caixa válido.");
    }
    let Some(paid_on) = NaiveDate::parse_from_str(&params.trimmed("data_pagamento"), "%Y-%m-%d").ok() else {
        return Reply::error("O campo data_pagamento deve estar no formato AAAA-MM-DD.");
    };
    let amount_text = params.trimmed("valor_pago");
    let two_decimals = amount_text.split_once('.').is_some_and(|(w, f)| {
        !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()) && f.len() == 2 && f.chars().all(|c| c.is_ascii_digit())
    });
    let Some(amount) = parse_cents(&amount_text).filter(|c| two_decimals && *c > 0) else {
        return Reply::error("O campo valor_pago deve ter duas casas decimais separadas por ponto.");
    };
    let method = params.trimmed("meio_pagamento");
    if !method.is_empty() && !PAYMENT_METHODS.contains(&method.as_str()) {
        return Reply::error(format!("Meio de pagamento inválido: {method}"));
    }
    let Some(invoice) = store.invoices.iter_mut().find(|i| i.id == id) else {
        return Reply::error(format!("Fatura {id} não encontrada."));
    };
    if invoice.cancelled {
        return Reply::error(format!("A fatura {id} está cancelada."));
    }
    if invoice.settled() {
        return Reply::error(format!("A fatura {id} já encontra-se quitada, não sendo possível liquidá-la novamente."));
    }
    invoice.paid_cents += amount;
    if invoice.settled() {
        invoice.paid_on = Some(paid_on);
    }
    let service_id = invoice.service_id;
    ctx.core.record_posting(&id.to_string());
    store.next_receipt += 1;
    let receipt = store.next_receipt;
    let customer = store.service(service_id).and_then(|s| store.customer(s.customer_id));
    Reply::Json(json!({
        "status": "suscess",
        "msg": "Fatura liquidada com sucesso",
        "recibo": {
            "id_recibo": receipt,
            "numero_recibo": format!("2026{receipt:06}"),
            "data_pagamento": br_date(paid_on),
            "valor_pago": cents_dot(amount),
            "tarifa": "0.00",
            "cliente": {
                "codigo_cliente": customer.map(|c| c.id),
                "nome_razaosocial": customer.map(|c| c.name.clone()),
            },
        },
    }))
}

/// `POST /cliente/desbloqueio_confianca`.
pub(crate) fn desbloqueio(store: &mut Store, params: &Params) -> Reply {
    let Some(id) = params.trimmed("id_cliente_servico").parse::<u64>().ok() else {
        return Reply::error("O campo id_cliente_servico é obrigatório.");
    };
    let days_text = params.trimmed("dias_desbloqueio");
    let days = if days_text.is_empty() { Some(1) } else { days_text.parse::<u64>().ok().filter(|d| *d >= 1) };
    let Some(days) = days else {
        return Reply::error("O campo dias_desbloqueio deve ser um número inteiro positivo.");
    };
    if days > data::TRUST_UNLOCK_DAYS {
        return Reply::error(format!(
            "A quantidade de dias de desbloqueio excede o máximo permitido ({}).",
            data::TRUST_UNLOCK_DAYS
        ));
    }
    let Some(service) = store.services.iter_mut().find(|s| s.id == id) else {
        return Reply::error(format!("Serviço {id} não encontrado."));
    };
    if service.status_prefix != "suspenso_debito" {
        return Reply::error("O serviço não está suspenso por débito.");
    }
    if service.unlock_used {
        return Reply::error("O cliente já utilizou o desbloqueio em confiança e ainda possui débitos em aberto.");
    }
    service.status_prefix = "servico_habilitado";
    service.unlock_used = true;
    let until = data::reference_date() + chrono::Days::new(days);
    Reply::Json(json!({
        "status": "suscess",
        "msg": format!("Desbloqueio em confiança realizado com sucesso até a data {}", br_date(until)),
    }))
}

/// `POST /atendimento`.
pub(crate) fn atendimento(store: &mut Store, params: &Params) -> Reply {
    let service = params.trimmed("id_cliente_servico").parse::<u64>().ok();
    let description = params.trimmed("descricao");
    let name = params.trimmed("nome");
    let phone = params.trimmed("telefone");
    let mut errors = Vec::new();
    if service.is_none() {
        errors.push("O campo id_cliente_servico é obrigatório.");
    }
    if description.is_empty() {
        errors.push("O campo descricao é obrigatório.");
    }
    if name.is_empty() {
        errors.push("O campo nome é obrigatório.");
    }
    if !(10..=11).contains(&phone.len()) || !phone.chars().all(|c| c.is_ascii_digit()) {
        errors.push("O campo telefone deve estar no formato DDNNNNNNNNN.");
    }
    if !errors.is_empty() {
        return Reply::Json(json!({ "status": "error", "msg": "Erro de validação", "errors": errors }));
    }
    let service_id = service.unwrap_or_default();
    if store.service(service_id).is_none() {
        return Reply::error(format!("Serviço {service_id} não encontrado."));
    }
    let type_text = params.trimmed("id_tipo_atendimento");
    let type_id = if type_text.is_empty() { Some(1) } else { type_text.parse::<u64>().ok() };
    let Some((type_id, type_name)) = type_id.and_then(|t| TICKET_TYPES.iter().find(|(id, _)| *id == t)) else {
        return Reply::error(format!("Tipo de atendimento inválido: {type_text}"));
    };
    let id = 5001 + store.tickets.len() as u64;
    let protocol = format!("{}{:06}", data::REFERENCE_DATE.replace('-', ""), store.tickets.len() + 1);
    store.tickets.push(data::Ticket { id, protocol: protocol.clone(), service_id, type_id: *type_id, description });
    Reply::Json(json!({
        "status": "success",
        "msg": "Atendimento cadastrado com sucesso",
        "atendimento": {
            "id_atendimento": id,
            "protocolo": protocol,
            "status": "Aguardando Análise",
            "tipo_atendimento": type_name,
            "data_cadastro": br_date(data::reference_date()),
            "ordens_servico": [],
        },
    }))
}

/// `GET /pdf/fatura/{hash}`.
pub(crate) fn pdf(store: &Store, hash: &str) -> Reply {
    let Some(i) = store.invoices.iter().find(|i| link_hash(i.id) == hash) else {
        return Reply::NotFound;
    };
    let mut lines = vec![
        crate::people::PROVIDER_NAME.to_owned(),
        format!("Fatura {}", i.id),
        format!("Vencimento: {}", br_date(i.due)),
        format!("Valor: R$ {}", cents_dot(i.open_cents()).replace('.', ",")),
        i.description.clone(),
    ];
    if let Some(b) = boleto(i) {
        lines.push(format!("Linha digitável: {}", b.line_formatted));
    }
    Reply::Pdf(pdf::render(&format!("Fatura {}", i.id), &[lines]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_php_floats() {
        assert_eq!(php_money(9990).to_string(), "99.9");
        assert_eq!(php_money(3000).to_string(), "30");
        assert_eq!(php_money(10207).to_string(), "102.07");
    }
}
