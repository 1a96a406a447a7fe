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
//!
//! # Chaos
//!
//! Besides the queue, a simulator can be given a [`Chaos`] configuration: each API request
//! that no queued fault took (and whose path matches `path_contains`, when set) draws from a
//! seeded pseudo-random generator and, per mille, answers 503 without applying the request,
//! is delayed by `timeout_ms` and then handled, or is applied and its answer lost (the same
//! handling as [`Fault::Status`], [`Fault::Delay`] and [`Fault::LoseResponse`]). One draw per
//! eligible request, in arrival order: the same seed and the same sequence of requests inject
//! the same faults (concurrent requests arrive in whatever order the scheduler gives).
//!
//! ```no_run
//! # async fn demo(sim: ponte_erp_sim::Simulator) {
//! use ponte_erp_sim::faults::Chaos;
//!
//! // 5% of the baixas answer 503, 2% are applied and their answer lost.
//! let chaos = Chaos {
//!     seed: 42,
//!     unavailable_per_mille: 50,
//!     lose_response_per_mille: 20,
//!     path_contains: Some("baixas".into()),
//!     ..Chaos::default()
//! };
//! sim.faults().set_chaos(Some(chaos)).expect("per-mille total within 1000");
//! // ... drive the host ...
//! let injected = sim.faults().chaos_injected();
//! # let _ = injected;
//! # }
//! ```
//!
//! The same as JSON, for `PUT /__sim/chaos` (every field but `seed` may be left out):
//!
//! ```text
//! {"seed":42,"unavailable_per_mille":50,"lose_response_per_mille":20,"path_contains":"baixas"}
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

/// Random faults for the API requests no queued fault takes (see the [module docs](self)).
/// Rates are per mille of the eligible requests; their total must not exceed 1000.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chaos {
    /// Seed of the pseudo-random generator: the same seed and request sequence give the same
    /// faults.
    pub seed: u64,
    /// Per mille of requests answered 503 (the ERP's error body), not applied.
    #[serde(default)]
    pub unavailable_per_mille: u16,
    /// Per mille of requests delayed by [`timeout_ms`](Self::timeout_ms), then handled
    /// normally (to trip the caller's timeout).
    #[serde(default)]
    pub timeout_per_mille: u16,
    /// The delay of a "timeout", in milliseconds.
    #[serde(default)]
    pub timeout_ms: u64,
    /// Per mille of requests applied, then their connection dropped without an answer (like
    /// [`Fault::LoseResponse`]).
    #[serde(default)]
    pub lose_response_per_mille: u16,
    /// Only requests whose path contains this text (e.g. `"baixas"`); `None`: every API
    /// request.
    #[serde(default)]
    pub path_contains: Option<String>,
}

impl Chaos {
    /// The sum of the per-mille rates.
    pub fn total_per_mille(&self) -> u32 {
        u32::from(self.unavailable_per_mille)
            + u32::from(self.timeout_per_mille)
            + u32::from(self.lose_response_per_mille)
    }

    /// Checks the rates add up to at most 1000 per mille.
    ///
    /// # Errors
    /// [`InvalidChaos`] saying by how much they exceed it.
    pub fn validate(&self) -> Result<(), InvalidChaos> {
        let total = self.total_per_mille();
        if total > 1000 {
            return Err(InvalidChaos(format!(
                "the per-mille rates add up to {total} (unavailable {} + timeout {} + lose_response {}); \
                 at most 1000",
                self.unavailable_per_mille, self.timeout_per_mille, self.lose_response_per_mille
            )));
        }
        Ok(())
    }

    /// The fault for a draw in `0..1000`, if any.
    fn pick(&self, draw: u64) -> Option<Fault> {
        let unavailable = u64::from(self.unavailable_per_mille);
        let timeout = unavailable + u64::from(self.timeout_per_mille);
        let lose = timeout + u64::from(self.lose_response_per_mille);
        if draw < unavailable {
            Some(Fault::Status { status: 503, times: 1 })
        } else if draw < timeout {
            Some(Fault::Delay { ms: self.timeout_ms, times: 1 })
        } else if draw < lose {
            Some(Fault::LoseResponse { times: 1 })
        } else {
            None
        }
    }
}

/// A [`Chaos`] configuration that can't be applied (its rates exceed 1000 per mille).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidChaos(pub String);

impl std::fmt::Display for InvalidChaos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidChaos {}

/// What [`Chaos`] injected since it was last set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaosCounts {
    /// Requests answered 503 (not applied).
    pub unavailable: u64,
    /// Requests delayed by `timeout_ms` (then applied).
    pub timeout: u64,
    /// Requests applied whose answer was lost.
    pub lose_response: u64,
}

/// SplitMix64 (Steele, Lea, Flood 2014): a few lines, no dependency, and the same sequence for
/// a seed on every platform and forever, which `rand`'s `StdRng` does not promise across
/// versions. Statistical quality is ample for picking faults.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The chaos configuration in force, its generator and what it injected.
#[derive(Debug, Default)]
struct ChaosSlot {
    active: Option<(Chaos, SplitMix64)>,
    counts: ChaosCounts,
}

/// The fault queue and chaos configuration of one simulator. Cheap to clone: clones share
/// them.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Never held across an `.await`: taking a fault copies it out first.
    queue: Arc<Mutex<VecDeque<Entry>>>,
    /// Never held across an `.await` either.
    chaos: Arc<Mutex<ChaosSlot>>,
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

    /// Removes every queued fault (the [`Chaos`] configuration stays).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many faults still have uses left.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Sets (`Some`) or removes (`None`) the chaos configuration. Setting one restarts its
    /// generator from `seed` and zeroes [`chaos_injected`](Self::chaos_injected); removing it
    /// keeps the counts.
    ///
    /// # Errors
    /// [`InvalidChaos`] when the rates add up to more than 1000 per mille; nothing changes then.
    pub fn set_chaos(&self, chaos: Option<Chaos>) -> Result<(), InvalidChaos> {
        let mut slot = self.lock_chaos();
        match chaos {
            Some(chaos) => {
                chaos.validate()?;
                let rng = SplitMix64(chaos.seed);
                slot.active = Some((chaos, rng));
                slot.counts = ChaosCounts::default();
            }
            None => slot.active = None,
        }
        Ok(())
    }

    /// The chaos configuration in force, if any.
    pub fn chaos(&self) -> Option<Chaos> {
        self.lock_chaos().active.as_ref().map(|(chaos, _)| chaos.clone())
    }

    /// What chaos injected since the configuration was last set.
    pub fn chaos_injected(&self) -> ChaosCounts {
        self.lock_chaos().counts
    }

    /// The fault for an API request to `path`: a queued one first, else what chaos draws.
    pub(crate) fn take(&self, path: &str) -> Option<Fault> {
        self.take_queued(path).or_else(|| self.draw_chaos(path))
    }

    /// One chaos draw for `path` (only when a configuration is set and its filter matches).
    fn draw_chaos(&self, path: &str) -> Option<Fault> {
        let mut slot = self.lock_chaos();
        let (chaos, rng) = slot.active.as_mut()?;
        if !chaos.path_contains.as_deref().is_none_or(|p| path.contains(p)) {
            return None;
        }
        // 2^64 is not a multiple of 1000; the bias (under 1e-16) is irrelevant here.
        let fault = chaos.pick(rng.next() % 1000)?;
        let counts = &mut slot.counts;
        match fault {
            Fault::Status { .. } => counts.unavailable += 1,
            Fault::Delay { .. } => counts.timeout += 1,
            _ => counts.lose_response += 1,
        }
        Some(fault)
    }

    /// Takes one use of the first queued fault that applies to `path`, if any.
    fn take_queued(&self, path: &str) -> Option<Fault> {
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

    fn lock_chaos(&self) -> std::sync::MutexGuard<'_, ChaosSlot> {
        // Every update under this lock is a plain assignment or increment.
        self.chaos.lock().unwrap_or_else(PoisonError::into_inner)
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
    fn chaos_is_deterministic_per_seed_and_respects_the_path_filter() {
        let chaos = Chaos {
            seed: 7,
            unavailable_per_mille: 100,
            timeout_per_mille: 50,
            timeout_ms: 5,
            lose_response_per_mille: 50,
            path_contains: Some("baixas".into()),
        };
        let run = |faults: &Faults| -> Vec<Option<Fault>> { (0..2_000).map(|_| faults.take("/x/baixas")).collect() };
        let first = Faults::default();
        first.set_chaos(Some(chaos.clone())).expect("valid");
        let second = Faults::default();
        second.set_chaos(Some(chaos.clone())).expect("valid");
        assert_eq!(second.take("/cliente"), None, "other paths draw nothing");
        assert_eq!(run(&first), run(&second));
        let counts = first.chaos_injected();
        assert_eq!(counts, second.chaos_injected());
        // 10%, 5%, 5% of 2000, give or take.
        assert!((150..=250).contains(&counts.unavailable), "{counts:?}");
        assert!((60..=140).contains(&counts.timeout), "{counts:?}");
        assert!((60..=140).contains(&counts.lose_response), "{counts:?}");

        // A queued fault goes first and takes no draw; removing chaos keeps the counts.
        first.push(Fault::Garbage { times: 1 });
        assert_eq!(first.take("/x/baixas"), Some(Fault::Garbage { times: 1 }));
        assert_eq!(first.chaos_injected(), counts);
        first.set_chaos(None).expect("always valid");
        assert!((0..100).all(|_| first.take("/x/baixas").is_none()));
        assert_eq!(first.chaos_injected(), counts);
        assert_eq!(first.chaos(), None);
        assert_eq!(second.chaos(), Some(chaos));
    }

    #[test]
    fn chaos_over_1000_per_mille_is_refused() {
        let faults = Faults::default();
        let all = Chaos { seed: 1, unavailable_per_mille: 1000, ..Chaos::default() };
        assert_eq!(faults.set_chaos(Some(all)), Ok(()));
        assert!((0..50).all(|_| faults.take("/a") == Some(Fault::Status { status: 503, times: 1 })));
        let too_much = Chaos { seed: 1, unavailable_per_mille: 600, timeout_per_mille: 401, ..Chaos::default() };
        let refused = faults.set_chaos(Some(too_much));
        assert!(refused.is_err_and(|e| e.0.contains("1001")));
        assert_eq!(faults.chaos().map(|c| c.unavailable_per_mille), Some(1000), "unchanged");
        let parsed: Result<Chaos, _> = serde_json::from_str(r#"{"seed":3,"lose_response_per_mille":20}"#);
        assert_eq!(parsed.ok(), Some(Chaos { seed: 3, lose_response_per_mille: 20, ..Chaos::default() }));
        assert!(serde_json::from_str::<Chaos>(r#"{"seed":3,"unavailable_permille":20}"#).is_err());
        assert!(serde_json::from_str::<Chaos>(r#"{"unavailable_per_mille":20}"#).is_err());
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
