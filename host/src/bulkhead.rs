//! Bulkheads: how many plugin calls run at once, per tenant connection and in total.
//!
//! A plugin call holds scarce things for its whole life: a script thread, a wasm instance slot,
//! up to its memory budget, an upstream connection. Without a bound, one tenant's burst of slow
//! calls (an ERP that takes 10 s to answer, 600 callers at once) takes all of them and every other
//! tenant's calls wait behind it. So a call is **admitted** before its plugin runs:
//!
//! 1. a slot of its tenant connection (at most [`BulkheadOptions::per_connection`] at once), then
//! 2. a slot of the host (at most [`BulkheadOptions::total`] at once),
//!
//! each waited for at most [`BulkheadOptions::queue_wait`] (and never past the call's deadline).
//! A call that can't get its connection's slot is refused with `429 rate_limited`; one that
//! can't get the host's with `503 overloaded`; both with `Retry-After`, and both before anything
//! is sent upstream. A connection can take at most its own slots, so another tenant's calls
//! always find theirs; the total bounds the process's memory (every call's budget at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::problem::{Problem, ProblemCode};

/// How many calls run at once.
#[derive(Debug, Clone, Copy)]
pub struct BulkheadOptions {
    /// Plugin calls running at once in this process, all tenants together.
    pub total: usize,
    /// Plugin calls running at once per tenant connection.
    pub per_connection: usize,
    /// How long a call waits for a slot before it is refused.
    pub queue_wait: Duration,
}

impl Default for BulkheadOptions {
    /// Defaults that keep a small host (2 cores) serving every tenant: 64 calls in flight (with
    /// 64 MiB each at most, 4 GiB of plugin memory in the worst case), 16 per connection, and a
    /// one-second wait.
    fn default() -> Self {
        BulkheadOptions { total: 64, per_connection: 16, queue_wait: Duration::from_secs(1) }
    }
}

/// The host's bulkheads.
pub struct Bulkheads {
    options: BulkheadOptions,
    total: Arc<Semaphore>,
    connections: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A call's admission: its slots, given back when it drops.
#[derive(Debug)]
pub struct Admission {
    _connection: OwnedSemaphorePermit,
    _total: OwnedSemaphorePermit,
}

impl Bulkheads {
    /// Bulkheads with `options` (zero counts are read as one).
    pub fn new(options: BulkheadOptions) -> Bulkheads {
        let options = BulkheadOptions {
            total: options.total.max(1),
            per_connection: options.per_connection.max(1),
            queue_wait: options.queue_wait,
        };
        Bulkheads { options, total: Arc::new(Semaphore::new(options.total)), connections: Mutex::new(HashMap::new()) }
    }

    /// The options in force.
    pub fn options(&self) -> BulkheadOptions {
        self.options
    }

    /// Calls running now through `connection` (a `tenant/connection` key).
    pub fn running(&self, connection: &str) -> usize {
        let map = self.connections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(connection).map_or(0, |s| self.options.per_connection - s.available_permits())
    }

    /// Admits a call through `connection` (a `tenant/connection` key) that must end by
    /// `deadline`.
    ///
    /// # Errors
    /// `429 rate_limited` when the connection's slots stay taken, `503 overloaded` when the
    /// host's do; both with `Retry-After`.
    pub async fn admit(&self, connection: &str, deadline: Instant) -> Result<Admission, Problem> {
        let wait_until = (Instant::now() + self.options.queue_wait).min(deadline);
        let semaphore = {
            let mut map = self.connections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(
                map.entry(connection.to_owned())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.options.per_connection))),
            )
        };
        let connection_slot = acquire(semaphore, wait_until).await.ok_or_else(|| {
            refused(
                ProblemCode::RateLimited,
                format!(
                    "{} calls of this provider's connection are already running, the most it may run at once; \
                     try again shortly",
                    self.options.per_connection
                ),
            )
        })?;
        let total_slot = acquire(Arc::clone(&self.total), wait_until).await.ok_or_else(|| {
            refused(ProblemCode::Overloaded, "the host is running as many calls as it may at once; try again shortly")
        })?;
        Ok(Admission { _connection: connection_slot, _total: total_slot })
    }
}

/// A refusal for want of a slot: slots free up as calls end, so try again in a second.
fn refused(code: ProblemCode, detail: impl Into<String>) -> Problem {
    Problem::new(code, detail).retry_after(Duration::from_secs(1))
}

async fn acquire(semaphore: Arc<Semaphore>, until: Instant) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = Arc::clone(&semaphore).try_acquire_owned() {
        return Some(permit);
    }
    tokio::time::timeout_at(tokio::time::Instant::from_std(until), semaphore.acquire_owned()).await.ok()?.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulkheads(total: usize, per_connection: usize) -> Bulkheads {
        Bulkheads::new(BulkheadOptions { total, per_connection, queue_wait: Duration::from_millis(50) })
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    #[tokio::test]
    async fn a_connection_never_takes_more_than_its_slots_and_others_keep_theirs() {
        let b = bulkheads(10, 2);
        let _one = b.admit("a/erp", far()).await.expect("first");
        let _two = b.admit("a/erp", far()).await.expect("second");
        let third = b.admit("a/erp", far()).await.expect_err("the connection is full");
        assert_eq!(third.code, ProblemCode::RateLimited);
        assert_eq!(third.retry_after, Some(Duration::from_secs(1)));
        assert_eq!(b.running("a/erp"), 2);
        b.admit("b/erp", far()).await.expect("another tenant's connection has its own slots");
    }

    #[tokio::test]
    async fn the_host_total_is_a_503_with_retry_after_and_slots_come_back_on_drop() {
        let b = bulkheads(2, 2);
        let one = b.admit("a/erp", far()).await.expect("first");
        let _two = b.admit("b/erp", far()).await.expect("second");
        let full = b.admit("c/erp", far()).await.expect_err("the host is full");
        assert_eq!((full.code, full.code.status().as_u16()), (ProblemCode::Overloaded, 503));
        drop(one);
        b.admit("c/erp", far()).await.expect("a slot came back");
    }

    #[tokio::test]
    async fn a_waiting_call_gets_a_slot_freed_within_its_wait_and_never_waits_past_its_deadline() {
        let b = Arc::new(bulkheads(4, 1));
        let first = b.admit("a/erp", far()).await.expect("first");
        let waiter = {
            let b = Arc::clone(&b);
            tokio::spawn(async move { b.admit("a/erp", far()).await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(first);
        assert!(waiter.await.expect("task").is_ok());

        // A long queue wait, a short deadline: the deadline wins.
        let b = Bulkheads::new(BulkheadOptions { total: 4, per_connection: 1, queue_wait: Duration::from_secs(30) });
        let _held = b.admit("a/erp", far()).await.expect("held");
        let started = Instant::now();
        let refused = b.admit("a/erp", Instant::now() + Duration::from_millis(5)).await;
        assert!(refused.is_err());
        assert!(started.elapsed() < Duration::from_secs(15), "waited past the deadline: {:?}", started.elapsed());
    }
}
