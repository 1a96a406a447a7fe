//! Upstream quotas: limits an upstream puts on an account (DocSales: 200 successful document
//! creations a month), tracked durably by the host so they hold across restarts and replicas.
//!
//! A plugin declares a quota in its manifest (`[quotas.<name>]`: the functions that use it, a
//! limit and a period); nothing in the host knows any particular service. The account is the
//! tenant's connection (its credentials), so each connection has its own count per period.
//!
//! Before a covered call reaches the plugin, the host **reserves** one unit with a single
//! conditional `UPDATE ... SET used = used + 1 WHERE used < limit`: concurrent calls can never
//! overshoot, and a spent quota answers `429 quota_exhausted` with the reset date without the
//! upstream ever being called. When the call fails in a way that means nothing was created (the
//! upstream refused it or was down), the unit is given back; when the outcome is unknown (a
//! timeout), it stays spent: better to stop one short than to be cut off by the upstream.
//!
//! Periods are calendar days or months in Brasília time (UTC−3, no daylight saving since 2019).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use crate::capabilities::http::{UpstreamCall, UpstreamOutcome};
pub use crate::config::manifest::QuotaPeriod;
use crate::config::manifest::QuotaSpec;
use crate::metrics::{Metrics, QuotaLabels};
use crate::problem::{Problem, ProblemCode};
use crate::runtime::PluginError;
use crate::store::Store;

/// Brasília's offset from UTC.
const BRASILIA: FixedOffset = match FixedOffset::west_opt(3 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC-3 is a valid offset"),
};

fn brasilia() -> FixedOffset {
    BRASILIA
}

/// The period `at` falls in: its key (`2026-11` or `2026-11-29`) and when the next one starts.
pub fn period_at(period: QuotaPeriod, at: DateTime<Utc>) -> (String, DateTime<FixedOffset>) {
    let local = at.with_timezone(&brasilia());
    let today = local.date_naive();
    let (key, next) = match period {
        QuotaPeriod::Day => (today.format("%Y-%m-%d").to_string(), today.succ_opt().unwrap_or(today)),
        QuotaPeriod::Month => {
            let (year, month) =
                if today.month() == 12 { (today.year() + 1, 1) } else { (today.year(), today.month() + 1) };
            (today.format("%Y-%m").to_string(), NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(today))
        }
    };
    let reset =
        brasilia().from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default()).single().unwrap_or(local);
    (key, reset)
}

/// What a caller sees of a quota (`GET /v1/functions`).
#[derive(Debug, Clone, Serialize)]
pub struct QuotaView {
    /// The manifest's name for it.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Units per period.
    pub limit: u32,
    /// Units used in the current period.
    pub used: u64,
    /// Units left.
    pub remaining: u64,
    /// When it resets (RFC 3339, Brasília time).
    pub resets_at: String,
}

/// One quota of one connection.
#[derive(Debug, Clone, Copy)]
pub struct QuotaRef<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The connection (the upstream account).
    pub connection: &'a str,
    /// The quota's name in the manifest.
    pub name: &'a str,
    /// The quota.
    pub spec: &'a QuotaSpec,
}

impl QuotaRef<'_> {
    fn labels(&self) -> QuotaLabels {
        QuotaLabels {
            tenant: self.tenant.to_owned(),
            connection: self.connection.to_owned(),
            quota: self.name.to_owned(),
        }
    }

    fn set_gauge(&self, metrics: &Metrics, used: u64) {
        let remaining = u64::from(self.spec.limit).saturating_sub(used);
        metrics.quota_remaining.get_or_create(&self.labels()).set(i64::try_from(remaining).unwrap_or(i64::MAX));
    }

    /// Where the quota stands now.
    ///
    /// # Errors
    /// The store's.
    pub async fn view(&self, store: &Store) -> crate::store::Result<QuotaView> {
        let (period, reset) = period_at(self.spec.period, Utc::now());
        let used = store.quota_used(self.tenant, self.connection, self.name, &period).await?;
        Ok(QuotaView {
            name: self.name.to_owned(),
            description: self.spec.description.clone(),
            limit: self.spec.limit,
            used,
            remaining: u64::from(self.spec.limit).saturating_sub(used),
            resets_at: reset.to_rfc3339(),
        })
    }

    /// Takes one unit for a call about to run.
    ///
    /// # Errors
    /// `429 quota_exhausted` with the reset date when none is left; `500 internal` when the
    /// store fails (the call does not run: an unchecked quota could be overshot).
    pub async fn reserve(&self, store: &Store, metrics: &Metrics) -> Result<Reservation, Problem> {
        let (period, reset) = period_at(self.spec.period, Utc::now());
        let reserved = store
            .quota_reserve(self.tenant, self.connection, self.name, &period, self.spec.limit)
            .await
            .map_err(|e| Problem::store_unavailable(&e, "nothing was sent"))?;
        match reserved {
            Some(used) => {
                self.set_gauge(metrics, used);
                Ok(Reservation { period })
            }
            None => {
                self.set_gauge(metrics, u64::from(self.spec.limit));
                Err(Problem::new(
                    ProblemCode::QuotaExhausted,
                    format!(
                        "the upstream's quota `{}` ({} per {}) is spent for this account; it resets at {}{}",
                        self.name,
                        self.spec.limit,
                        match self.spec.period {
                            QuotaPeriod::Day => "day",
                            QuotaPeriod::Month => "month",
                        },
                        reset.to_rfc3339(),
                        if self.spec.description.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", self.spec.description)
                        }
                    ),
                ))
            }
        }
    }

    /// Settles a reservation with the call's outcome and its upstream requests: gives the unit
    /// back when the call surely created nothing upstream: it failed with the upstream's refusal
    /// or unavailability, and none of its requests may have reached the upstream unanswered (a
    /// connection dropped after sending, [`UpstreamCall::outcome`] `dropped`: the upstream may
    /// have created the document and lost only the answer).
    pub async fn settle(
        &self,
        reservation: Reservation,
        store: &Store,
        metrics: &Metrics,
        outcome: Result<(), &PluginError>,
        upstream: &[UpstreamCall],
    ) {
        let refused = matches!(
            outcome,
            Err(PluginError::Upstream(_)
                | PluginError::Unavailable(_)
                | PluginError::NotFound(_)
                | PluginError::NotImplemented)
        );
        let nothing_created = refused && !upstream.iter().any(|call| call.outcome == UpstreamOutcome::Dropped);
        if !nothing_created {
            return;
        }
        match store.quota_release(self.tenant, self.connection, self.name, &reservation.period).await {
            Ok(used) => self.set_gauge(metrics, used),
            Err(e) => tracing::error!(error = %e, quota = self.name, "could not give a quota unit back"),
        }
    }
}

/// One unit taken for a call.
#[derive(Debug)]
#[must_use]
pub struct Reservation {
    period: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).expect("date")
    }

    #[test]
    fn months_and_days_are_brasilia_calendar_periods() {
        // 02:00 UTC on Dec 1st is still November 30th, 23:00, in Brasília.
        let (key, reset) = period_at(QuotaPeriod::Month, utc("2026-12-01T02:00:00Z"));
        assert_eq!(key, "2026-11");
        assert_eq!(reset.to_rfc3339(), "2026-12-01T00:00:00-03:00");
        let (key, reset) = period_at(QuotaPeriod::Month, utc("2026-12-15T12:00:00Z"));
        assert_eq!((key.as_str(), reset.to_rfc3339()), ("2026-12", "2027-01-01T00:00:00-03:00".to_owned()));
        let (key, reset) = period_at(QuotaPeriod::Day, utc("2026-02-28T03:00:00Z"));
        assert_eq!((key.as_str(), reset.to_rfc3339()), ("2026-02-28", "2026-03-01T00:00:00-03:00".to_owned()));
    }

    #[test]
    fn periods_parse() {
        assert_eq!("month".parse::<QuotaPeriod>(), Ok(QuotaPeriod::Month));
        assert_eq!("day".parse::<QuotaPeriod>(), Ok(QuotaPeriod::Day));
        assert!("week".parse::<QuotaPeriod>().is_err());
    }
}
