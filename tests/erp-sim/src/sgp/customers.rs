//! Customers, contracts, contacts and plans: `consultacliente`, `clientes`, `contato/add`,
//! `listacontrato`, `suporte/contrato/list`, `consultaplano` and `precadastro/plano/list`.
//!
//! # Behaviour (ERPS.md §2.4-2.5; *inferred* where marked)
//!
//! - **`consultacliente`** answers **one row per contract** (\[H\] T1, \[M\] T3): a customer
//!   with three contracts is three rows repeating the customer's fields. Filters: `cpfcnpj`
//!   (digits or masked), `contrato`, `login`, `email`, `telefone` (digits compared) and `nome`
//!   (case-insensitive substring: *inferred* matching); `servicos_dados`, `radius`,
//!   `titulo_status`, `exibir_historico_status` are accepted and change nothing (*inferred*).
//!   Found: `{"status":1,"msg":"","contratos":[...]}`; nothing matched:
//!   `{"status":0,"msg":"Cliente não encontrado.","contratos":[]}` (*inferred*: both the
//!   business-error shape and the list clients read); no filter at all: a business error.
//!   Row fields are T3/T5's (\[M\]); `telefones` and `emails` are arrays of strings (\[M\] T3, T5;
//!   one tested client reports objects with a `contato` key instead: not reproduced),
//!   `dataNascimento` ISO, `endereco_numero` a number when numeric, `contratoValorAberto` the
//!   open principal of the contract's títulos and `contratoTitulosAReceber` their count
//!   (*inferred* meanings), cancelled and inactive contracts included (*inferred*).
//! - **`clientes`**: `clientes[]` with `endereco{}`, `contratos[]` (the id under `contrato` or
//!   `id`, see [`ContractKey`]; `status` the display text, `servicos[]`
//!   with `plano{id,descricao}`, `login` and, with `exibir_conexao=1`, `conexao{}`) and
//!   `titulos[]` (the `titulos` shape **without `link`**, as T3 notes); `omitir_titulos=1` and
//!   `omitir_contatos=1` drop `titulos` and `telefones`/`emails`. Without a filter it lists
//!   every customer; `limit` at most 100 (\[H\]); `paginacao` is added (*inferred*).
//! - **`contato/add`** (`contrato`, `contato`, `tipo`): `tipo` `email`, or `celular`,
//!   `telefone`, `whatsapp` for phones (*inferred* values); the e-mail must look like one and a
//!   phone have 10 or 11 digits; a duplicate is refused (*inferred*).
//! - **`listacontrato`** (`contrato`, `plano`, `status`, `exibir_endereco`, and `cliente_id`
//!   or `cpfcnpj`: *inferred*) and **`suporte/contrato/list`** (`cliente_cpfcnpj`, `contrato`,
//!   `status`) answer `{"status":1,"contratos":[...]}` with `contratoId`, `contratoStatus`,
//!   `contratoStatusDisplay`, `motivo_status` (\[H\]) and *inferred* plan, due day and address
//!   fields.
//! - **Plans**: `GET consultaplano` (`pop` filter) and `POST precadastro/plano/list` answer
//!   `{"status":1,"planos":[{id, descricao, preco:"99.90", qtd_servicos}]}` (\[M\] T3);
//!   discontinued plans are left out and `qtd_servicos` is how many services the plan bundles,
//!   always 1 here (*inferred*).

use serde_json::{Map, Value, json};

use super::finance::titulo_json;
use super::store::{Address, Contract, Customer, Store, TituloStatus, status};
use super::{ContractKey, Ctx, Reply, Request, flag, id_param, iso_date, page_params, paginate, price, py_money};

/// `POST /api/ura/consultacliente/`.
pub(crate) fn consulta_cliente(store: &Store, _ctx: &Ctx<'_>, request: &Request) -> Reply {
    let params = &request.params;
    let contract_id = match id_param(params, "contrato") {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let document = params.trimmed("cpfcnpj");
    let name = params.trimmed("nome").to_lowercase();
    let login = params.trimmed("login");
    let email = params.trimmed("email").to_lowercase();
    let phone = digits(&params.trimmed("telefone"));
    if contract_id.is_none() && [&document, &name, &login, &email, &phone].iter().all(|s| s.is_empty()) {
        return Reply::error("Informe um parâmetro de busca: cpfcnpj, contrato, nome, login, email ou telefone.");
    }
    let rows: Vec<Value> = store
        .contracts
        .iter()
        .filter_map(|contract| Some((contract, store.customer(contract.customer_id)?)))
        .filter(|(contract, customer)| {
            contract_id.is_none_or(|id| contract.id == id)
                && (document.is_empty()
                    || store.customer_by_document(&document).is_some_and(|found| found.id == customer.id))
                && (name.is_empty() || customer.name.to_lowercase().contains(&name))
                && (login.is_empty() || contract.login == login)
                && (email.is_empty() || customer.emails.iter().any(|e| e.to_lowercase() == email))
                && (phone.is_empty() || customer.phones.iter().any(|p| digits(p) == phone))
        })
        .map(|(contract, customer)| consulta_row(store, contract, customer))
        .collect();
    if rows.is_empty() {
        return Reply::Json(json!({ "status": 0, "msg": "Cliente não encontrado.", "contratos": [] }));
    }
    Reply::Json(json!({ "status": 1, "msg": "", "contratos": rows }))
}

/// One `consultacliente` row: a contract with its customer's fields.
fn consulta_row(store: &Store, contract: &Contract, customer: &Customer) -> Value {
    let plan = store.plan(contract.plan_id);
    let plan_name = plan.map(|p| p.name.clone()).unwrap_or_default();
    let open: Vec<_> = store.titulos_of(contract.id).filter(|t| t.status() == TituloStatus::Open).collect();
    let address = &customer.address;
    json!({
        "clienteId": customer.id,
        "contratoId": contract.id,
        "razaoSocial": customer.name,
        "cpfCnpj": customer.document,
        "dataNascimento": customer.birth.map(iso_date),
        "telefones": customer.phones,
        "emails": customer.emails,
        "contratoStatus": contract.status,
        "contratoStatusDisplay": status::display(contract.status),
        "motivo_status": contract.reason,
        "planointernet": plan_name,
        "servico_plano": plan_name,
        "servico_grupo": if plan_name.starts_with("Rádio") { "radio" } else { "fibra" },
        "servico_login": contract.login,
        "endereco_logradouro": address.street,
        "endereco_numero": number_or_text(&address.number),
        "endereco_complemento": address.complement,
        "endereco_bairro": address.district,
        "endereco_cidade": address.city,
        "endereco_uf": address.state,
        "endereco_cep": address.cep,
        "cobVencimento": contract.due_day,
        "contratoValorAberto": py_money(open.iter().map(|t| t.open_cents()).sum()),
        "contratoTitulosAReceber": open.len(),
        "contratoCentralLogin": customer.central_login(),
        "contratoCentralSenha": customer.central_password,
        "popNome": store.pop(contract.pop_id).map(|p| p.name.clone()).unwrap_or_default(),
    })
}

/// `POST /api/ura/clientes/`.
pub(crate) fn clientes(store: &Store, ctx: &Ctx<'_>, key: ContractKey, request: &Request) -> Reply {
    let params = &request.params;
    let (customer_id, contract_id) = match (id_param(params, "cliente_id"), id_param(params, "contrato")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    let (offset, limit) = match page_params(params, 100, 100) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let document = params.trimmed("cpfcnpj");
    let phone = digits(&params.trimmed("telefone"));
    let login = params.trimmed("login");
    let with_titulos = !flag(params, "omitir_titulos");
    let with_contacts = !flag(params, "omitir_contatos");
    let with_connection = flag(params, "exibir_conexao");
    let items: Vec<Value> = store
        .customers
        .iter()
        .filter(|c| {
            let contracts = store.contracts_of(c.id);
            customer_id.is_none_or(|id| c.id == id)
                && contract_id.is_none_or(|id| contracts.iter().any(|k| k.id == id))
                && (document.is_empty() || store.customer_by_document(&document).is_some_and(|f| f.id == c.id))
                && (phone.is_empty() || c.phones.iter().any(|p| digits(p) == phone))
                && (login.is_empty() || contracts.iter().any(|k| k.login == login))
        })
        .map(|customer| {
            let contracts = store.contracts_of(customer.id);
            let mut entry = Map::new();
            entry.insert("id".into(), json!(customer.id));
            entry.insert("nome".into(), json!(customer.name));
            entry.insert("cpfcnpj".into(), json!(customer.document));
            entry.insert("dataNascimento".into(), json!(customer.birth.map(iso_date)));
            entry.insert("dataCadastro".into(), json!(iso_date(customer.created)));
            if with_contacts {
                entry.insert("telefones".into(), json!(customer.phones));
                entry.insert("emails".into(), json!(customer.emails));
            }
            entry.insert("endereco".into(), address_json(&customer.address));
            let contract_entries: Vec<Value> =
                contracts.iter().map(|c| clientes_contract(store, c, key, with_connection)).collect();
            entry.insert("contratos".into(), Value::Array(contract_entries));
            if with_titulos {
                let titulos: Vec<Value> =
                    contracts.iter().flat_map(|c| store.titulos_of(c.id)).map(|t| titulo_json(ctx, t, false)).collect();
                entry.insert("titulos".into(), Value::Array(titulos));
            }
            Value::Object(entry)
        })
        .collect();
    let (paginacao, page) = paginate(items, offset, limit);
    Reply::Json(json!({ "status": 1, "clientes": page, "paginacao": paginacao }))
}

fn clientes_contract(store: &Store, contract: &Contract, key: ContractKey, with_connection: bool) -> Value {
    let plan = store.plan(contract.plan_id);
    let mut service = json!({
        "id": contract.id + 100,
        "tipo": "Internet",
        "plano": { "id": contract.plan_id, "descricao": plan.map(|p| p.name.clone()).unwrap_or_default() },
        "login": contract.login,
    });
    if with_connection {
        let online = contract.status == status::ACTIVE;
        let connection = json!({
            "status": if online { "online" } else { "offline" },
            "ip": if online { format!("100.64.{}.{}", contract.pop_id, contract.id % 250) } else { String::new() },
            "data_conexao": if online { "2026-05-14 22:10:00" } else { "" },
            "data_desconexao": if online { "" } else { "2026-04-20 00:05:00" },
        });
        if let Value::Object(map) = &mut service {
            map.insert("conexao".into(), connection);
        }
    }
    let id_key = match key {
        ContractKey::Contrato => "contrato",
        ContractKey::Id => "id",
    };
    let owner_address = store.owner(contract.id).map(|c| address_json(&c.address)).unwrap_or(Value::Null);
    json!({
        id_key: contract.id,
        "dataCadastro": iso_date(contract.created),
        "status": status::display(contract.status),
        "motivo_status": contract.reason,
        "servicos": [service],
        "endereco": owner_address,
    })
}

fn address_json(address: &Address) -> Value {
    json!({
        "logradouro": address.street,
        "numero": number_or_text(&address.number),
        "complemento": address.complement,
        "bairro": address.district,
        "cidade": address.city,
        "uf": address.state,
        "cep": address.cep,
    })
}

/// `POST /api/ura/contato/add/`.
pub(crate) fn add_contact(store: &mut Store, request: &Request) -> Reply {
    let params = &request.params;
    let contract_id = match id_param(params, "contrato") {
        Ok(Some(id)) => id,
        Ok(None) => return Reply::error("O campo contrato é obrigatório."),
        Err(reply) => return reply,
    };
    let Some(customer_id) = store.contract(contract_id).map(|c| c.customer_id) else {
        return Reply::error(format!("Contrato {contract_id} não encontrado."));
    };
    let contact = params.trimmed("contato");
    if contact.is_empty() {
        return Reply::error("O campo contato é obrigatório.");
    }
    let kind = params.trimmed("tipo").to_ascii_lowercase();
    let Some(customer) = store.customer_mut(customer_id) else {
        return Reply::error(format!("Contrato {contract_id} não encontrado."));
    };
    match kind.as_str() {
        "email" => {
            let email = contact.to_lowercase();
            let valid = email.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'));
            if !valid {
                return Reply::error(format!("E-mail inválido: {contact}"));
            }
            if customer.emails.iter().any(|e| e.to_lowercase() == email) {
                return Reply::error("Contato já cadastrado.");
            }
            customer.emails.push(contact);
        }
        "celular" | "telefone" | "whatsapp" => {
            let number = digits(&contact);
            if !(10..=11).contains(&number.len()) {
                return Reply::error(format!("Telefone inválido: {contact}"));
            }
            if customer.phones.iter().any(|p| digits(p) == number) {
                return Reply::error("Contato já cadastrado.");
            }
            customer.phones.push(contact);
        }
        _ => {
            return Reply::error(format!(
                "Tipo de contato inválido: {kind}. Use email, celular, telefone ou whatsapp."
            ));
        }
    }
    Reply::Json(json!({ "status": 1, "msg": "Contato adicionado com sucesso.", "contratoId": contract_id }))
}

/// `POST /api/ura/listacontrato/` and (`support`) `POST /api/suporte/contrato/list/`.
pub(crate) fn lista_contrato(store: &Store, request: &Request, support: bool) -> Reply {
    let params = &request.params;
    let ids = ["contrato", "plano", "status", "cliente_id"].map(|key| id_param(params, key));
    let [contract_id, plan_id, status_code, customer_id] = match ids {
        [Ok(a), Ok(b), Ok(c), Ok(d)] => [a, b, c, d],
        [Err(reply), ..] | [_, Err(reply), ..] | [_, _, Err(reply), _] | [.., Err(reply)] => return reply,
    };
    let document = params.trimmed(if support { "cliente_cpfcnpj" } else { "cpfcnpj" });
    let owner = if document.is_empty() {
        None
    } else {
        match store.customer_by_document(&document) {
            Some(customer) => Some(customer.id),
            None => return Reply::error("Cliente não encontrado."),
        }
    };
    let with_address = flag(params, "exibir_endereco");
    let rows: Vec<Value> = store
        .contracts
        .iter()
        .filter(|c| {
            contract_id.is_none_or(|id| c.id == id)
                && plan_id.is_none_or(|id| c.plan_id == id)
                && status_code.is_none_or(|code| u64::from(c.status) == code)
                && customer_id.is_none_or(|id| c.customer_id == id)
                && owner.is_none_or(|id| c.customer_id == id)
        })
        .map(|contract| {
            let customer = store.customer(contract.customer_id);
            let plan = store.plan(contract.plan_id);
            let mut row = json!({
                "contratoId": contract.id,
                "clienteId": contract.customer_id,
                "razaoSocial": customer.map(|c| c.name.clone()).unwrap_or_default(),
                "cpfCnpj": customer.map(|c| c.document.clone()).unwrap_or_default(),
                "contratoStatus": contract.status,
                "contratoStatusDisplay": status::display(contract.status),
                "motivo_status": contract.reason,
                "planoId": contract.plan_id,
                "plano": plan.map(|p| p.name.clone()).unwrap_or_default(),
                "planoValor": py_money(plan.map_or(0, |p| p.price_cents)),
                "cobVencimento": contract.due_day,
                "dataCadastro": iso_date(contract.created),
                "servico_login": contract.login,
                "popNome": store.pop(contract.pop_id).map(|p| p.name.clone()).unwrap_or_default(),
            });
            if let (true, Some(customer), Value::Object(map)) = (with_address, customer, &mut row) {
                map.insert("endereco".into(), address_json(&customer.address));
            }
            row
        })
        .collect();
    Reply::Json(json!({ "status": 1, "contratos": rows }))
}

/// `GET /api/ura/consultaplano/` (`pop` filter).
pub(crate) fn consulta_plano(store: &Store, request: &Request) -> Reply {
    let pop = match id_param(&request.params, "pop") {
        Ok(pop) => pop,
        Err(reply) => return reply,
    };
    Reply::Json(json!({ "status": 1, "planos": plans(store, pop) }))
}

/// `POST /api/precadastro/plano/list`.
pub(crate) fn precadastro_planos(store: &Store) -> Reply {
    Reply::Json(json!({ "status": 1, "planos": plans(store, None) }))
}

fn plans(store: &Store, pop: Option<u64>) -> Vec<Value> {
    store
        .plans
        .iter()
        .filter(|p| p.active && pop.is_none_or(|id| p.pops.contains(&id)))
        .map(|p| json!({ "id": p.id, "descricao": p.name, "preco": price(p.price_cents), "qtd_servicos": 1 }))
        .collect()
}

/// The ASCII digits of `text`.
pub(crate) fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// `"123"` → `123`; anything else stays text.
fn number_or_text(text: &str) -> Value {
    text.parse::<u64>().map_or_else(|_| json!(text), |n| json!(n))
}
