//! The adapter against a small fake Hubsoft (ERPS.md §3's shapes), natively, through
//! `ponte_pdk::dispatch` and the PDK's fake host. The end-to-end tests through the host and the
//! simulator live in `tests/e2e/tests/hubsoft.rs` and the conformance suite.

use std::cell::RefCell;
use std::rc::Rc;

use ponte_pdk::http::{HttpError, Request, Response};
use ponte_pdk::serde_json::{Value, json};
use ponte_pdk::testing::{FakeHost, json_response};
use ponte_pdk::{Error, dispatch};

use super::HubsoftAdapter;
use super::client::cache_ttl;
use super::customer::date_in;
use super::fiscal::windows;
use super::lead::pick;

const BASE: &str = "https://api.acme.hubsoft.example";
const MARIA: &str = "71460238001";
const SECRET: &str = "s3cr3t-client";
const PASSWORD: &str = "p4ssw0rd-user";
/// An NF-e access key (PlugStorage simulator's company note).
const NFE_KEY: &str = "35260445123456000187550010000000881010700309";
/// A Banco do Brasil line (the contract's test table).
const LINE: &str = "00190000090294172501801726802174393850000021960";

/// What the fake Hubsoft did.
#[derive(Default)]
struct Seen {
    grants: u32,
    /// The token the fake accepts now (`None`: every token is refused).
    valid: Option<String>,
    liquidations: Vec<Value>,
    /// Bodies of `POST /prospecto` accepted.
    prospects: Vec<Value>,
    /// Query strings of `GET /cliente/nota_fiscal`.
    note_queries: Vec<String>,
}

fn client() -> Value {
    json!({
        "id_cliente": 101, "codigo_cliente": 101, "nome_razaosocial": "Maria Aparecida da Silva", "cpf_cnpj": MARIA,
        "telefone_primario": "11987654321", "telefone_secundario": null, "telefone_terciario": null,
        "email_principal": "maria.silva@example.com", "email_secundario": null,
        "alerta": true, "alerta_mensagens": ["Manutenção programada"],
        "servicos": [
            {"id_cliente_servico": 201, "nome": "Fibra 300 Mega", "valor": 99.9, "status": "Serviço Habilitado", "status_prefixo": "servico_habilitado", "dia_vencimento": 10},
            {"id_cliente_servico": 204, "nome": "Fibra 600 Mega", "valor": 129.9, "status": "Suspenso por Débito", "status_prefixo": "suspenso_debito"},
        ],
    })
}

fn fatura(id: u64, quitado: bool, valor: Value, pago: Value, due: &str) -> Value {
    json!({
        "id_fatura": id, "quitado": quitado, "status": if quitado { "pago" } else { "vencido" },
        "valor": valor, "valor_pago": pago, "data_vencimento": due, "data_cadastro": "01/04/2026",
        "linha_digitavel": LINE, "pix_copia_cola": null, "link": format!("{BASE}/pdf/fatura/h{id}"),
        "numero_documento": "5", "nosso_numero": "9",
        "cliente": {"cpf_cnpj": MARIA, "nome_razaosocial": "Maria Aparecida da Silva", "servico": {"id_cliente_servico": 201}},
    })
}

/// Maria's notes in Hubsoft's three lists, shaped as the documented example.
fn notes() -> Value {
    json!({
        "status": "success", "msg": "Dados carregados com sucesso",
        "cliente": {"id_cliente": 101, "codigo_cliente": 101, "nome_razaosocial": "Maria Aparecida da Silva"},
        "notas_fiscais": [
            {"id_nota_fiscal": 3064, "numero_nota": 427, "serie_nota": "U", "identificacao": "XYWNrpBhW5D8p2yuvAoL",
             "valor": "99.9", "data_emissao_br": "31/03/2026", "cancelado": false,
             "tipo_documento_fiscal": {"codigo": "21"}, "link": format!("{BASE}/pdf/nota/3064")},
            {"id_nota_fiscal": 3065, "numero_nota": 428, "serie_nota": "U", "valor": "99.9",
             "data_emissao_br": "28/02/2026", "cancelado": true, "link": format!("{BASE}/pdf/nota/3065")},
            {"id_nota_fiscal": 3066, "numero_nota": null, "valor": "1", "data_emissao_br": "01/01/2026"},
        ],
        "nfes": [
            {"id_nfe": 351, "modelo": "55", "serie": "1", "numero_nf": 60, "chave": format!("NFe{NFE_KEY}"),
             "status": "efetivada", "cancelado": false, "data_emissao_br": "15/04/2026 09:07:06", "valor_total": "199.90",
             "link": format!("{BASE}/pdf/nota/351")},
        ],
        "nfses": [
            {"id_nfse": 106, "numero": "14890", "serie": "LAL", "valor": "25", "status": "autorizado",
             "data_cadastro_br": "26/04/2026 10:22", "link_pdf": ""},
        ],
    })
}

/// A fake Hubsoft; `expires_in` is what its token grant answers.
fn hubsoft(seen: &Rc<RefCell<Seen>>, expires_in: u64) -> impl FnMut(&Request) -> Result<Response, HttpError> + 'static {
    let seen = Rc::clone(seen);
    move |request: &Request| {
        let url = request.url();
        let mut seen = seen.borrow_mut();
        if url.ends_with("/oauth/token") {
            let body: Value = ponte_pdk::serde_json::from_slice(request.body_bytes()).unwrap_or_default();
            if body["client_secret"] != SECRET || body["password"] != PASSWORD {
                return Ok(json_response(401, json!({"error": "invalid_credentials"})));
            }
            seen.grants += 1;
            let token = format!("tok{}", seen.grants);
            seen.valid = Some(token.clone());
            return Ok(json_response(
                200,
                json!({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}),
            ));
        }
        if url.contains("/pdf/fatura/") || url.contains("/pdf/nota/") {
            return Ok(Response { status: 200, headers: vec![], body: b"%PDF-1.4 fake".to_vec() });
        }
        let bearer = request.header_value("authorization").unwrap_or_default().to_owned();
        if seen.valid.as_ref().is_none_or(|t| bearer != format!("Bearer {t}")) {
            return Ok(json_response(401, json!({"message": "Unauthenticated."})));
        }
        let path = url
            .split_once("/api/v1/integracao/")
            .map(|(_, p)| p.split('?').next().unwrap_or("").to_owned())
            .unwrap_or_default();
        let known = url.contains(MARIA);
        Ok(json_response(
            200,
            match path.as_str() {
                "cliente" => json!({"status": "success", "clientes": if known { vec![client()] } else { vec![] }}),
                "cliente/financeiro" => json!({"status": "success", "faturas": if known { vec![
                fatura(1002, false, json!(99.9), json!(0), "10/06/2026"),
                fatura(1006, false, json!(129.9), json!(30), "10/05/2026"),
                fatura(1003, true, json!(99.9), json!(99.9), "10/03/2026"),
            ] } else { vec![] }}),
                "financeiro/fatura/liquidar" => {
                    let body: Value = ponte_pdk::serde_json::from_slice(request.body_bytes()).unwrap_or_default();
                    seen.liquidations.push(body);
                    json!({"status": "suscess", "recibo": {"id_recibo": 1}})
                }
                "cliente/desbloqueio_confianca" => {
                    json!({"status": "suscess", "msg": "Desbloqueio em confiança realizado com sucesso até a data 18/05/2026"})
                }
                "atendimento" => {
                    json!({"status": "success", "atendimento": {"id_atendimento": 9, "protocolo": "2026051500001"}})
                }
                "configuracao/servico" => json!({"status": "success", "servicos": [
                    {"id_servico": 1, "descricao": "Fibra 300 Mega", "id_servico_tecnologia": 2},
                    {"id_servico": 2, "descricao": "Fibra 600 Mega", "id_servico_tecnologia": 2},
                ]}),
                "configuracao/vendedor" => json!({"status": "success", "vendedores": [
                    {"id": 7603, "name": "Loja Centro"}, {"id": 4808, "name": "André Lehrbach "}, {"id": 1, "name": null},
                ]}),
                "configuracao/vencimento" => json!({"status": "success", "vencimentos": [
                    {"id_vencimento": 61, "dia_vencimento": 10}, {"id_vencimento": 7, "dia_vencimento": "ultimo_dia"},
                ]}),
                "configuracao/origem_cliente" => json!({"status": "success", "encrypted": false, "origens_cliente": [
                    {"id_origem_cliente": 1, "descricao": "Instagram"}, {"id_origem_cliente": 4, "descricao": "Indicação"},
                ]}),
                "prospecto/create" if url.contains("cep=01310100") => json!({"status": "success", "servicos": [
                    {"id_servico": 1, "descricao": "Fibra 300 Mega", "valor": 99.9, "display": "Fibra 300 Mega - (R$ 99.90)"},
                    {"id_servico": 2, "descricao": "Fibra 600 Mega", "valor": 129.9, "display": "Fibra 600 Mega - (R$ 129.90)"},
                ]}),
                "prospecto/create" => json!({"status": "error", "msg": "Nenhuma cidade foi encontrada com esse CEP."}),
                "prospecto" if request.method() == "POST" => {
                    let body: Value = ponte_pdk::serde_json::from_slice(request.body_bytes()).unwrap_or_default();
                    let missing: Vec<String> = [
                        "cep",
                        "servico",
                        "nome_razaosocial",
                        "telefone",
                        "tipo_pessoa",
                        "bairro",
                        "endereco",
                        "numero",
                    ]
                    .iter()
                    .filter(|k| body.get(**k).is_none())
                    .map(|k| format!("O campo {k} é obrigatório."))
                    .collect();
                    if !missing.is_empty() {
                        json!({"status": "error", "msg": "Erro de validação", "errors": missing})
                    } else if seen.prospects.iter().any(|p| p["cpf_cnpj"] == body["cpf_cnpj"]) {
                        json!({"status": "error", "msg": "O CPF/CNPJ já foi cadastrado antes no prospecto PAULO SOUZA"})
                    } else {
                        seen.prospects.push(body);
                        json!({"status": "success", "prospecto": {"id_prospecto": 100, "origem": "API"}})
                    }
                }
                "cliente/nota_fiscal" => {
                    seen.note_queries.push(url.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default());
                    if url.contains("termo_busca=101") {
                        notes()
                    } else {
                        json!({"status": "error", "msg": "Cliente não encontrado."})
                    }
                }
                _ => json!({"status": "error", "msg": "Rota não encontrada"}),
            },
        ))
    }
}

fn host(seen: &Rc<RefCell<Seen>>, expires_in: u64) -> FakeHost {
    FakeHost::new()
        .setting("base_url", BASE)
        .setting("client_id", "7")
        .setting("client_secret", SECRET)
        .setting("username", "api@acme.example")
        .setting("password", PASSWORD)
        .setting("cash_account_id", "1")
        .setting("unlock_days", "3")
        .on_http(hubsoft(seen, expires_in))
}

fn customer(document: &str) -> String {
    json!({"customer_document_number": document}).to_string()
}

fn customer_input(document: &str) -> Value {
    json!({"customer_document_number": document})
}

#[test]
fn the_token_is_granted_once_cached_under_expires_in_and_reused() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (results, host) = host(&seen, 2_592_000).run(|| {
        ["list_invoices", "list_plans", "get_customer_contacts"]
            .map(|f| dispatch::<HubsoftAdapter>(f, &customer(MARIA)))
    });
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(seen.borrow().grants, 1);
    assert_eq!(host.kv.values().next().map(String::as_str), Some("tok1"));
    assert_eq!(host.kv_ttls.values().next(), Some(&Some(2_592_000 - 300)));
    assert!(
        host.requests
            .iter()
            .filter(|r| !r.url().ends_with("/oauth/token"))
            .all(|r| r.header_value("authorization") == Some("Bearer tok1"))
    );
    let logs = format!("{:?}", host.logs);
    assert!(!logs.contains(SECRET) && !logs.contains(PASSWORD), "{logs}");
}

#[test]
fn a_refused_token_is_renewed_once_and_the_call_retried() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let fake = host(&seen, 3600);
    let (first, fake) = fake.run(|| dispatch::<HubsoftAdapter>("list_plans", &customer(MARIA)));
    assert!(first.is_ok(), "{first:?}");
    // The token is revoked at Hubsoft: the next call gets a 401, asks again, succeeds.
    seen.borrow_mut().valid = Some("revoked-everything".into());
    let (second, fake) = fake.run(|| dispatch::<HubsoftAdapter>("list_plans", &customer(MARIA)));
    assert!(second.is_ok(), "{second:?}");
    assert_eq!(seen.borrow().grants, 2);
    // A Hubsoft that refuses every token: one renewal, then an error, never a loop.
    let before = fake.requests.len();
    let seen_again = Rc::clone(&seen);
    let fake = fake.on_http(move |request| {
        let mut reply = hubsoft(&seen_again, 3600)(request);
        seen_again.borrow_mut().valid = None;
        if let Ok(r) = &mut reply
            && r.status == 200
            && !request.url().ends_with("/oauth/token")
        {
            *r = json_response(401, json!({"message": "Unauthenticated."}));
        }
        reply
    });
    let (third, fake) = fake.run(|| dispatch::<HubsoftAdapter>("list_plans", &customer(MARIA)));
    assert!(matches!(&third, Err(Error::UpstreamError(m)) if m.contains("401")), "{third:?}");
    assert_eq!(fake.requests.len() - before, 3, "call, grant, retry");
}

#[test]
fn bad_credentials_are_an_upstream_error_without_the_secret() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (result, _) = host(&seen, 3600)
        .setting("password", "wrong")
        .run(|| dispatch::<HubsoftAdapter>("list_plans", &customer(MARIA)));
    let Err(Error::UpstreamError(message)) = result else { panic!("{result:?}") };
    assert!(message.contains("invalid_credentials") && !message.contains("wrong"), "{message}");
}

#[test]
fn invoices_are_open_ones_oldest_first_with_what_is_due_now() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (result, _) = host(&seen, 3600).run(|| dispatch::<HubsoftAdapter>("list_totem_invoices", &customer(MARIA)));
    let list: Value = ponte_pdk::serde_json::from_str(&result.expect("ok")).expect("json");
    let ids: Vec<&str> = list.as_array().into_iter().flatten().filter_map(|f| f["remote_id"].as_str()).collect();
    assert_eq!(ids, ["1006", "1002"]);
    assert_eq!(list[0]["valor_inicial"], "129.9");
    assert_eq!(list[0]["valor_final"], "99.90");
    assert_eq!(list[1]["valor_final"], "99.9");
}

#[test]
fn unknown_customers_get_nothing_and_get_customer_is_not_found() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (result, _) = host(&seen, 3600).run(|| {
        (
            dispatch::<HubsoftAdapter>("list_invoices", &customer("52998224725")),
            dispatch::<HubsoftAdapter>("get_customer", &customer("52998224725")),
        )
    });
    assert_eq!(result.0.as_deref(), Ok("[]"));
    assert!(matches!(result.1, Err(Error::NotFound(_))), "{:?}", result.1);
}

#[test]
fn settle_posts_once_and_a_paid_invoice_is_not_posted_again() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let settle = |id: &str| {
        json!({
            "transaction": {"id": "E2E1", "amount": "99.90", "paid_at": "2026-05-15T01:00:00Z", "method": "pix"},
            "boleto_id": id, "customer_document_number": MARIA,
        })
        .to_string()
    };
    let (results, _) = host(&seen, 3600).run(|| {
        (
            dispatch::<HubsoftAdapter>("settle_invoice", &settle("1002")),
            dispatch::<HubsoftAdapter>("settle_invoice", &settle("1003")),
        )
    });
    assert!(results.0.as_deref().is_ok_and(|r| r.contains("\"success\":true")), "{results:?}");
    assert!(results.1.as_deref().is_ok_and(|r| r.contains("already_paid")), "{results:?}");
    let posted = &seen.borrow().liquidations;
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["data_pagamento"], "2026-05-14", "Brasília's date");
    assert_eq!((posted[0]["id_fatura"].clone(), posted[0]["valor_pago"].clone()), (json!(1002), json!("99.90")));
    assert_eq!(posted[0]["meio_pagamento"], "pix");
}

#[test]
fn trust_unlock_reads_the_date_from_the_message() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let input = json!({"customer_document_number": MARIA, "contract_id": "204"}).to_string();
    let (result, _) = host(&seen, 3600).run(|| dispatch::<HubsoftAdapter>("trust_unlock", &input));
    let out: Value = ponte_pdk::serde_json::from_str(&result.expect("ok")).expect("json");
    assert_eq!((out["success"].clone(), out["unlocked_until"].clone()), (json!(true), json!("2026-05-18")));
    let other = json!({"customer_document_number": MARIA, "contract_id": "999"}).to_string();
    let (result, _) = host(&seen, 3600).run(|| dispatch::<HubsoftAdapter>("trust_unlock", &other));
    assert!(matches!(result, Err(Error::NotFound(_))), "{result:?}");
}

#[test]
fn helpers() {
    assert_eq!(cache_ttl(2_592_000), Some(std::time::Duration::from_secs(2_592_000 - 300)));
    assert_eq!(cache_ttl(60), Some(std::time::Duration::from_secs(54)));
    assert_eq!(cache_ttl(1), None);
    assert_eq!(date_in("realizado com sucesso até a data 26/11/2018").as_deref(), Some("2018-11-26"));
    assert_eq!(date_in("sem data"), None);
}

fn call(fake: FakeHost, function: &str, input: Value) -> (Result<Value, Error>, FakeHost) {
    let (result, fake) = fake.run(|| dispatch::<HubsoftAdapter>(function, &input.to_string()));
    (result.map(|out| ponte_pdk::serde_json::from_str(&out).expect("JSON out")), fake)
}

#[test]
fn catalogues_are_hubsofts_active_lists_without_nameless_entries() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (products, fake) = call(host(&seen, 3600), "list_products", json!({}));
    assert_eq!(
        products,
        Ok(json!([{"codigo": "1", "nome": "Fibra 300 Mega"}, {"codigo": "2", "nome": "Fibra 600 Mega"}]))
    );
    assert!(fake.requests.iter().any(|r| r.url().contains("/configuracao/servico")));
    let (resellers, fake) = call(fake, "list_resellers", json!({}));
    assert_eq!(
        resellers,
        Ok(json!([
            {"code": "7603", "name": "Loja Centro", "taxvat": "", "email": ""},
            {"code": "4808", "name": "André Lehrbach", "taxvat": "", "email": ""},
        ]))
    );
    assert!(format!("{:?}", fake.logs).contains("without a name"), "{:?}", fake.logs);
    let (due, fake) = call(fake, "list_due_dates", json!({}));
    assert_eq!(due, Ok(json!([{"code": "61", "name": "10"}, {"code": "7", "name": "ultimo_dia"}])));
    let (origins, _) = call(fake, "list_commercial_origins", json!({}));
    assert_eq!(origins.expect("served")[1], json!({"code": "4", "description": "Indicação"}));
}

#[test]
fn with_a_sales_cep_products_are_the_plans_offered_to_prospects_there() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let fake = host(&seen, 3600).setting("sales_cep", "01310-100");
    let (products, fake) = call(fake, "list_products", json!({}));
    assert_eq!(products.expect("served").as_array().map(Vec::len), Some(2));
    assert!(fake.requests.iter().any(|r| r.url().contains("/prospecto/create?cep=01310100")));
    let fake = fake.setting("sales_cep", "99999-999");
    let (refused, _) = call(fake, "list_products", json!({}));
    assert!(matches!(&refused, Err(Error::UpstreamError(m)) if m.contains("Nenhuma cidade")), "{refused:?}");
}

fn lead() -> Value {
    json!({"lead": {
        "customer": {"name": "Paulo Souza", "email": "Paulo@Example.com", "phone": "+55 11 95555-4444", "cpf": "605.127.439-16"},
        "address": {"zip_code": "01310-100", "street": "Avenida Paulista", "number": "1000", "neighborhood": "Bela Vista"},
        "plan_id": "2", "utm_source": "instagram", "reseller_code": 7603, "message": "Prefere contato à tarde",
    }})
}

#[test]
fn a_lead_is_a_prospect_priced_at_its_cep_with_its_origin() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (created, _) = call(host(&seen, 3600), "create_lead", lead());
    assert_eq!(created, Ok(json!({})));
    let posted = seen.borrow().prospects[0].clone();
    assert_eq!(
        posted,
        json!({
            "nome_razaosocial": "Paulo Souza", "telefone": "11955554444", "email": "paulo@example.com",
            "cpf_cnpj": "60512743916", "tipo_pessoa": "pf", "cep": "01310100", "endereco": "Avenida Paulista",
            "numero": "1000", "bairro": "Bela Vista", "id_vendedor": 7603, "id_origem_cliente": 1,
            "observacao": "Prefere contato à tarde", "servico": {"id_servico": 2, "valor": 129.9},
        })
    );
}

#[test]
fn hubsofts_refusals_of_a_lead_are_upstream_errors_naming_the_reason() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (first, fake) = call(host(&seen, 3600), "create_lead", lead());
    assert!(first.is_ok(), "{first:?}");
    let (duplicate, fake) = call(fake, "create_lead", lead());
    assert!(
        matches!(&duplicate, Err(Error::UpstreamError(m)) if m.contains("já foi cadastrado") && !m.contains("PAULO")),
        "the fact, never the existing prospect's name: {duplicate:?}"
    );
    let (missing, fake) = call(fake, "create_lead", json!({"lead": {"name": "Sem Contato", "source": "Panfleto"}}));
    let Err(Error::UpstreamError(message)) = missing else { panic!("{missing:?}") };
    assert!(message.contains("telefone") && message.contains("cep"), "{message}");
    // An unknown source is kept in the notes rather than lost.
    assert!(fake.requests.iter().any(|r| String::from_utf8_lossy(r.body_bytes()).contains("Origem: Panfleto")));
    // A plan the CEP isn't offered is refused before anything is posted.
    let posts = |fake: &FakeHost| {
        fake.requests.iter().filter(|r| r.method() == "POST" && r.url().ends_with("/prospecto")).count()
    };
    let before = posts(&fake);
    let mut other = lead();
    other["lead"]["plan_id"] = json!("3");
    let (unknown_plan, fake) = call(fake, "create_lead", other);
    assert!(matches!(&unknown_plan, Err(Error::UpstreamError(m)) if m.contains("no plan 3")), "{unknown_plan:?}");
    assert_eq!(posts(&fake), before);
}

#[test]
fn fiscal_notes_come_from_the_three_lists_newest_first() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (notes, _) = call(host(&seen, 3600), "list_fiscal_notes", customer_input(MARIA));
    let notes = notes.expect("served");
    assert_eq!(short_ids(&notes), ["nfse:106", "nfe:351", "nf_telecom:3064", "nf_telecom:3065"], "{notes}");
    assert_eq!(
        notes[2],
        json!({"remote_id": "nf_telecom:3064:101:2026-03-31", "number": "427", "series": "U", "access_key": "", "issued_at": "2026-03-31", "amount": "99.9", "status": "authorized"}),
        "a telecom note has no access key"
    );
    assert_eq!(notes[1]["access_key"], format!("NFe{NFE_KEY}"), "the host verifies and strips it");
    assert_eq!(notes[1]["issued_at"], "2026-04-15");
    assert_eq!(notes[3]["status"], "cancelled");
    assert_eq!(seen.borrow().note_queries, ["busca=id_cliente&termo_busca=101"], "no dates: one request");
    let (unknown, _) = call(host(&seen, 3600), "list_fiscal_notes", customer_input("52998224725"));
    assert_eq!(unknown, Ok(json!([])));
}

#[test]
fn a_date_range_is_asked_in_windows_hubsoft_accepts() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let input = json!({"customer_document_number": MARIA, "from": "2026-03-01"});
    let (notes, _) = call(host(&seen, 3600), "list_fiscal_notes", input);
    assert_eq!(
        short_ids(&notes.expect("served")),
        ["nfse:106", "nfe:351", "nf_telecom:3064"],
        "filtered on from, deduplicated"
    );
    assert_eq!(
        seen.borrow().note_queries,
        [
            "busca=id_cliente&termo_busca=101&data_inicio=2026-03-17&data_fim=2026-05-15",
            "busca=id_cliente&termo_busca=101&data_inicio=2026-03-01&data_fim=2026-03-16",
        ],
        "from to today (the fake's 2026-05-15), newest window first"
    );
    seen.borrow_mut().note_queries.clear();
    let years = json!({"customer_document_number": MARIA, "from": "2020-01-01", "to": "2026-03-31"});
    let (notes, _) = call(host(&seen, 3600), "list_fiscal_notes", years);
    assert_eq!(notes.expect("served").as_array().map(Vec::len), Some(2), "filtered on to");
    assert_eq!(seen.borrow().note_queries, ["busca=id_cliente&termo_busca=101"], "too many windows: one request");
}

/// `<type>:<id>` of each listed note (its `remote_id` also carries the customer and the date).
fn short_ids(notes: &Value) -> Vec<String> {
    let short = |id: &str| id.splitn(3, ':').take(2).collect::<Vec<_>>().join(":");
    notes.as_array().into_iter().flatten().filter_map(|n| n["remote_id"].as_str()).map(short).collect()
}

#[test]
fn a_notes_pdf_is_asked_in_the_window_of_its_date_and_downloaded() {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (notes, _) = call(host(&seen, 3600), "list_fiscal_notes", customer_input(MARIA));
    let notes = notes.expect("served");
    let full = |short: &str| -> String {
        let found = notes.as_array().into_iter().flatten().filter_map(|n| n["remote_id"].as_str());
        found.into_iter().find(|id| id.starts_with(&format!("{short}:"))).map(str::to_owned).expect("listed")
    };
    let nfe = full("nfe:351");
    assert_eq!(nfe, "nfe:351:101:2026-04-15");
    seen.borrow_mut().note_queries.clear();
    // The contract's input is the id alone: enough to find the note.
    let (pdf, fake) = call(host(&seen, 3600), "get_fiscal_note_pdf", json!({"note_id": nfe}));
    assert!(pdf.expect("served")["base_64"].as_str().is_some_and(|b| b.starts_with("JVBER")));
    assert!(fake.requests.iter().any(|r| r.url().ends_with("/pdf/nota/351")));
    assert_eq!(
        seen.borrow().note_queries,
        ["busca=id_cliente&termo_busca=101&data_inicio=2026-03-17&data_fim=2026-05-14"],
        "one dated window around the note, never an undated listing"
    );
    let with = |id: &str, document: &str| json!({"note_id": id, "customer_document_number": document});
    for (input, why) in [
        (with(&nfe, MARIA), "hers: served"),
        (with(&nfe, "52998224725"), "not hers"),
        (with("nfe:999:101:2026-04-15", MARIA), "no such note"),
        (with(&full("nfse:106"), MARIA), "no link"),
        (with("nfe:351", MARIA), "an id this plugin never made"),
    ] {
        let (result, _) = call(host(&seen, 3600), "get_fiscal_note_pdf", input);
        match why {
            "hers: served" => assert!(result.is_ok(), "{why}: {result:?}"),
            _ => assert!(matches!(result, Err(Error::NotFound(_))), "{why}: {result:?}"),
        }
    }
}

#[test]
fn windows_span_at_most_sixty_days_and_leads_are_read_two_levels_down() {
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date");
    let cut = windows(day("2026-01-01"), day("2026-05-15"));
    assert_eq!(cut.first(), Some(&(day("2026-03-17"), day("2026-05-15"))));
    assert_eq!(cut.last().map(|w| w.0), Some(day("2026-01-01")));
    assert!(cut.iter().all(|(from, to)| (*to - *from).num_days() <= 59 && from <= to));
    assert!(cut.windows(2).all(|pair| pair[1].1 + chrono::TimeDelta::days(1) == pair[0].0), "contiguous");
    assert_eq!(windows(day("2026-05-15"), day("2026-05-15")).len(), 1);
    assert!(windows(day("2026-05-16"), day("2026-05-15")).is_empty());
    let lead = json!({"a": {"b": {"phone": "1"}}, "c": {"d": {"e": {"email": "deep"}}}, "name": ""});
    assert_eq!(pick(&lead, &["phone"]), "1");
    assert_eq!(pick(&lead, &["email"]), "", "three levels down is too deep");
    assert_eq!(pick(&lead, &["name"]), "");
}
