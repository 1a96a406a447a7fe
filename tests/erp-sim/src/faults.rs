//! Fault injection, shared by every simulator.
//!
//! A test (or the `/__sim/faults` admin endpoint) queues [`Fault`]s; each one applies to the
//! next `times` API requests, optionally only to requests whose path contains a given text.
//! Requests to the admin endpoints (`/__sim/...`) are never faulted.
//!
//! Faults are taken in the order they were queued: a request takes the first queued fault whose
//! path filter matches it and that still has uses left, and only that one. Queue a
//! [`Fault::Delay`] and a [`Fault::Status`] one after the other to get a slow request and then
//! a failing one.
//!
//! ```no_run
//! # async fn demo(sim: ponte_erp_sim::Simulator) {
//! use ponte_erp_sim::faults::Fault;
//!
//! // The next two requests, whatever they are, answer 503.
//! sim.faults().push(Fault::Status { status: 503, times: 2 });
//! // The next baixa is applied, but its answer never reaches the caller.
//! sim.faults().push_for("baixas", Fault::LoseResponse { times: 1 });
//! # }
//! ```
//!
//! The same faults as JSON, for `POST /__sim/faults` (`times` defaults to 1, `path_contains` is
//! optional):
//!
//! ```text
//! {"kind":"status","status":503,"times":2}
//! {"kind":"delay","ms":1500}
//! {"kind":"garbage"}
//! {"kind":"lose_response","path_contains":"baixas"}
//! {"kind":"business_error","message":"Seu IP não está liberado para efetuar login!"}
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// One kind of misbehaviour, applied to the next `times` API requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer this HTTP status instead of handling the request (the request is not applied).
    /// The body is what the ERP gives with that status (for IXC: its red HTML error fragment on
    /// 5xx, a short HTML page on 401/403, nothing otherwise; for SGP: nginx's HTML error page on
    /// 5xx, Django REST framework's `{"detail":...}` on 401/403, nothing otherwise).
    Status {
        /// The HTTP status code, e.g. 503 or 504.
        status: u16,
        /// How many requests this applies to.
        #[serde(default = "one")]
        times: u32,
    },
    /// Wait this long, then handle the request normally (use it to trip the caller's timeout).
    Delay {
        /// Milliseconds to wait before handling the request.
        ms: u64,
        /// How many requests this applies to.
        #[serde(default = "one")]
        times: u32,
    },
    /// Answer HTTP 200 with the ERP's generic HTML error instead of JSON (IXC's red `<div>`,
    /// SGP's login page); the request is not applied.
    Garbage {
        /// How many requests this applies to.
        #[serde(default = "one")]
        times: u32,
    },
    /// Apply the request (a baixa is posted, a ticket opened), then drop the connection without
    /// answering, so the caller cannot know whether it went through.
    LoseResponse {
        /// How many requests this applies to.
        #[serde(default = "one")]
        times: u32,
    },
    /// Answer HTTP 200 with the ERP's business-error shape (IXC:
    /// `{"type":"error","message":...}`, SGP: `{"status":0,"msg":...}`); the request is not
    /// applied.
    BusinessError {
        /// The error message, as the ERP would word it.
        message: String,
        /// How many requests this applies to.
        #[serde(default = "one")]
        times: u32,
    },
}

fn one() -> u32 {
    1
}

impl Fault {
    /// How many requests this fault applies to.
    pub fn times(&self) -> u32 {
        match self {
            Fault::Status { times, .. }
            | Fault::Delay { times, .. }
            | Fault::Garbage { times }
            | Fault::LoseResponse { times }
            | Fault::BusinessError { times, .. } => *times,
        }
    }
}

/// A queued fault with its path filter and remaining uses.
#[derive(Debug)]
struct Entry {
    /// Only requests whose path contains this text; `None` matches every API request.
    path_contains: Option<String>,
    fault: Fault,
    remaining: u32,
}

/// The fault queue of one simulator. Cheap to clone: clones share the queue.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Never held across an `.await`: taking a fault copies it out first.
    queue: Arc<Mutex<VecDeque<Entry>>>,
}

impl Faults {
    /// Queues a fault for the next API requests, whatever their path. A fault with `times: 0`
    /// is ignored.
    pub fn push(&self, fault: Fault) {
        self.enqueue(None, fault);
    }

    /// Queues a fault for the next API requests whose path contains `path_contains`
    /// (e.g. `"fn_areceber_recebimentos_baixas_novo"` or just `"baixas"`).
    pub fn push_for(&self, path_contains: &str, fault: Fault) {
        self.enqueue(Some(path_contains.to_owned()), fault);
    }

    /// Removes every queued fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many faults still have uses left.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Takes one use of the first queued fault that applies to `path`, if any.
    pub(crate) fn take(&self, path: &str) -> Option<Fault> {
        let mut queue = self.lock();
        let index = queue
            .iter()
            .position(|e| e.remaining > 0 && e.path_contains.as_deref().is_none_or(|p| path.contains(p)))?;
        let entry = &mut queue[index];
        entry.remaining -= 1;
        let fault = entry.fault.clone();
        if entry.remaining == 0 {
            queue.remove(index);
        }
        Some(fault)
    }

    fn enqueue(&self, path_contains: Option<String>, fault: Fault) {
        let remaining = fault.times();
        if remaining > 0 {
            self.lock().push_back(Entry { path_contains, fault, remaining });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        // A panic while holding this lock cannot leave the queue half-updated.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The JSON body of `POST /__sim/faults`: a [`Fault`] plus an optional path filter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct FaultRequest {
    #[serde(flatten)]
    pub fault: Fault,
    #[serde(default)]
    pub path_contains: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_applies_exactly_times_then_stops() {
        let faults = Faults::default();
        faults.push(Fault::Garbage { times: 2 });
        assert_eq!(faults.take("/a"), Some(Fault::Garbage { times: 2 }));
        assert!(faults.take("/b").is_some());
        assert_eq!(faults.take("/c"), None);
    }

    #[test]
    fn path_filter_skips_other_paths_and_keeps_queue_order() {
        let faults = Faults::default();
        faults.push_for("baixas", Fault::LoseResponse { times: 1 });
        faults.push(Fault::Status { status: 503, times: 1 });
        assert_eq!(faults.take("/webservice/v1/cliente"), Some(Fault::Status { status: 503, times: 1 }));
        assert_eq!(faults.take("/webservice/v1/cliente"), None);
        assert_eq!(
            faults.take("/webservice/v1/fn_areceber_recebimentos_baixas_novo"),
            Some(Fault::LoseResponse { times: 1 })
        );
    }

    #[test]
    fn zero_times_is_ignored_and_clear_empties() {
        let faults = Faults::default();
        faults.push(Fault::Garbage { times: 0 });
        assert_eq!(faults.pending(), 0);
        faults.push(Fault::Delay { ms: 1, times: 3 });
        faults.clear();
        assert_eq!(faults.take("/x"), None);
    }

    #[test]
    fn fault_serde_is_tagged_by_kind() {
        let json = serde_json::to_string(&Fault::Status { status: 503, times: 2 }).expect("serializable");
        assert_eq!(json, r#"{"kind":"status","status":503,"times":2}"#);
        let parsed: Fault = serde_json::from_str(r#"{"kind":"business_error","message":"x"}"#).expect("valid");
        assert_eq!(parsed, Fault::BusinessError { message: "x".into(), times: 1 });
        let parsed: Result<Fault, _> = serde_json::from_str(r#"{"kind":"status","status":503,"times":2}"#);
        assert_eq!(parsed.ok(), Some(Fault::Status { status: 503, times: 2 }));
        let request: Result<FaultRequest, _> =
            serde_json::from_str(r#"{"kind":"delay","ms":250,"path_contains":"baixas"}"#);
        assert_eq!(
            request.ok(),
            Some(FaultRequest { fault: Fault::Delay { ms: 250, times: 1 }, path_contains: Some("baixas".into()) })
        );
    }
}
