//! `frontline roster`: plans checkpoint rosters offline from a JSON request, so a county can plan
//! in batch without the server. The request format is [`RosterRequest`] (docs/roster.md).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use frontline_core::roster::{RosterRequest, solve};
use serde_json::json;

/// Reads the request, solves it and writes the roster; gives a one-line summary.
pub fn run(input: &Path, out: &Path, budget: Duration) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
    let request: RosterRequest =
        serde_json::from_str(&text).with_context(|| format!("{} is not a roster request", input.display()))?;
    let problem = request.expand().map_err(|e| anyhow::anyhow!("the request is invalid: {e}"))?;
    let solution = solve(&problem, budget, 1);
    let start = request.start.and_hms_opt(0, 0, 0).unwrap_or_default();
    let at = |minutes: i64| (start + chrono::Duration::minutes(minutes)).format("%Y-%m-%dT%H:%M").to_string();
    let reasons: std::collections::HashMap<usize, (u32, &str)> =
        solution.unfilled.iter().map(|u| (u.shift, (u.missing, u.reason.as_str()))).collect();
    let shifts: Vec<serde_json::Value> = problem
        .shifts
        .iter()
        .zip(&solution.roster)
        .enumerate()
        .map(|(i, (s, members))| {
            let (missing, reason) = reasons.get(&i).copied().unwrap_or((0, ""));
            json!({
                "checkpoint": request.checkpoints[s.checkpoint].name,
                "start": at(s.start),
                "end": at(s.end),
                "night": s.night,
                "people": members.iter().map(|&p| request.people[p].name.as_str()).collect::<Vec<_>>(),
                "missing": missing,
                "reason": if reason.is_empty() { serde_json::Value::Null } else { reason.into() },
            })
        })
        .collect();
    let places: u32 = problem.shifts.iter().map(|s| s.headcount).sum();
    let filled: usize = solution.roster.iter().map(Vec::len).sum();
    let short = solution.unfilled.len();
    let body = json!({"objective": solution.objective, "places": places, "filled": filled, "shifts": shifts});
    std::fs::write(out, serde_json::to_vec_pretty(&body)?).with_context(|| format!("writing {}", out.display()))?;
    Ok(format!(
        "{} shifts, {filled} of {places} places filled, {short} shifts short; objective {} (first roster after {:.1} ms); written to {}",
        problem.shifts.len(),
        solution.objective,
        solution.first_feasible.as_secs_f64() * 1e3,
        out.display()
    ))
}
