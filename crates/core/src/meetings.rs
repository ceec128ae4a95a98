//! Meetings and training (002.2, 002.1, 003.1, 002.3): meetings where the party committee sets
//! topics and secretaries answer them (党委点题、书记答题), tracked as items with an owner and a
//! date; training sessions and party lessons with attendance, and coverage per unit as a query.

use crate::codes::code_enum;

code_enum!(
    /// Kinds of meeting.
    MeetingKind {
        SecretaryMeeting = "secretary_meeting",
        OnSite = "on_site",
        Committee = "committee",
    }
);

code_enum!(
    /// Kinds of training.
    TrainingKind {
        Training = "training",
        PartyLesson = "party_lesson",
        Youth = "youth",
    }
);

/// Whether an answer given on `answered` meets the topic's due date.
pub fn answered_in_time(due: chrono::NaiveDate, answered: chrono::NaiveDate) -> bool {
    answered <= due
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_deadlines_hold() {
        for k in MeetingKind::ALL {
            assert_eq!(MeetingKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(TrainingKind::parse("party_lesson"), Some(TrainingKind::PartyLesson));
        let d = |n| chrono::NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        assert!(answered_in_time(d(20), d(20)));
        assert!(!answered_in_time(d(20), d(21)));
    }
}
