//! Serving the API and running the settlement worker beside it: a bound listener in, a shutdown
//! future to stop (tests bind port 0 and stop when they choose; the binary binds the configured
//! address and waits for SIGINT/SIGTERM).
//!
//! - [`listener`]: the accept loop and its defences (header timeouts, connection cap, eviction).
//! - [`problem_io`]: problem documents for the errors hyper answers by itself.

pub mod listener;
mod problem_io;

use std::future::Future;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use listener::ListenerOptions;

use crate::invoke::Host;

/// Serves until `shutdown` completes, then drains in-flight requests and lets the settlement
/// worker finish the attempts it has under way, both within the shutdown grace
/// ([`ListenerOptions::shutdown_grace`]); what still runs then is cut off and the payment claims
/// it held are given back to the queue.
///
/// # Errors
/// The listener's I/O error.
pub async fn serve(
    listener: TcpListener,
    host: Host,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop_worker = CancellationToken::new();
    let worker = tokio::spawn(crate::settlement::worker::run(host.clone(), stop_worker.clone()));
    let reconciler = tokio::spawn(crate::settlement::reconcile::run(host.clone(), stop_worker.clone()));
    // Tenants changed through the admin API on another replica sharing the store.
    let store_watch =
        tokio::spawn(crate::reload::watch_store(host.clone(), host.options.config_poll, stop_worker.clone()));
    let options = host.options.listener;
    let app = crate::api::router_with(host.clone(), crate::console::router());
    // On the signal the worker stops claiming at once, while requests drain.
    let stopping = stop_worker.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.cancel();
    };
    let served = listener::serve(listener, app, options, shutdown).await;
    stop_worker.cancel();
    if let Err(e) = worker.await {
        tracing::error!(error = %e, "the settlement worker panicked");
    }
    let _ = store_watch.await;
    let _ = reconciler.await;
    crate::settlement::release_held(&host).await;
    // The last calls' rows reach the store before the process goes.
    host.invocation_log.flush().await;
    served
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
