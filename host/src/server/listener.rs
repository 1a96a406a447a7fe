//! The listener: Ponte's own port, held against slow and greedy clients.
//!
//! `axum::serve` accepts every connection and waits on each forever; a client that opens
//! connections and never finishes a request (slowloris) exhausts the process's file descriptors
//! and the host stops answering everyone, `/healthz` included. Here (hyper's HTTP/1 server
//! driven directly):
//!
//! - **A request head must arrive within [`ListenerOptions::header_read_timeout`]**, and an idle
//!   keep-alive connection is closed after the same time (hyper's header timer runs while it
//!   waits for the next head). The body is bounded by the API layer (`crate::api`): read whole
//!   within its own timeout.
//! - **At most [`ListenerOptions::max_connections`] connections**, clamped below the process's
//!   file-descriptor limit (raised to its hard limit at start). When a new connection arrives at
//!   the cap, the connection that has been idle longest (not running a request: waiting for a
//!   head, or between requests) is closed to make room: slow clients can't keep a well-behaved
//!   one out. Only when every connection is running a request is the new one answered
//!   `503 overloaded` and closed.
//! - **Every error is a problem document**, including the ones hyper answers itself for a head
//!   it can't parse (`400`, `414`, `431`): see [`super::problem_io`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::problem_io::{ProblemIo, canned_problem};
pub use crate::options::ListenerOptions;
use crate::problem::ProblemCode;

/// One open connection, as the eviction sees it.
struct Tracked {
    /// Requests running on it now.
    busy: Arc<AtomicUsize>,
    /// When it last started or finished a request (milliseconds since the listener started).
    last_active: Arc<AtomicU64>,
    /// Closes it.
    close: CancellationToken,
}

/// The open connections.
struct Connections {
    open: Mutex<HashMap<u64, Tracked>>,
    epoch: Instant,
    next_id: AtomicU64,
}

impl Connections {
    fn millis(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Makes room for one more connection under `max`: closes the longest-idle connection that
    /// runs no request. `false` when every connection is busy.
    fn make_room(&self, max: usize) -> bool {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.len() < max {
            return true;
        }
        let victim = open
            .iter()
            .filter(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, c)| c.last_active.load(Ordering::Acquire))
            .map(|(id, _)| *id);
        match victim {
            Some(id) => {
                if let Some(evicted) = open.remove(&id) {
                    evicted.close.cancel();
                }
                true
            }
            None => false,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets running requests finish.
///
/// # Errors
/// Never, today: accept errors (such as running out of file descriptors) are logged and the
/// loop goes on after a pause.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ListenerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = effective_max_connections(options.max_connections);
    let connections =
        Arc::new(Connections { open: Mutex::new(HashMap::new()), epoch: Instant::now(), next_id: AtomicU64::new(0) });
    let stopping = CancellationToken::new();
    let tasks = tokio_util::task::TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (mut stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                tracing::error!(error = %e, "accept failed (out of file descriptors?); pausing");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !connections.make_room(max) {
            tasks.spawn(async move {
                let refusal = canned_problem(ProblemCode::Overloaded, "the host has as many connections as it may");
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&refusal)).await;
            });
            continue;
        }
        let _ = stream.set_nodelay(true);
        let id = connections.next_id.fetch_add(1, Ordering::Relaxed);
        let busy = Arc::new(AtomicUsize::new(0));
        let last_active = Arc::new(AtomicU64::new(connections.millis()));
        let close = CancellationToken::new();
        connections.open.lock().unwrap_or_else(PoisonError::into_inner).insert(
            id,
            Tracked { busy: Arc::clone(&busy), last_active: Arc::clone(&last_active), close: close.clone() },
        );
        let service = {
            let router = router.clone();
            let connections = Arc::clone(&connections);
            // The guard lives until the router's answer is ready: the connection counts as busy
            // for the whole request, the plugin call included (not only while its body is read).
            tower::service_fn(move |request: axum::http::Request<hyper::body::Incoming>| {
                let guard = BusyGuard::enter(Arc::clone(&busy), Arc::clone(&last_active), Arc::clone(&connections));
                let mut request = request.map(axum::body::Body::new);
                // Who is on the other end, for the limits kept per client address.
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                let answer = tower::ServiceExt::oneshot(router.clone(), request);
                async move {
                    let answer = answer.await;
                    drop(guard);
                    answer
                }
            })
        };
        let connections = Arc::clone(&connections);
        let stopping = stopping.clone();
        tasks.spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(options.header_read_timeout)
                .max_header_size(options.max_header_bytes)
                .max_headers(options.max_headers)
                // hyper must see one buffer per write to hand its own error answers to ProblemIo.
                .writev(false);
            let connection =
                http.serve_connection(TokioIo::new(ProblemIo::new(stream)), TowerToHyperService::new(service));
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = close.cancelled() => {}
                () = stopping.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    // The request running finishes, unless the shutdown grace runs out first.
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        () = close.cancelled() => {}
                    }
                }
            }
            connections.open.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        });
    }
    drop(listener);
    stopping.cancel();
    tasks.close();
    if tokio::time::timeout(options.shutdown_grace, tasks.wait()).await.is_err() {
        // Past the grace: what still runs is cut off (a payment's claim is given back by the
        // settlement queue, see `crate::settlement::release_held`).
        let open: Vec<CancellationToken> =
            connections.open.lock().unwrap_or_else(PoisonError::into_inner).values().map(|c| c.close.clone()).collect();
        tracing::warn!(connections = open.len(), "the shutdown grace ran out: requests still running are cut off");
        for close in open {
            close.cancel();
        }
        tasks.wait().await;
    }
    Ok(())
}

/// Marks its connection busy while a request runs, until its answer is ready or the request is
/// abandoned.
struct BusyGuard {
    busy: Arc<AtomicUsize>,
    last_active: Arc<AtomicU64>,
    connections: Arc<Connections>,
}

impl BusyGuard {
    fn enter(busy: Arc<AtomicUsize>, last_active: Arc<AtomicU64>, connections: Arc<Connections>) -> BusyGuard {
        busy.fetch_add(1, Ordering::AcqRel);
        last_active.store(connections.millis(), Ordering::Release);
        BusyGuard { busy, last_active, connections }
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.last_active.store(self.connections.millis(), Ordering::Release);
        self.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Raises the file-descriptor limit to its hard limit and keeps the connection cap under three
/// quarters of it (the rest is for the store, upstream connections and files).
fn effective_max_connections(configured: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not read or raise the file-descriptor limit");
            return configured.max(1);
        }
    };
    let room = usize::try_from(limit / 4 * 3).unwrap_or(usize::MAX).max(16);
    if configured > room {
        tracing::warn!(configured, limit, "the connection cap is lowered to fit the file-descriptor limit");
    }
    configured.min(room).max(1)
}
