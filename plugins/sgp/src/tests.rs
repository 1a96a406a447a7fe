//! The adapter against a small fake SGP (the shapes of ERPS.md §2 and of `tests/erp-sim`'s SGP
//! simulator), natively, through `ponte_pdk::dispatch` and the PDK's fake host. The end-to-end
//! tests through the host and the simulator live in `tests/`.

use std::cell::RefCell;
use std::rc::Rc;

use ponte_pdk::http::{HttpError, Request, Response};
use ponte_pdk::serde_json::{Value, json};
use ponte_pdk::testing::{FakeHost, form_fields, json_response, text_response};
use ponte_pdk::{Error, dispatch};

use super::SgpAdapter;

const BASE: &str = "https://acme.sgp.example";
const MARIA: &str = "71460238001";
const COMPANY: &str = "12ABC34501DE35";
const CARLOS: &str = "25091746498";
const NOBODY: &str = "11144477735";
/// A Banco do Brasil line (the contract's test table): 47 digits, every check digit right.
const LINE: &str = "00190000090294172501801726802174393850000021960";

/// The fake SGP's rows.
fn contract_row(
    contract: u64,
    customer: u64,
    name: &str,
    document: &str,
    status: u8,
    display: &str,
    plan: &str,
) -> Value {
    json!({
        "clienteId": customer, "contratoId": contract, "razaoSocial": name, "cpfCnpj": document,
        "telefones": ["(11) 98765-4321"], "emails": [format!("c{customer}@example.com")],
        "contratoStatus": status, "contratoStatusDisplay": display,
        "motivo_status": if status == 4 { "Bloqueio automático por inadimplência" } else { "" },
        "planointernet": plan, "servico_plano": plan, "cobVencimento": 10,
        "endereco_logradouro": "Rua das Flores", "endereco_numero": 123, "endereco_complemento": "",
        "endereco_bairro": "Centro", "endereco_cidade": "São Paulo", "endereco_uf": "SP", "endereco_cep": "01001-000",
    })
}

fn contracts_of(document: &str) -> Vec<Value> {
    match document {
        MARIA | "714.602.380-01" => {
            vec![contract_row(201, 101, "Maria Aparecida da Silva", "714.602.380-01", 1, "Ativo", "Fibra 300 Mega")]
        }
        COMPANY => vec![contract_row(
            203,
            103,
            "Padaria Pão de Mel Ltda",
            "12.ABC.345/01DE-35",
            1,
            "Ativo",
            "Fibra 1 Giga Empresarial",
        )],
        CARLOS => vec![
            contract_row(204, 104, "Carlos Eduardo Lima", "250.917.464-98", 4, "Suspenso", "Fibra 300 Mega"),
            contract_row(205, 104, "Carlos Eduardo Lima", "250.917.464-98", 4, "Suspenso", "Fibra 600 Mega"),
            contract_row(206, 104, "Carlos Eduardo Lima", "250.917.464-98", 2, "Inativo", "Rádio 15 Megas"),
        ],
        "38491953094" => {
            vec![contract_row(202, 102, "João Pereira Santos", "384.919.530-94", 1, "Ativo", "Fibra 600 Mega")]
        }
        _ => vec![],
    }
}

fn titulo(id: u64, contract: u64, status: &str, valor: Value, corrigido: Value, due: &str) -> Value {
    json!({
        "id": id, "numeroDocumento": id + 50000, "portador": "Sicoob", "contrato": contract, "status": status,
        "valor": valor, "valorCorrigido": corrigido, "valorPago": 0.0, "diasAtraso": 0,
        "codigoBarras": if status == "aberto" { LINE } else { "" }, "codigoPix": "",
        "link": format!("{BASE}/boleto/{id}/k{id}"), "link_cobranca": "",
        "dataEmissao": "2026-03-25", "dataVencimento": due, "dataPagamento": null, "dataCancelamento": null,
    })
}

/// Every título of the fake SGP, with its owner's document.
fn all_titulos() -> Vec<(&'static str, Value)> {
    vec![
        (MARIA, titulo(1001, 201, "aberto", json!(99.9), json!(102.07), "2026-04-10")),
        (MARIA, titulo(1002, 201, "aberto", json!(99.9), json!(99.9), "2026-06-10")),
        (MARIA, titulo(1003, 201, "pago", json!(99.9), json!(99.9), "2026-03-10")),
        (COMPANY, titulo(1008, 203, "aberto", json!("199,90"), json!("199,90"), "25/05/2026")),
        (CARLOS, titulo(1010, 204, "aberto", json!(99.9), json!(103.5), "2026-04-05")),
    ]
}

/// State the fake SGP keeps across one test: títulos paid by a baixa.
#[derive(Default)]
struct Sgp {
    paid: Vec<String>,
    baixas: Vec<std::collections::BTreeMap<String, String>>,
}

fn respond(state: &Rc<RefCell<Sgp>>, request: &Request) -> Result<Response, HttpError> {
    let url = request.url();
    let path = url.strip_prefix(BASE).unwrap_or(&url).split('?').next().unwrap_or("").to_owned();
    let json_body: Option<Value> = ponte_pdk::serde_json::from_slice(request.body_bytes()).ok();
    let fields = form_fields(request);
    let param = |key: &str| -> String {
        match &json_body {
            Some(body) => crate::client::text(&body[key]),
            None => fields.get(key).cloned().unwrap_or_default(),
        }
    };
    let token_ok = param("token") == "t0k3n" && param("app") == "ponte";
    let basic_ok = request.header_value("authorization") == Some(&ponte_pdk::helpers::basic_auth("api", "s3cret"));
    if path.starts_with("/boleto/") {
        return Ok(if path.ends_with(".pdf") {
            Response {
                status: 200,
                headers: vec![("content-type".into(), "application/pdf".into())],
                body: b"%PDF-1.4 boleto".to_vec(),
            }
        } else {
            text_response(200, "<html>boleto</html>")
        });
    }
    if !token_ok && !basic_ok {
        return Ok(json_response(403, json!({"detail": "Credenciais de autenticação incorretas."})));
    }
    let not_found = json!({"status": 0, "msg": "Cliente não encontrado.", "contratos": []});
    Ok(json_response(
        200,
        match path.as_str() {
            "/api/ura/consultacliente/" => {
                let rows = contracts_of(&param("cpfcnpj"));
                if rows.is_empty() { not_found } else { json!({"status": 1, "msg": "", "contratos": rows}) }
            }
            "/api/ura/titulos/" => {
                let document = param("cpfcnpj");
                if !document.is_empty() && contracts_of(&document).is_empty() {
                    not_found
                } else {
                    let paid = state.borrow().paid.clone();
                    let rows: Vec<Value> = all_titulos()
                        .into_iter()
                        .filter(|(owner, _)| document.is_empty() || *owner == document)
                        .map(|(_, mut row)| {
                            if paid.contains(&crate::client::text(&row["id"])) {
                                row["status"] = json!("pago");
                            }
                            row
                        })
                        .filter(|row| {
                            param("titulo_id").is_empty() || crate::client::text(&row["id"]) == param("titulo_id")
                        })
                        .filter(|row| param("status") != "abertos" || row["status"] == "aberto")
                        .collect();
                    json!({"status": 1, "titulos": rows, "paginacao": {"offset": 0, "limit": 250, "parcial": rows.len(), "total": rows.len()}})
                }
            }
            "/api/ura/consultaplano/" => json!({"status": 1, "planos": [
                {"id": 1, "descricao": "Fibra 300 Mega", "preco": "99.90", "qtd_servicos": 1},
                {"id": 2, "descricao": "Fibra 600 Mega", "preco": "129.90", "qtd_servicos": 1},
                {"id": 3, "descricao": "Fibra 1 Giga Empresarial", "preco": "199.90", "qtd_servicos": 1},
            ]}),
            "/api/ura/listacontrato/" => json!({"status": 1, "contratos": [{"contratoId": 206, "planoValor": 79.9}]}),
            "/api/ura/liberacaopromessa/" => match param("contrato").as_str() {
                "204" => {
                    json!({"status": 1, "liberado": true, "liberado_dias": 3, "data_promessa": "2026-05-18", "protocolo": "2026051500001", "msg": "Contrato 204 liberado."})
                }
                other => {
                    json!({"status": 0, "liberado": false, "liberado_dias": 0, "msg": format!("Promessa de pagamento já utilizada para o contrato {other}.")})
                }
            },
            "/api/ura/chamado/" => {
                json!({"status": 1, "protocolo": "2026051500002", "msg": "Chamado aberto.", "contratoId": param("contrato").parse::<u64>().unwrap_or(0)})
            }
            p if p.starts_with("/api/banco/titulo/") && p.ends_with("/baixar/") => {
                let id = p.trim_start_matches("/api/banco/titulo/").trim_end_matches("/baixar/").to_owned();
                let mut state = state.borrow_mut();
                if param("valor_pago") == "1.00" {
                    json!({"status": 0, "msg": "Valor pago (1,00) menor que o valor em aberto (99,90)."})
                } else {
                    state.paid.push(id.clone());
                    state.baixas.push(fields.clone());
                    json!({"status": 1, "msg": format!("Título {id} liquidado com sucesso.")})
                }
            }
            _ => return Ok(text_response(404, "<h1>Not Found</h1>")),
        },
    ))
}

/// A fake host with a token-authenticated connection to the fake SGP.
fn host() -> (FakeHost, Rc<RefCell<Sgp>>) {
    let state = Rc::new(RefCell::new(Sgp::default()));
    let responder_state = state.clone();
    let host = FakeHost::new()
        .setting("base_url", &format!("{BASE}/"))
        .setting("token", "t0k3n")
        .setting("app", "ponte")
        .on_http(move |request| respond(&responder_state, request));
    (host, state)
}

fn call_on(host: FakeHost, function: &str, input: Value) -> (Result<Value, Error>, FakeHost) {
    let (result, host) = host.run(|| dispatch::<SgpAdapter>(function, &input.to_string()));
    (result.map(|out| ponte_pdk::serde_json::from_str(&out).expect("the adapter answers JSON")), host)
}

fn call(function: &str, input: Value) -> Result<Value, Error> {
    call_on(host().0, function, input).0
}

fn customer(document: &str) -> Value {
    json!({"customer_document_number": document})
}

#[test]
fn lists_a_customers_open_invoices_with_sgps_values_for_the_host_to_normalize() {
    let (result, host) = call_on(host().0, "list_invoices", customer(MARIA));
    let faturas = result.expect("served");
    let ids: Vec<&str> = faturas.as_array().expect("list").iter().map(|f| f["fatura"].as_str().unwrap_or("")).collect();
    assert_eq!(ids, ["1001", "1002"], "open ones only");
    let f = &faturas[0];
    assert_eq!(f["document_number"], "714.602.380-01");
    assert_eq!(f["nome_cliente"], "Maria Aparecida da Silva");
    assert_eq!((f["valor_inicial"].as_str(), f["valor_final"].as_str()), (Some("99.9"), Some("102.07")));
    assert_eq!((f["juros"].as_str(), f["multa"].as_str()), (Some(""), Some("")), "SGP doesn't split them");
    assert_eq!(f["linha_digitavel"], LINE, "codigoBarras holds the 47-digit line");
    assert_eq!(f["codigo_barras"], "");
    assert_eq!(f["historico"], "Fibra 300 Mega");
    assert_eq!(f["code_fatura"], "51001");
    assert_eq!(f["link_boleto"], format!("{BASE}/boleto/1001/k1001"));

    let titulos = host.requests.iter().find(|r| r.url().ends_with("/api/ura/titulos/")).expect("titulos asked");
    let fields = form_fields(titulos);
    assert_eq!(fields["cpfcnpj"], MARIA);
    assert_eq!(fields["status"], "abertos");
    assert_eq!((fields["token"].as_str(), fields["app"].as_str()), ("t0k3n", "ponte"), "token + app in the body");
    assert_eq!(titulos.header_value("content-type"), Some("application/x-www-form-urlencoded"));
}

#[test]
fn an_unknown_customer_has_no_invoices_contacts_issues_or_plans_and_is_not_found() {
    for function in [
        "list_invoices",
        "list_totem_invoices",
        "get_customer_contacts",
        "get_pending_issues",
        "list_plans",
        "list_blocked_plans",
    ] {
        assert_eq!(call(function, customer(NOBODY)), Ok(json!([])), "{function}");
    }
    assert!(matches!(call("get_customer", customer(NOBODY)), Err(Error::NotFound(_))));
    assert_eq!(
        call("get_invoice", json!({"customer_bill_id": "1001", "customer_document_number": NOBODY})),
        Ok(json!([]))
    );
    let unlock = json!({"customer_document_number": NOBODY, "contract_id": "204"});
    assert!(matches!(call("trust_unlock", unlock), Err(Error::NotFound(_))));
}

#[test]
fn a_customer_without_invoices_gets_an_empty_list() {
    assert_eq!(call("list_invoices", customer("38491953094")), Ok(json!([])));
}

#[test]
fn a_company_with_an_alphanumeric_cnpj_is_found_and_its_brazilian_values_pass_through() {
    let faturas = call("list_invoices", customer(COMPANY)).expect("served");
    assert_eq!(faturas[0]["document_number"], "12.ABC.345/01DE-35");
    assert_eq!(faturas[0]["valor_final"], "199,90");
    assert_eq!(faturas[0]["vencimento"], "25/05/2026");
    let c = call("get_customer", customer(COMPANY)).expect("served");
    assert_eq!((c["remote_id"].as_str(), c["status"].as_str()), (Some("103"), Some("active")));
    assert_eq!(c["address"]["number"], "123", "numbers become text");
}

#[test]
fn invoices_of_another_contract_or_customer_are_not_listed() {
    let other = json!({"customer_document_number": MARIA, "contract_id": "204"});
    assert_eq!(call("list_invoices", other), Ok(json!([])));
    let theirs = json!({"customer_bill_id": "1010", "customer_document_number": MARIA});
    assert_eq!(call("get_invoice", theirs), Ok(json!([])));
    let mine = json!({"customer_bill_id": 1003, "customer_document_number": MARIA});
    assert_eq!(call("get_invoice", mine).expect("served")[0]["fatura"], "1003", "any state, by id");
}

#[test]
fn sgp_faults_become_the_contracts_errors() {
    let with = |answer: Result<Response, HttpError>| {
        let host = FakeHost::new().setting("base_url", BASE).setting("token", "t").setting("app", "a");
        let mut answer = Some(answer);
        let host = host.on_http(move |_| answer.take().unwrap_or(Err(HttpError::Unreachable("once".into()))));
        call_on(host, "list_invoices", customer(MARIA)).0
    };
    let nginx = text_response(503, "<html><head><title>503 Service Temporarily Unavailable</title></head></html>");
    assert!(matches!(with(Ok(nginx)), Err(Error::UpstreamUnavailable(m)) if m.contains("503")));
    let login_page = text_response(200, "<!DOCTYPE html><html><title>SGP - Login</title></html>");
    assert!(matches!(with(Ok(login_page)), Err(Error::UpstreamError(m)) if m.contains("not the JSON")));
    assert_eq!(with(Err(HttpError::Timeout)), Err(Error::UpstreamTimeout));
    assert!(matches!(
        with(Err(HttpError::Unreachable("connection refused".into()))),
        Err(Error::UpstreamUnavailable(_))
    ));
    let business = json_response(200, json!({"status": 0, "msg": "Seu IP não está liberado"}));
    assert!(matches!(with(Ok(business)), Err(Error::UpstreamError(m)) if m.contains("IP")));
    let denied = json_response(403, json!({"detail": "Credenciais de autenticação incorretas."}));
    assert!(matches!(with(Ok(denied)), Err(Error::UpstreamError(m)) if m.contains("credentials")));
}

#[test]
fn basic_auth_is_used_when_no_token_is_configured() {
    let host = FakeHost::new().setting("base_url", BASE).setting("username", "api").setting("password", "s3cret");
    let state = Rc::new(RefCell::new(Sgp::default()));
    let host = host.on_http(move |request| respond(&state, request));
    let (result, host) = call_on(host, "get_customer_contacts", customer(MARIA));
    assert_eq!(
        result,
        Ok(json!([{"type": "email", "value": "c101@example.com"}, {"type": "phone", "value": "(11) 98765-4321"}]))
    );
    assert!(!form_fields(&host.requests[0]).contains_key("token"));
}

#[test]
fn missing_credentials_are_the_plugins_configuration_failure() {
    let (result, _) = FakeHost::new()
        .setting("base_url", BASE)
        .run(|| dispatch::<SgpAdapter>("get_customer", &customer(MARIA).to_string()));
    assert!(matches!(result, Err(Error::Failed(m)) if m.contains("token")));
    let (result, _) = FakeHost::new().run(|| dispatch::<SgpAdapter>("get_customer", &customer(MARIA).to_string()));
    assert!(matches!(result, Err(Error::Failed(m)) if m.contains("base_url")));
}

fn settle(boleto: &str, amount: &str) -> Value {
    json!({
        "customer_document_number": MARIA, "boleto_id": boleto,
        "transaction": {"id": "E2E123", "amount": amount, "paid_at": "2026-05-15T01:30:00+00:00", "method": "pix"},
    })
}

#[test]
fn a_settlement_posts_one_baixa_and_a_repeat_finds_the_invoice_paid() {
    let (host, state) = host();
    let (result, host) = call_on(host, "settle_invoice", settle("1001", "102.07"));
    let out = result.expect("served");
    assert_eq!(out["success"], true);
    assert_eq!(out["api_response"]["status"], 1);
    let baixa = &state.borrow().baixas[0];
    assert_eq!(baixa["data_pagamento"], "2026-05-14", "the payment's date in Brasília");
    assert_eq!((baixa["valor_pago"].as_str(), baixa["forma_pagamento"].as_str()), ("102.07", "PIX"));
    assert!(baixa["observacao"].contains("E2E123"));

    // The host retries after a lost answer: the invoice is paid now, no second baixa.
    let (result, _) = call_on(host, "settle_invoice", settle("1001", "102.07"));
    assert_eq!(result.expect("served")["api_response"]["already_paid"], true);
    assert_eq!(state.borrow().baixas.len(), 1);
}

#[test]
fn a_refused_baixa_is_an_unsuccessful_settlement_with_sgps_answer() {
    let out = call("settle_invoice", settle("1002", "1.00")).expect("served");
    assert_eq!(out["success"], false);
    assert!(out["api_response"]["msg"].as_str().is_some_and(|m| m.contains("menor")));
    assert!(matches!(call("settle_invoice", settle("1010", "99.90")), Err(Error::NotFound(_))), "not Maria's");
}

#[test]
fn blocked_plans_are_the_suspended_contracts_priced_from_the_plan_list() {
    let plans = call("list_blocked_plans", customer(CARLOS)).expect("served");
    assert_eq!(
        plans,
        json!([
            {"contract_id": "204", "name": "Fibra 300 Mega", "status": "blocked", "price": "99.90", "due_day": 10},
            {"contract_id": "205", "name": "Fibra 600 Mega", "status": "blocked", "price": "129.90", "due_day": 10},
        ])
    );
    let all = call("list_plans", customer(CARLOS)).expect("served");
    assert_eq!(all[2]["status"], "cancelled");
    assert_eq!(all[2]["price"], "79.9", "a plan no longer sold: listacontrato's price");
}

#[test]
fn trust_unlock_answers_sgps_decision() {
    let unlock =
        |contract: &str| call("trust_unlock", json!({"customer_document_number": CARLOS, "contract_id": contract}));
    assert_eq!(
        unlock("204"),
        Ok(json!({"success": true, "unlocked_until": "2026-05-18", "remote_message": "Contrato 204 liberado."}))
    );
    let refused = unlock("205").expect("an answer, not an error");
    assert_eq!(refused["success"], false);
    assert!(refused["remote_message"].as_str().is_some_and(|m| m.contains("já utilizada")));
    assert!(matches!(unlock("201"), Err(Error::NotFound(_))), "Maria's contract");
}

#[test]
fn pending_issues_are_the_contracts_reasons() {
    assert_eq!(call("get_pending_issues", customer(CARLOS)), Ok(json!(["Bloqueio automático por inadimplência"])));
    assert_eq!(call("get_pending_issues", customer(MARIA)), Ok(json!([])));
}

#[test]
fn a_ticket_is_an_ocorrencia_on_the_customers_contract() {
    let (host, _) = host();
    let input = json!({"customer_document_number": MARIA, "subject": "Sem internet", "message": "Desde ontem."});
    let (result, host) = call_on(host, "create_ticket", input);
    assert_eq!(result, Ok(json!({"remote_id": "2026051500002", "protocol": "2026051500002"})));
    let chamado = host.requests.iter().find(|r| r.url().ends_with("/api/ura/chamado/")).expect("chamado sent");
    let body: Value = ponte_pdk::serde_json::from_slice(chamado.body_bytes()).expect("JSON");
    assert_eq!((body["contrato"].clone(), body["ocorrenciatipo"].clone()), (json!(201), json!(5)));
    assert_eq!(body["conteudo"], "Sem internet\n\nDesde ontem.");
    let other = json!({"customer_document_number": MARIA, "subject": "x", "message": "y", "contract_id": 204});
    assert!(matches!(call("create_ticket", other), Err(Error::NotFound(_))));
}

#[test]
fn the_boleto_pdf_is_downloaded_from_the_titulos_link() {
    let (result, host) =
        call_on(host().0, "get_boleto_pdf", json!({"boleto_id": "1001", "customer_document_number": MARIA}));
    assert_eq!(result, Ok(json!({"base_64": "JVBERi0xLjQgYm9sZXRv"})));
    assert_eq!(host.requests.last().map(Request::url), Some(format!("{BASE}/boleto/1001/k1001.pdf")));
    let theirs = json!({"boleto_id": "1010", "customer_document_number": MARIA});
    assert!(matches!(call("get_boleto_pdf", theirs), Err(Error::NotFound(_))));
    assert!(call("get_boleto_pdf", json!({"boleto_id": "1010"})).is_ok(), "without a document, as the seed's shape");
}

#[test]
fn products_are_sgps_plans_for_sale() {
    let products = call("list_products", json!({})).expect("served");
    assert_eq!(products[0], json!({"codigo": "1", "nome": "Fibra 300 Mega"}));
}

#[test]
fn unserved_functions_are_not_implemented() {
    assert_eq!(call("create_lead", json!({"lead": {}})), Err(Error::NotImplemented));
    assert_eq!(call("list_fiscal_notes", customer(MARIA)), Err(Error::NotImplemented));
}
