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
