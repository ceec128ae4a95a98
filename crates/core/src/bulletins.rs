//! Periodic bulletins (周督促、月调度、季度通报, 003.10): which periods a bulletin covers, which are
//! due on a day (catching up after downtime, never twice), and the red and black lists (红黑榜)
//! taken from a ranking. Plain date arithmetic and selection; the store gathers the figures.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use crate::codes::code_enum;

code_enum!(
    /// How often a bulletin comes out: weekly (Monday to Sunday), monthly, quarterly.
    Cadence {
        Weekly = "weekly",
        Monthly = "monthly",
        Quarterly = "quarterly",
    }
);

/// A bulletin's period, both days included.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Span {
    /// The period a user asked for: `to` defaults to today and `from` to 29 days before `to` (the
    /// last 30 days); `from` after `to` or more than `max_days` days are refused, naming the field.
    pub fn asked(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
        max_days: u64,
    ) -> Result<Span, crate::DomainError> {
        let to = to.unwrap_or(today);
        let from = from.unwrap_or(to - Days::new(29));
        if from > to {
            return Err(crate::DomainError::invalid("from", "error.period.reversed"));
        }
        if from + Days::new(max_days) <= to {
            return Err(crate::DomainError::invalid("from", "error.period.too_long"));
        }
        Ok(Span { from, to })
    }
}

impl Cadence {
    /// The period of this cadence that contains `day`.
    pub fn containing(self, day: NaiveDate) -> Span {
        let from = match self {
            Cadence::Weekly => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Cadence::Monthly => day.with_day(1).unwrap_or(day),
            Cadence::Quarterly => NaiveDate::from_ymd_opt(day.year(), (day.month0() / 3) * 3 + 1, 1).unwrap_or(day),
        };
        let next = match self {
            Cadence::Weekly => from + Days::new(7),
            Cadence::Monthly => from + Months::new(1),
            Cadence::Quarterly => from + Months::new(3),
        };
        Span { from, to: next.pred_opt().unwrap_or(next) }
    }

    /// The period before `span`.
    pub fn previous(self, span: Span) -> Span {
        self.containing(span.from.pred_opt().unwrap_or(span.from))
    }

    /// The last period that ended before `today`.
    pub fn last_complete(self, today: NaiveDate) -> Span {
        self.previous(self.containing(today))
    }

    /// The periods due on `today`: every complete period after the last one made (catching up
    /// after downtime, at most `limit` of them, oldest first); without any made yet, only the last
    /// complete one.
    pub fn due(self, last_made: Option<NaiveDate>, today: NaiveDate, limit: usize) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut span = self.last_complete(today);
        loop {
            match last_made {
                Some(made) if span.from <= made => break,
                None if !spans.is_empty() => break,
                _ => {}
            }
            spans.push(span);
            if spans.len() >= limit {
                break;
            }
            span = self.previous(span);
        }
        spans.reverse();
        spans
    }
}

/// Whether `day` starts a week (bulletins of the week before are due).
pub fn is_monday(day: NaiveDate) -> bool {
    day.weekday() == Weekday::Mon
}

/// The red list (红榜: the best `n`) and the black list (黑榜: laggards first, then the worst, `n`
/// in all) of a ranking given best first as `(id, total, laggard)`; nobody is on both.
pub fn red_and_black(ranked: &[(i64, f64, bool)], n: usize) -> (Vec<i64>, Vec<i64>) {
    let mut black: Vec<&(i64, f64, bool)> = ranked.iter().filter(|r| r.2).collect();
    black.extend(ranked.iter().rev().filter(|r| !r.2));
    let black: Vec<i64> = black.into_iter().take(n).map(|r| r.0).collect();
    let red = ranked.iter().filter(|r| !r.2 && !black.contains(&r.0)).take(n).map(|r| r.0).collect();
    (red, black)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asked_period_defaults_to_the_last_thirty_days_and_refuses_nonsense() {
        let today = d("2026-11-24");
        assert_eq!(Span::asked(None, None, today, 366).unwrap(), Span { from: d("2026-10-26"), to: today });
        let one = Span::asked(Some(today), Some(today), today, 366).unwrap();
        assert_eq!((one.from, one.to), (today, today));
        let reversed = Span::asked(Some(d("2026-11-25")), Some(today), today, 366).unwrap_err();
        assert_eq!(reversed.code(), "error.invalid");
        assert!(format!("{reversed:?}").contains("error.period.reversed"));
        assert!(Span::asked(Some(d("2025-11-24")), Some(today), today, 366).is_ok());
        let long = Span::asked(Some(d("2025-11-23")), Some(today), today, 366).unwrap_err();
        assert!(format!("{long:?}").contains("error.period.too_long"));
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn periods_contain_their_days() {
        assert_eq!(Cadence::Weekly.containing(d("2026-11-25")), Span { from: d("2026-11-23"), to: d("2026-11-29") });
        assert_eq!(Cadence::Monthly.containing(d("2026-02-14")), Span { from: d("2026-02-01"), to: d("2026-02-28") });
        assert_eq!(Cadence::Quarterly.containing(d("2026-12-31")), Span { from: d("2026-10-01"), to: d("2026-12-31") });
        assert_eq!(
            Cadence::Quarterly.last_complete(d("2026-01-01")),
            Span { from: d("2025-10-01"), to: d("2025-12-31") }
        );
        assert_eq!(Cadence::Weekly.last_complete(d("2026-11-23")), Span { from: d("2026-11-16"), to: d("2026-11-22") });
        assert!(is_monday(d("2026-11-23")));
    }

    #[test]
    fn due_catches_up_and_never_repeats() {
        // Nothing made yet: only the last complete month.
        assert_eq!(
            Cadence::Monthly.due(None, d("2026-12-01"), 6),
            vec![Span { from: d("2026-11-01"), to: d("2026-11-30") }]
        );
        // Made up to September, the server was down in October and November: both are due.
        let due = Cadence::Monthly.due(Some(d("2026-09-01")), d("2026-12-03"), 6);
        assert_eq!(due.iter().map(|s| s.from).collect::<Vec<_>>(), vec![d("2026-10-01"), d("2026-11-01")]);
        // Up to date: nothing.
        assert!(Cadence::Monthly.due(Some(d("2026-11-01")), d("2026-12-31"), 6).is_empty());
        // A long outage is bounded.
        assert_eq!(Cadence::Weekly.due(Some(d("2020-01-06")), d("2026-12-01"), 4).len(), 4);
    }

    #[test]
    fn red_and_black_lists_do_not_overlap() {
        let ranked = [(1, 95.0, false), (2, 90.0, false), (3, 80.0, false), (4, 70.0, true), (5, 60.0, false)];
        assert_eq!(red_and_black(&ranked, 2), (vec![1, 2], vec![4, 5]));
        let (red, black) = red_and_black(&ranked[..3], 2);
        assert_eq!(black, vec![3, 2]);
        assert_eq!(red, vec![1]);
    }
}
