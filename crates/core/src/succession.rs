//! Automatic succession (缺位递补, 004.2): when a post's holder leaves, the next available person
//! in the post's succession order acts (主持工作) at once, so duty never has a gap.
//!
//! The succession order of a post is the other posts of its unit with a later `seq` (书记 →
//! 副书记 → 委员 in order). Who is suspended, deployed away or already acting elsewhere is passed
//! over when someone else is available, and chosen only with a warning when nobody is.

use serde::Serialize;

use crate::codes::code_enum;

code_enum!(
    /// Why a holder leaves a post.
    RemovalReason {
        Dismissed = "dismissed",
        Ill = "ill",
        Transferred = "transferred",
        Resigned = "resigned",
        Retired = "retired",
        Suspended = "suspended",
        Deceased = "deceased",
    }
);

code_enum!(
    /// Why a candidate should not act without a second look.
    Warning {
        Suspended = "suspended",
        DeployedAway = "deployed_away",
        ActingElsewhere = "acting_elsewhere",
        SamePerson = "same_person",
    }
);

/// A possible successor: the holder of a later post in the order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub post_id: i64,
    pub post_title: String,
    pub person_id: i64,
    pub person_name: String,
    pub suspended: bool,
    pub deployed_away: bool,
    pub acting_elsewhere: bool,
}

impl Candidate {
    pub fn warnings(&self, leaving_person: i64) -> Vec<Warning> {
        let mut w = Vec::new();
        if self.person_id == leaving_person {
            w.push(Warning::SamePerson);
        }
        if self.suspended {
            w.push(Warning::Suspended);
        }
        if self.deployed_away {
            w.push(Warning::DeployedAway);
        }
        if self.acting_elsewhere {
            w.push(Warning::ActingElsewhere);
        }
        w
    }
}

/// The choice among candidates (in succession order): the first without a warning; when every
/// candidate has one, the first who is not the leaving person, with its warnings. `None` when there
/// is nobody at all.
pub fn choose(candidates: &[Candidate], leaving_person: i64) -> Option<(usize, Vec<Warning>)> {
    if let Some(k) = candidates.iter().position(|c| c.warnings(leaving_person).is_empty()) {
        return Some((k, Vec::new()));
    }
    candidates.iter().position(|c| c.person_id != leaving_person).map(|k| (k, candidates[k].warnings(leaving_person)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(post: i64, person: i64) -> Candidate {
        Candidate {
            post_id: post,
            post_title: format!("post {post}"),
            person_id: person,
            person_name: format!("person {person}"),
            suspended: false,
            deployed_away: false,
            acting_elsewhere: false,
        }
    }

    #[test]
    fn the_next_in_order_acts() {
        let c = [cand(2, 20), cand(3, 30)];
        assert_eq!(choose(&c, 10), Some((0, vec![])));
    }

    #[test]
    fn unavailable_people_are_passed_over() {
        let mut deputy = cand(2, 20);
        deputy.deployed_away = true;
        let mut first = cand(3, 30);
        first.suspended = true;
        let c = [deputy, first, cand(4, 40)];
        assert_eq!(choose(&c, 10), Some((2, vec![])));
    }

    #[test]
    fn when_everyone_is_unavailable_the_first_is_chosen_with_warnings() {
        let mut deputy = cand(2, 20);
        deputy.acting_elsewhere = true;
        deputy.suspended = true;
        let c = [cand(9, 10), deputy];
        assert_eq!(choose(&c, 10), Some((1, vec![Warning::Suspended, Warning::ActingElsewhere])));
        assert_eq!(choose(&[cand(9, 10)], 10), None, "the leaving person never succeeds themself");
        assert_eq!(choose(&[], 10), None);
    }
}
