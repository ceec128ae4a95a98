//! `frontline bench all`: every benchmark of the project in one run, printed as one table —
//! figure, Frontline's value, the anchor measured in the same run, the ratio, the target — and
//! kept as JSON (`target/bench-results/`), so that runs can be compared over time.
//!
//! The anchors in Python (scipy and lap, OR-Tools, DuckDB, sqlite3) are installed into a local
//! virtual environment on first use. `--quick` runs everything on small inputs (a smoke run).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::http::Load;

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub group: &'static str,
    pub figure: String,
    pub value: f64,
    pub unit: &'static str,
    pub better: Better,
    pub anchor_name: String,
    pub anchor: Option<f64>,
    /// How many times better than the anchor (above 1: Frontline is better).
    pub ratio: Option<f64>,
    pub target: String,
    /// Whether the target is met (none where the figure has no target).
    pub met: Option<bool>,
}

impl Row {
    fn new(group: &'static str, figure: impl Into<String>, value: f64, unit: &'static str, better: Better) -> Row {
        Row {
            group,
            figure: figure.into(),
            value,
            unit,
            better,
            anchor_name: String::new(),
            anchor: None,
            ratio: None,
            target: String::new(),
            met: None,
        }
    }

    fn anchor(mut self, name: impl Into<String>, value: f64) -> Row {
        self.anchor_name = name.into();
        self.anchor = Some(value);
        self.ratio = Some(match self.better {
            Better::Lower => value / self.value.max(1e-12),
            Better::Higher => self.value / value.max(1e-12),
        });
        self
    }

    fn target(mut self, text: impl Into<String>, met: bool) -> Row {
        self.target = text.into();
        self.met = Some(met);
        self
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What to run and at which size.
#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    pub anchors: bool,
    /// Groups to run (empty: all): signoff, dashboard, memory, import, tree, coverage, pair,
    /// ledger, roster.
    pub only: Vec<String>,
}

impl Plan {
    fn runs(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }
}

/// Resident memory of this process now and at its peak, in MiB (Linux; zero elsewhere).
pub fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Starts a new peak of resident memory (Linux: `5` into clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn http_row(group: &'static str, l: &Load, ceiling: &Load) -> Row {
    Row::new(group, format!("{} — req/s", l.name), l.per_second, "req/s", Better::Higher)
        .anchor("bare axum hello world, same run", ceiling.per_second)
}

fn p99_row(group: &'static str, l: &Load, limit_ms: f64) -> Row {
    let p99 = ms(l.p99);
    Row::new(group, format!("{} — p99", l.name), p99, "ms", Better::Lower)
        .target(format!("< {limit_ms} ms"), p99 < limit_ms)
}

/// Runs the plan and gives every row, in order.
pub async fn run(plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let concurrency = 64;
    if plan.runs("signoff") || plan.runs("dashboard") || plan.runs("memory") {
        reset_peak();
        let (db, tmp) = super::empty_store(None, "demo").await?;
        let served = super::dashboard::serve_demo(&db).await?;
        rows.push(Row::new(
            "setup",
            "seed the demo county (乐清市, 514 villages)",
            served.seed_time.as_secs_f64(),
            "s",
            Better::Lower,
        ));
        let requests = if plan.quick { 200 } else { 4_000 };
        let ceiling = super::http::ceiling(requests * 10, concurrency).await?;
        rows.push(Row::new(
            "http",
            "bare axum hello world (the ceiling), 64 connections",
            ceiling.per_second,
            "req/s",
            Better::Higher,
        ));
        if plan.runs("dashboard") {
            let (cold, loads) = super::dashboard::loads(&db, &served, requests, concurrency).await?;
            rows.push(Row::new(
                "dashboard",
                "one county dashboard computed (nothing cached)",
                ms(cold),
                "ms",
                Better::Lower,
            ));
            for l in &loads {
                let share = l.per_second / ceiling.per_second * 100.0;
                rows.push(http_row("dashboard", l, &ceiling).target("≥ 25 % of the ceiling", share >= 25.0));
                rows.push(p99_row("dashboard", l, 20.0));
            }
        }
        if plan.runs("signoff") {
            let wanted = if plan.quick { 500 } else { 60_000 };
            let burst = super::signoff::run(&db, &served.base, wanted, concurrency).await?;
            let l = &burst.load;
            rows.push(
                Row::new(
                    "signoff",
                    format!("daily sign-offs through the API, SQLite ({} by {} members)", l.requests, burst.doers),
                    l.per_second,
                    "/s",
                    Better::Higher,
                )
                .anchor("bare axum hello world, same run", ceiling.per_second)
                .target("≥ 5,000/s", l.per_second >= 5_000.0),
            );
            rows.push(p99_row("signoff", l, 50.0));
            rows.push(
                Row::new("signoff", "acknowledged sign-offs missing afterwards", burst.lost as f64, "", Better::Lower)
                    .target("0", burst.lost == 0),
            );
        }
        let (now, peak) = memory();
        rows.push(
            Row::new(
                "memory",
                "server with the demo county, peak resident (incl. load generator)",
                peak,
                "MiB",
                Better::Lower,
            )
            .target("< 1,024 MiB", peak < 1024.0),
        );
        rows.push(Row::new(
            "memory",
            "server with the demo county, resident after the loads",
            now,
            "MiB",
            Better::Lower,
        ));
        db.close().await;
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if plan.runs("import") {
        let (db, tmp) = super::empty_store(None, "import").await?;
        let (second, tmp2) = super::empty_store(None, "import-excel").await?;
        let n = if plan.quick { 2_000 } else { 1_000_000 };
        let imports = super::import::run(&db, &second, n, n, plan.anchors).await?;
        for f in &imports.figures {
            let mut row = Row::new(
                "import",
                format!(
                    "roster of {} people from {} ({:.0} MB), checked and written",
                    f.rows,
                    f.format,
                    f.bytes as f64 / 1e6
                ),
                f.frontline.as_secs_f64(),
                "s",
                Better::Lower,
            );
            if f.format == "CSV" {
                if let Some(a) = imports.anchor {
                    row = row.anchor("Python sqlite3.executemany, one transaction", a.as_secs_f64());
                }
                let faster = imports.anchor.is_none_or(|a| f.frontline < a);
                row = row.target("< 10 s and faster than the anchor", f.frontline.as_secs_f64() < 10.0 && faster);
            }
            rows.push(row);
        }
        for (db, tmp) in [(db, tmp), (second, tmp2)] {
            db.close().await;
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
    if plan.runs("memory") && !plan.quick {
        reset_peak();
        let (db, tmp) = super::empty_store(None, "prefecture").await?;
        let f = super::memory::run(&db, 25_000_000, 500).await?;
        rows.push(
            Row::new(
                "memory",
                format!(
                    "server with a prefecture ({} people, {} ledger records), peak resident (incl. load generator)",
                    f.people, f.records
                ),
                f.peak_mib,
                "MiB",
                Better::Lower,
            )
            .target("< 1,024 MiB", f.peak_mib < 1024.0),
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if plan.runs("tree") && !plan.quick {
        reset_peak();
        let (db, tmp) = super::empty_store(None, "tree").await?;
        for f in super::tree(&db).await? {
            let mut row = Row::new("tree", f.name.clone(), ms(f.value), "ms", Better::Lower);
            if let Some(a) = f.anchor {
                row = row.anchor(f.anchor_name.clone(), ms(a));
            }
            if f.name.starts_with("scope check of one unit, province") {
                row = row.target("< 1 ms", f.value < Duration::from_millis(1));
            }
            rows.push(row);
        }
        rows.push(Row::new(
            "memory",
            "benchmark process loading the national tree (3.1 million units), peak resident",
            memory().1,
            "MiB",
            Better::Lower,
        ));
        db.close().await;
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if plan.runs("coverage") && !plan.quick {
        let (db, tmp) = super::empty_store(None, "coverage").await?;
        for f in super::coverage(&db).await? {
            let mut row = Row::new("coverage", f.name.clone(), ms(f.value), "ms", Better::Lower);
            if let Some(a) = f.anchor {
                row = row.anchor(f.anchor_name.clone(), ms(a));
            }
            rows.push(row);
        }
        db.close().await;
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if plan.runs("pair") && plan.anchors {
        let (r, c, runs) = if plan.quick { (200, 190, 1) } else { (1695, 1635, 5) };
        for f in super::pair::run(r, c, runs)? {
            let anchor = f.scipy.min(f.lap);
            rows.push(
                Row::new(
                    "pair",
                    format!("pairing {} ({}×{})", f.family, f.rows, f.cols),
                    ms(f.frontline),
                    "ms",
                    Better::Lower,
                )
                .anchor("faster of scipy and lap", ms(anchor))
                .target("≥ 1× the faster anchor, same total cost", f.frontline <= anchor && f.totals_agree()),
            );
        }
    }
    if plan.runs("ledger") {
        reset_peak();
        let (records, runs) = if plan.quick { (200_000, 3) } else { (25_000_000, 20) };
        let python = if plan.anchors { Some(super::python_venv(&["duckdb", "numpy", "pandas"])?) } else { None };
        let (db, tmp) = super::empty_store(None, "ledger").await?;
        let b = super::ledger::run(&db, records, runs, python.as_deref()).await?;
        let anchor = ms(b.count_anchor);
        for r in &b.reads {
            let p99 = ms(r.p99);
            rows.push(
                Row::new(
                    "ledger",
                    format!("{} ({} records) — p99, first read after a write", r.name, b.records),
                    p99,
                    "ms",
                    Better::Lower,
                )
                .anchor("bare SELECT COUNT(*) of the year, same store", anchor)
                .target("≤ 150 ms and ≥ 20× the count", p99 <= 150.0 && anchor / p99 >= 20.0),
            );
        }
        let mut row = Row::new(
            "ledger",
            format!("堡垒指数 of the county for a year ({} records), the route's scoring function", b.records),
            ms(b.year_scores),
            "ms",
            Better::Lower,
        );
        if let Some(d) = &b.duckdb {
            row = row.anchor("DuckDB SQL, same records", ms(d.query)).target(
                "≥ 10× DuckDB, totals agree",
                d.query.as_secs_f64() / b.year_scores.as_secs_f64() >= 10.0 && d.disagreements == 0,
            );
        }
        rows.push(row);
        db.close().await;
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if plan.runs("roster") {
        let anchor_seconds = if plan.anchors && !plan.quick { 60.0 } else { 0.0 };
        let budget = Duration::from_millis(if plan.quick { 100 } else { 1000 });
        for f in super::roster::run(budget, anchor_seconds, 2)? {
            let mut row = Row::new(
                "roster",
                format!("roster {} — objective (lower is better)", f.name),
                f.objective as f64,
                "",
                Better::Lower,
            );
            if let Some(o) = f.anchor.as_ref().and_then(|a| a.objective) {
                row = row.anchor(format!("OR-Tools CP-SAT, {anchor_seconds:.0} s"), o as f64);
            }
            rows.push(row);
            rows.push(Row::new(
                "roster",
                format!("roster {} — first feasible", f.name),
                ms(f.first_feasible),
                "ms",
                Better::Lower,
            ));
        }
    }
    Ok(rows)
}

fn number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Prints the table.
pub fn print(rows: &[Row]) {
    println!("{:<86} {:>14} {:>14} {:>8}  {:<28} anchor is", "figure", "frontline", "anchor", "ratio", "target");
    for r in rows {
        let value = format!("{} {}", number(r.value), r.unit);
        let anchor = r.anchor.map(|a| format!("{} {}", number(a), r.unit)).unwrap_or_default();
        let ratio = r.ratio.map(|x| format!("{x:.2}×")).unwrap_or_default();
        let target = match r.met {
            Some(true) => format!("{} ✔", r.target),
            Some(false) => format!("{} ✘ MISSED", r.target),
            None => String::new(),
        };
        println!("{:<86} {:>14} {:>14} {:>8}  {:<28} {}", r.figure, value, anchor, ratio, target, r.anchor_name);
    }
    println!("ratio: how many times better than the anchor (above 1: Frontline is better).");
}

/// Writes the rows with the machine and time to `dir/bench-<UTC time>.json` and gives the path.
pub fn save(rows: &[Row], plan: &Plan, dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let now = chrono::Utc::now();
    let path = dir.join(format!("bench-{}.json", now.format("%Y%m%dT%H%M%SZ")));
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let doc = serde_json::json!({
        "at": now.to_rfc3339(),
        "version": env!("CARGO_PKG_VERSION"),
        "machine": {"cpus": cpus, "cpu": cpu_model, "os": std::env::consts::OS},
        "quick": plan.quick,
        "anchors": plan.anchors,
        "rows": rows,
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&doc)?)?;
    Ok(path)
}
