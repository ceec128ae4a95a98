//! Inspections (督导, 000.8, 001.7): the rules of unannounced visits ("四不两直") and of
//! rectification.
//!
//! The targets of a round are drawn at random, stratified by township (each township gets the
//! same number of visits), weighted away from places visited recently, and reproducibly: the draw
//! is a pure function of its input (a seed and the list of candidates with the days since each was
//! last visited), which the store keeps, so anyone can run it again and get the same list.
//!
//! The draw is weighted sampling without replacement after Efraimidis and Spirakis: each candidate
//! gets the key `ln(u) / w`, where `u` in (0, 1) comes from a SplitMix64 generator seeded with
//! `seed XOR unit id` and `w` is its weight; the `k` largest keys of each township win. A place
//! never visited, or last visited 90 days ago or more, weighs 1000; one visited yesterday weighs
//! 50 — it can still be drawn, only less often, so no place is ever safe from a visit.
//!
//! A finding is rectified (整改) by its unit and accepted (销号) or returned by the team. This
//! module is the rules only: no storage, no HTTP.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::codes::code_enum;
use crate::demo::Rng;

code_enum!(
    /// What a finding is about.
    FindingCategory {
        OnPost = "on_post",
        TaskProgress = "task_progress",
        GridManagement = "grid_management",
        WorkStyle = "work_style",
        Service = "service",
        Safety = "safety",
        IsolationLapse = "isolation_lapse",
        ControlLapse = "control_lapse",
        CheckpointLapse = "checkpoint_lapse",
    }
);

impl FindingCategory {
    /// The veto case (一票否决) a finding of this category is, if any (004.4): a person under
    /// isolation lost to management, a person under home control out of control, a checkpoint a
    /// mere formality.
    pub fn veto_case(self) -> Option<crate::records::RecordKind> {
        use crate::records::RecordKind;
        match self {
            FindingCategory::IsolationLapse => Some(RecordKind::IsolationLost),
            FindingCategory::ControlLapse => Some(RecordKind::ControlLost),
            FindingCategory::CheckpointLapse => Some(RecordKind::CheckpointLapse),
            _ => None,
        }
    }
}

code_enum!(
    /// How serious a finding is.
    Severity {
        Minor = "minor",
        Major = "major",
        Serious = "serious",
    }
);

impl Severity {
    /// The measure a `finding_raised` record carries (1, 2, 3).
    pub fn weight(self) -> i64 {
        match self {
            Severity::Minor => 1,
            Severity::Major => 2,
            Severity::Serious => 3,
        }
    }
}

code_enum!(
    /// Where a finding's rectification stands: 整改中, 待验收, 退回重改, 已销号.
    FindingStatus {
        Open = "open",
        Submitted = "submitted",
        Returned = "returned",
        Fixed = "fixed",
    }
);

code_enum!(
    /// A notice (通报): praise or criticism.
    NoticeKind {
        Praise = "praise",
        Criticism = "criticism",
    }
);

impl FindingStatus {
    /// The unit hands in what it did (整改报告): allowed while the finding is open or returned.
    pub fn submit(self) -> Result<FindingStatus, DomainError> {
        match self {
            FindingStatus::Open | FindingStatus::Returned => Ok(FindingStatus::Submitted),
            _ => Err(DomainError::Conflict("error.inspect.not_rectifying".into())),
        }
    }

    /// The team accepts (销号) or returns a rectification that was handed in.
    pub fn decide(self, accept: bool) -> Result<FindingStatus, DomainError> {
        match (self, accept) {
            (FindingStatus::Submitted, true) => Ok(FindingStatus::Fixed),
            (FindingStatus::Submitted, false) => Ok(FindingStatus::Returned),
            _ => Err(DomainError::Conflict("error.inspect.not_submitted".into())),
        }
    }

    /// The one overdue rule (逾期未改) every page, count, escalation and record follows: a finding
    /// is overdue when the unit still owes its rectification past the deadline (open or returned,
    /// `today` after the deadline), or when what awaits the team's acceptance was handed in after
    /// the deadline. A rectification handed in on time is not overdue while it waits; a fixed one
    /// never is. `handed_in` is the China day of the latest hand-in.
    pub fn overdue(self, deadline: NaiveDate, handed_in: Option<NaiveDate>, today: NaiveDate) -> bool {
        match self {
            FindingStatus::Open | FindingStatus::Returned => deadline < today,
            FindingStatus::Submitted => handed_in.is_some_and(|day| deadline < day),
            FindingStatus::Fixed => false,
        }
    }

    /// Whether an accepted rectification counts as fixed on time (the `finding_fixed` record's
    /// value): it was handed in by the deadline, however long the acceptance took.
    pub fn fixed_on_time(deadline: NaiveDate, handed_in: NaiveDate) -> bool {
        handed_in <= deadline
    }
}

/// Who may accept or return a finding's rectification (验收销号): whoever is judged must not write
/// the verdict. A finding raised on a visit is decided by the team that raised it (its leader or a
/// member) or by the round's organiser; never by the person the finding names, whatever their role.
/// A finding from before teams were recorded (`team` is `None`) is decided by anyone allowed to
/// decide findings there, except the person it names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindingJudges {
    /// The raising team's leader and members; `None` when the finding was not raised on a visit.
    pub team: Option<Vec<i64>>,
    /// The organiser of the round the visit belonged to.
    pub organiser: Option<i64>,
    /// The person the finding names (answerable for fixing it).
    pub answerable: Option<i64>,
}

impl FindingJudges {
    /// Whether `person` (the caller's person, if any) may accept or return the finding.
    pub fn may_decide(&self, person: Option<i64>) -> Result<(), DomainError> {
        let Some(person) = person else {
            return Err(DomainError::Forbidden("error.inspect.not_the_team".into()));
        };
        if self.answerable == Some(person) {
            return Err(DomainError::Forbidden("error.inspect.own_finding".into()));
        }
        match &self.team {
            None => Ok(()),
            Some(team) if team.contains(&person) || self.organiser == Some(person) => Ok(()),
            Some(_) => Err(DomainError::Forbidden("error.inspect.not_the_team".into())),
        }
    }
}

/// Days after which a visited place weighs as much as one never visited.
pub const FULL_WEIGHT_AFTER_DAYS: i64 = 90;
/// The weight of a place never visited (or not for `FULL_WEIGHT_AFTER_DAYS`).
pub const FULL_WEIGHT: i64 = 1000;
/// The least weight a place can have (visited today).
pub const MIN_WEIGHT: i64 = 50;
/// The most visits one round may draw per township.
pub const MAX_PER_TOWNSHIP: i64 = 20;
/// A draw is random only where each township's pool holds at least this many candidates for every
/// place drawn from it: a pool of one is a choice, not a draw. A random round draws at most
/// `pool / MIN_POOL_PER_PLACE` places in a township (none where fewer than this many wait); a round
/// over fewer places is a targeted round (定点督查), stated as such on every page.
pub const MIN_POOL_PER_PLACE: i64 = 3;

/// A place that may be drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub unit_id: i64,
    pub township_id: i64,
    /// Days since the last logged visit, if any.
    pub days_since_visit: Option<i64>,
}

/// Everything a draw depends on; stored with the round so the draw can be re-run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawInput {
    /// Kept as a string: a 64-bit seed does not survive a JSON number in every reader.
    pub seed: String,
    pub per_township: i64,
    pub candidates: Vec<Candidate>,
    /// The least pool for each place drawn in a township ([`MIN_POOL_PER_PLACE`] for random rounds;
    /// 0 for targeted rounds and for rounds stored before the rule, which drew without it).
    #[serde(default)]
    pub min_pool_per_place: i64,
    /// The organiser named the places rather than drew them (定点督查): not a random draw.
    #[serde(default)]
    pub targeted: bool,
}

impl DrawInput {
    /// Pool size of each township, in township order.
    fn pools(&self) -> std::collections::BTreeMap<i64, i64> {
        let mut sizes = std::collections::BTreeMap::new();
        for c in &self.candidates {
            *sizes.entry(c.township_id).or_default() += 1;
        }
        sizes
    }

    /// How many places the draw takes in a township whose pool holds `pool` candidates.
    pub fn places_in(&self, pool: i64) -> i64 {
        let cap = if self.min_pool_per_place > 0 { pool / self.min_pool_per_place } else { pool };
        self.per_township.min(cap)
    }

    /// The townships whose pool was too small for the places drawn there: fewer than
    /// [`MIN_POOL_PER_PLACE`] candidates for each. Empty for every random round drawn under the rule.
    pub fn thin_pools(&self) -> Vec<i64> {
        self.pools()
            .into_iter()
            .filter(|(_, pool)| *pool < MIN_POOL_PER_PLACE * self.places_in(*pool))
            .map(|(township, _)| township)
            .collect()
    }

    /// Whether this is a random draw: not targeted, and no place drawn from too small a pool.
    pub fn is_random(&self) -> bool {
        !self.targeted && self.thin_pools().is_empty()
    }
}

/// One drawn place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drawn {
    pub unit_id: i64,
    pub township_id: i64,
    /// The weight used, in thousandths.
    pub weight_milli: i64,
}

/// The weight of a place last visited `days` ago (`None`: never).
pub fn weight_milli(days_since_visit: Option<i64>) -> i64 {
    match days_since_visit {
        None => FULL_WEIGHT,
        Some(d) => (d.max(0) * FULL_WEIGHT / FULL_WEIGHT_AFTER_DAYS).clamp(MIN_WEIGHT, FULL_WEIGHT),
    }
}

/// Draws up to `per_township` places in each township; townships in id order, places in the order
/// drawn. The same input always gives the same list.
pub fn draw(input: &DrawInput) -> Result<Vec<Drawn>, DomainError> {
    let seed: u64 = input.seed.parse().map_err(|_| DomainError::invalid("seed", "error.inspect.bad_seed"))?;
    if !(1..=MAX_PER_TOWNSHIP).contains(&input.per_township) {
        return Err(DomainError::invalid("per_township", "error.out_of_range"));
    }
    let mut keyed: Vec<(i64, f64, i64, i64)> = input
        .candidates
        .iter()
        .map(|c| {
            let w = weight_milli(c.days_since_visit);
            let mut rng = Rng::new(seed ^ (c.unit_id as u64));
            // 53 random bits, shifted off zero: u in (0, 1).
            let u = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            (c.township_id, u.ln() / (w as f64 / FULL_WEIGHT as f64), c.unit_id, w)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
    let pools = input.pools();
    let mut out = Vec::new();
    let mut taken = 0;
    let mut township = None;
    for (t, _, unit_id, w) in keyed {
        if township != Some(t) {
            township = Some(t);
            taken = 0;
        }
        if taken < input.places_in(pools.get(&t).copied().unwrap_or(0)) {
            out.push(Drawn { unit_id, township_id: t, weight_milli: w });
            taken += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_of_one_is_not_a_random_draw() {
        let pool = |n: i64, per_township: i64, min_pool_per_place: i64, targeted: bool| DrawInput {
            seed: "7".into(),
            per_township,
            candidates: (0..n)
                .map(|i| Candidate { unit_id: 100 + i, township_id: 1, days_since_visit: None })
                .collect(),
            min_pool_per_place,
            targeted,
        };
        // Under the rule a township draws one place for every three candidates, none below three.
        assert_eq!(draw(&pool(1, 1, MIN_POOL_PER_PLACE, false)).unwrap().len(), 0);
        assert_eq!(draw(&pool(3, 1, MIN_POOL_PER_PLACE, false)).unwrap().len(), 1);
        assert_eq!(draw(&pool(5, 2, MIN_POOL_PER_PLACE, false)).unwrap().len(), 1);
        assert_eq!(draw(&pool(6, 2, MIN_POOL_PER_PLACE, false)).unwrap().len(), 2);
        assert!(pool(5, 2, MIN_POOL_PER_PLACE, false).is_random());
        // Targeted: takes what it is asked for, and is never called random.
        let named = pool(1, 1, 0, true);
        assert_eq!(draw(&named).unwrap().len(), 1);
        assert!(!named.is_random());
        // A round stored before the rule drew one of one: re-drawn the same, shown as not random.
        let old: DrawInput = serde_json::from_str(
            r#"{"seed":"7","per_township":1,"candidates":[
            {"unit_id":5,"township_id":1,"days_since_visit":null}]}"#,
        )
        .unwrap();
        assert_eq!((old.min_pool_per_place, old.targeted), (0, false));
        assert_eq!(draw(&old).unwrap().len(), 1);
        assert_eq!(old.thin_pools(), vec![1]);
        assert!(!old.is_random());
        assert!(pool(6, 2, 0, false).is_random(), "an old round over a large enough pool was random");
    }

    #[test]
    fn only_the_raising_team_or_the_organiser_decides_a_finding_never_its_subject() {
        let judges = FindingJudges { team: Some(vec![10, 11]), organiser: Some(20), answerable: Some(30) };
        assert_eq!(judges.may_decide(Some(10)), Ok(()));
        assert_eq!(judges.may_decide(Some(11)), Ok(()));
        assert_eq!(judges.may_decide(Some(20)), Ok(()), "the round's organiser");
        let not_team = DomainError::Forbidden("error.inspect.not_the_team".into());
        assert_eq!(judges.may_decide(Some(12)), Err(not_team.clone()), "another team's inspector");
        assert_eq!(judges.may_decide(None), Err(not_team), "an account that is nobody");
        assert_eq!(
            judges.may_decide(Some(30)),
            Err(DomainError::Forbidden("error.inspect.own_finding".into())),
            "the person it names"
        );
        // The person named is refused even when they sit on the team.
        let own = FindingJudges { team: Some(vec![30]), organiser: None, answerable: Some(30) };
        assert!(own.may_decide(Some(30)).is_err());
        // Before teams were recorded: anyone allowed, except the person named.
        let old = FindingJudges { team: None, organiser: None, answerable: Some(30) };
        assert_eq!(old.may_decide(Some(12)), Ok(()));
        assert!(old.may_decide(Some(30)).is_err());
    }

    #[test]
    fn a_rectification_handed_in_on_time_is_not_overdue_while_it_awaits_acceptance() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let deadline = day(2);
        use FindingStatus::*;
        // Handed in on 27 November (day(0) is not a date: use the deadline's own day and before).
        assert!(!Submitted.overdue(deadline, Some(day(1)), day(20)), "on time, waiting for the team");
        assert!(!Submitted.overdue(deadline, Some(day(2)), day(20)), "on the deadline itself");
        assert!(Submitted.overdue(deadline, Some(day(3)), day(20)), "handed in late");
        assert!(Open.overdue(deadline, None, day(3)) && !Open.overdue(deadline, None, day(2)));
        assert!(Returned.overdue(deadline, Some(day(1)), day(3)), "returned: owed again, and late");
        assert!(!Fixed.overdue(deadline, Some(day(9)), day(20)));
        assert!(FindingStatus::fixed_on_time(deadline, day(2)) && !FindingStatus::fixed_on_time(deadline, day(3)));
    }

    fn candidates(n: i64, towns: i64) -> Vec<Candidate> {
        (0..n).map(|i| Candidate { unit_id: 100 + i, township_id: 1 + i % towns, days_since_visit: None }).collect()
    }

    #[test]
    fn the_same_input_draws_the_same_places_and_another_seed_others() {
        let input = DrawInput {
            seed: "42".into(),
            per_township: 3,
            candidates: candidates(60, 4),
            min_pool_per_place: 0,
            targeted: false,
        };
        let a = draw(&input).unwrap();
        assert_eq!(a, draw(&input).unwrap());
        assert_eq!(a.len(), 12);
        for t in 1..=4 {
            assert_eq!(a.iter().filter(|d| d.township_id == t).count(), 3, "township {t}");
        }
        let b = draw(&DrawInput { seed: "43".into(), ..input.clone() }).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_small_township_gives_what_it_has() {
        let mut c = candidates(10, 1);
        c.push(Candidate { unit_id: 999, township_id: 7, days_since_visit: Some(3) });
        let d = draw(&DrawInput {
            seed: "1".into(),
            per_township: 4,
            candidates: c,
            min_pool_per_place: 0,
            targeted: false,
        })
        .unwrap();
        assert_eq!(d.len(), 5);
        assert_eq!(d.last().map(|x| x.unit_id), Some(999));
    }

    #[test]
    fn places_visited_recently_are_drawn_less_often() {
        // Half the places were visited yesterday; over many seeds they should win far less than half.
        let c: Vec<Candidate> = (0..40)
            .map(|i| Candidate {
                unit_id: i,
                township_id: 1,
                days_since_visit: if i % 2 == 0 { Some(1) } else { None },
            })
            .collect();
        let mut recent = 0;
        let mut total = 0;
        for seed in 0..200u64 {
            let d = draw(&DrawInput {
                seed: seed.to_string(),
                per_township: 5,
                candidates: c.clone(),
                min_pool_per_place: 0,
                targeted: false,
            })
            .unwrap();
            recent += d.iter().filter(|x| x.unit_id % 2 == 0).count();
            total += d.len();
        }
        assert!(recent * 5 < total, "{recent} of {total} drawn were visited yesterday");
        assert!(recent > 0, "recently visited places must stay drawable");
    }

    #[test]
    fn weights_ramp_up_over_ninety_days() {
        assert_eq!(weight_milli(None), 1000);
        assert_eq!(weight_milli(Some(0)), 50);
        assert_eq!(weight_milli(Some(45)), 500);
        assert_eq!(weight_milli(Some(400)), 1000);
    }

    #[test]
    fn bad_draw_input_is_refused() {
        assert!(
            draw(&DrawInput {
                seed: "x".into(),
                per_township: 1,
                candidates: vec![],
                min_pool_per_place: 0,
                targeted: false
            })
            .is_err()
        );
        assert!(
            draw(&DrawInput {
                seed: "1".into(),
                per_township: 0,
                candidates: vec![],
                min_pool_per_place: 0,
                targeted: false
            })
            .is_err()
        );
    }

    #[test]
    fn rectification_goes_round_until_accepted() {
        let s = FindingStatus::Open.submit().unwrap();
        assert_eq!(s, FindingStatus::Submitted);
        assert_eq!(s.decide(false).unwrap(), FindingStatus::Returned);
        assert_eq!(FindingStatus::Returned.submit().unwrap(), FindingStatus::Submitted);
        assert_eq!(s.decide(true).unwrap(), FindingStatus::Fixed);
        assert!(FindingStatus::Fixed.submit().is_err());
        assert!(FindingStatus::Open.decide(true).is_err());
    }
}
