//! Scoring: a subject's records are tallied into the scheme's measures ([`Tally`], additive, so a
//! township's tally is the sum of its villages' and a rollup is exact), then [`Scheme::score`]
//! turns a tally into points, vetoes, stars and the laggard flag, every number kept so the score
//! explains itself. [`rank`] orders a list and applies the scheme's star quota per parent.

use serde::Serialize;

use super::formula::Measure;
use super::scheme::{Scheme, StarMode};
use crate::records::RecordKind;

/// A subject's measures over a period, plus its party members (for per-member indicators) and the
/// period's length in days (for per-day rates).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tally {
    pub measures: Vec<f64>,
    pub members: f64,
    pub days: f64,
}

impl Tally {
    pub fn new(measures: usize) -> Self {
        Self { measures: vec![0.0; measures], members: 0.0, days: 1.0 }
    }

    /// Adds another subject's tally (rolling a child up into its parent); the period stays.
    pub fn absorb(&mut self, other: &Tally) {
        for (a, b) in self.measures.iter_mut().zip(&other.measures) {
            *a += b;
        }
        self.members += other.members;
    }
}

/// Routes records to the measures that read them: built once per scheme, then used for every record.
#[derive(Debug, Clone)]
pub struct Tallier {
    measures: Vec<Measure>,
    by_kind: Vec<Vec<usize>>,
}

impl Tallier {
    pub fn new(measures: &[Measure]) -> Self {
        let mut by_kind = vec![Vec::new(); RecordKind::ALL.len()];
        for (i, m) in measures.iter().enumerate() {
            by_kind[m.kind.index()].push(i);
        }
        Self { measures: measures.to_vec(), by_kind }
    }

    /// Whether records of this kind matter to the scheme at all.
    pub fn reads(&self, kind: RecordKind) -> bool {
        !self.by_kind[kind.index()].is_empty()
    }

    /// Adds `count` records of `kind` with `value` from `source` to a tally.
    pub fn add(&self, tally: &mut [f64], kind: RecordKind, value: i64, source: &str, count: i64) {
        for &i in &self.by_kind[kind.index()] {
            let m = &self.measures[i];
            if m.accepts(value, source) {
                tally[i] += m.contribution(value, count);
            }
        }
    }
}

/// One line of a score: an indicator, an item or a veto, with the formula's value and its points.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub code: String,
    pub value: f64,
    pub points: f64,
}

/// A subject's score with everything that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Score {
    pub indicators: Vec<Line>,
    pub bonuses: Vec<Line>,
    pub deductions: Vec<Line>,
    /// The vetoes that fired (value reached `at_least`).
    pub vetoes: Vec<Line>,
    /// Indicators + bonuses − deductions, not below zero, before any reset.
    pub points: f64,
    /// The score: `points`, or 0 when a veto with `reset` fired.
    pub total: f64,
    pub reset: bool,
    pub laggard: bool,
    pub stars: u8,
    /// For stars by domain: which domains earned their star, in the scheme's domain order.
    pub domain_stars: Vec<bool>,
    /// One star was taken away because the parent's quota of top stars was used by higher-ranked subjects.
    pub capped_by_quota: bool,
}

/// Two decimals, the precision scores are shown and compared in; each line is rounded so the
/// lines shown add up to the total shown.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Scheme {
    /// A fresh tally for this scheme over a period of `days` days.
    pub fn tally(&self, days: f64) -> Tally {
        Tally { days, ..Tally::new(self.measures.len()) }
    }

    /// Scores one tally.
    pub fn score(&self, tally: &Tally) -> Score {
        let indicators: Vec<Line> = self
            .indicators
            .iter()
            .map(|c| {
                let value = c.expr.eval(tally);
                let share = (value / c.def.target).clamp(0.0, 1.0);
                Line { code: c.def.code.clone(), value: round2(value), points: round2(c.def.weight * share) }
            })
            .collect();
        let items = |list: &[super::scheme::Compiled<super::scheme::ItemDef>]| -> Vec<Line> {
            list.iter()
                .map(|c| {
                    let value = c.expr.eval(tally);
                    let points = (c.def.points * value).clamp(0.0, c.def.cap);
                    Line { code: c.def.code.clone(), value: round2(value), points: round2(points) }
                })
                .collect()
        };
        let bonuses = items(&self.bonuses);
        let deductions = items(&self.deductions);
        let vetoes: Vec<Line> = self
            .vetoes
            .iter()
            .filter_map(|c| {
                let value = c.expr.eval(tally);
                (value >= c.def.at_least).then(|| Line { code: c.def.code.clone(), value: round2(value), points: 0.0 })
            })
            .collect();
        let sum = |lines: &[Line]| lines.iter().map(|l| l.points).sum::<f64>();
        let points = round2((sum(&indicators) + sum(&bonuses) - sum(&deductions)).max(0.0));
        let reset = vetoes.iter().any(|v| self.vetoes.iter().any(|c| c.def.code == v.code && c.def.reset));
        let total = if reset { 0.0 } else { points };
        let laggard = !vetoes.is_empty() || self.def.laggard_below.is_some_and(|l| total < l);
        let mut domain_stars = Vec::new();
        let stars = match self.def.stars.mode {
            StarMode::Bands => self.def.stars.bands.iter().filter(|b| total >= **b).count(),
            StarMode::Domains => {
                for d in &self.domains {
                    let (mut got, mut weight) = (0.0, 0.0);
                    for (c, line) in self.indicators.iter().zip(&indicators) {
                        if c.def.domain.as_deref().map(str::trim) == Some(d.as_str()) {
                            got += line.points;
                            weight += c.def.weight;
                        }
                    }
                    domain_stars.push(weight > 0.0 && got >= weight * self.def.stars.domain_share - 1e-9);
                }
                domain_stars.iter().filter(|s| **s).count()
            }
        };
        let stars = if laggard { 0 } else { u8::try_from(stars).unwrap_or(u8::MAX) };
        Score {
            indicators,
            bonuses,
            deductions,
            vetoes,
            points,
            total,
            reset,
            laggard,
            stars,
            domain_stars,
            capped_by_quota: false,
        }
    }
}

/// Orders scores best first — organisations that are not laggards before those that are, then by
/// total — and gives each its rank (equal totals share a rank: 1, 2, 2, 4). Returns, for each
/// position in the ranking, the index into `scores` and the rank.
pub fn rank(scores: &[Score]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&scores[a], &scores[b]);
        x.laggard.cmp(&y.laggard).then(y.total.total_cmp(&x.total)).then(a.cmp(&b))
    });
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(order.len());
    for (pos, &i) in order.iter().enumerate() {
        let same_as_previous = out
            .last()
            .is_some_and(|&(j, _)| scores[j].laggard == scores[i].laggard && scores[j].total == scores[i].total);
        let r = if same_as_previous { out[pos - 1].1 } else { pos + 1 };
        out.push((i, r));
    }
    out
}

impl Scheme {
    /// Applies the star quota: among the subjects that share a parent (`parents[i]` for
    /// `scores[i]`), at most ⌊n × percent ÷ 100⌋ keep `quota.stars` stars or more, best ranked
    /// first; the others lose one star and are marked `capped_by_quota`.
    pub fn apply_quota(&self, scores: &mut [Score], parents: &[i64]) {
        let Some(q) = &self.def.quota else { return };
        let mut order: Vec<usize> = (0..scores.len().min(parents.len())).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&scores[a], &scores[b]);
            parents[a]
                .cmp(&parents[b])
                .then(x.laggard.cmp(&y.laggard))
                .then(y.total.total_cmp(&x.total))
                .then(a.cmp(&b))
        });
        for group in order.chunk_by(|&a, &b| parents[a] == parents[b]) {
            let allowed = (group.len() as f64 * q.percent / 100.0 + 1e-9).floor() as usize;
            let mut holding = 0;
            for &i in group {
                let s = &mut scores[i];
                if s.stars >= q.stars {
                    if holding < allowed {
                        holding += 1;
                    } else {
                        s.stars = q.stars - 1;
                        s.capped_by_quota = true;
                    }
                }
            }
        }
    }
}
