//! Typed pairing (四联四促, 结对共建, 百名局长挂百企): the optimal assignment of one set of parties
//! ("left": organ party organisations, cadres, teams) to another ("right": villages, enterprises,
//! chambers of commerce), under rules that say which kind suits which (党群机关↔弱村, 政法部门↔乱村,
//! 经济部门↔穷村, 涉农部门↔产业村), with costs for distance and existing load, pairs fixed by hand,
//! and a capacity per left party (one cadre may serve several enterprises).
//!
//! The solver works on a dense matrix with at least as many columns as rows (a taller instance is
//! transposed): a row reduction settles every row whose cheapest column is still free; two passes of
//! Jonker–Volgenant augmenting row reduction, each within a budget of rounds, settle most of the
//! rest; the rows left are augmented one by one along shortest paths (Crouse 2016, the algorithm of
//! scipy's `linear_sum_assignment`). Plain shortest paths were measured 2.6× slower on uniform costs;
//! unbudgeted row reduction ten times slower on geometric costs (see docs/pairing.md).

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
    /// What the search keeps per column, together so that one scan step touches one place.
    #[derive(Clone, Copy)]
    struct Col {
        v: f64,
        shortest: f64,
        path: u32,
        owner: u32,
    }
    const FREE: u32 = u32::MAX;
    let mut u = vec![0.0f64; nr];
    let mut col = vec![Col { v: 0.0, shortest: f64::INFINITY, path: FREE, owner: FREE }; nc];
    let mut col4row = vec![NONE; nr];
    let mut remaining: Vec<u32> = vec![0; nc];
    let mut visited_rows: Vec<usize> = Vec::with_capacity(nr);
    let mut visited_cols: Vec<usize> = Vec::with_capacity(nc);
    // Row reduction: each row's least cost is its dual, and a row takes a cheapest column that is
    // still free (a tight edge, so the duals stay optimal for the rows assigned so far). Among
    // equal costs a free column is preferred, which settles most rows of tie-heavy instances.
    for i in 0..nr {
        let row = &cost[i * nc..(i + 1) * nc];
        let (mut best, mut at) = (f64::INFINITY, NONE);
        for (j, (&c, cj)) in row.iter().zip(col.iter()).enumerate() {
            if c < best || (c == best && cj.owner == FREE && at != NONE && col[at].owner != FREE) {
                best = c;
                at = j;
            }
        }
        u[i] = best;
        if at != NONE && col[at].owner == FREE {
            col[at].owner = i as u32;
            col4row[i] = at;
        }
    }
    // Augmenting row reduction (Jonker–Volgenant), twice: a free row takes its cheapest column,
    // lowering that column's dual by the gap to its second cheapest, and the row it displaces is
    // tried next. Duals only fall and only on columns that end up assigned, so free columns keep
    // a dual of zero, as the shortest-path phase needs.
    let mut free: Vec<usize> = (0..nr).filter(|&i| col4row[i] == NONE).collect();
    for _ in 0..2 {
        if free.is_empty() || nc < 2 {
            break;
        }
        let mut next_free = Vec::new();
        let (mut current, mut rounds) = (0usize, 0usize);
        // On geometric costs the reduction can chase one column round and round (a million
        // rounds for 667 free rows on the 1,695 × 1,635 instance); past a budget, the rows left
        // go to the shortest-path phase, which is exact whatever state it starts from.
        let budget = 16 * free.len() + nc;
        while current < free.len() {
            if rounds >= budget {
                next_free.extend_from_slice(&free[current..]);
                break;
            }
            rounds += 1;
            let i = free[current];
            current += 1;
            let row = &cost[i * nc..(i + 1) * nc];
            let (mut j1, mut u1, mut j2, mut u2) = (0usize, f64::INFINITY, NONE, f64::INFINITY);
            for (j, (&c, cj)) in row.iter().zip(col.iter()).enumerate() {
                let r = c - cj.v;
                if r < u2 {
                    if r >= u1 {
                        u2 = r;
                        j2 = j;
                    } else {
                        u2 = u1;
                        j2 = j1;
                        u1 = r;
                        j1 = j;
                    }
                }
            }
            let mut i0 = col[j1].owner;
            let v1_new = col[j1].v - (u2 - u1);
            let lowers = v1_new < col[j1].v;
            if rounds < current * nc {
                if lowers {
                    col[j1].v = v1_new;
                } else if i0 != FREE && j2 != NONE {
                    j1 = j2;
                    i0 = col[j2].owner;
                }
                if i0 != FREE {
                    if lowers {
                        current -= 1;
                        free[current] = i0 as usize;
                    } else {
                        next_free.push(i0 as usize);
                    }
                }
            } else if i0 != FREE {
                next_free.push(i0 as usize);
            }
            if i0 != FREE {
                col4row[i0 as usize] = NONE;
            }
            col4row[i] = j1;
            col[j1].owner = i as u32;
        }
        free = next_free;
    }
    for i in 0..nr {
        let row = &cost[i * nc..(i + 1) * nc];
        u[i] = match col4row[i] {
            NONE => row.iter().zip(col.iter()).map(|(&c, cj)| c - cj.v).fold(f64::INFINITY, f64::min),
            j => row[j] - col[j].v,
        };
    }
    for cur in 0..nr {
        if col4row[cur] != NONE {
            continue;
        }
        let mut min_val = 0.0f64;
        let mut n_rem = nc;
        for (k, r) in remaining.iter_mut().enumerate() {
            *r = (nc - 1 - k) as u32;
        }
        for c in col.iter_mut() {
            c.shortest = f64::INFINITY;
        }
        let mut i = cur;
        let sink = loop {
            visited_rows.push(i);
            let row = &cost[i * nc..(i + 1) * nc];
            let h = min_val - u[i];
            let mut lowest = f64::INFINITY;
            let mut index = NONE;
            for (it, &j) in remaining[..n_rem].iter().enumerate() {
                let j = j as usize;
                let c = &mut col[j];
                let r = h + row[j] - c.v;
                if r < c.shortest {
                    c.path = i as u32;
                    c.shortest = r;
                }
                if c.shortest < lowest || (c.shortest == lowest && c.owner == FREE) {
                    lowest = c.shortest;
                    index = it;
                }
            }
            min_val = lowest;
            let j = remaining[index] as usize;
            visited_cols.push(j);
            n_rem -= 1;
            remaining[index] = remaining[n_rem];
            if col[j].owner == FREE {
                break j;
            }
            i = col[j].owner as usize;
        };
        u[cur] += min_val;
        for &i in &visited_rows {
            if i != cur {
                u[i] += min_val - col[col4row[i]].shortest;
            }
        }
        for &j in &visited_cols {
            col[j].v -= min_val - col[j].shortest;
        }
        visited_rows.clear();
        visited_cols.clear();
        let mut j = sink;
        loop {
            let i = col[j].path as usize;
            col[j].owner = i as u32;
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

    /// A textbook O(n²m) Hungarian algorithm (rows <= cols), as an independent reference.
    fn hungarian(a: &CostMatrix) -> f64 {
        let (n, m) = (a.rows, a.cols);
        let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; m + 1]);
        let (mut p, mut way) = (vec![0usize; m + 1], vec![0usize; m + 1]);
        for i in 1..=n {
            p[0] = i;
            let mut j0 = 0;
            let mut minv = vec![f64::INFINITY; m + 1];
            let mut used = vec![false; m + 1];
            loop {
                used[j0] = true;
                let (i0, mut delta, mut j1) = (p[j0], f64::INFINITY, 0);
                for j in 1..=m {
                    if !used[j] {
                        let cur = a.at(i0 - 1, j - 1) - u[i0] - v[j];
                        if cur < minv[j] {
                            minv[j] = cur;
                            way[j] = j0;
                        }
                        if minv[j] < delta {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }
                for j in 0..=m {
                    if used[j] {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
                if p[j0] == 0 {
                    break;
                }
            }
            loop {
                let j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
                if j0 == 0 {
                    break;
                }
            }
        }
        (1..=m).filter(|&j| p[j] != 0).map(|j| a.at(p[j] - 1, j - 1)).sum()
    }

    #[test]
    fn matches_a_textbook_hungarian_on_geometric_and_random_instances() {
        // Geometric costs drive the row reduction into long cycles and past its budget.
        for (seed, rows, cols) in [(11u64, 150, 150), (12, 200, 260), (13, 300, 300), (14, 90, 400)] {
            let mut rng = crate::demo::Rng::new(seed);
            let mut point = || (rng.below(100_000) as f64 / 1000.0, rng.below(100_000) as f64 / 1000.0);
            let a: Vec<(f64, f64)> = (0..rows).map(|_| point()).collect();
            let b: Vec<(f64, f64)> = (0..cols).map(|_| point()).collect();
            let m =
                CostMatrix::from_fn(rows, cols, |i, j| ((a[i].0 - b[j].0).powi(2) + (a[i].1 - b[j].1).powi(2)).sqrt());
            let got = solve(&m);
            check_valid(&m, &got);
            let want = hungarian(&m);
            assert!((got.total - want).abs() <= 1e-9 * want.max(1.0), "seed {seed}: {} vs {want}", got.total);
            let r = random_matrix(seed, rows, cols, if seed % 2 == 0 { 10 } else { 1_000_000 });
            assert_eq!(solve(&r).total, hungarian(&r), "seed {seed}, random");
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
