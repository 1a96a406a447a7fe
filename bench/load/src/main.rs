//! `ponte-load`: the same job done five ways, measured side by side in one run.
//!
//! The job: a customer's invoice list from an ERP stand-in (`upstream.rs`: ten invoices, a
//! configurable latency), mapped to the contract's fields, answered as JSON. Done by:
//! 1. **direct**: the stand-in itself (no mapping): the floor;
//! 2. **proxy (Rust)**: a hand-written axum + reqwest proxy mapping in Rust (`proxy.rs`): the
//!    baseline;
//! 3. **proxy (Rhai)**: the same proxy mapping with a Rhai script;
//! 4. **Ponte, Rhai plugin** and 5. **Ponte, wasm plugin**: the full pipeline (key, validation,
//!    bulkheads, the sandboxed plugin, contract enforcement of every line and PIX code, metrics,
//!    the invocation log), cache off, each request for another customer so nothing coalesces.
//!
//! Then a storm of identical concurrent totem calls with caching on (upstream requests counted at
//! the stand-in), and the start-up time and resident memory of many tenants (in a process of
//! their own).
//!
//! ```sh
//! cargo run --release -p ponte-load
//! cargo run --release -p ponte-load -- --latency 20ms --duration 10s
//! ```
//!
//! Everything runs on this machine's loopback: the servers on a multi-threaded runtime, the load
//! generator on one thread of its own (like `wrk -t1`). Tracing has no subscriber here, so
//! Ponte's log lines cost nothing; everything else runs as under `ponte serve`.

mod drive;
mod ponte;
mod proxy;
mod upstream;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::Full;
use hyper::Request;
use ponte_contract::normalize::document::synthetic_cpf;

use crate::drive::{MakeRequest, Report};

#[derive(Parser)]
#[command(name = "ponte-load", about = "Ponte's load driver: direct, hand-written proxies and Ponte, side by side")]
struct Cli {
    /// The stand-in ERP's latency per request.
    #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
    latency: Duration,
    /// How long each measurement runs.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Unmeasured time before each measurement.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Connections, one measurement per value.
    #[arg(long, value_delimiter = ',', default_value = "1,64")]
    concurrency: Vec<usize>,
    /// Identical concurrent totem calls in the storm (0: skip).
    #[arg(long, default_value_t = 1000)]
    storm: usize,
    /// Tenants in the start-up measurement (0: skip).
    #[arg(long, default_value_t = 1000)]
    tenants: usize,
    /// Only the paths whose name contains this text (e.g. `Ponte`; for profiling one).
    #[arg(long)]
    only: Option<String>,
    /// Whether Ponte's invocation log keeps each call's input and output (`ponte serve`'s
    /// default: on); `false` measures what keeping them costs.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    log_payloads: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// (Internal) load `--tenants` generated tenants and print what it cost, as JSON.
    StartupProbe {
        #[arg(long)]
        tenants: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::StartupProbe { tenants }) => runtime.block_on(async {
            let startup = ponte::startup_probe(tenants).await?;
            println!("{}", serde_json::to_string(&startup)?);
            anyhow::Ok(())
        }),
        None => run(&runtime, &cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A target: where it listens, and how to ask it for customer `doc`'s invoices.
struct Target {
    name: &'static str,
    addr: SocketAddr,
    make: MakeRequest,
}

fn addr_of(url: &str) -> anyhow::Result<SocketAddr> {
    Ok(url.trim_start_matches("http://").parse()?)
}

/// Connection `worker`'s `n`th customer: sixteen per connection, none shared between
/// connections, so no two concurrent requests are identical.
fn customer(worker: usize, n: usize) -> String {
    synthetic_cpf(u32::try_from(worker * 16 + n % 16).unwrap_or(0))
}

fn post(addr: SocketAddr, path: &'static str, token: Option<String>) -> MakeRequest {
    Arc::new(move |worker, n| {
        let body = format!("{{\"customer_document_number\":\"{}\"}}", customer(worker, n));
        let mut request =
            Request::post(path).header("host", addr.to_string()).header("content-type", "application/json");
        if let Some(token) = &token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Full::new(Bytes::from(body))).unwrap_or_default()
    })
}

fn run(runtime: &tokio::runtime::Runtime, cli: &Cli) -> anyhow::Result<()> {
    let (upstream, proxy, ponte) = runtime.block_on(async {
        let upstream = upstream::start(cli.latency).await?;
        let proxy = proxy::start(&upstream.url).await?;
        let ponte = ponte::start(&upstream.url, cli.log_payloads).await?;
        anyhow::Ok((upstream, proxy, ponte))
    })?;
    let upstream_addr = addr_of(&upstream.url)?;
    let proxy_addr = addr_of(&proxy)?;
    let ponte_addr = addr_of(&ponte.url)?;
    let targets = [
        Target {
            name: "direct (the ERP stand-in)",
            addr: upstream_addr,
            make: Arc::new(move |worker, n| {
                Request::get(format!("/invoices?document={}", customer(worker, n)))
                    .header("host", upstream_addr.to_string())
                    .body(Full::new(Bytes::new()))
                    .unwrap_or_default()
            }),
        },
        Target { name: "hand-written proxy, Rust mapping", addr: proxy_addr, make: post(proxy_addr, "/rust", None) },
        Target { name: "hand-written proxy, Rhai mapping", addr: proxy_addr, make: post(proxy_addr, "/rhai", None) },
        Target {
            name: "Ponte, Rhai plugin",
            addr: ponte_addr,
            make: post(ponte_addr, "/v1/functions/list_invoices", Some(ponte.rhai_key.clone())),
        },
        Target {
            name: "Ponte, wasm plugin",
            addr: ponte_addr,
            make: post(ponte_addr, "/v1/functions/list_invoices", Some(ponte.wasm_key.clone())),
        },
    ];
    for target in &targets {
        let check = drive::burst(target.addr, 1, target.make.clone())?;
        anyhow::ensure!(check.0.ok == 1, "{} does not answer 200", target.name);
    }
    eprintln!(
        "ponte-load: upstream latency {:?}, {:?} per measurement after {:?} of warm-up",
        cli.latency, cli.duration, cli.warmup
    );

    let mut results: Vec<(usize, &'static str, Report)> = Vec::new();
    let chosen = |target: &&Target| cli.only.as_ref().is_none_or(|only| target.name.contains(only.as_str()));
    for &connections in &cli.concurrency {
        for target in targets.iter().filter(chosen) {
            let report = drive::run(target.addr, connections, cli.warmup, cli.duration, target.make.clone())?;
            eprintln!(
                "  c={connections:<3} {:<34} {:>9.0} rps  p50 {:>8.3} ms  p99 {:>8.3} ms  errors {}",
                target.name,
                report.rps,
                ms(report.p50),
                ms(report.p99),
                report.errors
            );
            results.push((connections, target.name, report));
        }
    }
    print_table(&results);

    if cli.storm > 0 {
        let before = upstream.requests();
        let token = ponte.cached_key.clone();
        let document = synthetic_cpf(424_242);
        let make: MakeRequest = Arc::new(move |_, _| {
            let body = format!("{{\"customer_document_number\":\"{document}\"}}");
            Request::post("/v1/functions/list_totem_invoices")
                .header("host", ponte_addr.to_string())
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {token}"))
                .body(Full::new(Bytes::from(body)))
                .unwrap_or_default()
        });
        let (report, wall) = drive::burst(ponte_addr, cli.storm, make)?;
        let upstream_calls = upstream.requests() - before;
        let metrics = ponte.host.metrics.render();
        let cache = |result: &str| -> u64 {
            metrics
                .lines()
                .filter(|l| l.starts_with("ponte_cache_total{") && l.contains("bench-cached"))
                .filter(|l| l.contains(&format!("result=\"{result}\"")))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
                .sum()
        };
        println!();
        println!("| storm: identical concurrent totem calls, cache on | value |");
        println!("|---|---|");
        println!("| calls / answered 200 | {} / {} |", cli.storm, report.ok);
        println!("| upstream requests (counted at the stand-in) | {upstream_calls} |");
        println!(
            "| plugin runs / shared a run / served from the cache | {} / {} / {} |",
            cache("miss"),
            cache("coalesced"),
            cache("hit")
        );
        println!(
            "| all answered in | {:.1} ms (p50 {:.1} ms, p99 {:.1} ms) |",
            ms(wall),
            ms(report.p50),
            ms(report.p99)
        );
    }

    if cli.tenants > 0 {
        let output = std::process::Command::new(std::env::current_exe()?)
            .args(["startup-probe", "--tenants", &cli.tenants.to_string()])
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "the start-up probe failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let startup: ponte::Startup = serde_json::from_slice(&output.stdout)?;
        println!();
        println!("| start-up | value |");
        println!("|---|---|");
        println!("| tenants / automations loaded | {} / {} |", startup.tenants, startup.automations);
        println!("| time to load and register them | {} ms |", startup.millis);
        println!("| resident memory then | {:.1} MiB |", startup.rss_kib as f64 / 1024.0);
    }
    drop(ponte);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The main table: one row per target and concurrency, with the overhead over direct (p50) and
/// each figure relative to the Rust proxy measured in the same run.
fn print_table(results: &[(usize, &'static str, Report)]) {
    println!("| c | path | rps | p50 ms | p99 ms | p50 over direct | rps vs Rust proxy | p99 vs Rust proxy |");
    println!("|---|---|---|---|---|---|---|---|");
    for (connections, name, report) in results {
        let same = |prefix: &str| results.iter().find(|(c, n, _)| c == connections && n.starts_with(prefix));
        let direct = same("direct").map(|(_, _, r)| r.p50);
        let proxy = same("hand-written proxy, Rust").map(|(_, _, r)| r);
        let over = direct.map_or(String::new(), |d| format!("{:+.3} ms", ms(report.p50) - ms(d)));
        let rps_ratio = proxy.map_or(String::new(), |p| format!("{:.0}%", 100.0 * report.rps / p.rps.max(1.0)));
        let p99_ratio = proxy
            .map_or(String::new(), |p| format!("{:.2}x", report.p99.as_secs_f64() / p.p99.as_secs_f64().max(1e-9)));
        println!(
            "| {connections} | {name} | {:.0} | {:.3} | {:.3} | {over} | {rps_ratio} | {p99_ratio} |",
            report.rps,
            ms(report.p50),
            ms(report.p99)
        );
    }
}
