//! Organisational life (003.3, 三会一课 and 主题党日): the kinds of meeting a party branch must
//! hold and how often, and whether a branch kept to that over a period.
//!
//! A rule says "at least `times` meetings of this kind in every calendar month / quarter /
//! half-year / year". Over a chosen period, only the calendar periods that lie wholly inside it
//! and have ended are judged: each is *met* when the branch held enough meetings of the kind in
//! it, otherwise *missed* (overdue). A period still running, or cut by the chosen dates, is not
//! judged, so nothing is overdue before its time and nothing to judge is never a perfect score.

use chrono::{Datelike, Months, NaiveDate};

use crate::codes::code_enum;

code_enum!(
    /// Kinds of organisational life (三会一课 and 主题党日).
    LifeKind {
        MembersMeeting = "members_meeting",
        CommitteeMeeting = "committee_meeting",
        GroupMeeting = "group_meeting",
        PartyLesson = "party_lesson",
        ThemeDay = "theme_day",
    }
);

code_enum!(
    /// The calendar period a rule counts in.
    Cadence {
        Month = "month",
        Quarter = "quarter",
        HalfYear = "half_year",
        Year = "year",
    }
);

code_enum!(
    /// A member's attendance at a meeting.
    Attendance {
        Present = "present",
        Leave = "leave",
        Absent = "absent",
    }
);

code_enum!(
    /// How an attendance was taken: the member scanned the meeting's code, or the recorder ticked it.
    TakenBy {
        Scan = "scan",
        Recorder = "recorder",
    }
);

impl Cadence {
    pub fn months(self) -> u32 {
        match self {
            Cadence::Month => 1,
            Cadence::Quarter => 3,
            Cadence::HalfYear => 6,
            Cadence::Year => 12,
        }
    }

    /// The calendar period of this cadence that contains `day`: its first and last day.
    pub fn period_of(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let m = self.months();
        let first_month = (day.month0() / m) * m + 1;
        let start = NaiveDate::from_ymd_opt(day.year(), first_month, 1).unwrap_or(day);
        let end = start.checked_add_months(Months::new(m)).and_then(|d| d.pred_opt()).unwrap_or(start);
        (start, end)
    }
}

/// How often a kind of meeting must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rule {
    pub kind: LifeKind,
    pub cadence: Cadence,
    /// At least this many meetings in every period of the cadence.
    pub times: u32,
}

/// The rules a new install starts with (the 三会一课 norm: the members' meeting and a party lesson
/// every quarter, the committee and the party groups every month; a theme day every month).
pub const DEFAULT_RULES: [Rule; 5] = [
    Rule { kind: LifeKind::MembersMeeting, cadence: Cadence::Quarter, times: 1 },
    Rule { kind: LifeKind::CommitteeMeeting, cadence: Cadence::Month, times: 1 },
    Rule { kind: LifeKind::GroupMeeting, cadence: Cadence::Month, times: 1 },
    Rule { kind: LifeKind::PartyLesson, cadence: Cadence::Quarter, times: 1 },
    Rule { kind: LifeKind::ThemeDay, cadence: Cadence::Month, times: 1 },
];

/// A rule's `times` must lie in this range.
pub const TIMES: std::ops::RangeInclusive<u32> = 1..=31;

/// One kind of meeting judged over a period for one branch, or summed over several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, utoipa::ToSchema)]
pub struct LifeTally {
    /// Meetings of the kind held within the chosen dates.
    pub held: i64,
    /// Periods judged: wholly inside the dates and ended.
    pub due: i64,
    /// Judged periods with enough meetings.
    pub met: i64,
    /// Judged periods without enough meetings (overdue).
    pub missed: i64,
}

impl LifeTally {
    pub fn add(&mut self, other: &LifeTally) {
        self.held += other.held;
        self.due += other.due;
        self.met += other.met;
        self.missed += other.missed;
    }

    /// Per cent of the judged periods met; `None` when nothing was due.
    pub fn percent(&self) -> Option<f64> {
        crate::tasks::percent(self.met, self.due)
    }
}

/// The calendar periods of `cadence` wholly inside `from..=to` that ended before `today`.
pub fn judged_periods(
    cadence: Cadence,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let (mut start, mut end) = cadence.period_of(from);
    if start < from {
        let Some(next) = end.succ_opt() else { return out };
        (start, end) = cadence.period_of(next);
    }
    while end <= to && end < today {
        out.push((start, end));
        let Some(next) = end.succ_opt() else { break };
        (start, end) = cadence.period_of(next);
    }
    out
}

/// Judges one branch's meetings of one kind (their dates) against the rule over `from..=to`.
pub fn judge(rule: &Rule, held_on: &[NaiveDate], from: NaiveDate, to: NaiveDate, today: NaiveDate) -> LifeTally {
    let mut t =
        LifeTally { held: held_on.iter().filter(|d| **d >= from && **d <= to).count() as i64, ..LifeTally::default() };
    for (start, end) in judged_periods(rule.cadence, from, to, today) {
        let n = held_on.iter().filter(|d| **d >= start && **d <= end).count() as u32;
        t.due += 1;
        if n >= rule.times {
            t.met += 1;
        } else {
            t.missed += 1;
        }
    }
    t
}

/// The last calendar quarter that ended before `today`: the period compliance shows unless asked.
pub fn last_quarter(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let (start, _) = Cadence::Quarter.period_of(today);
    Cadence::Quarter.period_of(start.pred_opt().unwrap_or(start))
}

/// Whether a member may still check in by scanning: on the meeting's day and the day after.
pub fn check_in_open(held_on: NaiveDate, today: NaiveDate) -> bool {
    today >= held_on && today <= held_on + chrono::Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_follow_the_calendar() {
        assert_eq!(Cadence::Quarter.period_of(d(2026, 11, 15)), (d(2026, 10, 1), d(2026, 12, 31)));
        assert_eq!(Cadence::Month.period_of(d(2026, 2, 15)), (d(2026, 2, 1), d(2026, 2, 28)));
        assert_eq!(Cadence::HalfYear.period_of(d(2026, 7, 1)), (d(2026, 7, 1), d(2026, 12, 31)));
        assert_eq!(Cadence::Year.period_of(d(2026, 7, 1)), (d(2026, 1, 1), d(2026, 12, 31)));
        for k in LifeKind::ALL {
            assert_eq!(LifeKind::parse(k.as_str()), Some(*k));
        }
    }

    #[test]
    fn a_quarter_is_judged_month_by_month_and_as_a_whole() {
        // The third quarter of 2026, judged in December: July and September had a theme day,
        // August had none; the quarter had one members' meeting.
        let (from, to, today) = (d(2026, 7, 1), d(2026, 9, 30), d(2026, 12, 3));
        let theme = Rule { kind: LifeKind::ThemeDay, cadence: Cadence::Month, times: 1 };
        let t = judge(&theme, &[d(2026, 7, 1), d(2026, 9, 30), d(2026, 6, 30), d(2026, 10, 1)], from, to, today);
        assert_eq!(t, LifeTally { held: 2, due: 3, met: 2, missed: 1 });
        assert_eq!(t.percent(), Some(66.7));
        let members = Rule { kind: LifeKind::MembersMeeting, cadence: Cadence::Quarter, times: 2 };
        assert_eq!(
            judge(&members, &[d(2026, 8, 5)], from, to, today),
            LifeTally { held: 1, due: 1, met: 0, missed: 1 }
        );
    }

    #[test]
    fn running_or_cut_periods_are_not_judged() {
        let theme = Rule { kind: LifeKind::ThemeDay, cadence: Cadence::Month, times: 1 };
        // December is still running on 3 December: nothing is due yet, and that is no score.
        let t = judge(&theme, &[], d(2026, 12, 1), d(2026, 12, 31), d(2026, 12, 3));
        assert_eq!(t, LifeTally::default());
        assert_eq!(t.percent(), None);
        // 15 October to 15 December: only November lies wholly inside and has ended.
        assert_eq!(
            judged_periods(Cadence::Month, d(2026, 10, 15), d(2026, 12, 15), d(2026, 12, 20)),
            vec![(d(2026, 11, 1), d(2026, 11, 30))]
        );
        // A month ends on its last day: it is judged from the next day on.
        assert!(judged_periods(Cadence::Month, d(2026, 11, 1), d(2026, 11, 30), d(2026, 11, 30)).is_empty());
        assert_eq!(judged_periods(Cadence::Month, d(2026, 11, 1), d(2026, 11, 30), d(2026, 12, 1)).len(), 1);
    }

    #[test]
    fn check_in_is_open_on_the_day_and_the_next() {
        assert!(!check_in_open(d(2026, 12, 3), d(2026, 12, 2)));
        assert!(check_in_open(d(2026, 12, 3), d(2026, 12, 3)));
        assert!(check_in_open(d(2026, 12, 3), d(2026, 12, 4)));
        assert!(!check_in_open(d(2026, 12, 3), d(2026, 12, 5)));
        assert_eq!(last_quarter(d(2026, 12, 3)), (d(2026, 7, 1), d(2026, 9, 30)));
        assert_eq!(last_quarter(d(2026, 1, 1)), (d(2025, 10, 1), d(2025, 12, 31)));
    }
}
