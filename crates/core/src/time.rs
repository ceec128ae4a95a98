//! Time and dates as the product means them. China keeps one clock (UTC+8): every "today", day
//! and deadline is a China day, stored in UTC; dates are typed as spreadsheets write them.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};

use crate::error::FieldError;

/// China Standard Time.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Today's date in China.
pub fn today_in_china(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china()).date_naive()
}

/// The moment a China day begins, in UTC (16:00 the day before).
pub fn start_of_china_day(day: NaiveDate) -> DateTime<Utc> {
    china()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// A date typed as `2020-02-03` (also `2020/2/3` and `2020.2.3`, as spreadsheets write them).
pub fn parse_date(field: &str, s: &str) -> Result<Option<NaiveDate>, FieldError> {
    let v = s.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let norm = v.replace(['/', '.'], "-");
    NaiveDate::parse_from_str(&norm, "%Y-%m-%d").map(Some).map_err(|_| FieldError::new(field, "error.bad_date"))
}

/// A date that must be given (`error.required` when empty).
pub fn required_date(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    parse_date(field, s)?.ok_or_else(|| FieldError::new(field, "error.required"))
}

/// How long a change may wait on a phone without signal and still be dated by the phone's clock:
/// three days (a grid worker in the mountains syncs when they come down to the township).
pub const DEVICE_TIME_TOLERANCE_HOURS: i64 = 72;

/// How far ahead of the server a phone's clock may run (clocks drift) and still be believed.
pub const DEVICE_CLOCK_SKEW_MINUTES: i64 = 5;

/// When a change was made: the moment it reached the server, and the moment the phone says it was
/// done (a change queued offline and sent later). Lateness is judged by [`Timing::trusted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub received: DateTime<Utc>,
    pub device: Option<DateTime<Utc>>,
}

impl Timing {
    /// A change made online, now.
    pub fn at(received: DateTime<Utc>) -> Timing {
        Timing { received, device: None }
    }

    /// Whether the phone's time is believed: not ahead of the arrival by more than
    /// [`DEVICE_CLOCK_SKEW_MINUTES`], and not behind it by more than
    /// [`DEVICE_TIME_TOLERANCE_HOURS`] (the sync gap the product tolerates). A phone whose clock
    /// says otherwise is wrong or the change waited too long: the arrival counts.
    pub fn device_believed(&self) -> bool {
        self.device.is_some_and(|d| {
            d <= self.received + chrono::Duration::minutes(DEVICE_CLOCK_SKEW_MINUTES)
                && self.received - d <= chrono::Duration::hours(DEVICE_TIME_TOLERANCE_HOURS)
        })
    }

    /// The time the change counts as made: the phone's where believed (never later than the
    /// arrival), else the arrival.
    pub fn trusted(&self) -> DateTime<Utc> {
        match self.device {
            Some(d) if self.device_believed() => d.min(self.received),
            _ => self.received,
        }
    }
}

#[cfg(test)]
mod timing_tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_phones_time_counts_within_the_tolerated_gap_only() {
        let received = at("2026-03-02T10:00:00Z");
        assert_eq!(Timing::at(received).trusted(), received);
        let offline = Timing { received, device: Some(at("2026-03-01T23:30:00Z")) };
        assert!(offline.device_believed());
        assert_eq!(offline.trusted(), at("2026-03-01T23:30:00Z"));
        // Four days in a pocket: beyond the tolerance, the arrival counts.
        let stale = Timing { received, device: Some(at("2026-02-26T09:00:00Z")) };
        assert!(!stale.device_believed());
        assert_eq!(stale.trusted(), received);
        // A clock running a few minutes fast is believed but never dates a change after its arrival.
        let fast = Timing { received, device: Some(at("2026-03-02T10:03:00Z")) };
        assert_eq!(fast.trusted(), received);
        // A clock set a day ahead is not believed.
        let future = Timing { received, device: Some(at("2026-03-03T10:00:00Z")) };
        assert!(!future.device_believed());
        assert_eq!(future.trusted(), received);
    }
}
