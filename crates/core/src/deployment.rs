//! Deployment of cadres (000.4, 000.5, 003.12): who is sent where, for what, and when they
//! arrived; the planners that split a unit's roster into the three thirds (三个三分之一) and pick
//! 30 % of a department's staff for villages (选派精兵强将), by rules the user sees and adjusts.

use serde::Serialize;

use crate::people::code_enum;

code_enum!(
    /// What a deployment is for.
    Purpose {
        Village = "village",
        Checkpoint = "checkpoint",
        Enterprise = "enterprise",
        Support = "support",
        Front = "front",
    }
);

code_enum!(
    /// The three thirds of 000.4.
    Third {
        Unit = "unit",
        Front = "front",
        Villages = "villages",
    }
);

/// Specialties that suit the farming and enterprise front.
pub const FRONT_SKILLS: [&str; 4] = ["种养殖", "电工", "经济", "企业"];

/// A member of a unit's staff as the planners see them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Staff {
    pub person_id: i64,
    pub name: String,
    pub age: Option<i64>,
    pub party_member: bool,
    /// Holds a leading post of the unit: keeps the unit running.
    pub must_stay: bool,
    /// Already on a deployment that has not ended.
    pub deployed: bool,
    pub specialties: Option<String>,
}

impl Staff {
    fn front_skilled(&self) -> bool {
        self.specialties.as_deref().is_some_and(|s| FRONT_SKILLS.iter().any(|k| s.contains(k)))
    }
}

/// One person's place in a plan, with the rule that put them there (a catalogue key).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    pub person_id: i64,
    pub third: Third,
    pub reason: &'static str,
}

/// Splits a roster into thirds: leaders stay (keep the unit running), the unit third is filled up
/// to a third with the oldest; the front third takes those with front skills first; the rest go
/// to villages. Sizes differ by at most one where the leaders allow.
pub fn split_thirds(staff: &[Staff]) -> Vec<Placement> {
    let n = staff.len();
    let unit_size = n.div_ceil(3).max(staff.iter().filter(|s| s.must_stay).count());
    let front_size = (n - unit_size).div_ceil(2);
    let mut out: Vec<Placement> = Vec::with_capacity(n);
    let mut rest: Vec<&Staff> = Vec::new();
    for s in staff {
        if s.must_stay {
            out.push(Placement { person_id: s.person_id, third: Third::Unit, reason: "plan.reason.leader_stays" });
        } else {
            rest.push(s);
        }
    }
    // The oldest fill the unit third: the young go out (a rule the article states as 年轻干部下沉).
    rest.sort_by_key(|s| (std::cmp::Reverse(s.age.unwrap_or(0)), s.person_id));
    let mut left: Vec<&Staff> = Vec::new();
    for s in rest {
        if out.len() < unit_size {
            out.push(Placement { person_id: s.person_id, third: Third::Unit, reason: "plan.reason.senior_stays" });
        } else {
            left.push(s);
        }
    }
    left.sort_by_key(|s| (!s.front_skilled(), s.person_id));
    for (k, s) in left.into_iter().enumerate() {
        let (third, reason) = if k < front_size {
            (Third::Front, if s.front_skilled() { "plan.reason.front_skill" } else { "plan.reason.balance" })
        } else {
            (Third::Villages, "plan.reason.balance")
        };
        out.push(Placement { person_id: s.person_id, third, reason });
    }
    out
}

/// One candidate of the 30 % planner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selection {
    pub person_id: i64,
    pub chosen: bool,
    pub reason: &'static str,
}

/// Picks `percent` % of the staff (rounded up) for villages: never those who must stay or are
/// already deployed; party members first, then the younger. Everyone is listed, chosen or not,
/// with the reason, so the user can adjust.
pub fn pick_for_villages(staff: &[Staff], percent: u32) -> Vec<Selection> {
    let quota = (staff.len() * percent.min(100) as usize).div_ceil(100);
    let mut eligible: Vec<&Staff> = staff.iter().filter(|s| !s.must_stay && !s.deployed).collect();
    eligible.sort_by_key(|s| (!s.party_member, s.age.unwrap_or(i64::MAX), s.person_id));
    let chosen: Vec<i64> = eligible.iter().take(quota).map(|s| s.person_id).collect();
    staff
        .iter()
        .map(|s| {
            let (chosen, reason) = if s.must_stay {
                (false, "plan.reason.leader_stays")
            } else if s.deployed {
                (false, "plan.reason.already_deployed")
            } else if chosen.contains(&s.person_id) {
                (true, if s.party_member { "plan.reason.member_young_first" } else { "plan.reason.young_first" })
            } else {
                (false, "plan.reason.over_quota")
            };
            Selection { person_id: s.person_id, chosen, reason }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(id: i64, age: i64) -> Staff {
        Staff {
            person_id: id,
            name: format!("s{id}"),
            age: Some(age),
            party_member: true,
            must_stay: false,
            deployed: false,
            specialties: None,
        }
    }

    #[test]
    fn thirds_are_even_and_leaders_stay() {
        let mut s: Vec<Staff> = (1..=10).map(|i| staff(i, 20 + i)).collect();
        s[0].must_stay = true;
        s[4].specialties = Some("种养殖".into());
        let plan = split_thirds(&s);
        assert_eq!(plan.len(), 10);
        let count = |t: Third| plan.iter().filter(|p| p.third == t).count();
        assert_eq!((count(Third::Unit), count(Third::Front), count(Third::Villages)), (4, 3, 3));
        let of = |id: i64| plan.iter().find(|p| p.person_id == id).unwrap();
        assert_eq!(of(1).third, Third::Unit);
        assert_eq!(of(1).reason, "plan.reason.leader_stays");
        assert_eq!(of(10).third, Third::Unit, "the oldest stays");
        assert_eq!(of(5).third, Third::Front);
        assert_eq!(of(5).reason, "plan.reason.front_skill");
        assert!(split_thirds(&[]).is_empty());
    }

    #[test]
    fn thirty_percent_skips_leaders_and_the_deployed() {
        let mut s: Vec<Staff> = (1..=10).map(|i| staff(i, 60 - i)).collect();
        s[9].must_stay = true; // the youngest leads
        s[8].deployed = true;
        s[7].party_member = false;
        let pick = pick_for_villages(&s, 30);
        let chosen: Vec<i64> = pick.iter().filter(|p| p.chosen).map(|p| p.person_id).collect();
        assert_eq!(chosen, vec![5, 6, 7], "3 of 10: the youngest members available");
        assert_eq!(pick[9].reason, "plan.reason.leader_stays");
        assert_eq!(pick[8].reason, "plan.reason.already_deployed");
        assert_eq!(pick[0].reason, "plan.reason.over_quota");
    }
}
