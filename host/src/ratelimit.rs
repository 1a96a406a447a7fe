//! Request rates (GCRA, with `governor`): what callers may send, and what upstreams may receive.
//!
//! - [`KeyRates`]: each API key may send so many requests a second, with bursts; past it the
//!   caller gets `429 rate_limited` with `Retry-After`, before any work is done. One leaked or
//!   misbehaving key can't take the host's capacity from every other caller.
//! - [`AddressRates`]: a client address may make the host read the store for keys it doesn't
//!   hold (made-up or new tokens) so many times a second; past it, `429` before the store is
//!   read. Valid keys, once held in memory, are never counted.
//! - [`Pace`]: an upstream that declares its rate in the plugin's manifest (`[rate_limit]`,
//!   "10 requests a second per token" is common among ERPs) gets requests at that pace from each
//!   tenant connection: the HTTP capability waits for the next turn when it fits the call's
//!   deadline, and refuses at once (the caller's `429`) when it doesn't, instead of sending a
//!   burst the upstream answers with 429s.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

/// An upstream's request rate a plugin declares: at most `requests` per `per`, with bursts of
/// up to `burst`. The host paces every tenant connection's requests to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSpec {
    /// Requests per period.
    pub requests: u32,
    /// The period.
    pub per: std::time::Duration,
    /// Requests allowed at once after a quiet spell.
    pub burst: u32,
}

/// Requests per second per API key, with bursts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRate {
    /// Sustained requests per second.
    pub per_second: u32,
    /// Requests allowed at once after a quiet spell.
    pub burst: u32,
}

impl Default for KeyRate {
    /// 100 requests a second with bursts of 200: far above a kiosk, room for an app backend
    /// serving many users through one key; operators raise it per deployment.
    fn default() -> Self {
        KeyRate { per_second: 100, burst: 200 }
    }
}

/// A limiter per key (API key id, client address); none when disabled.
pub struct KeyedRates<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    rate: Option<KeyRate>,
    checks: AtomicU64,
}

/// Requests per API key.
pub type KeyRates = KeyedRates<String>;

/// Store reads for keys the host doesn't hold, per client address: made-up tokens can't turn
/// into a flood of store reads (valid keys, once held, never count).
pub type AddressRates = KeyedRates<IpAddr>;

/// Checks between two sweeps of the keys that went quiet (an address limiter sees keys from
/// the whole internet; without sweeps its table would only grow).
const SWEEP_EVERY: u64 = 4096;

impl<K: Hash + Eq + Clone> KeyedRates<K> {
    /// A limiter for `rate`; `None` (or a zero rate) disables it.
    pub fn new(rate: Option<KeyRate>) -> KeyedRates<K> {
        let rate = rate.filter(|r| r.per_second > 0);
        let limiter = rate.and_then(|r| {
            let per_second = NonZeroU32::new(r.per_second)?;
            let burst = NonZeroU32::new(r.burst.max(1))?;
            Some(RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)))
        });
        KeyedRates { limiter, rate, checks: AtomicU64::new(0) }
    }

    /// The rate in force.
    pub fn rate(&self) -> Option<KeyRate> {
        self.rate
    }

    /// Counts one request of `key`.
    ///
    /// # Errors
    /// How long until the key may send again.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.forget_idle();
        }
        limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets keys that have been quiet long enough to be back at a full burst.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The pace of requests to one upstream account (a tenant connection).
pub struct Pace {
    limiter: DefaultDirectRateLimiter,
}

impl std::fmt::Debug for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pace")
    }
}

impl Pace {
    /// A pace of `spec.requests` per `spec.per`, bursts of `spec.burst`.
    pub fn new(spec: RateLimitSpec) -> Pace {
        let requests = NonZeroU32::new(spec.requests).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(spec.burst).unwrap_or(requests);
        let interval = spec.per / requests.get();
        let quota = Quota::with_period(interval.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(requests))
            .allow_burst(burst);
        Pace { limiter: RateLimiter::direct(quota) }
    }

    /// Waits for this request's turn.
    ///
    /// # Errors
    /// When the turn comes after `until`: how long until the next one (nothing is taken).
    pub async fn turn(&self, until: Instant) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        loop {
            match self.limiter.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(clock.now());
                    if Instant::now() + wait > until {
                        return Err(wait);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_budget_and_a_refusal_says_when_to_retry() {
        let (a, b) = (String::from("a"), String::from("b"));
        let rates = KeyRates::new(Some(KeyRate { per_second: 1, burst: 2 }));
        assert!(rates.check(&a).is_ok() && rates.check(&a).is_ok());
        let wait = rates.check(&a).expect_err("past the burst");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(rates.check(&b).is_ok(), "another key is not affected");
        let off = KeyRates::new(None);
        assert!((0..1000).all(|_| off.check(&a).is_ok()));
    }

    #[test]
    fn an_address_table_is_swept_of_quiet_addresses_as_it_goes() {
        let rates = AddressRates::new(Some(KeyRate { per_second: 1000, burst: 1 }));
        for n in 0..(SWEEP_EVERY * 2) {
            let address = IpAddr::from(u32::try_from(n).unwrap_or(0).to_be_bytes());
            assert!(rates.check(&address).is_ok());
        }
        let held = rates.limiter.as_ref().map_or(0, |limiter| limiter.len());
        assert!(held < usize::try_from(SWEEP_EVERY * 2).unwrap_or(usize::MAX), "{held} addresses kept");
    }

    #[tokio::test]
    async fn a_pace_spaces_requests_and_refuses_a_turn_past_the_deadline() {
        let pace = Pace::new(RateLimitSpec { requests: 20, per: Duration::from_secs(1), burst: 1 });
        let far = Instant::now() + Duration::from_secs(5);
        let started = Instant::now();
        for _ in 0..3 {
            pace.turn(far).await.expect("a turn within the deadline");
        }
        // Three requests at 20 a second with no burst: the third waits for two intervals.
        assert!(started.elapsed() >= Duration::from_millis(90), "{:?}", started.elapsed());
        let refused = pace.turn(Instant::now()).await.expect_err("no turn before an immediate deadline");
        assert!(refused > Duration::ZERO && refused <= Duration::from_millis(50), "{refused:?}");
    }
}
