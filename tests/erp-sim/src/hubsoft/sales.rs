//! What a sale needs: the configuration catalogues (`/configuracao/servico`, `/vendedor`,
//! `/vencimento`, `/origem_cliente`), the plans a CEP's business unit offers to prospects
//! (`GET /prospecto/create?cep=`), and prospects (`POST /prospecto`, `GET /prospecto`).
//!
//! Shapes are the official Postman collection's (\[H\] U1): `servicos[]{id_servico, descricao,
//! id_servico_tecnologia, servico_tecnologia}`, `vendedores[]{id, name}` (names as typed, some
//! with a trailing space, as in the documented example), `vencimentos[]{id_vencimento,
//! dia_vencimento}` (a number, or `"ultimo_dia"`), `origens_cliente[]{id_origem_cliente,
//! descricao}` with `"encrypted": false`; the prospect's plans with `valor` a PHP float, a
//! `display` and speeds in kbps; the prospect's answer with the name upper-cased and
//! `prospecto_servico.valor` a string. Errors: "CEP não informado.", "Nenhuma cidade foi
//! encontrada com esse CEP.", "O CPF/CNPJ já foi cadastrado antes no prospecto <NOME>"
//! (\[H\]). The validation messages, the check that ids (plan, seller, due date, origin) exist
//! and the technology ids (`1` RADIO, `2` FIBRA) are *inferred*.

use serde_json::{Value, json};

use super::Reply;
use super::api::{br_date, document_key, php_money};
use super::data::{self, Prospect, Store};
use crate::catalogue::{self, DueDay};
use crate::params::Params;

/// Hubsoft's technology (`servico_tecnologia`) of a plan.
fn technology(plan: &catalogue::Plan) -> (u64, &'static str) {
    if plan.radio { (1, "RADIO") } else { (2, "FIBRA") }
}

/// `GET /configuracao/servico` (`id_servico_tecnologia` filter): the active services.
pub(crate) fn servicos(params: &Params) -> Reply {
    let filter = params.trimmed("id_servico_tecnologia");
    let technology_id = if filter.is_empty() {
        None
    } else {
        match filter.parse::<u64>() {
            Ok(id) => Some(id),
            Err(_) => return Reply::error("O campo id_servico_tecnologia deve ser um número inteiro."),
        }
    };
    let services: Vec<Value> = catalogue::plans_for_sale()
        .filter(|p| technology_id.is_none_or(|t| technology(p).0 == t))
        .map(|p| {
            let (id, name) = technology(p);
            json!({
                "id_servico": p.id,
                "descricao": p.name,
                "id_servico_tecnologia": id,
                "servico_tecnologia": { "id_servico_tecnologia": id, "descricao": name },
            })
        })
        .collect();
    Reply::Json(json!({ "status": "success", "msg": "Serviços Ativos consultados com sucesso", "servicos": services }))
}

/// `GET /configuracao/vendedor`: the active sellers.
pub(crate) fn vendedores() -> Reply {
    let sellers: Vec<Value> = catalogue::SELLERS
        .iter()
        .filter(|s| s.active)
        // As typed in Hubsoft: the documented example has several names with a trailing space.
        .map(|s| json!({ "id": s.id, "name": if s.id % 2 == 0 { format!("{} ", s.name) } else { s.name.to_owned() } }))
        .collect();
    Reply::Json(json!({ "status": "success", "msg": "Vendedores consultados com sucesso", "vendedores": sellers }))
}

/// `GET /configuracao/vencimento`.
pub(crate) fn vencimentos() -> Reply {
    let dates: Vec<Value> = catalogue::DUE_DATES
        .iter()
        .map(|d| {
            let day = match d.day {
                DueDay::Day(day) => json!(day),
                DueDay::LastDay => json!("ultimo_dia"),
            };
            json!({ "id_vencimento": d.id, "dia_vencimento": day })
        })
        .collect();
    Reply::Json(json!({ "status": "success", "msg": "Vencimentos consultados com sucesso", "vencimentos": dates }))
}

/// `GET /configuracao/origem_cliente`.
pub(crate) fn origens() -> Reply {
    let origins: Vec<Value> = catalogue::COMMERCIAL_ORIGINS
        .iter()
        .map(|o| json!({ "id_origem_cliente": o.id, "descricao": o.description }))
        .collect();
    Reply::Json(json!({
        "status": "success", "msg": "Dados consultados com sucesso", "origens_cliente": origins, "encrypted": false,
    }))
}

/// The plans the business unit of `cep` offers, or Hubsoft's refusal.
fn offered(cep: &str) -> Result<Vec<&'static catalogue::Plan>, Reply> {
    if cep.trim().is_empty() {
        return Err(Reply::error("CEP não informado."));
    }
    let area = data::sales_area(cep).ok_or_else(|| Reply::error("Nenhuma cidade foi encontrada com esse CEP."))?;
    Ok(catalogue::plans_for_sale().filter(|p| area.plans.contains(&p.id)).collect())
}

/// `GET /prospecto/create?cep=`: the plans offered to prospects at that CEP.
pub(crate) fn planos_prospecto(params: &Params) -> Reply {
    let plans = match offered(&params.trimmed("cep")) {
        Ok(plans) => plans,
        Err(reply) => return reply,
    };
    let services: Vec<Value> = plans
        .into_iter()
        .map(|p| {
            let price = crate::payment::cents_dot(p.price_cents);
            json!({
                "id_servico": p.id,
                "descricao": p.name,
                "valor": php_money(p.price_cents),
                "nome_radius": format!("HUBSOFT-SERVICE-{}", p.id),
                "display": format!("{} - (R$ {price})", p.name),
                "velocidade_download": p.download_mbps * 1024,
                "velocidade_upload": p.upload_mbps * 1024,
            })
        })
        .collect();
    Reply::Json(json!({ "status": "success", "msg": "Dados consultados com sucesso", "servicos": services }))
}

fn prospect_json(p: &Prospect) -> Value {
    let created = format!("{} {}", data::REFERENCE_DATE, crate::people::REFERENCE_TIME);
    json!({
        "id_prospecto": p.id,
        "nome_razaosocial": p.name,
        "cpf_cnpj": p.document,
        "email": p.email,
        "telefone": p.phone,
        "observacao": p.notes,
        "id_cliente": null,
        "id_endereco_numero": 33_000 + p.id,
        "tipo_pessoa": p.person_type,
        "id_usuario": 1,
        "origem": "API",
        "id_vendedor": p.seller_id,
        "id_origem_cliente": p.origin_id,
        "id_vencimento": p.due_date_id,
        "endereco": {
            "cep": p.address[0], "endereco": p.address[1], "numero": p.address[2], "bairro": p.address[3],
            "complemento": p.address[4],
        },
        "updated_at": created,
        "created_at": created,
        "created_at_br": br_date(data::reference_date()),
    })
}

/// An optional id that must be in `known`: `Ok(None)` when absent.
fn optional_id(params: &Params, key: &str, known: &[u64], errors: &mut Vec<String>) -> Option<u64> {
    let text = params.trimmed(key);
    if text.is_empty() {
        return None;
    }
    match text.parse::<u64>() {
        Ok(id) if known.contains(&id) => Some(id),
        _ => {
            errors.push(format!("O campo {key} é inválido: {text}."));
            None
        }
    }
}

/// `POST /prospecto`.
pub(crate) fn criar_prospecto(store: &mut Store, params: &Params) -> Reply {
    let mut errors: Vec<String> = Vec::new();
    let mut required = |key: &str| {
        let value = params.trimmed(key);
        if value.is_empty() {
            errors.push(format!("O campo {key} é obrigatório."));
        }
        value
    };
    let cep = required("cep");
    let name = required("nome_razaosocial");
    let phone = required("telefone");
    let person_type = required("tipo_pessoa");
    let district = required("bairro");
    let street = required("endereco");
    let number = required("numero");
    let service = params.raw("servico").cloned().unwrap_or(Value::Null);
    let service_id = match &service["id_servico"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let value = match &service["valor"] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if s.trim().parse::<f64>().is_ok() => Some(s.trim().to_owned()),
        _ => None,
    };
    if service_id.is_none() {
        errors.push("O campo servico.id_servico é obrigatório.".to_owned());
    }
    if value.is_none() {
        errors.push("O campo servico.valor é obrigatório e deve ser numérico.".to_owned());
    }
    if !phone.is_empty() && (!(10..=11).contains(&phone.len()) || !phone.chars().all(|c| c.is_ascii_digit())) {
        errors.push("O campo telefone deve conter DDD e número, somente dígitos.".to_owned());
    }
    if !person_type.is_empty() && person_type != "pf" && person_type != "pj" {
        errors.push("O campo tipo_pessoa deve ser pf ou pj.".to_owned());
    }
    let document = Some(document_key(&params.trimmed("cpf_cnpj"))).filter(|d| !d.is_empty());
    if document.as_ref().is_some_and(|d| d.len() != 11 && d.len() != 14) {
        errors.push("O campo cpf_cnpj é inválido.".to_owned());
    }
    let seller_ids: Vec<u64> = catalogue::SELLERS.iter().filter(|s| s.active).map(|s| s.id).collect();
    let seller_id = optional_id(params, "id_vendedor", &seller_ids, &mut errors);
    let origin_ids: Vec<u64> = catalogue::COMMERCIAL_ORIGINS.iter().map(|o| o.id).collect();
    let origin_id = optional_id(params, "id_origem_cliente", &origin_ids, &mut errors);
    let due_ids: Vec<u64> = catalogue::DUE_DATES.iter().map(|d| d.id).collect();
    let due_date_id = optional_id(params, "id_vencimento", &due_ids, &mut errors);
    if !errors.is_empty() {
        return Reply::Json(json!({ "status": "error", "msg": "Erro de validação", "errors": errors }));
    }
    let offered = match offered(&cep) {
        Ok(plans) => plans,
        Err(reply) => return reply,
    };
    let service_id = service_id.unwrap_or_default();
    if !offered.iter().any(|p| p.id == service_id) {
        return Reply::error(format!("O serviço {service_id} não está habilitado para prospecto neste CEP."));
    }
    if let Some(existing) =
        document.as_ref().and_then(|d| store.prospects.iter().find(|p| p.document.as_ref() == Some(d)))
    {
        return Reply::error(format!("O CPF/CNPJ já foi cadastrado antes no prospecto {}", existing.name));
    }
    let optional = |key: &str| Some(params.trimmed(key)).filter(|v| !v.is_empty());
    let prospect = Prospect {
        id: data::FIRST_PROSPECT_ID + store.prospects.len() as u64,
        name: name.to_uppercase(),
        document,
        phone,
        email: optional("email"),
        notes: optional("observacao"),
        person_type,
        service_id,
        value: value.unwrap_or_default(),
        address: [
            cep.chars().filter(char::is_ascii_digit).collect(),
            street,
            number,
            district,
            params.trimmed("complemento"),
        ],
        seller_id,
        origin_id,
        due_date_id,
    };
    let mut answer = prospect_json(&prospect);
    if let Value::Object(fields) = &mut answer {
        fields.insert(
            "prospecto_servico".to_owned(),
            json!({
                "id_prospecto_servico": prospect.id,
                "id_prospecto": prospect.id,
                "id_servico": prospect.service_id,
                "valor": prospect.value,
            }),
        );
    }
    store.prospects.push(prospect);
    Reply::Json(json!({ "status": "success", "msg": "Prospecto adicionado com sucesso", "prospecto": answer }))
}

/// `GET /prospecto?busca=nome_razaosocial|cpf_cnpj&termo_busca=`.
pub(crate) fn buscar_prospectos(store: &Store, params: &Params) -> Reply {
    let busca = params.trimmed("busca");
    let term = params.trimmed("termo_busca");
    if busca.is_empty() || term.is_empty() {
        return Reply::error("Os campos busca e termo_busca são obrigatórios.");
    }
    if !["nome_razaosocial", "cpf_cnpj"].contains(&busca.as_str()) {
        return Reply::error(format!("Tipo de busca inválido: {busca}"));
    }
    let found: Vec<Value> = store
        .prospects
        .iter()
        .filter(|p| match busca.as_str() {
            "nome_razaosocial" => p.name.to_lowercase().contains(&term.to_lowercase()),
            "cpf_cnpj" => p.document.as_deref() == Some(document_key(&term).as_str()),
            _ => false,
        })
        .map(prospect_json)
        .collect();
    Reply::Json(json!({ "status": "success", "msg": "Dados consultados com sucesso", "prospectos": found }))
}
