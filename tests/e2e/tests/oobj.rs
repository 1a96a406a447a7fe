//! The Oobj adapter (`plugins/oobj/`) through real HTTP against the simulated Oobj: fiscal notes
//! listed and normalized, PDFs, another customer's or company's note refused; and above all its
//! `x-auth-token` session: opened once and shared by every call, refreshed when the cached copy
//! lapses, replaced once (never in a loop) when Oobj expires it, refused credentials named
//! without the secret anywhere.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::fiscal;
use ponte_erp_sim::oobj::{self, OobjConfig};
use ponte_tests::fiscal::{self as scenario, customer, list};
use ponte_tests::{OOBJ_SECRET, OOBJ_TOKEN, Sim, TENANT, TestHost, TestHostBuilder, assert_problem, captured_logs};
use serde_json::json;

const SETTINGS: &str = r#"base_url = "${env:OOBJ_URL}", token = "${env:OOBJ_TOKEN}", secret = "${env:OOBJ_SECRET}", cnpj = "${env:OOBJ_CNPJ}""#;

fn builder(sim: Sim, settings: &str) -> TestHostBuilder {
    TestHost::builder().sim(sim).automation(&format!("{TENANT}.toml"), scenario::automation("oobj", settings))
}

async fn start_with(sim: Sim) -> TestHost {
    let host = builder(sim, SETTINGS).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    host
}

async fn start() -> TestHost {
    start_with(Sim::oobj()).await
}

/// The default simulator with another session lifetime.
fn with_session_ttl(ttl: Duration) -> Sim {
    match Sim::oobj() {
        Sim::Oobj(config) => Sim::Oobj(OobjConfig { session_ttl: ttl, ..config }),
        other => other,
    }
}

/// `(sessions created, refreshes)` so far.
fn sessions(host: &TestHost) -> (u64, u64) {
    (host.sim.count(oobj::SESSIONS), host.sim.count(oobj::REFRESHES))
}

#[tokio::test]
async fn notes_are_listed_normalized_and_filtered_by_customer_and_dates() {
    let host = start().await;
    scenario::notes_are_listed_normalized_and_filtered(&host).await;
    host.stop().await;
}

#[tokio::test]
async fn the_pdf_is_fetched_and_another_customers_or_companys_note_refused() {
    let host = start().await;
    let input = json!({ "note_id": fiscal::NOTE_MARIA_MARCH, "customer_document_number": fiscal::CUSTOMER_CPF });
    let (status, pdf) = host.call(&host.app_key, "get_fiscal_note_pdf", input).await;
    assert_eq!(status, 200, "{pdf}");
    let bytes = STANDARD.decode(pdf["base_64"].as_str().unwrap_or_default()).expect("base64");
    assert!(bytes.starts_with(b"%PDF"));
    let (status, _) = host.call(&host.app_key, "get_fiscal_note_pdf", json!({ "note_id": fiscal::NOTE_COMPANY })).await;
    assert_eq!(status, 200);

    for (note, who) in
        [(fiscal::NOTE_COMPANY, fiscal::CUSTOMER_CPF), (fiscal::NOTE_MARIA_MARCH, fiscal::BLOCKED_CUSTOMER_CPF)]
    {
        let input = json!({ "note_id": note, "customer_document_number": who });
        assert_problem(&host.call_with(&host.app_key, "get_fiscal_note_pdf", input, &[]).await, 404, "not_found");
    }
    let pdfs_before = host.sim.count(oobj::REQUESTS_PDF);
    // Another emitter's key (an Oobj account may manage other companies): refused unasked.
    for note in ["3".repeat(44), "7001".to_owned()] {
        let input = json!({ "note_id": note });
        assert_problem(&host.call_with(&host.app_key, "get_fiscal_note_pdf", input, &[]).await, 404, "not_found");
    }
    assert_eq!(host.sim.count(oobj::REQUESTS_PDF), pdfs_before, "never asked Oobj");
    host.stop().await;
}

/// (a) Sequential calls of both functions: one session for all of them.
#[tokio::test]
async fn sequential_calls_share_one_session() {
    let host = start().await;
    for _ in 0..3 {
        assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await.len(), 3);
        let input = json!({ "note_id": fiscal::NOTE_MARIA_MARCH, "customer_document_number": fiscal::CUSTOMER_CPF });
        let (status, body) = host.call(&host.app_key, "get_fiscal_note_pdf", input).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(sessions(&host), (1, 0));
    assert_eq!(host.sim.count(oobj::REQUESTS_AUTHENTICATE), 1);
    assert_eq!(host.sim.count(oobj::UNAUTHORIZED), 0);
    assert_eq!(host.sim.count(oobj::REQUESTS_EMITIDOS), 6, "two listings (NFCom, NF-e) a call");
    host.stop().await;
}

/// (b) Oobj expires every session: the next call opens exactly one new one and succeeds; an
/// Oobj that refuses every session gets one new session, then an error, never a loop.
#[tokio::test]
async fn an_expired_session_is_replaced_once_and_the_call_succeeds() {
    let host = start().await;
    assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await.len(), 3);
    host.sim.revoke_tokens();
    let emitidos = host.sim.count(oobj::REQUESTS_EMITIDOS);
    assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await.len(), 3);
    assert_eq!(sessions(&host), (2, 0));
    assert_eq!(host.sim.count(oobj::UNAUTHORIZED), 1);
    assert_eq!(host.sim.count(oobj::REQUESTS_EMITIDOS) - emitidos, 3, "refused listing, retried listing, NF-e listing");
    // The new session serves what follows.
    let input = json!({ "note_id": fiscal::NOTE_COMPANY });
    assert_eq!(host.call(&host.app_key, "get_fiscal_note_pdf", input).await.0, 200);
    assert_eq!(sessions(&host), (2, 0));

    // Every report refused with 401: one new session, one retry, then upstream_error.
    host.sim.faults().push_for("/api/relatorios/", Fault::Status { status: 401, times: 100 });
    let emitidos = host.sim.count(oobj::REQUESTS_EMITIDOS);
    let reply = host.call_with(&host.app_key, "list_fiscal_notes", customer(fiscal::CUSTOMER_CPF), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("refused a new session too")), "{problem}");
    assert_eq!(sessions(&host), (3, 0));
    assert_eq!(host.sim.count(oobj::REQUESTS_EMITIDOS) - emitidos, 2, "refused call, refused retry: no loop");
    host.sim.faults().clear();
    host.stop().await;
}

/// When the cached copy lapses (a little before the session's end), the live session is
/// refreshed (`GET /api/refresh`) rather than a new one opened.
#[tokio::test]
async fn a_lapsed_cached_session_is_refreshed_not_reopened() {
    // 6 s sessions: cached for 4 s, the token kept for 6 s.
    let host = start_with(with_session_ttl(Duration::from_secs(6))).await;
    assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await.len(), 3);
    assert_eq!(sessions(&host), (1, 0));
    tokio::time::sleep(Duration::from_millis(4_400)).await;
    assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await.len(), 3);
    assert_eq!(sessions(&host), (1, 1));
    assert_eq!(host.sim.count(oobj::UNAUTHORIZED), 0, "the refreshed token served the call");
    host.stop().await;
}

/// (c) Refused (or missing) credentials are an upstream_error naming the case; no credential reaches the
/// answer, the invocation log or the logs. Oobj's rate limit on new sessions is unavailability.
#[tokio::test]
async fn refused_credentials_are_named_and_never_leak() {
    let wrong_secret = "oobj-wrong-secret-5e1f0a2b";
    // An empty secret never reaches Oobj: the automation is refused at load, naming the setting.
    let empty = SETTINGS.replace("${env:OOBJ_SECRET}", "${env:EMPTY}");
    let host = builder(Sim::oobj(), &empty).var("EMPTY", "").start().await;
    assert!(
        host.config_errors.iter().any(|e| e.contains("`secret` resolves to an empty value")),
        "{:?}",
        host.config_errors
    );
    assert_eq!(sessions(&host), (0, 0));
    host.stop().await;

    let cases = [(SETTINGS.replace("${env:OOBJ_SECRET}", "${env:WRONG}"), "(wrong token or secret")];
    for (settings, words) in cases {
        let host = builder(Sim::oobj(), &settings).var("WRONG", wrong_secret).start().await;
        assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
        for (function, input) in [
            ("list_fiscal_notes", customer(fiscal::CUSTOMER_CPF)),
            ("get_fiscal_note_pdf", json!({ "note_id": fiscal::NOTE_MARIA_MARCH })),
        ] {
            let reply = host.call_with(&host.app_key, function, input, &[]).await;
            let problem = assert_problem(&reply, 502, "upstream_error");
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(detail.starts_with("Oobj ") && detail.contains(words), "{words}: {problem}");
            for secret in [OOBJ_SECRET, OOBJ_TOKEN, wrong_secret] {
                assert!(!reply.body.to_string().contains(secret), "{words}: a credential in the answer");
            }
        }
        assert_eq!(host.sim.count(oobj::SESSIONS), 0);
        let logged = format!("{:?}", host.invocations().await);
        for secret in [OOBJ_SECRET, OOBJ_TOKEN, wrong_secret] {
            assert!(!logged.contains(secret), "{words}: a credential in the invocation log");
        }
        host.stop().await;
    }
    let logs = captured_logs();
    assert!(logs.contains("Oobj refused the credentials (wrong token or secret"), "the refusal was logged");
    for secret in [OOBJ_SECRET, OOBJ_TOKEN, wrong_secret] {
        assert!(!logs.contains(secret), "a credential in the logs");
    }

    let limited = match Sim::oobj() {
        Sim::Oobj(config) => Sim::Oobj(OobjConfig { authenticate_limit: 0, ..config }),
        other => other,
    };
    let host = start_with(limited).await;
    let reply = host.call_with(&host.app_key, "list_fiscal_notes", customer(fiscal::CUSTOMER_CPF), &[]).await;
    // Oobj answered 429 and the adapter called it unavailable: the host tells the caller it is a
    // rate limit (with Retry-After), and the connection's circuit doesn't count it as a failure.
    assert_problem(&reply, 429, "rate_limited");
    assert!(reply.headers.contains_key("retry-after"));
    // The caller gets the host's generic detail; the invocation log keeps the adapter's reason.
    let invocations = host.invocations().await;
    let detail = invocations.first().and_then(|i| i.detail.clone()).unwrap_or_default();
    assert!(detail.contains("rate limit on new sessions"), "{invocations:?}");
    host.stop().await;
}

#[tokio::test]
async fn an_unavailable_oobj_is_upstream_unavailable() {
    let host = start().await;
    host.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let reply = host.call_with(&host.app_key, "list_fiscal_notes", customer(fiscal::CUSTOMER_CPF), &[]).await;
    assert_problem(&reply, 503, "upstream_unavailable");
    assert_eq!(sessions(&host), (0, 0), "the session request itself was refused");
    assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await.len(), 3);
    host.sim.faults().push_for("/pdf", Fault::Status { status: 502, times: 1 });
    let input = json!({ "note_id": fiscal::NOTE_COMPANY });
    assert_problem(
        &host.call_with(&host.app_key, "get_fiscal_note_pdf", input, &[]).await,
        503,
        "upstream_unavailable",
    );
    host.stop().await;
}

/// (d) Oobj expires the session while 8 calls arrive at once: every call succeeds and exactly
/// one new session is opened (the host's kv_cached / kv_replace single-flight).
#[tokio::test]
async fn concurrent_calls_after_expiry_open_exactly_one_new_session() {
    let host = start().await;
    assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await.len(), 3);
    host.sim.revoke_tokens();
    let calls = (0..8).map(|_| host.call(&host.app_key, "list_fiscal_notes", customer(fiscal::CUSTOMER_CPF)));
    for (status, body) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body.as_array().map(Vec::len), Some(3), "{body}");
    }
    assert_eq!(sessions(&host), (2, 0), "one session before, exactly one after");
    host.stop().await;
}

/// A report that ignores the recipient filter (the filter's name is inferred from Oobj's pages)
/// holds the whole company's notes: past 1,000 the adapter fails rather than answer a list that
/// looks complete and isn't.
#[tokio::test]
async fn a_report_ignoring_the_recipient_filter_fails_rather_than_answer_a_list_cut_short() {
    let sim = match Sim::oobj() {
        Sim::Oobj(config) => Sim::Oobj(OobjConfig { unfiltered_extra_notes: 1_000, ..config }),
        other => other,
    };
    let host = start_with(sim).await;
    let reply = host.call_with(&host.app_key, "list_fiscal_notes", customer(fiscal::CUSTOMER_CPF), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("more than 1,000 notes") && detail.contains("cpfCnpjDestinatario"), "{problem}");
    host.stop().await;
}

/// A connection to Oobj's homologation environment lists none of the production notes the
/// report holds.
#[tokio::test]
async fn a_homologation_connection_lists_no_production_note() {
    let settings = format!("{SETTINGS}, ambiente = \"hom\"");
    let host = builder(Sim::oobj(), &settings).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    assert_eq!(list(&host, customer(fiscal::CUSTOMER_CPF)).await, Vec::<serde_json::Value>::new());
    host.stop().await;
}
