//! Accountability and error tolerance (问责与容错纠错, 004.6, 003.14, 001.7): the kinds of action
//! taken on cadres and party members, how an action's standing changes when an accountability
//! review (问责会审) or an error-tolerance request (容错纠错) is decided, and what a missed item
//! can be traced back from (责任倒查).
//!
//! Only cadres and party members can be subjects (`people::PersonCategory::may_be_assessed`); the
//! product holds nothing for punishing residents. This module is the rules only.

use crate::DomainError;
use crate::codes::code_enum;

code_enum!(
    /// The action taken (五个一律 and the usual forms of 问责).
    ActionKind {
        Interview = "interview",
        Admonition = "admonition",
        Criticism = "criticism",
        Suspension = "suspension",
        Exit = "exit",
        Discipline = "discipline",
        Candidacy = "candidacy",
        Adjustment = "adjustment",
    }
);

code_enum!(
    /// Where an action stands: awaiting its 问责会审, in effect, withdrawn by the review, or
    /// exempted after a granted 容错 request.
    ActionStatus {
        Proposed = "proposed",
        Effective = "effective",
        Withdrawn = "withdrawn",
        Exempted = "exempted",
    }
);

code_enum!(
    /// A decided item about an action: an accountability review or an error-tolerance request.
    ReviewKind {
        Review = "review",
        Tolerance = "tolerance",
    }
);

code_enum!(
    /// Where a decided item stands.
    ReviewStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
);

code_enum!(
    /// What a trace-back (责任倒查) or an action may start from.
    SourceKind {
        Record = "record",
        Finding = "finding",
        Order = "order",
    }
);

impl ActionStatus {
    /// Whether a new decided item of this kind may be opened on an action in this standing.
    pub fn may_open(self, kind: ReviewKind) -> Result<(), DomainError> {
        match (kind, self) {
            (ReviewKind::Review, ActionStatus::Proposed) => Ok(()),
            (ReviewKind::Tolerance, ActionStatus::Proposed | ActionStatus::Effective) => Ok(()),
            _ => Err(DomainError::Conflict("error.account.closed_action".into())),
        }
    }

    /// The action's standing once a decided item about it is decided: a review approved puts it
    /// in effect and one rejected withdraws it; a tolerance request granted exempts it and one
    /// refused leaves it as it was.
    pub fn after(self, kind: ReviewKind, approved: bool) -> ActionStatus {
        match (kind, approved) {
            (ReviewKind::Review, true) => ActionStatus::Effective,
            (ReviewKind::Review, false) => ActionStatus::Withdrawn,
            (ReviewKind::Tolerance, true) => ActionStatus::Exempted,
            (ReviewKind::Tolerance, false) => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_decides_a_proposed_action_and_tolerance_can_exempt_it() {
        assert!(ActionStatus::Proposed.may_open(ReviewKind::Review).is_ok());
        assert!(ActionStatus::Effective.may_open(ReviewKind::Review).is_err());
        assert_eq!(ActionStatus::Proposed.after(ReviewKind::Review, true), ActionStatus::Effective);
        assert_eq!(ActionStatus::Proposed.after(ReviewKind::Review, false), ActionStatus::Withdrawn);
        assert!(ActionStatus::Effective.may_open(ReviewKind::Tolerance).is_ok());
        assert_eq!(ActionStatus::Effective.after(ReviewKind::Tolerance, true), ActionStatus::Exempted);
        assert_eq!(ActionStatus::Effective.after(ReviewKind::Tolerance, false), ActionStatus::Effective);
        assert!(ActionStatus::Withdrawn.may_open(ReviewKind::Tolerance).is_err());
        assert!(ActionStatus::Exempted.may_open(ReviewKind::Tolerance).is_err());
    }
}
