//! Appraisals of cadres and what they are used for (一线考察, 鉴定, 储备, 五述五评).
//!
//! After a campaign each cadre gets an appraisal built from their ledger (scores, findings,
//! commendations, accountability, mass evaluation, leaders' 询/察/听 notes) and an assessor's
//! written conclusion; the final appraisal is the 鉴定书. Results feed the reserve of candidates
//! (储备人选, 重点培养对象) and the candidacy list for the next village election. At year end each
//! level's secretary reports and is rated on the criterion of their level (五述五评). The share of
//! frontline experience among promoted cadres (001.6) is computed here from plain facts.

use crate::DomainError;
use crate::accountability::ActionKind;
use crate::codes::code_enum;
use crate::people::PostKind;
use crate::units::UnitKind;

code_enum!(
    /// The conclusion of an appraisal (优秀, 称职, 基本称职, 不称职).
    Grade {
        Excellent = "excellent",
        Competent = "competent",
        Basic = "basic",
        Incompetent = "incompetent",
    }
);

impl Grade {
    /// The value of the `appraised` record: 4 excellent … 1 incompetent.
    pub fn value(self) -> i64 {
        4 - self.index() as i64
    }
}

code_enum!(
    /// Why a grade disagrees with the person's record over the period: their score is in the
    /// bottom fifth of those ranked with them, task lists went overdue, or inspectors found problems.
    GradeWarning {
        BottomFifth = "bottom_fifth",
        Overdue = "overdue",
        Findings = "findings",
    }
);

/// What the record says against a grade. 优秀 (excellent) is contradicted by a score in the bottom
/// fifth, by overdue lists and by findings; 称职 (competent) by a score in the bottom fifth; the
/// lower grades by nothing. `rank` is (rank, of how many) under the person scheme, if scored.
pub fn grade_warnings(grade: Grade, rank: Option<(usize, usize)>, overdue: i64, findings: i64) -> Vec<GradeWarning> {
    let bottom_fifth = rank.is_some_and(|(rank, of)| of >= 5 && rank * 5 > of * 4);
    let mut out = Vec::new();
    match grade {
        Grade::Excellent => {
            if bottom_fifth {
                out.push(GradeWarning::BottomFifth);
            }
            if overdue > 0 {
                out.push(GradeWarning::Overdue);
            }
            if findings > 0 {
                out.push(GradeWarning::Findings);
            }
        }
        Grade::Competent if bottom_fifth => out.push(GradeWarning::BottomFifth),
        _ => {}
    }
    out
}

code_enum!(
    /// An appraisal is drafted (figures and conclusion can change) and then made final (鉴定书 issued).
    AppraisalStatus {
        Draft = "draft",
        Final = "final",
    }
);

impl AppraisalStatus {
    /// A final appraisal is the record; it is corrected by a new appraisal, not edited.
    pub fn edit(self) -> Result<(), DomainError> {
        match self {
            AppraisalStatus::Draft => Ok(()),
            AppraisalStatus::Final => Err(DomainError::Conflict("error.appraisal.final".into())),
        }
    }
}

code_enum!(
    /// Places in the talent pool: the reserve of candidates (储备人选), those tracked for
    /// cultivation (重点培养对象), and those promoted (提拔使用).
    TalentTier {
        Reserve = "reserve",
        KeyTraining = "key_training",
        Promoted = "promoted",
    }
);

code_enum!(
    /// Why a person may not stand at the next village election: the latest final appraisal found
    /// them incompetent (不称职), or an accountability action in effect bars it (取消资格, 退出,
    /// 处分, 停职).
    CandidacyBar {
        PoorAppraisal = "poor_appraisal",
        Accountability = "accountability",
    }
);

/// The accountability actions that remove candidacy while in effect.
pub fn bars_candidacy(kind: ActionKind) -> bool {
    matches!(kind, ActionKind::Candidacy | ActionKind::Exit | ActionKind::Discipline | ActionKind::Suspension)
}

/// The action kinds that bar candidacy, as stored.
pub fn barring_kinds() -> Vec<&'static str> {
    ActionKind::ALL.iter().filter(|k| bars_candidacy(**k)).map(|k| k.as_str()).collect()
}

/// What bars a person's candidacy, from their latest final grade and how many of their
/// accountability actions in effect bar it; empty when they may stand.
pub fn candidacy_bars(latest_grade: Option<Grade>, barring_actions_in_effect: usize) -> Vec<CandidacyBar> {
    let mut bars = Vec::new();
    if latest_grade == Some(Grade::Incompetent) {
        bars.push(CandidacyBar::PoorAppraisal);
    }
    if barring_actions_in_effect > 0 {
        bars.push(CandidacyBar::Accountability);
    }
    bars
}

/// The tier an appraisal's grade puts a person in, if any: an excellent cadre enters the
/// reserve of candidates.
pub fn tier_for(grade: Grade) -> Option<TalentTier> {
    (grade == Grade::Excellent).then_some(TalentTier::Reserve)
}

/// The share of promoted cadres with frontline experience, against the 80 % of 001.6.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FrontlineShare {
    pub promoted: i64,
    pub with_frontline: i64,
    /// `with_frontline / promoted`, 0 when no one was promoted.
    pub share: f64,
    pub target: f64,
    pub met: bool,
}

/// The target share of promoted cadres coming from the frontline (001.6).
pub const FRONTLINE_TARGET: f64 = 0.8;

impl FrontlineShare {
    pub fn new(promoted: i64, with_frontline: i64) -> Self {
        let share = if promoted == 0 { 0.0 } else { with_frontline as f64 / promoted as f64 };
        FrontlineShare {
            promoted,
            with_frontline,
            share,
            target: FRONTLINE_TARGET,
            met: promoted > 0 && share >= FRONTLINE_TARGET,
        }
    }
}

code_enum!(
    /// The five tracks of 五述五评: who reports, on what, and on what they are rated.
    /// * county secretary: 述强边固防, 评党建成效;
    /// * department secretary: 述职能职责, 评机关效能;
    /// * township secretary: 述党建责任, 评工作成效;
    /// * village secretary: 述发动群众, 评素质能力;
    /// * first secretary stationed in a village: 述为民服务, 评群众满意度.
    ReviewTrack {
        County = "county",
        Department = "department",
        Township = "township",
        Village = "village",
        FirstSecretary = "first_secretary",
    }
);

impl ReviewTrack {
    /// The track of the holder of a post in a unit of a kind; `None` when the post does not report.
    pub fn for_post(post: PostKind, unit: UnitKind) -> Option<ReviewTrack> {
        match (post, unit) {
            (PostKind::FirstSecretary, _) => Some(ReviewTrack::FirstSecretary),
            (PostKind::CountyLeader | PostKind::Secretary, UnitKind::County) => Some(ReviewTrack::County),
            // A department's party secretary, or its principal head (部门主要负责人, usually 党组书记).
            (PostKind::Secretary | PostKind::DepartmentHead, UnitKind::Department) => Some(ReviewTrack::Department),
            (PostKind::TownshipSecretary | PostKind::Secretary, UnitKind::Township) => Some(ReviewTrack::Township),
            (PostKind::Secretary, UnitKind::Village) => Some(ReviewTrack::Village),
            _ => None,
        }
    }

    /// Whether someone holding `held` posts in a unit of level `level` (and its party organisation)
    /// reports on this track: only the holder of the level's secretary post (or a stationed first
    /// secretary on that track) delivers the 述职 — not any member typed into the form.
    pub fn reported_by(self, held: &[PostKind], level: UnitKind) -> bool {
        held.iter().any(|post| ReviewTrack::for_post(*post, level) == Some(self))
    }

    /// The track for a unit of a kind, when its secretary reports.
    pub fn for_unit(unit: UnitKind) -> Option<ReviewTrack> {
        match unit {
            UnitKind::County => Some(ReviewTrack::County),
            UnitKind::Department => Some(ReviewTrack::Department),
            UnitKind::Township => Some(ReviewTrack::Township),
            UnitKind::Village => Some(ReviewTrack::Village),
            _ => None,
        }
    }
}

code_enum!(
    /// A rater's verdict in a 五述五评 review (好, 较好, 一般, 差).
    Rating {
        Good = "good",
        Fair = "fair",
        Average = "average",
        Poor = "poor",
    }
);

impl Rating {
    /// Points of a verdict: 4 good … 1 poor.
    pub fn points(self) -> i64 {
        4 - self.index() as i64
    }
}

/// The outcome of a review from its ratings: the share rated good or fair (满意率) and the verdict
/// nearest to the mean of the points; `None` without ratings.
pub fn review_outcome(ratings: &[Rating]) -> Option<(f64, Rating)> {
    if ratings.is_empty() {
        return None;
    }
    let n = ratings.len() as f64;
    let favourable = ratings.iter().filter(|r| matches!(r, Rating::Good | Rating::Fair)).count() as f64 / n;
    let mean = ratings.iter().map(|r| r.points()).sum::<i64>() as f64 / n;
    let verdict = match mean {
        m if m >= 3.5 => Rating::Good,
        m if m >= 2.5 => Rating::Fair,
        m if m >= 1.5 => Rating::Average,
        _ => Rating::Poor,
    };
    Some((favourable, verdict))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_excellent_grade_against_a_poor_record_is_flagged() {
        use GradeWarning::*;
        // 林燕: 先锋指数 last of 126, one overdue list.
        let last = Some((126, 126));
        assert_eq!(grade_warnings(Grade::Excellent, last, 1, 0), vec![BottomFifth, Overdue]);
        assert_eq!(grade_warnings(Grade::Competent, last, 1, 0), vec![BottomFifth]);
        assert!(grade_warnings(Grade::Basic, last, 1, 3).is_empty());
        // Rank 100 of 126 is within the top four fifths (100 × 5 = 500 ≤ 504); 102 is not.
        assert!(grade_warnings(Grade::Excellent, Some((100, 126)), 0, 0).is_empty());
        assert_eq!(grade_warnings(Grade::Excellent, Some((102, 126)), 0, 0), vec![BottomFifth]);
        // Too few ranked to speak of a bottom fifth; findings still speak.
        assert_eq!(grade_warnings(Grade::Excellent, Some((4, 4)), 0, 2), vec![Findings]);
        assert!(grade_warnings(Grade::Excellent, None, 0, 0).is_empty());
    }

    use super::*;

    #[test]
    fn only_the_levels_secretary_reports() {
        use crate::people::PostKind::*;
        assert!(ReviewTrack::Village.reported_by(&[Secretary], UnitKind::Village));
        assert!(!ReviewTrack::Village.reported_by(&[DeputySecretary, CommitteeMember], UnitKind::Village));
        assert!(!ReviewTrack::Village.reported_by(&[], UnitKind::Village), "an ordinary member holds no post");
        assert!(ReviewTrack::Township.reported_by(&[TownshipSecretary], UnitKind::Township));
        assert!(!ReviewTrack::Township.reported_by(&[TownshipHead], UnitKind::Township));
        assert!(ReviewTrack::FirstSecretary.reported_by(&[FirstSecretary], UnitKind::Village));
        assert!(!ReviewTrack::Village.reported_by(&[FirstSecretary], UnitKind::Village));
    }

    #[test]
    fn grades_give_values_and_tiers() {
        assert_eq!(Grade::Excellent.value(), 4);
        assert_eq!(Grade::Incompetent.value(), 1);
        assert_eq!(tier_for(Grade::Excellent), Some(TalentTier::Reserve));
        assert_eq!(tier_for(Grade::Competent), None);
        assert!(AppraisalStatus::Final.edit().is_err());
        assert!(AppraisalStatus::Draft.edit().is_ok());
    }

    #[test]
    fn candidacy_is_barred_by_a_poor_appraisal_or_certain_actions() {
        assert!(candidacy_bars(Some(Grade::Competent), 0).is_empty());
        assert!(candidacy_bars(None, 0).is_empty());
        assert_eq!(candidacy_bars(Some(Grade::Incompetent), 0), vec![CandidacyBar::PoorAppraisal]);
        assert_eq!(candidacy_bars(None, 1), vec![CandidacyBar::Accountability]);
        assert_eq!(
            candidacy_bars(Some(Grade::Incompetent), 2),
            vec![CandidacyBar::PoorAppraisal, CandidacyBar::Accountability]
        );
        assert_eq!(barring_kinds(), vec!["suspension", "exit", "discipline", "candidacy"]);
        assert!(!bars_candidacy(ActionKind::Interview));
    }

    #[test]
    fn frontline_share_against_eighty_percent() {
        let s = FrontlineShare::new(5, 4);
        assert!((s.share - 0.8).abs() < 1e-9);
        assert!(s.met);
        assert!(!FrontlineShare::new(5, 3).met);
        assert!(!FrontlineShare::new(0, 0).met);
        assert_eq!(FrontlineShare::new(0, 0).share, 0.0);
    }

    #[test]
    fn review_tracks_follow_post_and_level() {
        assert_eq!(ReviewTrack::for_post(PostKind::Secretary, UnitKind::Village), Some(ReviewTrack::Village));
        assert_eq!(
            ReviewTrack::for_post(PostKind::FirstSecretary, UnitKind::Village),
            Some(ReviewTrack::FirstSecretary)
        );
        assert_eq!(ReviewTrack::for_post(PostKind::TownshipSecretary, UnitKind::Township), Some(ReviewTrack::Township));
        assert_eq!(ReviewTrack::for_post(PostKind::GridWorker, UnitKind::Grid), None);
    }

    #[test]
    fn review_outcome_from_ratings() {
        assert_eq!(review_outcome(&[]), None);
        let (share, verdict) =
            review_outcome(&[Rating::Good, Rating::Good, Rating::Fair, Rating::Poor]).expect("rated");
        // Points 4 + 4 + 3 + 1 = 12 over 4 = 3.0 → fair; 3 of 4 favourable.
        assert!((share - 0.75).abs() < 1e-9);
        assert_eq!(verdict, Rating::Fair);
        assert_eq!(review_outcome(&[Rating::Poor, Rating::Average]).map(|o| o.1), Some(Rating::Average));
    }
}
