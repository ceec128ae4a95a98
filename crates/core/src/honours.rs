//! Incentives and care (激励关怀): commendations of people and collectives (通报表扬, 表彰),
//! typical deeds written up and published internally (典型事迹), the annual 实干担当好干部 selection
//! (nominations, votes, result), and care for the people on duty: reminders for birthdays on a
//! duty day, long unbroken duty streaks and counselling referrals, and care records (visits,
//! health checks, leave, counselling). Everything here ends up in the ledger.

use chrono::{Datelike, NaiveDate};

use crate::DomainError;
use crate::codes::code_enum;

code_enum!(
    /// How a person or a collective is commended: named for praise in a notice (通报表扬) or given
    /// an honour (表彰: 先进个人, 先进集体).
    CommendationKind {
        Notice = "notice",
        Honour = "honour",
    }
);

code_enum!(
    /// A typical deed is written up, then published inside the organisation.
    DeedStatus {
        Draft = "draft",
        Published = "published",
    }
);

code_enum!(
    /// The stages of a selection: nominations are taken, then votes, then the result is fixed.
    SelectionStatus {
        Nominating = "nominating",
        Voting = "voting",
        Closed = "closed",
    }
);

impl SelectionStatus {
    /// The next stage, or an error once closed.
    pub fn advance(self) -> Result<SelectionStatus, DomainError> {
        match self {
            SelectionStatus::Nominating => Ok(SelectionStatus::Voting),
            SelectionStatus::Voting => Ok(SelectionStatus::Closed),
            SelectionStatus::Closed => Err(DomainError::Conflict("error.selection.closed".into())),
        }
    }

    /// Nominations are taken only while nominating.
    pub fn nominate(self) -> Result<(), DomainError> {
        (self == SelectionStatus::Nominating)
            .then_some(())
            .ok_or(DomainError::Conflict("error.selection.not_nominating".into()))
    }

    /// Votes are taken only while voting.
    pub fn vote(self) -> Result<(), DomainError> {
        (self == SelectionStatus::Voting)
            .then_some(())
            .ok_or(DomainError::Conflict("error.selection.not_voting".into()))
    }
}

/// One nominee with their votes, in nomination order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub nomination_id: i64,
    pub votes: i64,
}

/// The nominations selected: most votes first, `seats` of them; a tie at the cut goes to the
/// earlier nomination; a nominee with no vote is never selected.
pub fn elect(tallies: &[Tally], seats: usize) -> Vec<i64> {
    let mut ranked: Vec<&Tally> = tallies.iter().filter(|t| t.votes > 0).collect();
    ranked.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.nomination_id.cmp(&b.nomination_id)));
    ranked.into_iter().take(seats).map(|t| t.nomination_id).collect()
}

code_enum!(
    /// Care given to a person (关怀): a visit (走访慰问), a health check (体检), leave (轮休),
    /// a referral to counselling (心理疏导转介), a counselling session, birthday wishes.
    CareKind {
        Visit = "visit",
        HealthCheck = "health_check",
        Leave = "leave",
        CounsellingReferral = "counselling_referral",
        Counselling = "counselling",
        Birthday = "birthday",
    }
);

code_enum!(
    /// Why the care page reminds about a person today: their birthday falls on a day they are on
    /// duty; they have been on duty many days in a row; they were referred to counselling and no
    /// session has followed.
    ReminderKind {
        Birthday = "birthday",
        Streak = "streak",
        Counselling = "counselling",
    }
);

/// Days on duty in a row that call for a break (轮休): two weeks.
pub const LONG_STREAK_DAYS: u32 = 14;

/// Whether a birthday falls on `day`; 29 February is kept on 28 February in other years.
pub fn birthday_on(birthday: NaiveDate, day: NaiveDate) -> bool {
    let (m, d) = (birthday.month(), birthday.day());
    if (m, d) == (day.month(), day.day()) {
        return true;
    }
    let leap = NaiveDate::from_ymd_opt(day.year(), 2, 29).is_some();
    (m, d) == (2, 29) && !leap && (day.month(), day.day()) == (2, 28)
}

/// The length of the unbroken run of duty days ending on `today` or the day before (a duty
/// today may not be recorded yet); `days` may be in any order and repeat.
pub fn streak(days: &[NaiveDate], today: NaiveDate) -> u32 {
    let set: std::collections::BTreeSet<NaiveDate> = days.iter().copied().filter(|d| *d <= today).collect();
    let Some(mut day) = [Some(today), today.pred_opt()].into_iter().flatten().find(|d| set.contains(d)) else {
        return 0;
    };
    let mut n = 0;
    while set.contains(&day) {
        n += 1;
        let Some(prev) = day.pred_opt() else { break };
        day = prev;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn selection_stages_only_go_forward() {
        assert_eq!(SelectionStatus::Nominating.advance().ok(), Some(SelectionStatus::Voting));
        assert_eq!(SelectionStatus::Voting.advance().ok(), Some(SelectionStatus::Closed));
        assert!(SelectionStatus::Closed.advance().is_err());
        assert!(SelectionStatus::Voting.nominate().is_err());
        assert!(SelectionStatus::Nominating.vote().is_err());
    }

    #[test]
    fn election_takes_the_most_votes_and_breaks_ties_by_nomination() {
        let t = |nomination_id, votes| Tally { nomination_id, votes };
        assert_eq!(elect(&[t(1, 3), t(2, 5), t(3, 3), t(4, 0)], 2), vec![2, 1]);
        assert_eq!(elect(&[t(1, 0), t(2, 0)], 2), Vec::<i64>::new());
        assert_eq!(elect(&[t(7, 1)], 3), vec![7]);
    }

    #[test]
    fn birthdays_match_month_and_day() {
        assert!(birthday_on(d("1983-11-23"), d("2026-11-23")));
        assert!(!birthday_on(d("1983-11-24"), d("2026-11-23")));
        assert!(birthday_on(d("1992-02-29"), d("2027-02-28")));
        assert!(!birthday_on(d("1992-02-29"), d("2028-02-28")));
        assert!(birthday_on(d("1992-02-29"), d("2028-02-29")));
    }

    #[test]
    fn streaks_count_back_from_today_or_yesterday() {
        let days: Vec<NaiveDate> = (0..16).map(|i| d("2026-11-22") - chrono::Days::new(i)).collect();
        assert_eq!(streak(&days, d("2026-11-23")), 16);
        assert_eq!(streak(&days, d("2026-11-22")), 16);
        assert_eq!(streak(&days, d("2026-11-25")), 0);
        let broken = [d("2026-11-23"), d("2026-11-22"), d("2026-11-20")];
        assert_eq!(streak(&broken, d("2026-11-23")), 2);
        assert_eq!(streak(&[], d("2026-11-23")), 0);
    }
}
