//! Runtime costs, measured in one run so they compare: bare wasmtime (instantiate a
//! pre-instantiated component and call one export), a no-op call through each runtime, and a
//! `list_invoices` of twenty messy invoices through each runtime plus the contract's
//! enforcement (no upstream: the probes build the answer themselves).
//!
//! `cargo bench -p ponte-host --bench runtimes`; the README has the last results.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ponte_contract::{EnforceOptions, Function};
use ponte_host::capabilities::InvocationInfo;
use ponte_host::capabilities::clock::Clock;
use ponte_host::config::vars::Vars;
use ponte_host::registry::{Connection, Registry, Sources};
use ponte_host::runtime::Call;
use ponte_host::runtime::wasm::WasmRuntime;
use ponte_host::store::Store;
use serde_json::{Value, json};

struct Fixture {
    store: Store,
    keyring: Arc<ponte_host::secret::keyring::Keyring>,
    wasm: Arc<Connection>,
    rhai: Arc<Connection>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().expect("temp dir");
    let automation = "tenant = \"bench\"\n[connections.wasm]\nplugin = \"probe-wasm\"\n[connections.rhai]\nplugin = \"probe-rhai\"\n\
                      [functions]\nlist_products = \"wasm\"\nlist_invoices = \"rhai\"\n";
    std::fs::write(dir.path().join("bench.toml"), automation).expect("automation");
    let sources = Sources {
        plugins: vec![repo.join("tests/plugins")],
        automations: dir.path().to_owned(),
        vars: Vars::none(),
        http_limits: Default::default(),
    };
    let registry = Registry::load(&sources).await;
    assert!(registry.errors.is_empty(), "{:?}", registry.errors);
    let tenant = &registry.tenants["bench"];
    let store = Store::open("sqlite::memory:").await.expect("store");
    Fixture {
        keyring: Arc::new(ponte_host::secret::keyring::Keyring::ephemeral()),
        store,
        wasm: Arc::clone(&tenant.connections["wasm"]),
        rhai: Arc::clone(&tenant.connections["rhai"]),
        _dir: dir,
    }
}

async fn invoke(fixture: &Fixture, connection: &Connection, function: Function, input: &Value) -> Value {
    let info = Arc::new(InvocationInfo {
        id: "bench".into(),
        tenant: "bench".into(),
        function,
        connection: connection.name.clone(),
        plugin: connection.plugin.manifest.name.clone(),
        plugin_version: connection.plugin.manifest.version.clone(),
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let capabilities =
        connection.capabilities(&fixture.store, info, deadline, Clock::system(), &fixture.keyring, false);
    let raw =
        connection.plugin.runtime.invoke(Call { function, input: input.clone(), capabilities }).await.expect("call");
    ponte_contract::enforce_value(function, Some(input), &raw, EnforceOptions::default()).expect("enforced").output
}

fn runtimes(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let fixture = rt.block_on(fixture());
    let probe_wasm = rt
        .block_on(
            WasmRuntime::get()
                .expect("wasmtime")
                .load(&fixture.wasm.plugin.manifest.entry, fixture.wasm.plugin.manifest.memory),
        )
        .expect("component");
    let empty = json!({});
    let customer = json!({"customer_document_number": "71460238001"});

    let mut group = c.benchmark_group("runtimes");
    group.bench_function("wasmtime baseline: instantiate + call an export", |b| {
        b.to_async(&rt).iter(|| async { probe_wasm.baseline_instantiate_and_call().await.expect("baseline") })
    });
    group.bench_function("wasm: no-op function call", |b| {
        b.to_async(&rt).iter(|| invoke(&fixture, &fixture.wasm, Function::ListProducts, &empty))
    });
    group.bench_function("rhai: no-op function call", |b| {
        b.to_async(&rt).iter(|| invoke(&fixture, &fixture.rhai, Function::ListProducts, &empty))
    });
    group.bench_function("wasm: list_invoices (20 invoices, enforced)", |b| {
        b.to_async(&rt).iter(|| invoke(&fixture, &fixture.wasm, Function::ListInvoices, &customer))
    });
    group.bench_function("rhai: list_invoices (20 invoices, enforced)", |b| {
        b.to_async(&rt).iter(|| invoke(&fixture, &fixture.rhai, Function::ListInvoices, &customer))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1)).sample_size(50);
    targets = runtimes
}
criterion_main!(benches);
