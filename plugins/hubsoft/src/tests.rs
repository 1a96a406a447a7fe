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

const BASE: &str = "https://api.acme.hubsoft.example";
const MARIA: &str = "71460238001";
const SECRET: &str = "s3cr3t-client";
const PASSWORD: &str = "p4ssw0rd-user";
/// A Banco do Brasil line (the contract's test table).
const LINE: &str = "00190000090294172501801726802174393850000021960";

/// What the fake Hubsoft did.
#[derive(Default)]
struct Seen {
    grants: u32,
    /// The token the fake accepts now (`None`: every token is refused).
    valid: Option<String>,
    liquidations: Vec<Value>,
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
        if url.contains("/pdf/fatura/") {
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
