//! The load generator: `c` connections, each sending its next request as soon as the last one
//! is answered (closed loop, as `wrk` does), for a warm-up then a measured spell; every
//! latency kept, percentiles exact.
//!
//! It runs on a single-threaded runtime of its own thread, like `wrk -t1`, so it takes about one
//! core's worth of the machine whatever it measures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// What one request is: built per connection and request number.
pub type MakeRequest = Arc<dyn Fn(usize, usize) -> Request<Full<Bytes>> + Send + Sync>;

/// One target, measured at one concurrency.
#[derive(Debug, Clone)]
pub struct Report {
    /// Answers with status 200 in the measured spell.
    pub ok: u64,
    /// Anything else (another status, a broken connection).
    pub errors: u64,
    /// Answers per second.
    pub rps: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

/// Runs `make` on `connections` connections to `addr`: `warmup` unmeasured, then `measure`.
///
/// # Errors
/// When the runtime can't start or no connection can be opened.
pub fn run(
    addr: SocketAddr,
    connections: usize,
    warmup: Duration,
    measure: Duration,
    make: MakeRequest,
) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::scope(|scope| scope.spawn(|| runtime.block_on(drive(addr, connections, warmup, measure, make))).join())
        .map_err(|_| anyhow::anyhow!("the load generator panicked"))?
}

async fn drive(
    addr: SocketAddr,
    connections: usize,
    warmup: Duration,
    measure: Duration,
    make: MakeRequest,
) -> anyhow::Result<Report> {
    let start = Instant::now() + Duration::from_millis(50);
    let measured_from = start + warmup;
    let end = measured_from + measure;
    let mut workers = Vec::with_capacity(connections);
    for worker in 0..connections {
        let make = make.clone();
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let (mut ok, mut errors) = (0u64, 0u64);
            tokio::time::sleep_until(start.into()).await;
            let mut n = 0;
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let request = make(worker, n);
                n += 1;
                let good = match sender.ready().await {
                    Ok(()) => match sender.send_request(request).await {
                        Ok(response) => {
                            let status = response.status();
                            response.into_body().collect().await.is_ok() && status == hyper::StatusCode::OK
                        }
                        Err(_) => false,
                    },
                    Err(_) => break,
                };
                if sent >= measured_from {
                    latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                    if good {
                        ok += 1;
                    } else {
                        errors += 1;
                    }
                }
            }
            (latencies, ok, errors)
        }));
    }
    let mut latencies = Vec::new();
    let (mut ok, mut errors) = (0, 0);
    for worker in workers {
        let (mine, o, e) = worker.await?;
        latencies.extend(mine);
        ok += o;
        errors += e;
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        Duration::from_micros(u64::from(latencies[index.min(latencies.len() - 1)]))
    };
    Ok(Report { ok, errors, rps: ok as f64 / measure.as_secs_f64(), p50: at(0.50), p99: at(0.99) })
}

/// `n` requests sent at once, one per connection (all connections opened first), each timed;
/// answers how many were 200, the latencies' median and 99th percentile, and the wall time.
///
/// # Errors
/// When the runtime can't start or a connection can't be opened.
pub fn burst(addr: SocketAddr, n: usize, make: MakeRequest) -> anyhow::Result<(Report, Duration)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                runtime.block_on(async {
                    let mut senders = Vec::with_capacity(n);
                    for _ in 0..n {
                        let stream = tokio::net::TcpStream::connect(addr).await?;
                        stream.set_nodelay(true)?;
                        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                        tokio::spawn(connection);
                        senders.push(sender);
                    }
                    let started = Instant::now();
                    let calls: Vec<_> = senders
                        .into_iter()
                        .enumerate()
                        .map(|(i, mut sender)| {
                            let request = make(i, 0);
                            tokio::spawn(async move {
                                let sent = Instant::now();
                                let good = match sender.send_request(request).await {
                                    Ok(response) => {
                                        let status = response.status();
                                        response.into_body().collect().await.is_ok() && status == hyper::StatusCode::OK
                                    }
                                    Err(_) => false,
                                };
                                (good, sent.elapsed())
                            })
                        })
                        .collect();
                    let mut latencies = Vec::with_capacity(n);
                    let mut ok = 0;
                    for call in calls {
                        let (good, took) = call.await?;
                        ok += u64::from(good);
                        latencies.push(took);
                    }
                    let wall = started.elapsed();
                    latencies.sort_unstable();
                    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
                    let report = Report {
                        ok,
                        errors: n as u64 - ok,
                        rps: ok as f64 / wall.as_secs_f64(),
                        p50: at(0.5),
                        p99: at(0.99),
                    };
                    anyhow::Ok((report, wall))
                })
            })
            .join()
    })
    .map_err(|_| anyhow::anyhow!("the load generator panicked"))?
}
