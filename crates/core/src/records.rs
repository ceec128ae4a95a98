//! The records ledger (台账): one append-only list of facts that work produces ("a grid worker
//! handed in the 8-task list of 25 Nov on time", "a shift was missed", "a household was checked and
//! found at risk"). Every number the product shows is derived from records and drills down to them;
//! corrections are new records, never edits.

use crate::codes::code_enum;

code_enum!(
    /// What a record says happened; `value` carries the kind's measure:
    /// * `task_submitted`: A task list handed in; value 1 on time, 0 late.
    /// * `task_verified`: Checked by the secretary; value 1.
    /// * `task_returned`: Handed back with a reason; value 1.
    /// * `task_overdue`: A period ended with the list not handed in; value 1.
    /// * `commitment_signed`: A commitment letter signed; value 1.
    /// * `shift_attended`: A shift stood; value = minutes late (0 on time).
    /// * `shift_missed`: A shift not stood; value 1.
    /// * `survey_filed`: A household checked; value 1 when the answers put it at risk.
    /// * `topic_answered`: A topic set by the committee answered by its secretary; value 1 by the due date, 0 after.
    /// * `training_attended`: Attendance at a training session or party lesson; value = hours.
    /// * `order_closed`: A work order closed by its handler's unit; value 1 by the due date, 0 after.
    /// * `order_rated`: A caller's verdict at the call-back (回访); value 1 satisfied, 0 not.
    /// * `finding_raised`: An inspection found a problem in the unit; value = severity (1 minor, 2 major, 3 serious).
    /// * `finding_fixed`: A finding's rectification was accepted (销号); value 1 by its deadline, 0 after.
    /// * `praised`: A person or unit named for praise in a notice (通报表扬); value 1.
    /// * `criticised`: A person or unit named for criticism in a notice (通报批评); value 1.
    /// * `held_accountable`: An accountability action took effect on a person; value 1.
    /// * `accountability_lifted`: An action in effect was exempted by a granted 容错 request; value 1.
    /// * `isolation_lost`: A person under isolation or observation was lost to management (隔离观察人员脱管); value 1.
    /// * `control_lost`: A person under home control got out of control (重点管控人员失管失控); value 1.
    /// * `checkpoint_lapse`: A checkpoint was found a mere formality (卡点管控不力形同虚设); value 1.
    /// * `leader_inquiry`: A leader's note from a phone inquiry (询); value 1 good, 0 neutral, -1 poor impression.
    /// * `leader_observation`: A leader's note from a site observation (察); value as for `leader_inquiry`.
    /// * `leader_listening`: A leader's note from remote listening (听); value as for `leader_inquiry`.
    /// * `mass_evaluation`: Residents' or colleagues' evaluation (群众评价); value = satisfaction 1 to 5.
    /// * `commended`: Commended by a notice or an honour (通报表扬, 表彰), person or collective; value 1.
    /// * `deed_published`: A typical deed published (典型事迹); value 1.
    /// * `selected`: Selected in an annual selection (实干担当好干部); value 1.
    /// * `appraised`: A final appraisal (鉴定); value = grade, 4 excellent to 1 incompetent.
    /// * `reviewed`: A 五述五评 review closed; value = verdict, 4 good to 1 poor.
    /// * `promoted`: Promoted (提拔使用); value 1.
    /// * `cared_for`: Care given (visit, health check, leave, counselling, birthday); value 1.
    /// * `meeting_held`: A branch held a meeting of organisational life (三会一课, 主题党日); value 1.
    /// * `meeting_attended`: A member attended a meeting of organisational life; value 1.
    /// * `epidemic_case`: An epidemic case found in the unit (疫情输入); value = cases. Entered by hand.
    /// * `illegal_crossing`: An illegal border crossing in the unit (偷渡); value = cases. Entered by hand.
    /// * `smuggling_case`: A smuggling case in the unit (走私); value = cases. Entered by hand.
    /// * `drug_case`: A drug case in the unit (毒品); value = cases. Entered by hand.
    /// * `criminal_case`: A criminal case in the unit (刑案); value = cases. Entered by hand.
    /// * `record_corrected`: A correction: the record named by `source_id` no longer counts; value 1.
    RecordKind {
        TaskSubmitted = "task_submitted",
        TaskVerified = "task_verified",
        TaskReturned = "task_returned",
        TaskOverdue = "task_overdue",
        CommitmentSigned = "commitment_signed",
        ShiftAttended = "shift_attended",
        ShiftMissed = "shift_missed",
        SurveyFiled = "survey_filed",
        TopicAnswered = "topic_answered",
        TrainingAttended = "training_attended",
        OrderClosed = "order_closed",
        OrderRated = "order_rated",
        FindingRaised = "finding_raised",
        FindingFixed = "finding_fixed",
        Praised = "praised",
        Criticised = "criticised",
        HeldAccountable = "held_accountable",
        AccountabilityLifted = "accountability_lifted",
        IsolationLost = "isolation_lost",
        ControlLost = "control_lost",
        CheckpointLapse = "checkpoint_lapse",
        LeaderInquiry = "leader_inquiry",
        LeaderObservation = "leader_observation",
        LeaderListening = "leader_listening",
        MassEvaluation = "mass_evaluation",
        Commended = "commended",
        DeedPublished = "deed_published",
        Selected = "selected",
        Appraised = "appraised",
        Reviewed = "reviewed",
        Promoted = "promoted",
        CaredFor = "cared_for",
        MeetingHeld = "meeting_held",
        MeetingAttended = "meeting_attended",
        EpidemicCase = "epidemic_case",
        IllegalCrossing = "illegal_crossing",
        SmugglingCase = "smuggling_case",
        DrugCase = "drug_case",
        CriminalCase = "criminal_case",
        RecordCorrected = "record_corrected",
    }
);

impl RecordKind {
    /// The kinds a user writes directly (leaders' notes, mass evaluation, and the cases the 五无
    /// creation counts), with the values each accepts.
    pub fn entered_by_hand(self) -> Option<std::ops::RangeInclusive<i64>> {
        match self {
            RecordKind::LeaderInquiry | RecordKind::LeaderObservation | RecordKind::LeaderListening => Some(-1..=1),
            RecordKind::MassEvaluation => Some(1..=5),
            RecordKind::EpidemicCase
            | RecordKind::IllegalCrossing
            | RecordKind::SmugglingCase
            | RecordKind::DrugCase
            | RecordKind::CriminalCase => Some(1..=100),
            _ => None,
        }
    }
}

/// The source kind of a correction record: its `source_id` is the corrected record.
pub const CORRECTED_SOURCE: &str = "record";

/// The figures kept beside the ledger (`unit_tallies`, `person_tallies`) count records per China
/// day ([`SPAN_DAY`]) and per China month ([`SPAN_MONTH`]), each keyed by its first day as a
/// [`day_number`].
pub const SPAN_DAY: i64 = 1;
/// See [`SPAN_DAY`].
pub const SPAN_MONTH: i64 = 2;

/// Days since 1970-01-01: how the kept figures name a day.
pub fn day_number(day: chrono::NaiveDate) -> i64 {
    (day - chrono::NaiveDate::default()).num_days()
}

/// One part of a period's figures: the rows of `span` whose first day lies in `[first, after)`
/// (day numbers), added (`sign` 1) or taken away (`sign` -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub span: i64,
    pub first: i64,
    pub after: i64,
    pub sign: i64,
}

/// Splits `[from, to]` (both included) into the parts its figures are read from: the whole months
/// it covers as month rows, and each month it covers in part either as its days, or — when that
/// reads fewer rows — as the month row less the days outside the period. A year is read as twelve
/// month rows and at most a few day rows, whatever day it starts on.
pub fn spans(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Vec<Part> {
    use chrono::Datelike;
    let mut parts = Vec::new();
    if to < from {
        return parts;
    }
    let first_of_month = |d: chrono::NaiveDate| d.with_day(1).unwrap_or(d);
    let next_month = |d: chrono::NaiveDate| first_of_month(first_of_month(d) + chrono::Duration::days(32));
    let after = to.succ_opt().unwrap_or(to);
    let mut month = first_of_month(from);
    let mut whole: Option<(i64, i64)> = None;
    while month < after {
        let month_after = next_month(month);
        let (lo, hi) = (from.max(month), after.min(month_after));
        if lo == month && hi == month_after {
            // Whole months in a row are one range of month rows.
            let (a, _) = whole.unwrap_or((day_number(month), 0));
            whole = Some((a, day_number(month_after)));
        } else {
            let inside = (hi - lo).num_days();
            let outside = (month_after - month).num_days() - inside;
            if inside <= outside + 1 {
                parts.push(Part { span: SPAN_DAY, first: day_number(lo), after: day_number(hi), sign: 1 });
            } else {
                parts.push(Part {
                    span: SPAN_MONTH,
                    first: day_number(month),
                    after: day_number(month_after),
                    sign: 1,
                });
                if month < lo {
                    parts.push(Part { span: SPAN_DAY, first: day_number(month), after: day_number(lo), sign: -1 });
                }
                if hi < month_after {
                    parts.push(Part {
                        span: SPAN_DAY,
                        first: day_number(hi),
                        after: day_number(month_after),
                        sign: -1,
                    });
                }
            }
        }
        month = month_after;
    }
    if let Some((a, b)) = whole {
        parts.push(Part { span: SPAN_MONTH, first: a, after: b, sign: 1 });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Every day of a period counts exactly once, added from a month or a day row and never left
    /// taken away, and days outside it net to nothing; a long period reads few day rows.
    #[test]
    fn a_period_is_covered_by_whole_months_and_end_days_exactly_once() {
        let start = d("2025-12-20");
        for a in 0..80 {
            for len in [0, 1, 9, 27, 30, 31, 45, 62, 200, 364, 365] {
                let from = start + chrono::Duration::days(a);
                let to = from + chrono::Duration::days(len);
                let mut weight: std::collections::BTreeMap<i64, i64> = Default::default();
                let mut day_rows = 0;
                for p in spans(from, to) {
                    if p.span == SPAN_MONTH {
                        let mut day = NaiveDate::default() + chrono::Duration::days(p.first);
                        assert_eq!(chrono::Datelike::day(&day), 1);
                        while day_number(day) < p.after {
                            let next = next_first(day);
                            for n in day_number(day)..day_number(next) {
                                *weight.entry(n).or_default() += p.sign;
                            }
                            day = next;
                        }
                        assert_eq!(day_number(day), p.after, "months end on a 1st");
                    } else {
                        day_rows += p.after - p.first;
                        for n in p.first..p.after {
                            *weight.entry(n).or_default() += p.sign;
                        }
                    }
                }
                for (n, w) in &weight {
                    let inside = (day_number(from)..=day_number(to)).contains(n);
                    assert_eq!(*w, i64::from(inside), "{from}..{to}: day {n}");
                }
                assert!(day_rows <= 32, "{from}..{to} reads {day_rows} day rows");
            }
        }
        let year = spans(d("2026-01-01"), d("2026-12-31"));
        assert_eq!(
            year,
            vec![Part {
                span: SPAN_MONTH,
                first: day_number(d("2026-01-01")),
                after: day_number(d("2027-01-01")),
                sign: 1
            }]
        );
        assert!(spans(d("2026-03-05"), d("2026-03-01")).is_empty());
        assert_eq!(day_number(d("1970-01-02")), 1);
    }

    fn next_first(day: NaiveDate) -> NaiveDate {
        let n = day + chrono::Duration::days(32);
        chrono::Datelike::with_day(&n, 1).unwrap()
    }
}
