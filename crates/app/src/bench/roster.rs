//! `frontline bench roster`: the roster engine on two checkpoint instances of 003.11 (20
//! checkpoints with 150 people, 200 with 1,500; three shifts a day for seven days), against
//! OR-Tools CP-SAT solving the same model in the same run (60 s, 2 workers).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use frontline_core::roster::{Problem, solve, synthetic};

use super::python_venv;

/// One instance's result.
pub struct RosterFigure {
    pub name: String,
    pub shifts: usize,
    pub places: u32,
    pub people: usize,
    pub first_feasible: Duration,
    pub best_at: Duration,
    pub objective: i64,
    pub unfilled_places: u32,
    pub anchor: Option<Anchor>,
}

/// What CP-SAT reported.
pub struct Anchor {
    pub status: String,
    pub objective: Option<i64>,
    /// The objective CP-SAT reported (may exceed the value of the roster it returned).
    pub reported: Option<i64>,
    /// CP-SAT's roster scored by the Rust objective (must equal `objective`).
    pub rescored: Option<i64>,
    pub bound: i64,
    pub first: Option<f64>,
    pub best: Option<f64>,
}

/// Solves both instances with a budget of `budget` and, unless `anchor_seconds` is zero, with
/// CP-SAT for that long.
pub fn run(budget: Duration, anchor_seconds: f64, workers: u32) -> anyhow::Result<Vec<RosterFigure>> {
    let python = if anchor_seconds > 0.0 { Some(python_venv(&["ortools"])?) } else { None };
    let script = PathBuf::from("tools/bench/roster_anchor.py");
    let mut out = Vec::new();
    for (name, checkpoints, people) in
        [("20 checkpoints, 150 people", 20, 150), ("200 checkpoints, 1,500 people", 200, 1500)]
    {
        let problem = synthetic(checkpoints, people, 7, 2026).expand().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let solution = solve(&problem, budget, 11);
        let checked = problem.score(&solution.roster).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(checked == solution.objective, "engine objective {} != rescored {checked}", solution.objective);
        let anchor = match &python {
            Some(python) => Some(cp_sat(python, &script, &problem, anchor_seconds, workers)?),
            None => None,
        };
        out.push(RosterFigure {
            name: name.into(),
            shifts: problem.shifts.len(),
            places: problem.shifts.iter().map(|s| s.headcount).sum(),
            people: problem.people.len(),
            first_feasible: solution.first_feasible,
            best_at: solution.best_at,
            objective: solution.objective,
            unfilled_places: solution.unfilled.iter().map(|u| u.missing).sum(),
            anchor,
        });
    }
    Ok(out)
}

fn cp_sat(python: &PathBuf, script: &PathBuf, problem: &Problem, seconds: f64, workers: u32) -> anyhow::Result<Anchor> {
    let file = std::env::temp_dir().join(format!("frontline-roster-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(problem)?)?;
    let output = Command::new(python)
        .arg(script)
        .arg(&file)
        .arg(seconds.to_string())
        .arg(workers.to_string())
        .output()
        .with_context(|| "running the CP-SAT anchor")?;
    let _ = std::fs::remove_file(&file);
    anyhow::ensure!(output.status.success(), "CP-SAT anchor failed: {}", String::from_utf8_lossy(&output.stderr));
    let v: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let roster: Vec<Vec<usize>> = serde_json::from_value(v["roster"].clone()).unwrap_or_default();
    let rescored = if roster.is_empty() { None } else { Some(problem.score(&roster).map_err(anyhow::Error::msg)?) };
    Ok(Anchor {
        status: v["status"].as_str().unwrap_or("?").to_string(),
        objective: v["objective"].as_i64(),
        reported: v["reported"].as_i64(),
        rescored,
        bound: v["bound"].as_i64().unwrap_or(0),
        first: v["first_s"].as_f64(),
        best: v["best_s"].as_f64(),
    })
}

/// Prints the figures as a table, with the gap to CP-SAT.
pub fn print(figures: &[RosterFigure], budget: Duration) {
    println!("roster engine (budget {:.1} s) vs OR-Tools CP-SAT", budget.as_secs_f64());
    for f in figures {
        println!("\n{} — {} shifts, {} places, {} people", f.name, f.shifts, f.places, f.people);
        println!(
            "  frontline: objective {:>8}  first feasible {:>8.1} ms  best at {:>8.1} ms  empty/missing places {}",
            f.objective,
            f.first_feasible.as_secs_f64() * 1e3,
            f.best_at.as_secs_f64() * 1e3,
            f.unfilled_places
        );
        match &f.anchor {
            Some(a) => {
                let secs = |s: Option<f64>| s.map(|s| format!("{:.2} s", s)).unwrap_or_else(|| "-".into());
                println!(
                    "  CP-SAT:    objective {:>8}  first feasible {:>8}  best at {:>8}  status {}  bound {}  (reported {}, rescored by frontline {})",
                    a.objective.map(|o| o.to_string()).unwrap_or_else(|| "-".into()),
                    secs(a.first),
                    secs(a.best),
                    a.status,
                    a.bound,
                    a.reported.map(|o| o.to_string()).unwrap_or_else(|| "-".into()),
                    a.rescored.map(|o| o.to_string()).unwrap_or_else(|| "-".into()),
                );
                if let Some(o) = a.objective {
                    let gap = (f.objective - o) as f64 / (o.max(1)) as f64 * 100.0;
                    println!("  frontline vs CP-SAT: {gap:+.2} % (negative = frontline better)");
                }
            }
            None => println!("  CP-SAT: not run"),
        }
    }
}
