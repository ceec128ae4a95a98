//! The records ledger (台账): one append-only list of facts that work produces ("a grid worker
//! handed in the 8-task list of 25 Nov on time", "a shift was missed", "a household was checked and
//! found at risk"). Every number the product shows is derived from records and drills down to them;
//! corrections are new records, never edits.

use crate::people::code_enum;

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
        RecordCorrected = "record_corrected",
    }
);

impl RecordKind {
    /// The kinds a user writes directly (leaders' notes and mass evaluation), with the values each
    /// accepts.
    pub fn entered_by_hand(self) -> Option<std::ops::RangeInclusive<i64>> {
        match self {
            RecordKind::LeaderInquiry | RecordKind::LeaderObservation | RecordKind::LeaderListening => Some(-1..=1),
            RecordKind::MassEvaluation => Some(1..=5),
            _ => None,
        }
    }
}

/// The source kind of a correction record: its `source_id` is the corrected record.
pub const CORRECTED_SOURCE: &str = "record";
