//! Circuit breakers, one per tenant connection (an upstream as the tenant configured it).
//!
//! After `threshold` consecutive calls that failed to reach the upstream (unreachable, timed
//! out), the circuit opens: calls through that connection answer `503 upstream_unavailable` at
//! once, without touching the ERP, for `cooldown`. Then one call is let through as a probe
//! (half-open): its success closes the circuit, its failure opens it for another `cooldown`.
//! An ERP that answers, even with an error, is up: only failures to get an answer count.
//!
//! Breakers live in memory, per replica: each replica learns an outage from its own calls,
//! which is what a breaker is for (shed load fast), and needs no coordination.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// When a circuit opens and for how long.
#[derive(Debug, Clone, Copy)]
pub struct BreakerOptions {
    /// Consecutive failures that open the circuit.
    pub threshold: u32,
    /// How long it stays open before a probe.
    pub cooldown: Duration,
}

impl Default for BreakerOptions {
    /// 5 failures in a row, 10 seconds open.
    fn default() -> Self {
        BreakerOptions { threshold: 5, cooldown: Duration::from_secs(10) }
    }
}

#[derive(Debug, Default)]
struct Circuit {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

/// Every connection's circuit.
#[derive(Debug, Default)]
pub struct Breakers {
    options: BreakerOptions,
    circuits: Mutex<HashMap<String, Circuit>>,
}

/// A call the circuit lets through; report how it went with [`Breakers::record`].
#[derive(Debug)]
#[must_use]
pub struct Permit {
    key: String,
    /// Whether this is the half-open probe.
    probe: bool,
}

impl Breakers {
    /// Breakers with these options.
    pub fn new(options: BreakerOptions) -> Self {
        Breakers { options, circuits: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Circuit>> {
        // Every update is a few assignments: a panicking holder can't leave a circuit torn.
        self.circuits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a call through `key`'s circuit, or says how long it stays open.
    ///
    /// # Errors
    /// The time until the next probe when the circuit is open (or a probe is under way).
    pub fn permit(&self, key: &str) -> Result<Permit, Duration> {
        let now = Instant::now();
        let mut circuits = self.lock();
        let circuit = circuits.entry(key.to_owned()).or_default();
        match circuit.open_until {
            None => Ok(Permit { key: key.to_owned(), probe: false }),
            Some(until) if now < until => Err(until - now),
            Some(_) if circuit.probing => Err(self.options.cooldown),
            Some(_) => {
                circuit.probing = true;
                Ok(Permit { key: key.to_owned(), probe: true })
            }
        }
    }

    /// How long `key`'s circuit stays open, without taking a probe; `None` when calls go through.
    pub fn open_for(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        let circuits = self.lock();
        let until = circuits.get(key)?.open_until?;
        (now < until).then(|| until - now)
    }

    /// Gives a permit back without a verdict: the call never tried the upstream (it gave up
    /// waiting for another call's login, say), so it says nothing about whether the upstream is
    /// up. A probe given back lets the next call probe.
    pub fn release(&self, permit: Permit) {
        if permit.probe
            && let Some(circuit) = self.lock().get_mut(&permit.key)
        {
            circuit.probing = false;
        }
    }

    /// Reports a call: `reached` is whether the upstream answered at all. Returns true when this
    /// report opened the circuit.
    pub fn record(&self, permit: Permit, reached: bool) -> bool {
        let mut circuits = self.lock();
        let circuit = circuits.entry(permit.key).or_default();
        if reached {
            *circuit = Circuit::default();
            return false;
        }
        circuit.failures = circuit.failures.saturating_add(1);
        if circuit.probing || circuit.failures >= self.options.threshold {
            let was_closed = circuit.open_until.is_none();
            circuit.open_until = Some(Instant::now() + self.options.cooldown);
            circuit.probing = false;
            return was_closed;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breakers(threshold: u32, cooldown_ms: u64) -> Breakers {
        Breakers::new(BreakerOptions { threshold, cooldown: Duration::from_millis(cooldown_ms) })
    }

    #[test]
    fn a_released_permit_neither_counts_nor_resets_and_a_released_probe_lets_the_next_call_probe() {
        let b = breakers(2, 0);
        b.release(b.permit("acme/erp").expect("closed"));
        assert!(!b.record(b.permit("acme/erp").expect("closed"), false));
        b.release(b.permit("acme/erp").expect("closed"));
        assert!(
            b.record(b.permit("acme/erp").expect("closed"), false),
            "two failures in a row: released calls don't reset"
        );
        let probe = b.permit("acme/erp").expect("cooldown 0: a probe");
        assert!(b.permit("acme/erp").is_err(), "one probe at a time");
        b.release(probe);
        let probe = b.permit("acme/erp").expect("the released probe's turn passes on");
        assert!(!b.record(probe, true));
        assert!(b.open_for("acme/erp").is_none(), "closed by the probe's success");
    }

    #[test]
    fn opens_after_threshold_consecutive_failures_and_a_success_resets() {
        let b = breakers(3, 60_000);
        for _ in 0..2 {
            let p = b.permit("acme/erp").expect("closed");
            assert!(!b.record(p, false));
        }
        let p = b.permit("acme/erp").expect("closed");
        assert!(!b.record(p, true), "a success never opens it");
        for _ in 0..2 {
            let p = b.permit("acme/erp").expect("closed");
            b.record(p, false);
        }
        assert!(b.permit("acme/erp").is_ok(), "two failures after a success don't open it");
        let p = b.permit("acme/erp").expect("closed");
        assert!(b.record(p, false), "the third failure in a row opens it");
        assert!(b.permit("acme/erp").is_err());
        assert!(b.open_for("acme/erp").is_some());
        assert!(b.permit("other/erp").is_ok(), "circuits are per connection");
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_failure_reopens() {
        let b = breakers(1, 20);
        let p = b.permit("k").expect("closed");
        assert!(b.record(p, false));
        assert!(b.permit("k").is_err());
        std::thread::sleep(Duration::from_millis(30));
        let probe = b.permit("k").expect("probe");
        assert!(b.permit("k").is_err(), "one probe at a time");
        b.record(probe, false);
        assert!(b.permit("k").is_err(), "a failed probe reopens");
        std::thread::sleep(Duration::from_millis(30));
        let probe = b.permit("k").expect("probe");
        b.record(probe, true);
        assert!(b.permit("k").is_ok() && b.open_for("k").is_none(), "a good probe closes");
    }
}
