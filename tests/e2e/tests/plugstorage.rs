//! The PlugStorage adapter (`plugins/plugstorage/`) through real HTTP against the simulated
//! PlugStorage: fiscal notes listed and normalized, PDFs, another customer's note refused,
//! every auth refusal of the seed named in the problem, no credential anywhere, and a tenant
//! whose ERP (IXC) serves invoices while PlugStorage serves fiscal notes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::plugstorage::{Link, Partner, PlugStorageConfig, data};
use ponte_tests::fiscal::{self as scenario, customer, list};
use ponte_tests::{
    PLUGSTORAGE_EMAIL, PLUGSTORAGE_PASSWORD, PLUGSTORAGE_TOKEN, Sim, TENANT, TestHost, TestHostBuilder, assert_problem,
    captured_logs,
};
use reqwest::Method;
use serde_json::json;

const SETTINGS: &str = r#"base_url = "${env:PLUGSTORAGE_URL}", token = "${env:PLUGSTORAGE_TOKEN}", email = "${env:PLUGSTORAGE_EMAIL}", password = "${env:PLUGSTORAGE_PASSWORD}""#;

fn builder(sim: Sim, settings: &str) -> TestHostBuilder {
    TestHost::builder().sim(sim).automation(&format!("{TENANT}.toml"), scenario::automation("plugstorage", settings))
}

async fn start() -> TestHost {
    let host = builder(Sim::plugstorage(), SETTINGS).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    host
}

#[tokio::test]
async fn notes_are_listed_normalized_and_filtered_by_customer_and_dates() {
    let host = start().await;
    scenario::notes_are_listed_normalized_and_filtered(&host).await;
    host.stop().await;
}

#[tokio::test]
async fn the_pdf_is_fetched_and_another_customers_note_refused() {
    let host = start().await;
    let input = json!({ "note_id": data::NOTE_MARIA_MARCH, "customer_document_number": data::CUSTOMER_CPF });
    let (status, pdf) = host.call(&host.app_key, "get_fiscal_note_pdf", input).await;
    assert_eq!(status, 200, "{pdf}");
    let bytes = STANDARD.decode(pdf["base_64"].as_str().unwrap_or_default()).expect("base64");
    assert!(bytes.starts_with(b"%PDF"));

    // Without the customer: the note by its key.
    let (status, _) = host.call(&host.app_key, "get_fiscal_note_pdf", json!({ "note_id": data::NOTE_COMPANY })).await;
    assert_eq!(status, 200);

    for (note, who) in [(data::NOTE_COMPANY, data::CUSTOMER_CPF), (data::NOTE_MARIA_MARCH, data::BLOCKED_CUSTOMER_CPF)]
    {
        let input = json!({ "note_id": note, "customer_document_number": who });
        let reply = host.call_with(&host.app_key, "get_fiscal_note_pdf", input, &[]).await;
        assert_problem(&reply, 404, "not_found");
    }
    let stranger = json!({ "note_id": "3".repeat(44) });
    assert_problem(&host.call_with(&host.app_key, "get_fiscal_note_pdf", stranger, &[]).await, 404, "not_found");
    assert_problem(
        &host.call_with(&host.app_key, "get_fiscal_note_pdf", json!({ "note_id": "7001" }), &[]).await,
        404,
        "not_found",
    );
    host.stop().await;
}

/// A simulator, the connection's settings, extra variables, and the words the detail must hold.
type AuthScenario = (Sim, String, Vec<(&'static str, &'static str)>, &'static str);

/// Every 401 of plugstorage-auth-errors.pt.txt becomes a 502 `upstream_error` whose detail
/// names the case; no credential reaches the answer, the invocation log or the logs.
#[tokio::test]
async fn every_auth_refusal_is_named_and_no_credential_leaks() {
    let demo = |partner, link| {
        Sim::PlugStorage(PlugStorageConfig {
            token: PLUGSTORAGE_TOKEN.into(),
            email: PLUGSTORAGE_EMAIL.into(),
            password: PLUGSTORAGE_PASSWORD.into(),
            partner,
            link,
        })
    };
    let active = || demo(Partner::Active, Link::Active);
    let wrong_token: &'static str = "plug-wrong-token-0c1d2e3f4a5b";
    let wrong_password: &'static str = "plug-wrong-password-9f8e7d";
    let with = |from: &str, to: &str| SETTINGS.replace(from, to);
    // (simulator, settings, extra variables, the words the detail must hold)
    let cases: Vec<AuthScenario> = vec![
        (active(), with("${env:PLUGSTORAGE_TOKEN}", "${env:EMPTY}"), vec![("EMPTY", "")], "(missing token)"),
        (active(), with("${env:PLUGSTORAGE_TOKEN}", "${env:WRONG}"), vec![("WRONG", wrong_token)], "(invalid token)"),
        (demo(Partner::Inactive, Link::Active), SETTINGS.into(), vec![], "(partner account inactive)"),
        (demo(Partner::TrialExpired, Link::Active), SETTINGS.into(), vec![], "(partner trial expired)"),
        (
            active(),
            with("${env:PLUGSTORAGE_EMAIL}", "").replace("${env:PLUGSTORAGE_PASSWORD}", "${env:EMPTY}"),
            vec![("EMPTY", "")],
            "(missing e-mail and password)",
        ),
        (active(), with("${env:PLUGSTORAGE_EMAIL}", "someone-else@acme.example"), vec![], "(unknown e-mail)"),
        (
            active(),
            with("${env:PLUGSTORAGE_PASSWORD}", "${env:WRONG}"),
            vec![("WRONG", wrong_password)],
            "(wrong password)",
        ),
        (
            demo(Partner::Active, Link::OtherSoftwareHouse),
            SETTINGS.into(),
            vec![],
            "(user linked to another software house)",
        ),
        (demo(Partner::Active, Link::Inactive), SETTINGS.into(), vec![], "(link not active)"),
        (demo(Partner::Active, Link::TrialExpired), SETTINGS.into(), vec![], "(link trial expired)"),
    ];
    assert_eq!(cases.len(), ponte_erp_sim::plugstorage::AuthCase::ALL.len());
    let secrets = [
        PLUGSTORAGE_TOKEN.to_owned(),
        PLUGSTORAGE_PASSWORD.to_owned(),
        PLUGSTORAGE_EMAIL.to_owned(),
        wrong_token.to_owned(),
        wrong_password.to_owned(),
        STANDARD.encode(format!("{PLUGSTORAGE_EMAIL}:{PLUGSTORAGE_PASSWORD}")),
        STANDARD.encode(format!("{PLUGSTORAGE_EMAIL}:{wrong_password}")),
    ];
    for (sim, settings, vars, words) in cases {
        let mut builder = builder(sim, &settings);
        for (name, value) in vars {
            builder = builder.var(name, value);
        }
        let host = builder.start().await;
        if words.starts_with("(missing") {
            // Empty credentials never reach PlugStorage: the automation is refused at load,
            // naming the setting (the plugin still maps PlugStorage's answer, should one come).
            assert!(
                host.config_errors
                    .iter()
                    .any(|e| e.contains("resolves to an empty value") || e.contains("must not be empty")),
                "{words}: {:?}",
                host.config_errors
            );
            assert_eq!(host.sim.request_count(), 0, "{words}: nothing was sent");
            host.stop().await;
            continue;
        }
        assert!(host.config_errors.is_empty(), "{words}: {:?}", host.config_errors);
        for (function, input) in [
            ("list_fiscal_notes", customer(data::CUSTOMER_CPF)),
            ("get_fiscal_note_pdf", json!({ "note_id": data::NOTE_MARIA_MARCH })),
        ] {
            let reply = host.call_with(&host.app_key, function, input, &[]).await;
            let problem = assert_problem(&reply, 502, "upstream_error");
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("PlugStorage refused") && detail.contains(words), "{words}: {problem}");
            for secret in &secrets {
                assert!(!reply.body.to_string().contains(secret.as_str()), "{words}: a credential in the answer");
            }
        }
        let invocations = host.invocations().await;
        assert_eq!(invocations.len(), 2);
        let logged = format!("{invocations:?}");
        for secret in &secrets {
            assert!(!logged.contains(secret.as_str()), "{words}: a credential in the invocation log");
        }
        host.stop().await;
    }
    let logs = captured_logs();
    assert!(logs.contains("PlugStorage refused the token (invalid token)"), "the refusals were logged");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a credential in the logs");
    }
}

#[tokio::test]
async fn an_unavailable_plugstorage_is_upstream_unavailable() {
    let host = start().await;
    host.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let reply = host.call_with(&host.app_key, "list_fiscal_notes", customer(data::CUSTOMER_CPF), &[]).await;
    assert_problem(&reply, 503, "upstream_unavailable");
    host.sim.faults().push(Fault::Garbage { times: 1 });
    let reply = host.call_with(&host.app_key, "list_fiscal_notes", customer(data::CUSTOMER_CPF), &[]).await;
    assert_problem(&reply, 502, "upstream_error");
    let stopped = start().await;
    let url = stopped.sim.base_url();
    stopped.stop().await;
    let host = builder(Sim::plugstorage(), &SETTINGS.replace("${env:PLUGSTORAGE_URL}", &url)).start().await;
    let reply = host.call_with(&host.app_key, "list_fiscal_notes", customer(data::CUSTOMER_CPF), &[]).await;
    assert_problem(&reply, 503, "upstream_unavailable");
    host.stop().await;
}

/// One tenant, two connections: IXC serves invoices, PlugStorage fiscal notes.
#[tokio::test]
async fn a_tenant_mixes_its_erp_for_invoices_and_plugstorage_for_fiscal_notes() {
    let automation = format!(
        "tenant = \"{TENANT}\"\nname = \"ACME Telecom\"\nallow_private = [\"127.0.0.1\"]\n\n\
         [connections.erp]\nplugin = \"ixc\"\ntimeout = \"5s\"\n\
         settings = {{ base_url = \"${{env:IXC_URL}}\", user_id = \"1\", token = \"${{env:IXC_TOKEN}}\" }}\n\n\
         [connections.fiscal]\nplugin = \"plugstorage\"\ntimeout = \"5s\"\nsettings = {{ {SETTINGS} }}\n\n\
         [functions]\nlist_invoices = \"erp\"\nget_boleto_pdf = \"erp\"\n\
         list_fiscal_notes = \"fiscal\"\nget_fiscal_note_pdf = {{ use = \"fiscal\", timeout = \"8s\" }}\n"
    );
    let host = TestHost::builder()
        .sim(Sim::ixc())
        .extra_sim(Sim::plugstorage())
        .automation(&format!("{TENANT}.toml"), automation)
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);

    let functions = host.send(host.request(Method::GET, "/v1/functions").bearer_auth(&host.app_key)).await;
    assert_eq!(functions.status, 200, "{}", functions.body);
    let served: Vec<(String, String)> = functions.body["functions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (f["name"].as_str().unwrap_or("").to_owned(), f["plugin"].as_str().unwrap_or("").to_owned()))
        .collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    for expected in [
        pair("list_invoices", "ixc"),
        pair("get_boleto_pdf", "ixc"),
        pair("list_fiscal_notes", "plugstorage"),
        pair("get_fiscal_note_pdf", "plugstorage"),
    ] {
        assert!(served.contains(&expected), "{expected:?} in {served:?}");
    }
    assert_eq!(served.len(), 4, "{served:?}");

    let (status, invoices) = host.call(&host.app_key, "list_invoices", customer(data::CUSTOMER_CPF)).await;
    assert_eq!(status, 200, "{invoices}");
    assert!(invoices.as_array().is_some_and(|i| !i.is_empty()));
    let notes = list(&host, customer(data::CUSTOMER_CPF)).await;
    assert_eq!(notes.len(), 3);
    let input = json!({ "note_id": data::NOTE_MARIA_MARCH, "customer_document_number": data::CUSTOMER_CPF });
    let (status, _) = host.call(&host.app_key, "get_fiscal_note_pdf", input).await;
    assert_eq!(status, 200);
    // Each call went to its own service.
    let plug = host.extra_sims.first().expect("PlugStorage");
    assert!(plug.request_count() >= 3, "PlugStorage served the fiscal calls");
    let by_plugin: Vec<(String, Option<String>)> =
        host.invocations().await.into_iter().map(|i| (i.function, i.plugin)).collect();
    assert!(by_plugin.contains(&("list_invoices".into(), Some("ixc".into()))), "{by_plugin:?}");
    assert!(by_plugin.contains(&("list_fiscal_notes".into(), Some("plugstorage".into()))), "{by_plugin:?}");
    host.stop().await;
}
