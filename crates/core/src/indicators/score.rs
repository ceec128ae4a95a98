//! Scoring: a subject's records are tallied into the scheme's measures ([`Tally`], additive, so a
//! township's tally is the sum of its villages' and a rollup is exact), then [`Scheme::score`]
//! turns a tally into points, vetoes, stars and the laggard flag, every number kept so the score
//! explains itself. [`rank`] orders a list and applies the scheme's star quota per parent.

use serde::Serialize;

use super::formula::Measure;
use super::scheme::{MAX_STARS, NotApplicable, Scheme, StarMode};
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
    /// The formula's value (0 when not applicable).
    pub value: f64,
    pub points: f64,
    /// False when there was nothing to measure (不适用): a rate of nothing asked.
    pub applicable: bool,
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
    /// What each applicable indicator's weight was multiplied by: more than 1 when indicators
    /// with nothing to measure were excluded and the others scaled up to the whole.
    pub weight_scale: f64,
    /// False when the period holds no record the scheme reads for this subject (无数据): it is
    /// then not scored (0, no stars, not a laggard) and ranks after every subject that was.
    pub measured: bool,
}

/// Two decimals, the precision scores are shown and compared in; each line is rounded so the
/// lines shown add up to the total shown.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Which part of a scheme a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Indicator,
    Bonus,
    Deduction,
    Veto,
}

/// What a score comes to, without its lines: what a ranking of a whole tree needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub points: f64,
    pub total: f64,
    pub reset: bool,
    pub laggard: bool,
    pub stars: u8,
    /// For stars by domain: which domains earned their star.
    pub domain_stars: [bool; MAX_STARS],
    /// See [`Score::weight_scale`].
    pub weight_scale: f64,
    /// See [`Score::measured`].
    pub measured: bool,
}

impl Scheme {
    /// A fresh tally for this scheme over a period of `days` days.
    pub fn tally(&self, days: f64) -> Tally {
        Tally { days, ..Tally::new(self.measures.len()) }
    }

    /// The one evaluation every score comes from: each line's value and points go to `line`
    /// (section, position in that section, value, points; vetoes only when they fire). A value
    /// is NaN when the line is not applicable.
    fn evaluate(&self, tally: &Tally, rollup: bool, mut line: impl FnMut(Section, usize, f64, f64)) -> Summary {
        let mut sum = 0.0;
        let (mut domain_got, mut domain_weight) = ([0.0; MAX_STARS], [0.0; MAX_STARS]);
        let values: Vec<f64> = self.indicators.iter().map(|c| c.expr.eval(tally)).collect();
        let weight_scale = self.weight_scale(&values);
        for (k, (c, &value)) in self.indicators.iter().zip(&values).enumerate() {
            let (weight, points) = if value.is_nan() {
                match self.def.not_applicable {
                    NotApplicable::Exclude => (0.0, 0.0),
                    NotApplicable::Full => (c.def.weight, c.def.weight),
                    NotApplicable::Zero => (c.def.weight, 0.0),
                }
            } else {
                let weight = c.def.weight * weight_scale;
                (weight, round2(weight * (value / c.def.target).clamp(0.0, 1.0)))
            };
            line(Section::Indicator, k, if value.is_nan() { value } else { round2(value) }, points);
            sum += points;
            if let Some(d) = self.indicator_domain.get(k).copied().flatten().filter(|d| *d < MAX_STARS) {
                domain_got[d] += points;
                domain_weight[d] += weight;
            }
        }
        for (section, list, sign) in
            [(Section::Bonus, &self.bonuses, 1.0), (Section::Deduction, &self.deductions, -1.0)]
        {
            for (k, c) in list.iter().enumerate() {
                let value = c.expr.eval(tally);
                if value.is_nan() {
                    line(section, k, value, 0.0);
                    continue;
                }
                let points = round2((c.def.points * value).clamp(0.0, c.def.cap));
                line(section, k, round2(value), points);
                sum += sign * points;
            }
        }
        let (mut fired, mut reset) = (false, false);
        // A veto belongs to the subject it happened in: a roll-up (a township, the county) is not
        // made a laggard or reset by one village's case.
        for (k, c) in self.vetoes.iter().enumerate().filter(|_| !rollup) {
            let value = c.expr.eval(tally);
            if value >= c.def.at_least {
                fired = true;
                reset |= c.def.reset;
                line(Section::Veto, k, round2(value), 0.0);
            }
        }
        // Nothing recorded at all is no data, not a score: neither full marks nor a laggard.
        let measured = tally.measures.iter().any(|m| *m != 0.0);
        let points = if measured { round2(sum.max(0.0)) } else { 0.0 };
        let total = if reset { 0.0 } else { points };
        let laggard = measured && (fired || self.def.laggard_below.is_some_and(|l| total < l));
        let mut domain_stars = [false; MAX_STARS];
        let stars = match self.def.stars.mode {
            StarMode::Bands if !measured => 0,
            StarMode::Bands => self.def.stars.bands.iter().filter(|b| total >= **b).count(),
            StarMode::Domains => {
                for d in 0..self.domains.len().min(MAX_STARS) {
                    domain_stars[d] = measured
                        && domain_weight[d] > 0.0
                        && domain_got[d] >= domain_weight[d] * self.def.stars.domain_share - 1e-9;
                }
                domain_stars.iter().filter(|s| **s).count()
            }
        };
        let stars = if laggard { 0 } else { u8::try_from(stars).unwrap_or(u8::MAX) };
        Summary { points, total, reset, laggard, stars, domain_stars, weight_scale, measured }
    }

    /// What the applicable indicators' weights are multiplied by, given every indicator's value
    /// (NaN: not applicable): with `exclude`, the whole weight over the applicable weight, so
    /// that the indicators still add up to the same full marks; otherwise 1. When nothing at
    /// all is applicable there is nothing to scale (and the indicators earn nothing).
    pub fn weight_scale(&self, values: &[f64]) -> f64 {
        if self.def.not_applicable != NotApplicable::Exclude {
            return 1.0;
        }
        let whole: f64 = self.indicators.iter().map(|c| c.def.weight).sum();
        let applicable: f64 =
            self.indicators.iter().zip(values).filter(|(_, v)| !v.is_nan()).map(|(c, _)| c.def.weight).sum();
        if applicable > 0.0 { whole / applicable } else { 1.0 }
    }

    /// What a tally comes to, without building its lines (rankings of whole trees).
    pub fn summary(&self, tally: &Tally) -> Summary {
        self.evaluate(tally, false, |_, _, _, _| {})
    }

    /// Scores one subject's tally, every line kept so the score explains itself.
    pub fn score(&self, tally: &Tally) -> Score {
        self.score_lines(tally, false)
    }

    /// Scores a roll-up (a group of subjects, or the whole subtree) like a subject, except that
    /// vetoes do not fire: they make the subject they happened in a laggard, not its township.
    pub fn score_rollup(&self, tally: &Tally) -> Score {
        self.score_lines(tally, true)
    }

    fn score_lines(&self, tally: &Tally, rollup: bool) -> Score {
        let (mut indicators, mut bonuses, mut deductions, mut vetoes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let summary = self.evaluate(tally, rollup, |section, k, value, points| {
            let (list, code) = match section {
                Section::Indicator => (&mut indicators, &self.indicators[k].def.code),
                Section::Bonus => (&mut bonuses, &self.bonuses[k].def.code),
                Section::Deduction => (&mut deductions, &self.deductions[k].def.code),
                Section::Veto => (&mut vetoes, &self.vetoes[k].def.code),
            };
            let applicable = !value.is_nan();
            list.push(Line { code: code.clone(), value: if applicable { value } else { 0.0 }, points, applicable });
        });
        Score {
            indicators,
            bonuses,
            deductions,
            vetoes,
            points: summary.points,
            total: summary.total,
            reset: summary.reset,
            laggard: summary.laggard,
            stars: summary.stars,
            domain_stars: summary.domain_stars[..self.domains.len().min(MAX_STARS)].to_vec(),
            capped_by_quota: false,
            weight_scale: summary.weight_scale,
            measured: summary.measured,
        }
    }
}

/// Orders scores best first — subjects with data before those without (无数据), organisations
/// that are not laggards before those that are, then by total — and gives each its rank (equal
/// standing shares a rank: 1, 2, 2, 4; the subjects without data share the rank after the last
/// one with data). Returns, for each position in the ranking, the index into `scores` and the rank.
pub fn rank(scores: &[Score]) -> Vec<(usize, usize)> {
    let standing = |s: &Score| (!s.measured, s.laggard);
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&scores[a], &scores[b]);
        standing(x).cmp(&standing(y)).then(y.total.total_cmp(&x.total)).then(a.cmp(&b))
    });
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(order.len());
    for (pos, &i) in order.iter().enumerate() {
        let same_as_previous = out.last().is_some_and(|&(j, _)| {
            standing(&scores[j]) == standing(&scores[i]) && (scores[j].total == scores[i].total || !scores[i].measured)
        });
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
                .then((!x.measured, x.laggard).cmp(&(!y.measured, y.laggard)))
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

/// Where a subject stands, as every page, bulletin and export names it: one rule, decided here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The period holds no record for it (无数据): not scored, ranked last.
    NoData,
    /// A laggard (后进), whatever its stars.
    Laggard,
    /// Scored, with this many stars.
    Stars(u8),
}

impl Standing {
    /// The standing of a subject from what its score came to.
    pub fn of(measured: bool, laggard: bool, stars: u8) -> Standing {
        if !measured {
            Standing::NoData
        } else if laggard {
            Standing::Laggard
        } else {
            Standing::Stars(stars)
        }
    }

    /// Whether the subject has a rank to show (subjects without data show "—").
    pub fn ranked(self) -> bool {
        self != Standing::NoData
    }
}

impl Score {
    /// Where this score leaves its subject.
    pub fn standing(&self) -> Standing {
        Standing::of(self.measured, self.laggard, self.stars)
    }
}

#[cfg(test)]
mod standing_tests {
    use super::Standing;

    #[test]
    fn no_data_comes_before_laggard_and_laggard_before_stars() {
        assert_eq!(Standing::of(false, true, 3), Standing::NoData);
        assert_eq!(Standing::of(true, true, 3), Standing::Laggard);
        assert_eq!(Standing::of(true, false, 3), Standing::Stars(3));
        assert!(!Standing::NoData.ranked() && Standing::Laggard.ranked());
    }
}
