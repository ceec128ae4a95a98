//! Checkpoint duty rosters (卡点值守排班, 003.11): who stands at which checkpoint (卡点/卡口) on
//! which shift.
//!
//! A [`RosterRequest`] says what a person types: checkpoints with a shift pattern (three 8-hour
//! shifts, two 12-hour shifts), headcount and required mix per shift (at least so many party
//! members, so many cadres), the people who may stand there and the days they cannot. It expands
//! into a [`Problem`]: every shift of the period and, for each, the people eligible and available.
//!
//! Hard rules: eligibility and availability, no two overlapping shifts, a minimum rest between two
//! shifts of one person (12 h by default), a maximum number of shifts per person in the period.
//! Everything else is a cost, in one objective that the CP-SAT anchor (`tools/bench/roster_anchor.py`)
//! states the same way:
//!
//! * 1000 per empty place on a shift, and 1000 per party member or cadre a shift lacks;
//! * 20 per night shift above a person's fair share (`night_cap`, the night places divided by the
//!   people, rounded up);
//! * 5 per night shift given to someone who asked to avoid nights;
//! * 2 per shift away from a person's home checkpoint (teams stay stable).
//!
//! The solver builds a roster greedily (scarcest shifts first), which is already feasible, then
//! improves it by local search (add, replace, move and swap, accepted by simulated annealing) within
//! a time budget. Shifts it cannot fill come back with the reason.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::demo::Rng;
use crate::error::Problems;

pub const W_EMPTY: i64 = 1000;
pub const W_MIX: i64 = 1000;
pub const W_NIGHT_EXCESS: i64 = 20;
pub const W_AVOIDED_NIGHT: i64 = 5;
pub const W_AWAY: i64 = 2;

/// One shift of a day's pattern: start hour, length in hours, whether it is a night shift.
pub type PatternShift = (i64, i64, bool);

/// Shift patterns a checkpoint can run.
pub const PATTERNS: &[(&str, &[PatternShift])] = &[
    ("3x8", &[(0, 8, true), (8, 8, false), (16, 8, false)]),
    ("2x12", &[(8, 12, false), (20, 12, true)]),
    ("day", &[(8, 10, false)]),
];

/// Hard limits of the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Least rest between two shifts of one person, in minutes.
    pub min_rest_minutes: i64,
    /// Most shifts one person stands in the period.
    pub max_shifts: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { min_rest_minutes: 12 * 60, max_shifts: 5 }
    }
}

/// A checkpoint as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointSpec {
    pub name: String,
    #[serde(default = "default_pattern")]
    pub pattern: String,
    pub headcount: u32,
    /// Headcount of night shifts (often smaller); the day headcount when absent.
    #[serde(default)]
    pub night_headcount: Option<u32>,
    #[serde(default)]
    pub min_party: u32,
    #[serde(default)]
    pub min_cadre: u32,
}

fn default_pattern() -> String {
    "3x8".into()
}

/// A person who may stand duty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSpec {
    pub name: String,
    #[serde(default)]
    pub party: bool,
    /// A cadre (包保干部, 乡镇干部) rather than a resident volunteer (群众).
    #[serde(default)]
    pub cadre: bool,
    /// Indices into the request's checkpoints this person may stand at; the first is home.
    pub checkpoints: Vec<usize>,
    #[serde(default)]
    pub avoid_nights: bool,
    /// Days (0 = the first day of the period) this person cannot stand duty.
    #[serde(default)]
    pub unavailable_days: Vec<i64>,
}

/// What a planner asks for: a period, the checkpoints and the people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterRequest {
    pub start: NaiveDate,
    pub days: i64,
    #[serde(default)]
    pub rules: Rules,
    pub checkpoints: Vec<CheckpointSpec>,
    pub people: Vec<PersonSpec>,
}

/// One shift to fill. Times are minutes from the start of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    pub checkpoint: usize,
    pub start: i64,
    pub end: i64,
    pub night: bool,
    pub headcount: u32,
    pub min_party: u32,
    pub min_cadre: u32,
    /// People (indices) eligible for this checkpoint and available for the whole shift.
    pub candidates: Vec<usize>,
}

/// A person as the solver sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub party: bool,
    pub cadre: bool,
    pub home: Option<usize>,
    pub avoid_nights: bool,
}

/// The expanded model: what the solver and the anchor both read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub rules: Rules,
    pub shifts: Vec<Shift>,
    pub people: Vec<Person>,
    pub night_cap: i64,
}

impl RosterRequest {
    /// Checks the request and expands it into shifts with their candidates.
    pub fn expand(&self) -> Result<Problem, DomainError> {
        let mut p = Problems::new();
        if !(1..=31).contains(&self.days) {
            p.add("days", "error.roster.days");
        }
        if self.rules.min_rest_minutes < 0 || self.rules.min_rest_minutes > 48 * 60 {
            p.add("min_rest_minutes", "error.out_of_range");
        }
        if self.rules.max_shifts == 0 || self.rules.max_shifts > 93 {
            p.add("max_shifts", "error.out_of_range");
        }
        for c in &self.checkpoints {
            if pattern(&c.pattern).is_none() {
                p.add("pattern", "error.roster.pattern");
            }
            if c.headcount == 0 || c.headcount > 50 || c.night_headcount.is_some_and(|n| n > 50) {
                p.add("headcount", "error.out_of_range");
            }
        }
        for person in &self.people {
            if person.checkpoints.is_empty() || person.checkpoints.iter().any(|&c| c >= self.checkpoints.len()) {
                p.add("checkpoints", "error.roster.checkpoint");
            }
        }
        p.into_result()?;
        let mut shifts = Vec::new();
        for (ci, c) in self.checkpoints.iter().enumerate() {
            let pattern = pattern(&c.pattern).unwrap_or_default();
            for day in 0..self.days {
                for &(hour, hours, night) in pattern {
                    let start = (day * 24 + hour) * 60;
                    let headcount = if night { c.night_headcount.unwrap_or(c.headcount) } else { c.headcount };
                    shifts.push(Shift {
                        checkpoint: ci,
                        start,
                        end: start + hours * 60,
                        night,
                        headcount,
                        min_party: c.min_party.min(headcount),
                        min_cadre: c.min_cadre.min(headcount),
                        candidates: Vec::new(),
                    });
                }
            }
        }
        shifts.sort_by_key(|s| (s.start, s.checkpoint));
        for (pi, person) in self.people.iter().enumerate() {
            for s in shifts.iter_mut() {
                let free = person.unavailable_days.iter().all(|&d| s.end <= d * 1440 || s.start >= (d + 1) * 1440);
                if free && person.checkpoints.contains(&s.checkpoint) {
                    s.candidates.push(pi);
                }
            }
        }
        let people: Vec<Person> = self
            .people
            .iter()
            .map(|p| Person {
                party: p.party,
                cadre: p.cadre,
                home: p.checkpoints.first().copied(),
                avoid_nights: p.avoid_nights,
            })
            .collect();
        Ok(Problem::new(self.rules, shifts, people))
    }
}

/// The shifts of a pattern, if it is known.
pub fn pattern(name: &str) -> Option<&'static [PatternShift]> {
    PATTERNS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

impl Problem {
    /// A problem with the fair night share computed from its shifts and people.
    pub fn new(rules: Rules, shifts: Vec<Shift>, people: Vec<Person>) -> Problem {
        let night_places: i64 = shifts.iter().filter(|s| s.night).map(|s| s.headcount as i64).sum();
        let night_cap =
            if people.is_empty() { 0 } else { (night_places + people.len() as i64 - 1) / people.len() as i64 };
        Problem { rules, shifts, people, night_cap }
    }

    /// Whether two shifts cannot both go to one person (overlap, or too little rest between).
    pub fn conflict(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.shifts[a], &self.shifts[b]);
        let rest = self.rules.min_rest_minutes;
        a.start < b.end + rest && b.start < a.end + rest
    }

    fn assignment_cost(&self, person: usize, shift: usize) -> i64 {
        let (p, s) = (&self.people[person], &self.shifts[shift]);
        let mut c = 0;
        if s.night && p.avoid_nights {
            c += W_AVOIDED_NIGHT;
        }
        if p.home != Some(s.checkpoint) {
            c += W_AWAY;
        }
        c
    }

    fn shift_cost(&self, shift: usize, members: &[usize]) -> i64 {
        let s = &self.shifts[shift];
        let party = members.iter().filter(|&&p| self.people[p].party).count() as i64;
        let cadre = members.iter().filter(|&&p| self.people[p].cadre).count() as i64;
        W_EMPTY * (s.headcount as i64 - members.len() as i64).max(0)
            + W_MIX * ((s.min_party as i64 - party).max(0) + (s.min_cadre as i64 - cadre).max(0))
    }

    fn person_cost(&self, person: usize, shifts: &[usize]) -> i64 {
        let nights = shifts.iter().filter(|&&s| self.shifts[s].night).count() as i64;
        W_NIGHT_EXCESS * (nights - self.night_cap).max(0)
            + shifts.iter().map(|&s| self.assignment_cost(person, s)).sum::<i64>()
    }

    /// The objective of a roster (people per shift), or why it breaks a hard rule.
    pub fn score(&self, roster: &[Vec<usize>]) -> Result<i64, String> {
        if roster.len() != self.shifts.len() {
            return Err("roster has the wrong number of shifts".into());
        }
        let mut of_person: Vec<Vec<usize>> = vec![Vec::new(); self.people.len()];
        let mut total = 0;
        for (s, members) in roster.iter().enumerate() {
            if members.len() > self.shifts[s].headcount as usize {
                return Err(format!("shift {s} is over its headcount"));
            }
            for &p in members {
                if !self.shifts[s].candidates.contains(&p) {
                    return Err(format!("person {p} is not a candidate for shift {s}"));
                }
                if of_person[p].iter().any(|&o| o == s || self.conflict(o, s)) {
                    return Err(format!("person {p} has conflicting shifts at {s}"));
                }
                of_person[p].push(s);
            }
            total += self.shift_cost(s, members);
        }
        for (p, shifts) in of_person.iter().enumerate() {
            if shifts.len() > self.rules.max_shifts {
                return Err(format!("person {p} stands more than {} shifts", self.rules.max_shifts));
            }
            total += self.person_cost(p, shifts);
        }
        Ok(total)
    }

    /// The objective of the empty roster: every place empty, every requirement missed.
    pub fn worst(&self) -> i64 {
        (0..self.shifts.len()).map(|s| self.shift_cost(s, &[])).sum()
    }
}

/// Why a shift is not (fully) staffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shortfall {
    /// Nobody is eligible and available.
    NoOneEligible,
    /// Fewer people are eligible and available than the headcount.
    TooFewEligible,
    /// No eligible party member (or cadre) is available.
    NoPartyMember,
    NoCadre,
    /// Enough people are eligible but all are resting, on another shift or at their limit.
    EveryoneBusy,
}

impl Shortfall {
    pub fn as_str(self) -> &'static str {
        match self {
            Shortfall::NoOneEligible => "no_one_eligible",
            Shortfall::TooFewEligible => "too_few_eligible",
            Shortfall::NoPartyMember => "no_party_member",
            Shortfall::NoCadre => "no_cadre",
            Shortfall::EveryoneBusy => "everyone_busy",
        }
    }

    pub const ALL: [Shortfall; 5] = [
        Shortfall::NoOneEligible,
        Shortfall::TooFewEligible,
        Shortfall::NoPartyMember,
        Shortfall::NoCadre,
        Shortfall::EveryoneBusy,
    ];
}

/// A shift the roster leaves short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unfilled {
    pub shift: usize,
    pub missing: u32,
    pub reason: Shortfall,
}

/// A solved roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// People (indices) per shift.
    pub roster: Vec<Vec<usize>>,
    pub objective: i64,
    pub unfilled: Vec<Unfilled>,
    /// When the first feasible roster (the greedy one) was ready.
    pub first_feasible: Duration,
    /// When the best roster was found.
    pub best_at: Duration,
    pub moves: u64,
}

struct State<'a> {
    problem: &'a Problem,
    roster: Vec<Vec<usize>>,
    of_person: Vec<Vec<usize>>,
    objective: i64,
}

impl<'a> State<'a> {
    fn fits(&self, person: usize, shift: usize, ignoring: &[usize]) -> bool {
        let mine = &self.of_person[person];
        let kept = mine.iter().filter(|s| !ignoring.contains(s)).count();
        kept < self.problem.rules.max_shifts
            && mine.iter().all(|&o| ignoring.contains(&o) || (o != shift && !self.problem.conflict(o, shift)))
    }

    /// The shifts of `person` that conflict with `shift`, unless more than one.
    fn single_conflict(&self, person: usize, shift: usize) -> Option<Option<usize>> {
        let mut found = None;
        for &o in &self.of_person[person] {
            if o == shift || self.problem.conflict(o, shift) {
                if found.is_some() {
                    return None;
                }
                found = Some(o);
            }
        }
        Some(found)
    }

    fn local(&self, shifts: &[usize], people: &[usize]) -> i64 {
        let s: i64 = shifts.iter().map(|&s| self.problem.shift_cost(s, &self.roster[s])).sum();
        let p: i64 = people.iter().map(|&p| self.problem.person_cost(p, &self.of_person[p])).sum();
        s + p
    }

    fn add(&mut self, person: usize, shift: usize) {
        self.roster[shift].push(person);
        self.of_person[person].push(shift);
    }

    fn remove(&mut self, person: usize, shift: usize) {
        self.roster[shift].retain(|&p| p != person);
        self.of_person[person].retain(|&s| s != shift);
    }
}

/// Solves a roster problem within a time budget (the greedy start is always returned, however
/// small the budget).
pub fn solve(problem: &Problem, budget: Duration, seed: u64) -> Solution {
    let started = Instant::now();
    let mut state = State {
        problem,
        roster: vec![Vec::new(); problem.shifts.len()],
        of_person: vec![Vec::new(); problem.people.len()],
        objective: 0,
    };
    greedy(&mut state);
    state.objective =
        state.local(&(0..problem.shifts.len()).collect::<Vec<_>>(), &(0..problem.people.len()).collect::<Vec<_>>());
    let first_feasible = started.elapsed();
    let mut best = state.roster.clone();
    let mut best_objective = state.objective;
    let mut best_at = first_feasible;
    let mut rng = Rng::new(seed);
    let mut moves = 0u64;
    let deadline = started + budget;
    let n_shifts = problem.shifts.len();
    if n_shifts > 0 {
        let mut temperature = 8.0f64;
        let mut round = 0u64;
        loop {
            round += 1;
            if round.is_multiple_of(1024) {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let left = (deadline - now).as_secs_f64() / budget.as_secs_f64().max(1e-9);
                temperature = 0.05 + 8.0 * left * left;
            }
            let shift = rng.below(n_shifts as u64) as usize;
            if let Some(delta) = try_move(&mut state, shift, &mut rng, temperature) {
                moves += 1;
                state.objective += delta;
                if state.objective < best_objective {
                    best_objective = state.objective;
                    best = state.roster.clone();
                    best_at = started.elapsed();
                }
            }
        }
    }
    let unfilled = shortfalls(problem, &best);
    Solution { roster: best, objective: best_objective, unfilled, first_feasible, best_at, moves }
}

/// Fills shifts scarcest first, each with the candidates it needs most (a party member, a cadre)
/// and then the cheapest and least loaded.
fn greedy(state: &mut State<'_>) {
    let problem = state.problem;
    let mut order: Vec<usize> = (0..problem.shifts.len()).collect();
    order.sort_by_key(|&s| {
        let sh = &problem.shifts[s];
        ((sh.candidates.len() * 100) / (sh.headcount as usize).max(1), sh.start)
    });
    for s in order {
        let sh = &problem.shifts[s];
        for _ in 0..sh.headcount {
            let members = &state.roster[s];
            let party = members.iter().filter(|&&p| problem.people[p].party).count() as u32;
            let cadre = members.iter().filter(|&&p| problem.people[p].cadre).count() as u32;
            let need_party = party < sh.min_party;
            let need_cadre = cadre < sh.min_cadre;
            let pick = sh
                .candidates
                .iter()
                .copied()
                .filter(|&p| !state.roster[s].contains(&p) && state.fits(p, s, &[]))
                .min_by_key(|&p| {
                    let person = &problem.people[p];
                    let misses = (need_party && !person.party) as i64 + (need_cadre && !person.cadre) as i64;
                    let nights = state.of_person[p].iter().filter(|&&o| problem.shifts[o].night).count() as i64;
                    let night_over = if sh.night && nights >= problem.night_cap { W_NIGHT_EXCESS } else { 0 };
                    (
                        misses,
                        problem.assignment_cost(p, s) + night_over,
                        state.of_person[p].len(),
                        (person.party && !need_party) as i64 + (person.cadre && !need_cadre) as i64,
                    )
                });
            match pick {
                Some(p) => state.add(p, s),
                None => break,
            }
        }
    }
}

fn accept(delta: i64, temperature: f64, rng: &mut Rng) -> bool {
    if delta <= 0 {
        return true;
    }
    let p = (-(delta as f64) / temperature).exp();
    (rng.below(1_000_000) as f64) < p * 1_000_000.0
}

/// Tries one random move around a shift; applies it and gives its delta when accepted.
fn try_move(state: &mut State<'_>, shift: usize, rng: &mut Rng, temperature: f64) -> Option<i64> {
    let problem = state.problem;
    let sh = &problem.shifts[shift];
    if sh.candidates.is_empty() {
        return None;
    }
    let q = sh.candidates[rng.below(sh.candidates.len() as u64) as usize];
    if state.roster[shift].contains(&q) {
        return None;
    }
    let full = state.roster[shift].len() >= sh.headcount as usize;
    // Who leaves this shift to make room for q (when it is full).
    let p = if full {
        let m = &state.roster[shift];
        Some(m[rng.below(m.len() as u64) as usize])
    } else {
        None
    };
    let conflict = state.single_conflict(q, shift)?;
    let at_limit = state.of_person[q].len() >= problem.rules.max_shifts;
    match (conflict, p) {
        (None, p) if !at_limit => {
            // q joins (replacing p when full).
            let people: Vec<usize> = p.into_iter().chain([q]).collect();
            let before = state.local(&[shift], &people);
            if let Some(p) = p {
                state.remove(p, shift);
            }
            state.add(q, shift);
            let delta = state.local(&[shift], &people) - before;
            if accept(delta, temperature, rng) {
                return Some(delta);
            }
            state.remove(q, shift);
            if let Some(p) = p {
                state.add(p, shift);
            }
            None
        }
        (Some(other), p) if other != shift => {
            // q leaves `other` for this shift; p (if any) takes q's place on `other` when it can.
            let swap_in = p.filter(|&p| {
                problem.shifts[other].candidates.contains(&p)
                    && !state.roster[other].contains(&p)
                    && state.fits(p, other, &[shift])
            });
            if p.is_some() && swap_in.is_none() && rng.chance(50) {
                return None;
            }
            let people: Vec<usize> = p.into_iter().chain([q]).collect();
            let shifts = [shift, other];
            let before = state.local(&shifts, &people);
            state.remove(q, other);
            if let Some(p) = p {
                state.remove(p, shift);
            }
            state.add(q, shift);
            if let Some(p) = swap_in {
                state.add(p, other);
            }
            let delta = state.local(&shifts, &people) - before;
            if accept(delta, temperature, rng) {
                return Some(delta);
            }
            if let Some(p) = swap_in {
                state.remove(p, other);
            }
            state.remove(q, shift);
            if let Some(p) = p {
                state.add(p, shift);
            }
            state.add(q, other);
            None
        }
        _ => None,
    }
}

/// The shifts a roster leaves short, each with the reason.
pub fn shortfalls(problem: &Problem, roster: &[Vec<usize>]) -> Vec<Unfilled> {
    let mut out = Vec::new();
    for (s, members) in roster.iter().enumerate() {
        let sh = &problem.shifts[s];
        let party = members.iter().filter(|&&p| problem.people[p].party).count() as u32;
        let cadre = members.iter().filter(|&&p| problem.people[p].cadre).count() as u32;
        let empty = sh.headcount.saturating_sub(members.len() as u32);
        let missing = empty + sh.min_party.saturating_sub(party) + sh.min_cadre.saturating_sub(cadre);
        if missing == 0 {
            continue;
        }
        let reason = if sh.candidates.is_empty() {
            Shortfall::NoOneEligible
        } else if sh.candidates.len() < sh.headcount as usize {
            Shortfall::TooFewEligible
        } else if party < sh.min_party && !sh.candidates.iter().any(|&p| problem.people[p].party) {
            Shortfall::NoPartyMember
        } else if cadre < sh.min_cadre && !sh.candidates.iter().any(|&p| problem.people[p].cadre) {
            Shortfall::NoCadre
        } else {
            Shortfall::EveryoneBusy
        };
        out.push(Unfilled { shift: s, missing, reason });
    }
    out
}

/// Long unbroken duty: people who stood a shift on at least `days` consecutive days (000.10,
/// 002.9 关心关爱), given the days each person stood duty.
pub fn long_streaks(days_on_duty: &[(i64, NaiveDate)], days: i64) -> Vec<(i64, i64, NaiveDate)> {
    let mut sorted = days_on_duty.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut out: Vec<(i64, i64, NaiveDate)> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let (person, first) = sorted[i];
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == person && (sorted[j + 1].1 - sorted[j].1).num_days() == 1 {
            j += 1;
        }
        let length = (j - i + 1) as i64;
        if length >= days {
            out.push((person, length, first));
        }
        i = j + 1;
    }
    out
}

/// A realistic synthetic instance for tests and benchmarks: checkpoints in a line, each with a
/// home team of about `people / checkpoints`, everyone also eligible at one or two neighbours;
/// 3×8 shifts (two places by day, one at night, at least one party member on each); six shifts
/// a week at most, as during a campaign.
pub fn synthetic(checkpoints: usize, people: usize, days: i64, seed: u64) -> RosterRequest {
    let mut rng = Rng::new(seed);
    let specs = (0..checkpoints)
        .map(|i| CheckpointSpec {
            name: format!("卡点{}", i + 1),
            pattern: "3x8".into(),
            headcount: 2,
            night_headcount: Some(1),
            min_party: 1,
            min_cadre: 0,
        })
        .collect();
    let people = (0..people)
        .map(|i| {
            let home = i % checkpoints.max(1);
            let mut eligible = vec![home];
            if checkpoints > 1 {
                eligible.push((home + 1) % checkpoints);
                if rng.chance(50) {
                    eligible.push((home + checkpoints - 1) % checkpoints);
                }
            }
            eligible.dedup();
            let unavailable_days = if rng.chance(20) { vec![rng.range(0, days - 1)] } else { Vec::new() };
            PersonSpec {
                name: format!("值守人员{}", i + 1),
                party: rng.chance(60),
                cadre: rng.chance(40),
                checkpoints: eligible,
                avoid_nights: rng.chance(15),
                unavailable_days,
            }
        })
        .collect();
    RosterRequest {
        start: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
        days,
        rules: Rules { max_shifts: 6, ..Rules::default() },
        checkpoints: specs,
        people,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> RosterRequest {
        RosterRequest {
            start: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            days: 2,
            rules: Rules::default(),
            checkpoints: vec![CheckpointSpec {
                name: "东卡点".into(),
                pattern: "3x8".into(),
                headcount: 2,
                night_headcount: Some(1),
                min_party: 1,
                min_cadre: 0,
            }],
            people: (0..6)
                .map(|i| PersonSpec {
                    name: format!("p{i}"),
                    party: i != 5,
                    cadre: false,
                    checkpoints: vec![0],
                    avoid_nights: i == 1,
                    unavailable_days: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn expands_patterns_into_shifts_with_candidates() {
        let problem = tiny().expand().unwrap();
        assert_eq!(problem.shifts.len(), 6);
        assert_eq!(problem.shifts[0].start, 0);
        assert!(problem.shifts[0].night);
        assert_eq!(problem.shifts[0].headcount, 1);
        assert_eq!(problem.shifts[1].headcount, 2);
        assert!(problem.shifts.iter().all(|s| s.candidates.len() == 6));
        // Two nights, one place each, six people: nobody need stand more than one.
        assert_eq!(problem.night_cap, 1);
    }

    #[test]
    fn bad_requests_are_refused_by_field() {
        let mut r = tiny();
        r.days = 0;
        r.checkpoints[0].pattern = "4x6".into();
        r.people[0].checkpoints = vec![3];
        let DomainError::Invalid(errs) = r.expand().unwrap_err() else { panic!() };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["days", "pattern", "checkpoints"]);
    }

    #[test]
    fn a_small_roster_is_filled_within_the_rules() {
        let problem = tiny().expand().unwrap();
        let solution = solve(&problem, Duration::from_millis(50), 1);
        assert_eq!(problem.score(&solution.roster), Ok(solution.objective));
        assert!(solution.unfilled.is_empty(), "{:?}", solution.unfilled);
        // Every place filled with a party member on each shift, no one on two nights, the one
        // who avoids nights not on one (that would cost 5), nobody away from home: the optimum is 0.
        assert_eq!(solution.objective, 0);
        for (s, members) in solution.roster.iter().enumerate() {
            assert!(members.iter().any(|&p| p != 5), "shift {s} lacks a party member");
        }
    }

    #[test]
    fn rest_and_limits_hold_and_shortfalls_say_why() {
        let mut r = tiny();
        r.rules.max_shifts = 1;
        r.people.truncate(3);
        r.people[0].unavailable_days = vec![0, 1];
        r.people[1].party = false;
        r.people[2].party = false;
        let problem = r.expand().unwrap();
        let solution = solve(&problem, Duration::from_millis(20), 7);
        assert_eq!(problem.score(&solution.roster), Ok(solution.objective));
        // Two people, one shift each: two places of ten are filled, and no shift has the party
        // member it needs, because the only one is away both days.
        let filled: usize = solution.roster.iter().map(Vec::len).sum();
        assert_eq!(filled, 2);
        assert_eq!(solution.unfilled.len(), 6);
        assert!(solution.unfilled.iter().all(|u| u.reason == Shortfall::NoPartyMember));
        let missing: u32 = solution.unfilled.iter().map(|u| u.missing).sum();
        assert_eq!(missing, 8 + 6);
    }

    #[test]
    fn score_refuses_rosters_that_break_hard_rules() {
        let problem = tiny().expand().unwrap();
        let mut roster = vec![Vec::new(); problem.shifts.len()];
        roster[0] = vec![0];
        roster[1] = vec![0, 2];
        assert!(problem.score(&roster).unwrap_err().contains("conflicting"));
        roster[1] = vec![2, 3, 4];
        assert!(problem.score(&roster).unwrap_err().contains("headcount"));
    }

    #[test]
    fn local_search_improves_on_the_greedy_start() {
        let problem = synthetic(10, 75, 7, 3).expand().unwrap();
        let quick = solve(&problem, Duration::ZERO, 5);
        let longer = solve(&problem, Duration::from_millis(300), 5);
        assert_eq!(problem.score(&quick.roster), Ok(quick.objective));
        assert_eq!(problem.score(&longer.roster), Ok(longer.objective));
        assert!(longer.objective <= quick.objective);
        assert!(longer.objective < problem.worst() / 10);
    }

    #[test]
    fn streaks_of_consecutive_days_are_found() {
        let d = |n: i64| NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() + chrono::Duration::days(n);
        let mut days: Vec<(i64, NaiveDate)> = (0..12).map(|n| (1, d(n))).collect();
        days.extend([(2, d(0)), (2, d(1)), (2, d(3))]);
        days.extend((0..5).map(|n| (3, d(n))));
        assert_eq!(long_streaks(&days, 10), vec![(1, 12, d(0))]);
        assert_eq!(long_streaks(&days, 5), vec![(1, 12, d(0)), (3, 5, d(0))]);
    }
}
