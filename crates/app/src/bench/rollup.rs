//! `frontline bench rollup`: the 堡垒指数 for every unit of a prefecture-scale ledger (5 counties,
//! 56 townships, 421 villages, 19,000 grids, 70,000 members, 25 million records over a year) and of
//! the national tree (620,573 villages, the same number of records), rolled up to the top — beside
//! the same computation in DuckDB SQL over the same data in the same run, with the numbers checked
//! to agree, the machine's memory bandwidth as the limit, and re-scoring after one new record.
//!
//! Frontline's path is the engine's bulk path, `frontline_core::indicators::rollup::TreeTallies`:
//! records partitioned by unit block and tallied with the scheme's `Tallier` on two threads (one
//! per core), rolled up bottom-up, and `Scheme::summary` for every unit. The SQL is generated from
//! the same compiled scheme.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use frontline_core::demo::Rng;
use frontline_core::indicators::formula::{Aggregate, Compare, Expr};
use frontline_core::indicators::rollup::{Columns, TreeTallies};
use frontline_core::indicators::scheme::defaults;
use frontline_core::indicators::score::Summary;
use frontline_core::indicators::{Scheme, Tallier, from_json, round2};
use frontline_core::records::RecordKind;

use super::python_venv;

/// A unit tree as flat arrays: every unit's parent comes before it (`parent[i] < i`, the root is 0).
pub struct Tree {
    pub name: &'static str,
    pub parent: Vec<u32>,
    /// Party members whose home unit is this one.
    pub members: Vec<u32>,
    /// Units records are written to (grids and villages).
    pub leaves: Vec<u32>,
}

/// Records as columns.
pub struct Ledger {
    pub unit: Vec<u32>,
    pub kind: Vec<u8>,
    pub value: Vec<i32>,
}

/// The prefecture of the issue: 1 + 5 + 56 + 421 + 19,000 units, 70,000 members on the grids.
pub fn prefecture(rng: &mut Rng) -> Tree {
    let mut parent = vec![0u32];
    let counties: Vec<u32> = (0..5).map(|_| push(&mut parent, 0)).collect();
    let townships: Vec<u32> = (0..56).map(|i| push(&mut parent, counties[i % 5])).collect();
    let villages: Vec<u32> = (0..421).map(|i| push(&mut parent, townships[i % 56])).collect();
    let grids: Vec<u32> = (0..19_000).map(|i| push(&mut parent, villages[i % 421])).collect();
    let mut members = vec![0u32; parent.len()];
    for _ in 0..70_000 {
        members[grids[rng.below(grids.len() as u64) as usize] as usize] += 1;
    }
    let mut leaves = grids;
    leaves.extend(&villages);
    Tree { name: "prefecture (19,483 units)", parent, members, leaves }
}

fn push(parent: &mut Vec<u32>, p: u32) -> u32 {
    parent.push(p);
    (parent.len() - 1) as u32
}

/// The national division table under one root, with about 90 members in every village.
pub fn national(rng: &mut Rng) -> anyhow::Result<Tree> {
    let all = crate::divisions::all()?;
    let mut index: std::collections::HashMap<&str, u32> = std::collections::HashMap::with_capacity(all.len());
    let mut parent = vec![0u32];
    let mut leaves = Vec::new();
    // Parents before children: codes grow with depth (2, 4, 6, 9, 12 digits).
    let mut ordered: Vec<&frontline_core::divisions::Division> = all.iter().collect();
    ordered.sort_by_key(|d| d.code.len());
    for d in ordered {
        let p = d.parent_code.as_deref().and_then(|c| index.get(c).copied()).unwrap_or(0);
        let id = push(&mut parent, p);
        index.insert(d.code.as_str(), id);
        if d.code.len() == 12 {
            leaves.push(id);
        }
    }
    let mut members = vec![0u32; parent.len()];
    for &v in &leaves {
        members[v as usize] = 60 + rng.below(60) as u32;
    }
    Ok(Tree { name: "national tree (620,573 villages)", parent, members, leaves })
}

/// `n` records over a year on the tree's leaves, in the mix daily work produces.
pub fn ledger(tree: &Tree, n: usize, rng: &mut Rng) -> Ledger {
    use RecordKind::*;
    // (kind, share in ‰, value range)
    let mix: &[(RecordKind, u64, i64, i64)] = &[
        (TaskSubmitted, 430, 0, 1),
        (TaskVerified, 250, 1, 1),
        (TaskOverdue, 30, 1, 1),
        (ShiftAttended, 90, 0, 30),
        (ShiftMissed, 5, 1, 1),
        (SurveyFiled, 100, 0, 1),
        (TrainingAttended, 40, 1, 4),
        (OrderClosed, 20, 0, 1),
        (OrderRated, 20, 0, 1),
        (FindingRaised, 6, 1, 3),
        (FindingFixed, 5, 0, 1),
        (Praised, 2, 1, 1),
        (Criticised, 1, 1, 1),
        (HeldAccountable, 1, 1, 1),
    ];
    let mut table: Vec<(u8, i64, i64)> = Vec::with_capacity(1000);
    for &(kind, share, lo, hi) in mix {
        for _ in 0..share {
            table.push((kind.index() as u8, lo, hi));
        }
    }
    let (mut unit, mut kind, mut value) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (k, lo, hi) = table[rng.below(table.len() as u64) as usize];
        unit.push(tree.leaves[rng.below(tree.leaves.len() as u64) as usize]);
        kind.push(k);
        value.push(rng.range(lo, hi) as i32);
    }
    // The veto cases are rare: about one village in a hundred.
    for _ in 0..(tree.leaves.len() / 100).max(1) {
        let at = rng.below(n as u64) as usize;
        kind[at] = [IsolationLost, ControlLost, CheckpointLapse][rng.below(3) as usize].index() as u8;
        value[at] = 1;
    }
    Ledger { unit, kind, value }
}

/// The production computation: tally on two threads, roll up, summarise every unit.
pub fn compute(scheme: &Scheme, tree: &Tree, ledger: &Ledger, days: f64) -> (Vec<Summary>, TreeTallies) {
    let columns = Columns { unit: &ledger.unit, kind: &ledger.kind, value: &ledger.value };
    let tallies = TreeTallies::build(scheme, &tree.parent, &tree.members, columns, days, 2);
    (tallies.summaries(scheme), tallies)
}

fn sql_expr(e: &Expr, days: f64) -> String {
    let b = |a: &Expr| sql_expr(a, days);
    match e {
        Expr::Number(x) => format!("CAST({x:?} AS DOUBLE)"),
        Expr::Measure(i) => format!("m{i}"),
        Expr::Members => "members".into(),
        Expr::Days => format!("CAST({days:?} AS DOUBLE)"),
        Expr::Add(x, y) => format!("({} + {})", b(x), b(y)),
        Expr::Sub(x, y) => format!("({} - {})", b(x), b(y)),
        Expr::Mul(x, y) => format!("({} * {})", b(x), b(y)),
        Expr::Div(x, y) => format!("(CASE WHEN {1} = 0 THEN 0.0 ELSE {0} / {1} END)", b(x), b(y)),
        Expr::Rate(x, y) => format!("(CASE WHEN {1} = 0 THEN 1.0 ELSE {0} / {1} END)", b(x), b(y)),
        Expr::Neg(x) => format!("(-{})", b(x)),
        Expr::Min(x, y) => format!("LEAST({}, {})", b(x), b(y)),
        Expr::Max(x, y) => format!("GREATEST({}, {})", b(x), b(y)),
    }
}

/// The same scheme as one DuckDB query over `records(unit, kind, value)`, `closure(unit, ancestor)`
/// and `units(id, members)`, giving every unit's total.
pub fn scheme_sql(scheme: &Scheme, days: f64) -> String {
    let measures: Vec<String> = scheme
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut cond = format!("kind = {}", m.kind.index());
            if let Some((op, n)) = m.value {
                let op = match op {
                    Compare::Eq => "=",
                    Compare::Ne => "<>",
                    Compare::Lt => "<",
                    Compare::Le => "<=",
                    Compare::Gt => ">",
                    Compare::Ge => ">=",
                };
                cond.push_str(&format!(" AND value {op} {n}"));
            }
            let what = if m.aggregate == Aggregate::Count { "1" } else { "value" };
            format!("CAST(SUM(CASE WHEN {cond} THEN {what} ELSE 0 END) AS DOUBLE) AS m{i}")
        })
        .collect();
    let sums: Vec<String> = (0..scheme.measures.len()).map(|i| format!("SUM(l.m{i}) AS m{i}")).collect();
    let filled: Vec<String> = (0..scheme.measures.len()).map(|i| format!("COALESCE(t.m{i}, 0) AS m{i}")).collect();
    let mut lines = Vec::new();
    let mut parts = Vec::new();
    for (k, c) in scheme.indicators.iter().enumerate() {
        lines.push(format!(
            "ROUND({:?} * LEAST(1.0, GREATEST(0.0, {} / {:?})), 2) AS i{k}",
            c.def.weight,
            sql_expr(&c.expr, days),
            c.def.target
        ));
        parts.push(format!("i{k}"));
    }
    for (k, c) in scheme.bonuses.iter().enumerate() {
        lines.push(format!(
            "ROUND(LEAST({:?}, GREATEST(0.0, {:?} * {})), 2) AS b{k}",
            c.def.cap,
            c.def.points,
            sql_expr(&c.expr, days)
        ));
        parts.push(format!("b{k}"));
    }
    for (k, c) in scheme.deductions.iter().enumerate() {
        lines.push(format!(
            "ROUND(LEAST({:?}, GREATEST(0.0, {:?} * {})), 2) AS d{k}",
            c.def.cap,
            c.def.points,
            sql_expr(&c.expr, days)
        ));
        parts.push(format!("-d{k}"));
    }
    let resets: Vec<String> = scheme
        .vetoes
        .iter()
        .filter(|c| c.def.reset)
        .map(|c| format!("{} >= {:?}", sql_expr(&c.expr, days), c.def.at_least))
        .collect();
    let reset = if resets.is_empty() { "FALSE".to_string() } else { resets.join(" OR ") };
    lines.push(format!("({reset}) AS reset"));
    format!(
        "WITH leaf AS (SELECT unit, {measures} FROM records GROUP BY unit), \
         tal AS (SELECT c.ancestor AS unit, {sums} FROM leaf l JOIN closure c ON c.unit = l.unit GROUP BY c.ancestor), \
         mem AS (SELECT c.ancestor AS unit, CAST(SUM(u.members) AS DOUBLE) AS members FROM units u JOIN closure c ON c.unit = u.id GROUP BY c.ancestor), \
         full_tally AS (SELECT u.id AS unit, {filled}, COALESCE(mem.members, 0) AS members FROM units u \
           LEFT JOIN tal t ON t.unit = u.id LEFT JOIN mem ON mem.unit = u.id), \
         lines AS (SELECT unit, {lines} FROM full_tally) \
         SELECT unit, CASE WHEN reset THEN 0.0 ELSE ROUND(GREATEST(0.0, {parts}), 2) END AS total FROM lines ORDER BY unit",
        measures = measures.join(", "),
        sums = sums.join(", "),
        filled = filled.join(", "),
        lines = lines.join(", "),
        parts = parts.join(" + ").replace("+ -", "- "),
    )
}

fn write_column<T: Copy>(path: &Path, data: &[T], to_bytes: impl Fn(T) -> Vec<u8>) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for &x in data {
        f.write_all(&to_bytes(x))?;
    }
    f.flush()?;
    Ok(())
}

/// One tree's figures.
pub struct RollupFigure {
    pub tree: &'static str,
    pub units: usize,
    pub records: usize,
    pub frontline: Duration,
    pub duckdb: Duration,
    pub duckdb_load: Duration,
    /// Units whose totals differ by more than 0.011 between the two.
    pub disagreements: usize,
    pub laggards: usize,
    pub star_counts: [usize; 6],
    /// Re-scoring after one new record: the record's unit and its ancestors.
    pub incremental: Duration,
    /// Reading the record columns at the measured memory bandwidth.
    pub bandwidth_floor: Duration,
}

/// The machine's memory bandwidth in bytes a second: a plain sum over 512 MiB on two threads.
pub fn bandwidth() -> f64 {
    let data: Vec<u64> = (0..64u64 << 20).collect();
    let mut best = f64::MAX;
    let mut sink = 0u64;
    for _ in 0..3 {
        let t = Instant::now();
        let (a, b) = data.split_at(data.len() / 2);
        let (x, y) = std::thread::scope(|s| {
            let h = s.spawn(|| b.iter().fold(0u64, |acc, v| acc.wrapping_add(*v)));
            (a.iter().fold(0u64, |acc, v| acc.wrapping_add(*v)), h.join().unwrap_or_default())
        });
        sink = sink.wrapping_add(x).wrapping_add(y);
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    (data.len() * 8) as f64 / best
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs one tree: Frontline `runs` times, DuckDB `runs` times on the same data, compared.
pub fn run_tree(
    tree: &Tree,
    ledger: &Ledger,
    runs: usize,
    bytes_per_second: f64,
    python: Option<&Path>,
) -> anyhow::Result<RollupFigure> {
    let scheme = from_json(defaults::BASTION).map_err(|e| anyhow::anyhow!("the default scheme: {e:?}"))?;
    let days = 365.0;
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = compute(&scheme, tree, ledger, days);
        times.push(t.elapsed());
        result = Some(r);
    }
    let (summaries, mut tallies) = result.context("no run")?;
    let frontline = median(times);
    // Incremental: one new record on a leaf re-tallies it and its ancestors and re-scores them.
    let tallier = Tallier::new(&scheme.measures);
    let mut rng = Rng::new(7);
    let mut inc = Vec::with_capacity(1000);
    let mut sink = 0.0;
    for _ in 0..1000 {
        let leaf = tree.leaves[rng.below(tree.leaves.len() as u64) as usize] as usize;
        let t = Instant::now();
        let touched = tallies.add(&scheme, &tallier, &tree.parent, leaf, RecordKind::ShiftMissed, 1);
        inc.push(t.elapsed());
        sink += touched.iter().map(|(_, s)| s.total).sum::<f64>();
    }
    std::hint::black_box(sink);
    let incremental = median(inc);
    let mut star_counts = [0usize; 6];
    for s in &summaries {
        star_counts[usize::from(s.stars).min(5)] += 1;
    }
    let laggards = summaries.iter().filter(|s| s.laggard).count();
    let bytes = ledger.unit.len() * (4 + 1 + 4);
    let mut figure = RollupFigure {
        tree: tree.name,
        units: tree.parent.len(),
        records: ledger.unit.len(),
        frontline,
        duckdb: Duration::ZERO,
        duckdb_load: Duration::ZERO,
        disagreements: 0,
        laggards,
        star_counts,
        incremental,
        bandwidth_floor: Duration::from_secs_f64(bytes as f64 / bytes_per_second),
    };
    let Some(python) = python else { return Ok(figure) };
    let dir = std::env::temp_dir().join(format!("frontline-bench-rollup-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    write_column(&dir.join("unit.bin"), &ledger.unit, |x| x.to_le_bytes().to_vec())?;
    write_column(&dir.join("kind.bin"), &ledger.kind, |x| vec![x])?;
    write_column(&dir.join("value.bin"), &ledger.value, |x| x.to_le_bytes().to_vec())?;
    write_column(&dir.join("parent.bin"), &tree.parent, |x| x.to_le_bytes().to_vec())?;
    write_column(&dir.join("members.bin"), &tree.members, |x| x.to_le_bytes().to_vec())?;
    std::fs::write(dir.join("query.sql"), scheme_sql(&scheme, days))?;
    let script = dir.join("rollup_anchor.py");
    std::fs::write(&script, include_str!("../../../../tools/bench/rollup_anchor.py"))?;
    let out = Command::new(python)
        .arg(&script)
        .arg(&dir)
        .arg(runs.to_string())
        .output()
        .context("running the DuckDB anchor")?;
    anyhow::ensure!(out.status.success(), "the DuckDB anchor failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> anyhow::Result<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().parse::<f64>()))
            .context(format!("{name} missing from the anchor's output: {text}"))?
            .context("not a number")
    };
    figure.duckdb = Duration::from_secs_f64(field("query_seconds")?);
    figure.duckdb_load = Duration::from_secs_f64(field("load_seconds")?);
    let totals = std::fs::read(dir.join("totals.bin"))?;
    anyhow::ensure!(totals.len() == summaries.len() * 8, "the anchor scored {} units", totals.len() / 8);
    figure.disagreements = totals
        .chunks_exact(8)
        .zip(&summaries)
        .filter(|(b, ours)| {
            let theirs = f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            (round2(theirs) - ours.total).abs() > 0.011
        })
        .count();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(figure)
}

/// The whole benchmark: both trees, `records` records each.
pub fn run(records: usize, runs: usize, anchor: bool) -> anyhow::Result<(f64, Vec<RollupFigure>)> {
    let python = if anchor { Some(python_venv(&["duckdb", "numpy", "pandas"])?) } else { None };
    let bandwidth = bandwidth();
    let mut rng = Rng::new(25_000_000);
    let mut figures = Vec::new();
    for tree in [prefecture(&mut rng), national(&mut rng)?] {
        let ledger = ledger(&tree, records, &mut rng);
        figures.push(run_tree(&tree, &ledger, runs, bandwidth, python.as_deref())?);
    }
    Ok((bandwidth, figures))
}

pub fn print(bandwidth: f64, figures: &[RollupFigure]) {
    println!("Memory bandwidth (sum over 512 MiB, 2 threads): {:.1} GB/s", bandwidth / 1e9);
    for f in figures {
        println!();
        println!(
            "{} — {} units, {} records over a year, 堡垒指数 for every unit, rolled up",
            f.tree, f.units, f.records
        );
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!("  Frontline (tally, roll up, score)          {:>10.1} ms", ms(f.frontline));
        if f.duckdb > Duration::ZERO {
            println!(
                "  DuckDB SQL, same data (load not counted)    {:>10.1} ms   (load {:.1} s)",
                ms(f.duckdb),
                f.duckdb_load.as_secs_f64()
            );
            println!(
                "  speed-up over DuckDB                       {:>10.2}×   (target ≥ 2×)",
                f.duckdb.as_secs_f64() / f.frontline.as_secs_f64()
            );
            println!("  units whose totals disagree                {:>10}", f.disagreements);
        }
        println!("  floor: reading the records at that bandwidth {:>8.1} ms", ms(f.bandwidth_floor));
        println!(
            "  re-score after one new record (median)     {:>10.1} µs   (target < 1 ms)",
            f.incremental.as_secs_f64() * 1e6
        );
        println!("  laggards {} · stars 0–5: {:?}", f.laggards, f.star_counts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_runs_on_a_small_ledger_and_its_sql_names_every_measure() {
        let mut rng = Rng::new(1);
        let tree = prefecture(&mut rng);
        assert_eq!(tree.parent.len(), 1 + 5 + 56 + 421 + 19_000);
        assert!(tree.parent.iter().enumerate().skip(1).all(|(i, p)| (*p as usize) < i));
        assert_eq!(tree.members.iter().sum::<u32>(), 70_000);
        let ledger = ledger(&tree, 20_000, &mut rng);
        let figure = run_tree(&tree, &ledger, 1, 1e10, None).unwrap();
        assert_eq!((figure.units, figure.records), (19_483, 20_000));
        assert_eq!(figure.star_counts.iter().sum::<usize>(), 19_483);
        let scheme = from_json(defaults::BASTION).unwrap();
        let sql = scheme_sql(&scheme, 365.0);
        for i in 0..scheme.measures.len() {
            assert!(sql.contains(&format!(" AS m{i}")), "{sql}");
        }
        assert!(sql.contains("CASE WHEN reset THEN 0.0"));
    }
}
