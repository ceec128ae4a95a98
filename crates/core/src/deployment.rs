//! Deployment of cadres (000.4, 000.5, 003.12): who is sent where, for what, and when they
//! arrived; the planners that split a unit's roster into the three thirds (三个三分之一) and pick
//! 30 % of a department's staff for villages (选派精兵强将), by rules the user sees and adjusts.

use serde::Serialize;

use crate::codes::code_enum;

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
    /// Already out on a deployment that has not ended, and the third it counts in (a village
    /// posting in `Villages`, any other in `Front`).
    pub deployed: Option<Third>,
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

impl Purpose {
    /// The third a deployment for this purpose counts in.
    pub fn third(self) -> Third {
        match self {
            Purpose::Village => Third::Villages,
            _ => Third::Front,
        }
    }
}

/// Splits a roster into thirds. Leaders stay (keep the unit running); those already out stay where
/// they are and count in their third; of the rest, the oldest fill the unit third and the youngest
/// go out, as many as the front and village thirds still need, those with front skills to the front
/// first. When more are already out than two thirds, everyone else stays. Sizes differ by at most
/// one where the leaders and the deployed allow.
pub fn split_thirds(staff: &[Staff]) -> Vec<Placement> {
    let n = staff.len();
    let unit_size = n.div_ceil(3).max(staff.iter().filter(|s| s.must_stay).count());
    let front_size = (n - unit_size).div_ceil(2);
    let villages_size = n - unit_size - front_size;
    let out_in = |t: Third| staff.iter().filter(|s| !s.must_stay && s.deployed == Some(t)).count();
    let front_need = front_size.saturating_sub(out_in(Third::Front));
    let villages_need = villages_size.saturating_sub(out_in(Third::Villages));
    let mut out: Vec<Placement> = Vec::with_capacity(n);
    let mut rest: Vec<&Staff> = Vec::new();
    for s in staff {
        match (s.must_stay, s.deployed) {
            (true, _) => {
                out.push(Placement { person_id: s.person_id, third: Third::Unit, reason: "plan.reason.leader_stays" })
            }
            (false, Some(third)) => {
                out.push(Placement { person_id: s.person_id, third, reason: "plan.reason.already_deployed" })
            }
            (false, None) => rest.push(s),
        }
    }
    // The youngest go out (a rule the article states as 年轻干部下沉); the oldest stay.
    rest.sort_by_key(|s| (std::cmp::Reverse(s.age.unwrap_or(0)), s.person_id));
    let going = (front_need + villages_need).min(rest.len());
    let (staying, leaving) = rest.split_at(rest.len() - going);
    for s in staying {
        out.push(Placement { person_id: s.person_id, third: Third::Unit, reason: "plan.reason.senior_stays" });
    }
    let mut leaving: Vec<&Staff> = leaving.to_vec();
    leaving.sort_by_key(|s| (!s.front_skilled(), s.person_id));
    for (k, s) in leaving.into_iter().enumerate() {
        let (third, reason) = if k < front_need {
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

/// Picks `percent` % of the staff (rounded up) for villages, counting those already in villages
/// towards it: never those who must stay or are already out; party members first, then the
/// younger. Everyone is listed, chosen or not, with the reason, so the user can adjust.
pub fn pick_for_villages(staff: &[Staff], percent: u32) -> Vec<Selection> {
    let quota = (staff.len() * percent.min(100) as usize).div_ceil(100);
    let in_villages = staff.iter().filter(|s| s.deployed == Some(Third::Villages)).count();
    let quota = quota.saturating_sub(in_villages);
    let mut eligible: Vec<&Staff> = staff.iter().filter(|s| !s.must_stay && s.deployed.is_none()).collect();
    eligible.sort_by_key(|s| (!s.party_member, s.age.unwrap_or(i64::MAX), s.person_id));
    let chosen: Vec<i64> = eligible.iter().take(quota).map(|s| s.person_id).collect();
    staff
        .iter()
        .map(|s| {
            let (chosen, reason) = if s.must_stay {
                (false, "plan.reason.leader_stays")
            } else if s.deployed.is_some() {
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

/// The age up to which a cadre is a young cadre (年轻干部) for 青蓝结对.
pub const YOUNG_CADRE_MAX_AGE: i64 = 35;

/// One of the three in a mentoring triple, as the rule sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Mentee {
    pub age: Option<i64>,
    pub rank: crate::people::Rank,
    /// A cadre or village cadre (not a resident or an ordinary member).
    pub cadre: bool,
}

/// The rule of a mentoring triple (青蓝结对): all three are cadres; the leader (老) holds a leading
/// rank (county or section level); the young cadre (青) is at most 35; the middle cadre (中) is older
/// than the young one and not older than the leader. Each broken rule is named on its field.
pub fn check_triple(leader: &Mentee, middle: &Mentee, young: &Mentee) -> Vec<crate::error::FieldError> {
    use crate::error::FieldError;
    use crate::people::Rank;
    let mut errors = Vec::new();
    for (field, m) in [("leader_id", leader), ("middle_id", middle), ("young_id", young)] {
        if !m.cadre {
            errors.push(FieldError::new(field, "error.mentor.not_a_cadre"));
        }
    }
    if !matches!(leader.rank, Rank::CountyLevel | Rank::SectionLevel) {
        errors.push(FieldError::new("leader_id", "error.mentor.not_a_leader"));
    }
    if young.age.is_none_or(|a| a > YOUNG_CADRE_MAX_AGE) {
        errors.push(FieldError::new("young_id", "error.mentor.not_young"));
    }
    let between = match (middle.age, young.age, leader.age) {
        (Some(m), Some(y), l) => m > y && l.is_none_or(|l| m <= l),
        _ => false,
    };
    if !between {
        errors.push(FieldError::new("middle_id", "error.mentor.middle_age"));
    }
    errors
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
            deployed: None,
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
        s[8].deployed = Some(Third::Front);
        s[7].party_member = false;
        let pick = pick_for_villages(&s, 30);
        let chosen: Vec<i64> = pick.iter().filter(|p| p.chosen).map(|p| p.person_id).collect();
        assert_eq!(chosen, vec![5, 6, 7], "3 of 10: the youngest members available");
        assert_eq!(pick[9].reason, "plan.reason.leader_stays");
        assert_eq!(pick[8].reason, "plan.reason.already_deployed");
        assert_eq!(pick[0].reason, "plan.reason.over_quota");
        // Two already in villages count towards the 30 %: one more is picked, not three.
        s[0].deployed = Some(Third::Villages);
        s[1].deployed = Some(Third::Villages);
        let pick = pick_for_villages(&s, 30);
        let chosen: Vec<i64> = pick.iter().filter(|p| p.chosen).map(|p| p.person_id).collect();
        assert_eq!(chosen, vec![7], "30 % of 10 is 3, two are out already");
    }

    #[test]
    fn a_mentoring_triple_is_a_leader_a_middle_and_a_young_cadre() {
        use crate::people::Rank;
        let m = |age: i64, rank: Rank| Mentee { age: Some(age), rank, cadre: true };
        assert!(check_triple(&m(50, Rank::SectionLevel), &m(40, Rank::Staff), &m(28, Rank::Staff)).is_empty());
        let fields = |e: Vec<crate::error::FieldError>| e.into_iter().map(|e| e.code).collect::<Vec<_>>();
        assert_eq!(
            fields(check_triple(&m(50, Rank::Staff), &m(40, Rank::Staff), &m(36, Rank::Staff))),
            vec!["error.mentor.not_a_leader", "error.mentor.not_young"]
        );
        assert_eq!(
            fields(check_triple(&m(50, Rank::SectionLevel), &m(27, Rank::Staff), &m(30, Rank::Staff))),
            vec!["error.mentor.middle_age"],
            "the middle is older than the young"
        );
        let mut resident = m(30, Rank::None);
        resident.cadre = false;
        assert_eq!(
            fields(check_triple(&m(50, Rank::SectionLevel), &m(40, Rank::Staff), &resident)),
            vec!["error.mentor.not_a_cadre"]
        );
        let unknown = Mentee { age: None, rank: Rank::Staff, cadre: true };
        assert_eq!(
            fields(check_triple(&m(50, Rank::SectionLevel), &m(40, Rank::Staff), &unknown)),
            vec!["error.mentor.not_young", "error.mentor.middle_age"],
            "an unknown age is not young"
        );
    }

    #[test]
    fn thirds_count_those_already_out_and_send_nobody_twice() {
        let mut s: Vec<Staff> = (1..=9).map(|i| staff(i, 20 + i)).collect();
        s[0].must_stay = true;
        s[1].deployed = Some(Third::Villages);
        s[2].deployed = Some(Third::Villages);
        s[3].deployed = Some(Third::Front);
        let plan = split_thirds(&s);
        let of = |id: i64| plan.iter().find(|p| p.person_id == id).unwrap().clone();
        assert_eq!((of(2).third, of(2).reason), (Third::Villages, "plan.reason.already_deployed"));
        assert_eq!((of(4).third, of(4).reason), (Third::Front, "plan.reason.already_deployed"));
        let count = |t: Third| plan.iter().filter(|p| p.third == t).count();
        assert_eq!((count(Third::Unit), count(Third::Front), count(Third::Villages)), (3, 3, 3));
        let newly_out =
            plan.iter().filter(|p| p.third != Third::Unit && p.reason != "plan.reason.already_deployed").count();
        assert_eq!(newly_out, 3, "three more go out, not six");
        // More out than two thirds: everyone else stays.
        for (k, x) in s.iter_mut().enumerate().take(8).skip(1) {
            x.deployed = Some(if k % 2 == 1 { Third::Villages } else { Third::Front });
        }
        let plan = split_thirds(&s);
        assert_eq!(plan.iter().find(|p| p.person_id == 9).unwrap().third, Third::Unit);
    }
}
