//! Chaos: payments posted exactly once through ERP faults, SIGKILLed hosts and replicas.
//!
//! Real `ponte serve` processes (this crate's binary) against a simulated IXC with thousands
//! of open invoices that answers 503s, times out and loses responses after applying them, at
//! random (seeded). A driver posts one full payment per invoice, the way a bank's webhook
//! sender would: the same `Idempotency-Key` again until it gets an answer. Mid-run a host is
//! killed with SIGKILL and restarted. Afterwards every invoice must have exactly one posting,
//! counted at the simulator: 0 lost, 0 doubled, and no settlement parked.
//!
//! - `sqlite_host_killed_mid_run`: one host on a SQLite file, killed twice.
//! - `postgres_two_replicas_one_killed`: two hosts on one PostgreSQL database; one is killed
//!   and restarted while the other keeps serving.
//!
//! `PONTE_CHAOS_SETTLEMENTS` sets the number of payments (default 300); the README has the
//! command and result of a 10,000 run.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ponte_contract::Scope;
use ponte_erp_sim::Simulator;
use ponte_erp_sim::faults::Chaos;
use ponte_erp_sim::ixc::IxcConfig;
use ponte_erp_sim::ixc::data::{BULK_CUSTOMER_CPF, bulk_invoice_cents, bulk_invoice_id};
use ponte_host::store::scratch::ScratchPostgres;
use ponte_host::store::{SettlementState, Store};
use serde_json::json;
use tokio::process::{Child, Command};

const TOKEN: &str = "ixc-chaos-token-2b6f0c1d9e8a7f35";
/// The automation's deadline; the simulator's injected timeouts outlast it.
const CALL_TIMEOUT_MS: u64 = 1000;
/// Requests the driver keeps in flight.
const CONCURRENCY: usize = 12;

fn settlements() -> u32 {
    std::env::var("PONTE_CHAOS_SETTLEMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One `ponte serve` process on a fixed port, restartable.
struct Replica {
    /// A copy of the binary taken at the start, so a rebuild during a long run can't mix versions.
    binary: PathBuf,
    port: u16,
    database: String,
    dir: PathBuf,
    sim_url: String,
    child: Option<Child>,
    starts: u32,
}

impl Replica {
    /// The replicas' shared key file, made on first use.
    fn key_file(&self) -> PathBuf {
        let file = self.dir.join("secret.key");
        if !file.exists() {
            std::fs::write(&file, ponte_host::secret::keyring::new_key()).expect("key file");
        }
        file
    }

    async fn start(&mut self) {
        self.starts += 1;
        let log =
            std::fs::File::create(self.dir.join(format!("host-{}-{}.log", self.port, self.starts))).expect("log file");
        let mut command = Command::new(&self.binary);
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .env("DATABASE_URL", &self.database)
            // Replicas sharing a store share the key that seals its secrets (one file, made
            // once before either starts).
            .env("PONTE_SECRET_KEY_FILE", self.key_file())
            .env("PONTE_PLUGINS", repo().join("plugins"))
            .env("PONTE_AUTOMATIONS", self.dir.join("automations"))
            .env("IXC_URL", &self.sim_url)
            .env("IXC_TOKEN", TOKEN)
            // Retry fast and take a dead replica's work over within seconds; never give up.
            .env("PONTE_SETTLEMENT_BACKOFF", "50ms")
            .env("PONTE_SETTLEMENT_BACKOFF_MAX", "1s")
            .env("PONTE_SETTLEMENT_LEASE_MARGIN", "1s")
            .env("PONTE_SETTLEMENT_POLL", "50ms")
            .env("PONTE_SETTLEMENT_MAX_ATTEMPTS", "1000")
            .env("PONTE_BREAKER_COOLDOWN", "300ms")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        // The other chaos test copies its binary in the same process: a child it forks between
        // our copy's write and its own exec briefly inherits our copy's write descriptor, and
        // exec then fails with ETXTBSY. The file is whole; trying again a moment later works.
        let mut attempts = 0;
        let child = loop {
            match command.spawn() {
                Ok(child) => break child,
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("start ponte: {e}"),
            }
        };
        self.child = Some(child);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = client.get(format!("{}/readyz", self.url())).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(Instant::now() < deadline, "ponte on port {} did not become ready", self.port);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no drain, no goodbye.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("SIGKILL ponte");
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn write_automation(dir: &Path) {
    std::fs::create_dir_all(dir.join("automations")).expect("automations dir");
    let automation = format!(
        r#"name = "ACME Telecom"
allow_private = ["127.0.0.1"]

[connections.erp]
plugin = "ixc"
timeout = "{CALL_TIMEOUT_MS}ms"
settings = {{ base_url = "${{env:IXC_URL}}", user_id = "1", token = "${{env:IXC_TOKEN}}" }}

[functions]
get_invoice = "erp"
settle_invoice = "erp"
"#
    );
    std::fs::write(dir.join("automations/acme.toml"), automation).expect("automation");
}

async fn totem_key(database: &str) -> String {
    let store = Store::open(database).await.expect("open the store");
    store.ensure_tenant("acme", "ACME Telecom").await.expect("tenant");
    let key = store.create_api_key("acme", &[Scope::Totem], "chaos driver").await.expect("key");
    store.close().await;
    key.token
}

async fn start_sim(invoices: u32) -> Simulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = IxcConfig { token: TOKEN.to_owned(), bulk_invoices: invoices, ..IxcConfig::default() };
    let sim = ponte_erp_sim::ixc::spawn(listener, config).await.expect("simulator");
    sim.faults()
        .set_chaos(Some(Chaos {
            seed: 20_261_130,
            unavailable_per_mille: 40,
            timeout_per_mille: 15,
            timeout_ms: CALL_TIMEOUT_MS + 400,
            lose_response_per_mille: 40,
            path_contains: None,
        }))
        .expect("chaos");
    sim
}

/// Posts payment `n` until some replica answers 200 or 202 for its key.
async fn post_payment(client: &reqwest::Client, urls: &[String], key: &str, n: u32) -> u32 {
    let cents = bulk_invoice_cents(n);
    let body = json!({
        "transaction": {
            "id": format!("E2026CHAOS{n:08}"),
            "amount": format!("{}.{:02}", cents / 100, cents % 100),
            "paid_at": "2026-05-15T12:00:00-03:00",
            "method": "pix",
        },
        "boleto_id": bulk_invoice_id(n),
        "customer_document_number": BULK_CUSTOMER_CPF,
    });
    let idempotency_key = format!("chaos-{n}");
    let mut tries = 0;
    loop {
        tries += 1;
        let url = &urls[(n as usize + tries as usize) % urls.len()];
        let sent = client
            .post(format!("{url}/v1/functions/settle_invoice"))
            .bearer_auth(key)
            .header("idempotency-key", &idempotency_key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .timeout(Duration::from_secs(20))
            .send()
            .await;
        if let Ok(response) = sent {
            let status = response.status().as_u16();
            if status == 200 || status == 202 {
                return tries;
            }
            let text = response.text().await.unwrap_or_default();
            // A replica that died mid-call leaves the key running until its lease ends.
            assert!(
                matches!(status, 409 | 500 | 502 | 503 | 504) && !text.contains("idempotency_conflict"),
                "payment {n}: unexpected {status}: {text}"
            );
        }
        assert!(tries < 500, "payment {n} was never accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Drives `total` payments through `replicas`, killing replica 0 at the given fractions of the
/// run, then waits for the queue to drain and checks the simulator's postings.
async fn run(database: &str, dir: &Path, replicas: usize, kills_at: &[f64]) {
    let total = settlements();
    let started = Instant::now();
    let sim = start_sim(total).await;
    write_automation(dir);
    let key = totem_key(database).await;
    let binary = dir.join("ponte");
    std::fs::copy(env!("CARGO_BIN_EXE_ponte"), &binary).expect("copy the ponte binary");
    let mut hosts: Vec<Replica> = (0..replicas)
        .map(|_| Replica {
            binary: binary.clone(),
            port: free_port(),
            database: database.to_owned(),
            dir: dir.to_path_buf(),
            sim_url: sim.base_url(),
            child: None,
            starts: 0,
        })
        .collect();
    for host in &mut hosts {
        host.start().await;
    }
    let urls: Vec<String> = hosts.iter().map(Replica::url).collect();

    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let mut drivers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, urls, key, next, accepted) =
            (client.clone(), urls.clone(), key.clone(), Arc::clone(&next), Arc::clone(&accepted));
        drivers.spawn(async move {
            let mut retries = 0;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Ok(n) = u32::try_from(n) else { break };
                if n >= total {
                    break;
                }
                retries += post_payment(&client, &urls, &key, n).await - 1;
                accepted.fetch_add(1, Ordering::Relaxed);
            }
            retries
        });
    }
    // Kill replica 0 as the run passes each mark, and bring it back.
    let mut kills = 0;
    for mark in kills_at {
        let target = (f64::from(total) * mark) as usize;
        while accepted.load(Ordering::Relaxed) < target && !drivers.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        hosts[0].kill().await;
        kills += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
        hosts[0].start().await;
    }
    let mut client_retries = 0;
    while let Some(joined) = drivers.join_next().await {
        client_retries += joined.expect("driver");
    }
    let submitted = started.elapsed();

    // Every payment accepted: now the queue drains (leases of killed attempts run out first).
    let store = Store::open(database).await.expect("open the store");
    // Generous: a few minutes, or 100 ms a payment for long runs on a busy machine.
    let deadline = Instant::now() + Duration::from_secs(180).max(Duration::from_millis(100) * total);
    let total_u64 = u64::from(total);
    loop {
        let count = |state| {
            let store = store.clone();
            async move { store.settlement_counts(state).await.expect("counts").iter().map(|(_, n)| n).sum::<u64>() }
        };
        let (posted, parked) = (count(SettlementState::Posted).await, count(SettlementState::Parked).await);
        if posted + parked >= total_u64 {
            assert_eq!(parked, 0, "no settlement may be parked: {parked}");
            break;
        }
        if Instant::now() >= deadline {
            let pending = count(SettlementState::Pending).await;
            let posting = count(SettlementState::Posting).await;
            for host in &hosts {
                let log = dir.join(format!("host-{}-{}.log", host.port, host.starts));
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                eprintln!("--- {} (last lines, newest first)\n{}", log.display(), tail.join("\n"));
            }
            panic!(
                "after the deadline: {posted} of {total} posted, {parked} parked, {pending} pending, {posting} posting"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = started.elapsed();

    let postings = sim.all_postings();
    let injected = sim.faults().chaos_injected();
    let lost: Vec<String> = (0..total).map(bulk_invoice_id).filter(|id| !postings.contains_key(id)).collect();
    let doubled: Vec<(&String, &u32)> = postings.iter().filter(|(_, n)| **n != 1).collect();
    let outcomes = store.settlements("acme", Some(SettlementState::Posted), 1000).await.expect("list");
    let verified = outcomes.iter().filter(|s| s.outcome.as_deref() == Some("verified_paid")).count();
    eprintln!(
        "chaos: {total} payments, {replicas} replica(s), {kills} SIGKILL(s); ERP faults injected: {} 503s, {} \
         timeouts, {} lost responses; {client_retries} client retries; all accepted in {:.1}s, all posted in \
         {:.1}s; lost {}, doubled {}; {verified} of the last {} posted were verified after a lost answer",
        injected.unavailable,
        injected.timeout,
        injected.lose_response,
        submitted.as_secs_f64(),
        drained.as_secs_f64(),
        lost.len(),
        doubled.len(),
        outcomes.len(),
    );
    assert!(lost.is_empty(), "payments never posted: {lost:?}");
    assert!(doubled.is_empty(), "payments posted more than once: {doubled:?}");
    assert_eq!(postings.len(), total as usize, "postings only for the payments sent");
    assert!(injected.lose_response > 0 && injected.unavailable > 0, "the run must have seen faults");
    store.close().await;
    for host in &mut hosts {
        host.kill().await;
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_host_killed_mid_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("ponte.db").display());
    run(&database, dir.path(), 1, &[0.3, 0.65]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_replicas_one_killed() {
    let scratch = ScratchPostgres::create().await.unwrap_or_else(|e| panic!("{e:#}"));
    let dir = tempfile::tempdir().expect("temp dir");
    run(&scratch.url(), dir.path(), 2, &[0.5]).await;
}
