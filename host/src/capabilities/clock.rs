//! Time, for plugins: UTC now, and today's date in Brasília (UTC-3; Brazil has had no daylight
//! saving time since 2019, so a fixed offset is exact).

use chrono::{DateTime, FixedOffset, Utc};

/// The clock capability. Tests may pin it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    /// A clock stuck at `at`.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock { fixed: Some(at) }
    }

    /// Now, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }

    /// Now, in Brasília time.
    pub fn now_brasilia(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&ponte_contract::normalize::date::brasilia())
    }

    /// Today's date in Brasília, `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        self.now_brasilia().format("%Y-%m-%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_brasilias_date_not_utcs() {
        let at = DateTime::parse_from_rfc3339("2026-03-10T02:00:00Z").expect("date").with_timezone(&Utc);
        assert_eq!(Clock::fixed(at).today(), "2026-03-09");
    }
}
