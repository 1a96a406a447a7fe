//! Tickets: `POST /api/ura/chamado/` (ocorrência + ordem de serviço), the lists
//! `ocorrencia/list` and `ordemservico/list`, and the catalogues.
//!
//! # Behaviour (ERPS.md §2.4; *inferred* where marked)
//!
//! - **`chamado`** takes JSON (\[M\] T3, T1's example `{contrato:308, ocorrenciatipo:30,
//!   tipoclassificacoes:[5]}`) and form bodies too (T4 sends form). `contrato` is required and
//!   must exist; `ocorrenciatipo` defaults to 5 (\[H\]) and must be an active type of
//!   [`OCORRENCIA_TYPES`]; `tipoclassificacoes` is an array of [`CLASSIFICATIONS`] ids (in a
//!   form: `5,7` or `[5,7]`: *inferred*); `setor`, `metodo` and `motivoos`
//!   must exist in their catalogues when sent; `data_hora_agendamento` must be `AAAA-MM-DD
//!   HH:MM` (\[H\]). It opens an ocorrência and, unless `desativa_os=1`, an ordem de serviço
//!   (reason `motivoos`, default 2). `tipo_servico`/`servico_id`, `conteudolimpo` and
//!   `responsavel` are stored or ignored without checks (*inferred*). Answer `{"status":1,
//!   "protocolo":...,"razaoSocial":...,"msg":...,"contratoId":...}` (\[M\] T3) where
//!   **`contratoId` is an array (`[201]`) when the body was form-urlencoded** and a number
//!   when JSON: ERPS.md says it is "sometimes an array"; tying it to form bodies (as Django's
//!   `QueryDict` lists would) is *inferred*.
//! - **`ocorrencia/list`** (`contrato`, `cpfcnpj`, `status` 0 aberta/1 encerrada,
//!   `data_cadastro_inicio`/`_fim`: the date parameter names are *inferred*; `offset`/`limit`,
//!   default 100, max 1000): `{"status":1,"ocorrencias":[...],"paginacao":{...}}`, each with
//!   `numero` and `protocolo` (the same protocol), `status` text, `status_id`, `conteudo`,
//!   `tipo`, dates (\[M\] T3; the list key varies between clients, `ocorrencias` is *inferred*
//!   here). **`ordemservico/list`** (`contrato`, `offset`/`limit`) answers under `result`
//!   (*inferred*, another of the keys T3 tries).
//! - **Catalogues** (`GET /api/os/ocorrencia/{tipo,setor,motivo,metodo}/list/`,
//!   `GET /api/ura/classificacoes/list/`) answer raw arrays of `{id, descricao, ativo}`, inactive
//!   entries included (*inferred* from a client script that filters on `ativo`).

use serde_json::{Value, json};

use super::data::{CLASSIFICATIONS, METHODS, OCORRENCIA_TYPE_DEFAULT, OCORRENCIA_TYPES, OS_REASONS, SECTORS};
use super::store::{Ocorrencia, OrdemServico, Store};
use super::{Reply, Request, date_param, flag, id_param, page_params, paginate};

/// One of the ticket catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Catalogue {
    /// `/api/os/ocorrencia/tipo/list/`.
    Types,
    /// `/api/os/ocorrencia/setor/list/`.
    Sectors,
    /// `/api/os/ocorrencia/motivo/list/`.
    Reasons,
    /// `/api/os/ocorrencia/metodo/list/`.
    Methods,
    /// `/api/ura/classificacoes/list/`.
    Classifications,
}

impl Catalogue {
    fn entries(self) -> &'static [(u64, &'static str, bool)] {
        match self {
            Catalogue::Types => OCORRENCIA_TYPES,
            Catalogue::Sectors => SECTORS,
            Catalogue::Reasons => OS_REASONS,
            Catalogue::Methods => METHODS,
            Catalogue::Classifications => CLASSIFICATIONS,
        }
    }
}

/// A catalogue as a raw JSON array.
pub(crate) fn catalogue(catalogue: Catalogue) -> Reply {
    Reply::Json(Value::Array(
        catalogue
            .entries()
            .iter()
            .map(|(id, name, active)| json!({ "id": id, "descricao": name, "ativo": active }))
            .collect(),
    ))
}

fn lookup(catalogue: Catalogue, id: u64) -> Option<&'static str> {
    catalogue.entries().iter().find(|(entry, _, active)| *entry == id && *active).map(|(_, name, _)| *name)
}

fn name_of(catalogue: Catalogue, id: u64) -> &'static str {
    catalogue.entries().iter().find(|(entry, _, _)| *entry == id).map_or("", |(_, name, _)| name)
}

/// `tipoclassificacoes`: a JSON array, or in a form `5,7` / `[5,7]`.
fn classifications(request: &Request) -> Result<Vec<u64>, Reply> {
    let invalid = |text: &str| Reply::error(format!("tipoclassificacoes inválido: {text}"));
    let ids: Vec<u64> = match request.params.raw("tipoclassificacoes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Number(n) => n.as_u64().ok_or_else(|| invalid(&n.to_string())),
                Value::String(s) => s.trim().parse().map_err(|_| invalid(s)),
                other => Err(invalid(&other.to_string())),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Number(n)) => vec![n.as_u64().ok_or_else(|| invalid(&n.to_string()))?],
        Some(Value::String(text)) => text
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| invalid(text)))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(invalid(&other.to_string())),
    };
    if let Some(unknown) = ids.iter().find(|id| lookup(Catalogue::Classifications, **id).is_none()) {
        return Err(Reply::error(format!("Classificação {unknown} não encontrada.")));
    }
    Ok(ids)
}

/// An optional id that must name an active entry of `catalogue`.
fn catalogue_param(request: &Request, key: &str, catalogue: Catalogue) -> Result<Option<u64>, Reply> {
    match id_param(&request.params, key)? {
        Some(id) if lookup(catalogue, id).is_none() => Err(Reply::error(format!("{key} inválido: {id}"))),
        other => Ok(other),
    }
}

/// `POST /api/ura/chamado/`.
pub(crate) fn chamado(store: &mut Store, request: &Request) -> Reply {
    match open_ticket(store, request) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn open_ticket(store: &mut Store, request: &Request) -> Result<Reply, Reply> {
    let params = &request.params;
    let contract_id = id_param(params, "contrato")?.ok_or_else(|| Reply::error("O campo contrato é obrigatório."))?;
    let owner =
        store.owner(contract_id).ok_or_else(|| Reply::error(format!("Contrato {contract_id} não encontrado.")))?;
    let name = owner.name.clone();
    let type_id = id_param(params, "ocorrenciatipo")?.unwrap_or(OCORRENCIA_TYPE_DEFAULT);
    if lookup(Catalogue::Types, type_id).is_none() {
        return Err(Reply::error(format!("Tipo de ocorrência inválido: {type_id}")));
    }
    let classification_ids = classifications(request)?;
    let sector_id = catalogue_param(request, "setor", Catalogue::Sectors)?;
    let method_id = catalogue_param(request, "metodo", Catalogue::Methods)?;
    let reason_id = catalogue_param(request, "motivoos", Catalogue::Reasons)?.unwrap_or(2);
    let scheduled = params.trimmed("data_hora_agendamento");
    let scheduled = if scheduled.is_empty() {
        None
    } else if scheduled.len() == 16 && chrono::NaiveDateTime::parse_from_str(&scheduled, "%Y-%m-%d %H:%M").is_ok() {
        Some(scheduled)
    } else {
        return Err(Reply::error(format!(
            "data_hora_agendamento inválida: {scheduled}. Use o formato AAAA-MM-DD HH:MM."
        )));
    };
    let content = [params.trimmed("conteudo"), params.trimmed("conteudolimpo")]
        .into_iter()
        .find(|c| !c.is_empty())
        .unwrap_or_default();
    let order = if flag(params, "desativa_os") {
        None
    } else {
        Some(OrdemServico { id: store.next_order(), reason_id, scheduled, responsible: params.trimmed("responsavel") })
    };
    let protocol = store.open_ocorrencia(contract_id, type_id, content, order);
    if let Some(ocorrencia) = store.ocorrencias.last_mut() {
        ocorrencia.sector_id = sector_id;
        ocorrencia.method_id = method_id;
        ocorrencia.classifications = classification_ids;
        ocorrencia.contact_name = params.trimmed("contato_nome");
        ocorrencia.contact_phone = params.trimmed("contato_telefone");
    }
    let contract = if request.form { json!([contract_id]) } else { json!(contract_id) };
    Ok(Reply::Json(json!({
        "status": 1,
        "protocolo": protocol,
        "razaoSocial": name,
        "msg": format!("Chamado aberto com sucesso. Protocolo: {protocol}"),
        "contratoId": contract,
    })))
}

fn ocorrencia_json(o: &Ocorrencia) -> Value {
    json!({
        "id": o.id,
        "numero": o.protocol,
        "protocolo": o.protocol,
        "contrato": o.contract_id,
        "tipo_id": o.type_id,
        "tipo": name_of(Catalogue::Types, o.type_id),
        "status": if o.status_id == 0 { "Aberta" } else { "Encerrada" },
        "status_id": o.status_id,
        "conteudo": o.content,
        "data_cadastro": o.created,
        "data_encerramento": o.closed,
        "setor": o.sector_id.map(|id| name_of(Catalogue::Sectors, id)),
        "metodo": o.method_id.map(|id| name_of(Catalogue::Methods, id)),
        "classificacoes": o.classifications.iter()
            .map(|id| json!({ "id": id, "descricao": name_of(Catalogue::Classifications, *id) }))
            .collect::<Vec<_>>(),
        "contato_nome": o.contact_name,
        "contato_telefone": o.contact_phone,
        "os_id": o.order.as_ref().map(|order| order.id),
    })
}

/// Contracts a list request is about: `contrato` and/or `cpfcnpj`; `None` for all.
fn contract_filter(store: &Store, request: &Request) -> Result<Option<Vec<u64>>, Reply> {
    let contract = id_param(&request.params, "contrato")?;
    let document = request.params.trimmed("cpfcnpj");
    let mut ids: Option<Vec<u64>> = contract.map(|id| vec![id]);
    if !document.is_empty() {
        let customer = store.customer_by_document(&document).ok_or_else(|| Reply::error("Cliente não encontrado."))?;
        let own: Vec<u64> = store.contracts_of(customer.id).iter().map(|c| c.id).collect();
        ids = Some(match ids {
            Some(given) => given.into_iter().filter(|id| own.contains(id)).collect(),
            None => own,
        });
    }
    Ok(ids)
}

/// `POST /api/ura/ocorrencia/list/`.
pub(crate) fn ocorrencia_list(store: &Store, request: &Request) -> Reply {
    let listed = || -> Result<Reply, Reply> {
        let params = &request.params;
        let contracts = contract_filter(store, request)?;
        let status = id_param(params, "status")?;
        let from = date_param(params, "data_cadastro_inicio")?;
        let to = date_param(params, "data_cadastro_fim")?;
        let (offset, limit) = page_params(params, 100, 1000)?;
        let items = store
            .ocorrencias
            .iter()
            .filter(|o| contracts.as_ref().is_none_or(|ids| ids.contains(&o.contract_id)))
            .filter(|o| status.is_none_or(|s| u64::from(o.status_id) == s))
            .filter(|o| {
                let day = o.created.get(..10).and_then(super::parse_iso_date);
                from.is_none_or(|f| day.is_some_and(|d| d >= f)) && to.is_none_or(|t| day.is_some_and(|d| d <= t))
            })
            .map(ocorrencia_json)
            .collect();
        let (paginacao, page) = paginate(items, offset, limit);
        Ok(Reply::Json(json!({ "status": 1, "ocorrencias": page, "paginacao": paginacao })))
    };
    match listed() {
        Ok(reply) | Err(reply) => reply,
    }
}

/// `POST /api/ura/ordemservico/list/`.
pub(crate) fn ordem_servico_list(store: &Store, request: &Request) -> Reply {
    let listed = || -> Result<Reply, Reply> {
        let contracts = contract_filter(store, request)?;
        let (offset, limit) = page_params(&request.params, 100, 1000)?;
        let items = store
            .ocorrencias
            .iter()
            .filter(|o| contracts.as_ref().is_none_or(|ids| ids.contains(&o.contract_id)))
            .filter_map(|o| {
                let order = o.order.as_ref()?;
                Some(json!({
                    "id": order.id,
                    "ocorrencia": o.protocol,
                    "contrato": o.contract_id,
                    "motivo_id": order.reason_id,
                    "motivo": name_of(Catalogue::Reasons, order.reason_id),
                    "status": if o.status_id == 0 { "Aberta" } else { "Encerrada" },
                    "data_cadastro": o.created,
                    "data_agendamento": order.scheduled,
                    "responsavel": order.responsible,
                }))
            })
            .collect();
        let (paginacao, page) = paginate(items, offset, limit);
        Ok(Reply::Json(json!({ "status": 1, "result": page, "paginacao": paginacao })))
    };
    match listed() {
        Ok(reply) | Err(reply) => reply,
    }
}
