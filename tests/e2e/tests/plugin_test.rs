//! `ponte plugin test`'s scenarios against the bundled adapters, whatever their runtime, each
//! with its simulator playing the live ERP (roles from `ponte_erp_sim::people`): what an
//! outside author's plugin is held to, the bundled ones pass. Then the same run recorded and
//! replayed with the simulator gone.

use std::collections::BTreeMap;
use std::time::Duration;

use ponte_erp_sim::people;
use ponte_host::author::conformance::{self, Mode, Roles};
use ponte_host::author::{Session, SessionOptions};
use ponte_tests::Sim;

/// A setting and where its value comes from: the simulator's variable of that name, or the
/// text after `=`.
type Setting = (&'static str, &'static str);

/// Plugin folder, simulator, settings.
type Adapter = (&'static str, fn() -> Sim, &'static [Setting]);

const ADAPTERS: &[Adapter] = &[
    ("plugins/ixc", Sim::ixc, &[("base_url", "IXC_URL"), ("user_id", "=1"), ("token", "IXC_TOKEN")]),
    ("tests/plugins/legacy-rhai-ixc", Sim::ixc, &[("base_url", "IXC_URL"), ("user_id", "=1"), ("token", "IXC_TOKEN")]),
    ("plugins/sgp", Sim::sgp, &[("base_url", "SGP_URL"), ("token", "SGP_TOKEN"), ("app", "SGP_APP")]),
    (
        "plugins/hubsoft",
        Sim::hubsoft,
        &[
            ("base_url", "HUBSOFT_URL"),
            ("client_id", "HUBSOFT_CLIENT_ID"),
            ("client_secret", "HUBSOFT_CLIENT_SECRET"),
            ("username", "HUBSOFT_USERNAME"),
            ("password", "HUBSOFT_PASSWORD"),
            ("cash_account_id", "=1"),
        ],
    ),
    (
        "plugins/plugstorage",
        Sim::plugstorage,
        &[
            ("base_url", "PLUGSTORAGE_URL"),
            ("token", "PLUGSTORAGE_TOKEN"),
            ("email", "PLUGSTORAGE_EMAIL"),
            ("password", "PLUGSTORAGE_PASSWORD"),
        ],
    ),
    (
        "plugins/oobj",
        Sim::oobj,
        &[("base_url", "OOBJ_URL"), ("token", "OOBJ_TOKEN"), ("secret", "OOBJ_SECRET"), ("cnpj", "OOBJ_CNPJ")],
    ),
];

fn roles() -> Roles {
    Roles {
        customer: people::CUSTOMER_CPF.into(),
        unknown: people::UNKNOWN_CPF.into(),
        no_invoices: Some(people::CUSTOMER_NO_INVOICES_CPF.into()),
        company: Some(people::COMPANY_CNPJ.into()),
        invoice: Some(people::INVOICE_OPEN.into()),
        payment_invoice: Some(people::INVOICE_OPEN_OVERDUE.into()),
    }
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundled_adapters_pass_the_authors_scenarios_live_and_replayed() {
    for (folder, sim, settings) in ADAPTERS {
        let (simulator, vars) = sim().spawn().await;
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let settings: BTreeMap<String, String> = settings
            .iter()
            .map(|(name, from)| {
                let value = from.strip_prefix('=').map_or_else(|| vars[*from].clone(), str::to_owned);
                ((*name).to_owned(), value)
            })
            .collect();
        let plugin = repo().join(folder);
        let options = SessionOptions {
            plugin: plugin.clone(),
            settings,
            allow_private: vec!["127.0.0.1".into()],
            timeout: Duration::from_secs(5),
            clock: None,
        };
        let mut session = Session::start(options).await.unwrap_or_else(|e| panic!("{folder}: {e}"));
        let (outcomes, mut recorded) = conformance::run(&mut session, &roles(), Mode::Live, &Default::default()).await;
        assert!(
            outcomes.iter().all(conformance::Outcome::passed),
            "{folder} live:\n{}",
            conformance::render(&outcomes)
        );
        assert!(!outcomes.is_empty(), "{folder}: no scenario ran");
        recorded.settings = session.recordable_settings();
        recorded.allow_private = vec!["127.0.0.1".into()];
        ponte_host::author::scrub::scrub(&mut recorded);
        let text = serde_json::to_string(&recorded).expect("json");
        assert!(!text.contains(people::CUSTOMER_NAME), "{folder}: the customer's name left the recording");
        drop(session);
        drop(simulator);

        // The simulator is gone: the recording alone answers, without any secret or personal data.
        let mut replay = Session::start(conformance::replay_options(&plugin, &recorded))
            .await
            .unwrap_or_else(|e| panic!("{folder}: {e}"));
        let (replayed, _) = conformance::run(&mut replay, &roles(), Mode::Replay, &recorded).await;
        assert!(
            replayed.iter().all(conformance::Outcome::passed),
            "{folder} replayed:\n{}",
            conformance::render(&replayed)
        );
        assert_eq!(replayed.len(), outcomes.len(), "{folder}");
    }
}
