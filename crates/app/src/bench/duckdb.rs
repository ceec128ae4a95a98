//! The DuckDB anchor of the scoring benchmarks: the same compiled scheme as one DuckDB SQL query
//! over the same records, run by `tools/bench/rollup_anchor.py` in the benchmark's Python
//! environment, timed apart from loading, every unit's total given back to be compared.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use frontline_core::indicators::Scheme;
use frontline_core::indicators::formula::{Aggregate, Compare, Expr};

/// A unit tree and a ledger as columns: units are `0..parent.len()`, every unit's parent comes
/// before it (the root is 0 and its own parent).
pub struct Columns<'a> {
    pub parent: &'a [u32],
    /// Party members whose home unit is this one.
    pub members: &'a [u32],
    pub unit: &'a [u32],
    /// `RecordKind::index` of each record.
    pub kind: &'a [u8],
    pub value: &'a [i32],
}

/// What DuckDB took and gave.
pub struct Anchor {
    pub load: Duration,
    pub query: Duration,
    /// Every unit's total, over its whole subtree.
    pub totals: Vec<f64>,
}

/// Scores every unit of `c` with `scheme` over a period of `days` in DuckDB, the query run `runs`
/// times (median).
pub fn score(python: &Path, scheme: &Scheme, days: f64, c: &Columns<'_>, runs: usize) -> anyhow::Result<Anchor> {
    let dir = std::env::temp_dir().join(format!("frontline-bench-duckdb-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    write_column(&dir.join("unit.bin"), c.unit, |x| x.to_le_bytes().to_vec())?;
    write_column(&dir.join("kind.bin"), c.kind, |x| vec![x])?;
    write_column(&dir.join("value.bin"), c.value, |x| x.to_le_bytes().to_vec())?;
    write_column(&dir.join("parent.bin"), c.parent, |x| x.to_le_bytes().to_vec())?;
    write_column(&dir.join("members.bin"), c.members, |x| x.to_le_bytes().to_vec())?;
    std::fs::write(dir.join("query.sql"), scheme_sql(scheme, days))?;
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
    let totals = std::fs::read(dir.join("totals.bin"))?
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect();
    let anchor = Anchor {
        load: Duration::from_secs_f64(field("load_seconds")?),
        query: Duration::from_secs_f64(field("query_seconds")?),
        totals,
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(anchor)
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
