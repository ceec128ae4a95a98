//! Typed pairing (四联四促, 结对共建, 百名局长挂百企): the optimal assignment of one set of parties
//! ("left": organ party organisations, cadres, teams) to another ("right": villages, enterprises,
//! chambers of commerce), under rules that say which kind suits which (党群机关↔弱村, 政法部门↔乱村,
//! 经济部门↔穷村, 涉农部门↔产业村), with costs for distance and existing load, pairs fixed by hand,
//! and a capacity per left party (one cadre may serve several enterprises).
//!
//! The solver is the shortest augmenting path algorithm (Crouse 2016, the one scipy's
//! `linear_sum_assignment` uses) on a dense matrix with at least as many columns as rows (a taller
//! instance is transposed), after a row reduction that settles every row whose cheapest column is
//! still free. Jonker–Volgenant with its column reduction was tried first and measured slower on
//! all three cost families of `frontline bench pair` (see docs/pairing.md).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A dense cost matrix, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct CostMatrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl CostMatrix {
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self, DomainError> {
        if data.len() != rows * cols || data.iter().any(|c| !c.is_finite()) {
            return Err(DomainError::invalid("costs", "error.pairing.bad_costs"));
        }
        Ok(Self { rows, cols, data })
    }

    pub fn from_fn(rows: usize, cols: usize, mut cost: impl FnMut(usize, usize) -> f64) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(cost(i, j));
            }
        }
        Self { rows, cols, data }
    }

    pub fn at(&self, row: usize, col: usize) -> f64 {
        self.data[row * self.cols + col]
    }
}

/// An optimal assignment: for each row, the column it got (`None` where there were more rows
/// than columns), and the total cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub row_to_col: Vec<Option<usize>>,
    pub total: f64,
}

/// Solves the linear assignment problem: every row gets at most one column, every column at most
/// one row, `min(rows, cols)` pairs in all, with the least total cost.
pub fn solve(m: &CostMatrix) -> Assignment {
    if m.rows == 0 || m.cols == 0 {
        return Assignment { row_to_col: vec![None; m.rows], total: 0.0 };
    }
    let row_to_col: Vec<Option<usize>> = if m.rows <= m.cols {
        sap(m.rows, m.cols, &m.data).into_iter().map(Some).collect()
    } else {
        // More rows than columns: solve the transpose, where every (former) column is assigned.
        let t = transpose(m);
        let mut out = vec![None; m.rows];
        for (j, i) in sap(m.cols, m.rows, &t).into_iter().enumerate() {
            out[i] = Some(j);
        }
        out
    };
    let total = row_to_col.iter().enumerate().filter_map(|(i, j)| j.map(|j| m.at(i, j))).sum();
    Assignment { row_to_col, total }
}

const NONE: usize = usize::MAX;

/// The transpose of a matrix, in tiles so that reads and writes both stay in cache.
fn transpose(m: &CostMatrix) -> Vec<f64> {
    const TILE: usize = 32;
    let (rows, cols) = (m.rows, m.cols);
    let mut t = vec![0.0; m.data.len()];
    for i0 in (0..rows).step_by(TILE) {
        for j0 in (0..cols).step_by(TILE) {
            for i in i0..(i0 + TILE).min(rows) {
                let src = &m.data[i * cols..(i + 1) * cols];
                for j in j0..(j0 + TILE).min(cols) {
                    t[j * rows + i] = src[j];
                }
            }
        }
    }
    t
}

/// Shortest augmenting path (Crouse 2016, as scipy does it) on `nr × nc` with `nr <= nc`,
/// row by row from row and column duals at zero; returns the column of each row.
fn sap(nr: usize, nc: usize, cost: &[f64]) -> Vec<usize> {
    let mut u = vec![0.0f64; nr];
    let mut v = vec![0.0f64; nc];
    let mut shortest = vec![f64::INFINITY; nc];
    let mut path = vec![NONE; nc];
    let mut col4row = vec![NONE; nr];
    let mut row4col = vec![NONE; nc];
    let mut in_rows = vec![false; nr];
    let mut in_cols = vec![false; nc];
    let mut remaining = vec![0usize; nc];
    let mut visited_rows: Vec<usize> = Vec::with_capacity(nr);
    let mut visited_cols: Vec<usize> = Vec::with_capacity(nc);
    // Row reduction: each row's least cost is its dual, and a row takes a cheapest column that is
    // still free (a tight edge, so the duals stay optimal for the rows assigned so far). Among
    // equal costs a free column is preferred, which settles most rows of tie-heavy instances.
    for i in 0..nr {
        let row = &cost[i * nc..(i + 1) * nc];
        let (mut best, mut at) = (f64::INFINITY, NONE);
        for (j, (&c, &owner)) in row.iter().zip(row4col.iter()).enumerate() {
            if c < best || (c == best && owner == NONE && at != NONE && row4col[at] != NONE) {
                best = c;
                at = j;
            }
        }
        u[i] = best;
        if at != NONE && row4col[at] == NONE {
            row4col[at] = i;
            col4row[i] = at;
        }
    }
    for cur in 0..nr {
        if col4row[cur] != NONE {
            continue;
        }
        let mut min_val = 0.0f64;
        let mut n_rem = nc;
        for (k, r) in remaining.iter_mut().enumerate() {
            *r = nc - 1 - k;
        }
        shortest.fill(f64::INFINITY);
        let mut i = cur;
        let sink = loop {
            in_rows[i] = true;
            visited_rows.push(i);
            let row = &cost[i * nc..(i + 1) * nc];
            let h = min_val - u[i];
            let mut lowest = f64::INFINITY;
            let mut index = NONE;
            for (it, &j) in remaining[..n_rem].iter().enumerate() {
                let r = h + row[j] - v[j];
                let sj = &mut shortest[j];
                if r < *sj {
                    path[j] = i;
                    *sj = r;
                }
                if *sj < lowest || (*sj == lowest && row4col[j] == NONE) {
                    lowest = *sj;
                    index = it;
                }
            }
            min_val = lowest;
            let j = remaining[index];
            in_cols[j] = true;
            visited_cols.push(j);
            n_rem -= 1;
            remaining[index] = remaining[n_rem];
            if row4col[j] == NONE {
                break j;
            }
            i = row4col[j];
        };
        u[cur] += min_val;
        for &i in &visited_rows {
            if i != cur {
                u[i] += min_val - shortest[col4row[i]];
            }
            in_rows[i] = false;
        }
        for &j in &visited_cols {
            v[j] -= min_val - shortest[j];
            in_cols[j] = false;
        }
        visited_rows.clear();
        visited_cols.clear();
        let mut j = sink;
        loop {
            let i = path[j];
            row4col[j] = i;
            let prev = std::mem::replace(&mut col4row[i], j);
            if i == cur {
                break;
            }
            j = prev;
        }
    }
    col4row
}

/// One side of a pairing: a unit or a person, with what the rules and costs need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub id: i64,
    pub name: String,
    /// Kinds of this party for the suitability rules: an organ's 党群/政法/经济/涉农, a village's
    /// 弱村/乱村/穷村/产业村 tags.
    pub kinds: Vec<String>,
    /// Latitude and longitude of the seat, where known.
    pub position: Option<(f64, f64)>,
    /// Materialised path in the unit tree, used for a distance when positions are unknown.
    pub path: Option<String>,
    /// How many right parties this one may take (left side only; 1 for one-to-one).
    pub capacity: u32,
    /// Pairs this party already carries (its existing load).
    pub load: u32,
}

/// Which left kind suits which right kind, and the weights of the cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairingRules {
    /// (left kind, right kind) pairs that suit each other.
    pub suits: Vec<(String, String)>,
    /// Added to the cost of a pair whose kinds do not suit (a pair is never forbidden, so that
    /// everyone can be paired; the rule decides unless distance says otherwise).
    pub mismatch_cost: f64,
    /// Cost per kilometre between seats.
    pub per_km: f64,
    /// Cost per existing pair the left party carries.
    pub per_load: f64,
}

impl Default for PairingRules {
    /// The four pairings of 四联四促 (001.2).
    fn default() -> Self {
        let suits =
            [("party_mass", "weak"), ("legal", "disorderly"), ("economic", "poor"), ("agricultural", "industry")];
        Self {
            suits: suits.iter().map(|(l, r)| (l.to_string(), r.to_string())).collect(),
            mismatch_cost: 100.0,
            per_km: 1.0,
            per_load: 10.0,
        }
    }
}

/// Organ kinds the default rules know (unit tags on departments and party organisations).
pub const ORGAN_KINDS: [&str; 4] = ["party_mass", "legal", "economic", "agricultural"];

impl PairingRules {
    pub fn validate(&self) -> Result<(), DomainError> {
        let ok = [self.mismatch_cost, self.per_km, self.per_load].iter().all(|w| w.is_finite() && *w >= 0.0);
        if !ok {
            return Err(DomainError::invalid("rules", "error.pairing.bad_weights"));
        }
        Ok(())
    }

    pub fn suits(&self, left: &Party, right: &Party) -> bool {
        self.suits.iter().any(|(l, r)| left.kinds.iter().any(|k| k == l) && right.kinds.iter().any(|k| k == r))
    }

    /// Kilometres between two seats: great-circle where both positions are known, otherwise an
    /// estimate from the tree (8 km per level that the two paths do not share, 0 when unknown).
    pub fn distance_km(left: &Party, right: &Party) -> f64 {
        match (left.position, right.position, &left.path, &right.path) {
            (Some(a), Some(b), _, _) => haversine_km(a, b),
            (_, _, Some(a), Some(b)) => {
                let a = crate::units::path_ids(a);
                let b = crate::units::path_ids(b);
                let shared = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
                8.0 * ((a.len() - shared) + (b.len() - shared)) as f64 / 2.0
            }
            _ => 0.0,
        }
    }

    pub fn cost(&self, left: &Party, right: &Party) -> f64 {
        let mismatch = if self.suits(left, right) { 0.0 } else { self.mismatch_cost };
        self.per_km * Self::distance_km(left, right) + self.per_load * left.load as f64 + mismatch
    }
}

/// Great-circle distance in kilometres between two (latitude, longitude) points.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// A proposed pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedPair {
    pub left_id: i64,
    pub right_id: i64,
    pub cost: f64,
    /// The kinds suit each other by the rules.
    pub suits: bool,
    pub distance_km: f64,
    /// Fixed by hand rather than chosen by the engine.
    pub fixed: bool,
}

/// Why a right party was left without a partner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unpaired {
    pub right_id: i64,
    /// `error.pairing.no_capacity` (every left party is full) is the only cause: the engine pairs
    /// everyone it can.
    pub reason: String,
    /// The left party that would have suited it best, and the party it went to instead.
    pub best_left_id: Option<i64>,
    pub best_left_took: Option<i64>,
}

/// The engine's proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub pairs: Vec<ProposedPair>,
    pub unpaired: Vec<Unpaired>,
    pub total_cost: f64,
    /// Pairs whose kinds suit each other, of all pairs.
    pub suited: usize,
}

/// Proposes the optimal pairing of `left` to `right`: every right party gets at most one left
/// party, every left party at most its capacity less its fixed pairs, least total cost.
pub fn propose(
    left: &[Party],
    right: &[Party],
    rules: &PairingRules,
    fixed: &[(i64, i64)],
) -> Result<Proposal, DomainError> {
    rules.validate()?;
    let left_at: HashMap<i64, usize> = left.iter().enumerate().map(|(k, p)| (p.id, k)).collect();
    let right_at: HashMap<i64, usize> = right.iter().enumerate().map(|(k, p)| (p.id, k)).collect();
    if left_at.len() != left.len() || right_at.len() != right.len() {
        return Err(DomainError::invalid("parties", "error.pairing.duplicate_party"));
    }
    let mut used = vec![0u32; left.len()];
    let mut taken: HashSet<usize> = HashSet::new();
    let mut pairs = Vec::new();
    for (l, r) in fixed {
        let (Some(&li), Some(&ri)) = (left_at.get(l), right_at.get(r)) else {
            return Err(DomainError::invalid("fixed", "error.pairing.unknown_fixed"));
        };
        if !taken.insert(ri) {
            return Err(DomainError::invalid("fixed", "error.pairing.fixed_twice"));
        }
        used[li] += 1;
        if used[li] > left[li].capacity.max(1) {
            return Err(DomainError::invalid("fixed", "error.pairing.over_capacity"));
        }
        pairs.push(pair_of(rules, &left[li], &right[ri], true));
    }
    // One row per free place of a left party, one column per right party not fixed.
    let rows: Vec<usize> = (0..left.len())
        .flat_map(|li| std::iter::repeat_n(li, left[li].capacity.max(1).saturating_sub(used[li]) as usize))
        .collect();
    let cols: Vec<usize> = (0..right.len()).filter(|ri| !taken.contains(ri)).collect();
    let matrix = CostMatrix::from_fn(rows.len(), cols.len(), |r, c| rules.cost(&left[rows[r]], &right[cols[c]]));
    let solved = solve(&matrix);
    let mut got: HashMap<usize, usize> = HashMap::new();
    for (r, c) in solved.row_to_col.iter().enumerate() {
        if let Some(c) = c {
            got.insert(cols[*c], rows[r]);
            pairs.push(pair_of(rules, &left[rows[r]], &right[cols[*c]], false));
        }
    }
    let mut unpaired = Vec::new();
    for &ri in &cols {
        if got.contains_key(&ri) {
            continue;
        }
        let best = (0..left.len())
            .min_by(|&a, &b| rules.cost(&left[a], &right[ri]).total_cmp(&rules.cost(&left[b], &right[ri])));
        let took = best.and_then(|b| got.iter().filter(|(_, l)| **l == b).map(|(r, _)| right[*r].id).min());
        unpaired.push(Unpaired {
            right_id: right[ri].id,
            reason: "error.pairing.no_capacity".into(),
            best_left_id: best.map(|b| left[b].id),
            best_left_took: took,
        });
    }
    pairs.sort_by_key(|p| (p.left_id, p.right_id));
    let total_cost = pairs.iter().map(|p| p.cost).sum();
    let suited = pairs.iter().filter(|p| p.suits).count();
    Ok(Proposal { pairs, unpaired, total_cost, suited })
}

fn pair_of(rules: &PairingRules, l: &Party, r: &Party, fixed: bool) -> ProposedPair {
    ProposedPair {
        left_id: l.id,
        right_id: r.id,
        cost: rules.cost(l, r),
        suits: rules.suits(l, r),
        distance_km: PairingRules::distance_km(l, r),
        fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The least total cost by trying every assignment (small instances only).
    fn brute_force(m: &CostMatrix) -> f64 {
        fn go(m: &CostMatrix, row: usize, used: &mut Vec<bool>, left: usize) -> f64 {
            if row == m.rows || left == 0 {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            // A row may stay unassigned only when there are more rows than columns.
            if m.rows - row > left {
                best = go(m, row + 1, used, left);
            }
            for j in 0..m.cols {
                if !used[j] {
                    used[j] = true;
                    best = best.min(m.at(row, j) + go(m, row + 1, used, left - 1));
                    used[j] = false;
                }
            }
            best
        }
        go(m, 0, &mut vec![false; m.cols], m.rows.min(m.cols))
    }

    fn random_matrix(seed: u64, rows: usize, cols: usize, max: u64) -> CostMatrix {
        let mut rng = crate::demo::Rng::new(seed);
        CostMatrix::from_fn(rows, cols, |_, _| rng.below(max) as f64)
    }

    fn check_valid(m: &CostMatrix, a: &Assignment) {
        let assigned: Vec<usize> = a.row_to_col.iter().flatten().copied().collect();
        assert_eq!(assigned.len(), m.rows.min(m.cols));
        let distinct: HashSet<usize> = assigned.iter().copied().collect();
        assert_eq!(distinct.len(), assigned.len(), "a column was given twice");
        let sum: f64 = a.row_to_col.iter().enumerate().filter_map(|(i, j)| j.map(|j| m.at(i, j))).sum();
        assert!((sum - a.total).abs() < 1e-9);
    }

    #[test]
    fn matches_brute_force_on_small_instances_of_every_shape() {
        for seed in 0..300u64 {
            let rows = 1 + (seed % 7) as usize;
            let cols = 1 + ((seed / 7) % 7) as usize;
            // Small integer costs have many ties, which is where JV implementations go wrong.
            let max = if seed % 2 == 0 { 4 } else { 1000 };
            let m = random_matrix(seed, rows, cols, max);
            let a = solve(&m);
            check_valid(&m, &a);
            assert_eq!(a.total, brute_force(&m), "seed {seed}, {rows}x{cols}");
        }
    }

    #[test]
    fn a_known_instance() {
        let m = CostMatrix::new(3, 3, vec![4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0]).unwrap();
        let a = solve(&m);
        assert_eq!(a.total, 5.0);
        assert_eq!(a.row_to_col, vec![Some(1), Some(0), Some(2)]);
    }

    #[test]
    fn larger_instances_are_valid_and_stable_under_transposition() {
        for (seed, rows, cols) in [(1u64, 120, 100), (2, 100, 120), (3, 150, 150)] {
            let m = random_matrix(seed, rows, cols, 10);
            let a = solve(&m);
            check_valid(&m, &a);
            let t = CostMatrix::from_fn(cols, rows, |i, j| m.at(j, i));
            assert_eq!(solve(&t).total, a.total);
        }
    }

    #[test]
    fn empty_and_bad_matrices() {
        assert_eq!(solve(&CostMatrix::from_fn(0, 5, |_, _| 1.0)).total, 0.0);
        assert!(CostMatrix::new(2, 2, vec![1.0, f64::NAN, 0.0, 0.0]).is_err());
        assert!(CostMatrix::new(2, 2, vec![1.0]).is_err());
    }

    fn party(id: i64, kinds: &[&str], capacity: u32, pos: (f64, f64)) -> Party {
        Party {
            id,
            name: format!("p{id}"),
            kinds: kinds.iter().map(|s| s.to_string()).collect(),
            position: Some(pos),
            path: None,
            capacity,
            load: 0,
        }
    }

    #[test]
    fn rules_pair_kinds_that_suit_each_other() {
        let rules = PairingRules::default();
        let organs = [party(1, &["legal"], 1, (28.0, 121.0)), party(2, &["party_mass"], 1, (28.0, 121.0))];
        let villages = [party(10, &["weak"], 1, (28.01, 121.0)), party(11, &["disorderly"], 1, (28.01, 121.0))];
        let p = propose(&organs, &villages, &rules, &[]).unwrap();
        let got: Vec<(i64, i64)> = p.pairs.iter().map(|x| (x.left_id, x.right_id)).collect();
        assert_eq!(got, vec![(1, 11), (2, 10)]);
        assert_eq!(p.suited, 2);
        assert!(p.unpaired.is_empty());
    }

    #[test]
    fn fixed_pairs_are_kept_and_capacity_is_honoured() {
        let rules = PairingRules::default();
        let cadres = [party(1, &[], 2, (28.0, 121.0)), party(2, &[], 1, (29.0, 121.0))];
        let firms: Vec<Party> = (0..4).map(|k| party(10 + k, &[], 1, (28.0 + 0.01 * k as f64, 121.0))).collect();
        let p = propose(&cadres, &firms, &rules, &[(2, 10)]).unwrap();
        assert_eq!(p.pairs.len(), 3, "capacities 2 + 1 = 3 pairs");
        assert!(p.pairs.iter().any(|x| x.left_id == 2 && x.right_id == 10 && x.fixed));
        assert_eq!(p.pairs.iter().filter(|x| x.left_id == 1).count(), 2);
        assert_eq!(p.unpaired.len(), 1);
        let u = &p.unpaired[0];
        assert_eq!(u.reason, "error.pairing.no_capacity");
        assert_eq!(u.best_left_id, Some(1), "cadre 1 sits nearest");
        assert!(u.best_left_took.is_some());
        // A fixed pair beyond capacity, or naming a stranger, is refused.
        assert!(propose(&cadres, &firms, &rules, &[(2, 10), (2, 11)]).is_err());
        assert!(propose(&cadres, &firms, &rules, &[(9, 10)]).is_err());
        assert!(propose(&cadres, &firms, &rules, &[(1, 10), (2, 10)]).is_err());
    }

    #[test]
    fn distances_from_positions_and_from_the_tree() {
        let d = haversine_km((28.0, 121.0), (28.0, 122.0));
        assert!((d - 98.2).abs() < 0.5, "{d}");
        let mut a = party(1, &[], 1, (0.0, 0.0));
        let mut b = party(2, &[], 1, (0.0, 0.0));
        a.position = None;
        b.position = None;
        a.path = Some(crate::units::child_path(Some(&crate::units::path_segment(1)), 2));
        b.path = Some(crate::units::child_path(Some(&crate::units::path_segment(1)), 3));
        assert_eq!(PairingRules::distance_km(&a, &b), 8.0);
    }

    #[test]
    fn bad_weights_are_refused() {
        let rules = PairingRules { per_km: -1.0, ..PairingRules::default() };
        assert!(propose(&[], &[], &rules, &[]).is_err());
    }
}
