//! `frontline bench pair`: the pairing engine on the 001.2 instance (1,695 organ party
//! organisations × 1,635 village branches) with three cost families, against scipy's
//! `linear_sum_assignment` and the `lap` package's `lapjv` solving the same matrices in the same run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use frontline_core::demo::Rng;
use frontline_core::pairing::{CostMatrix, solve};

use super::python_venv;

/// One instance's result.
pub struct PairFigure {
    pub family: &'static str,
    pub rows: usize,
    pub cols: usize,
    pub frontline: Duration,
    pub frontline_total: f64,
    pub scipy: Duration,
    pub scipy_total: f64,
    pub lap: Duration,
    pub lap_total: f64,
}

impl PairFigure {
    /// Frontline's time relative to the faster anchor (above 1 means Frontline is faster).
    pub fn speedup(&self) -> f64 {
        self.scipy.min(self.lap).as_secs_f64() / self.frontline.as_secs_f64().max(1e-9)
    }

    /// Whether all three totals agree (each solver is optimal, so they must).
    pub fn totals_agree(&self) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        close(self.frontline_total, self.scipy_total) && close(self.frontline_total, self.lap_total)
    }
}

/// The three cost families of the issue, on a `rows × cols` instance.
pub fn instances(rows: usize, cols: usize, seed: u64) -> Vec<(&'static str, CostMatrix)> {
    let mut rng = Rng::new(seed);
    let uniform = CostMatrix::from_fn(rows, cols, |_, _| rng.below(1 << 53) as f64 / (1u64 << 53) as f64);
    let small = CostMatrix::from_fn(rows, cols, |_, _| rng.below(10) as f64);
    // Seats scattered over a 100 km × 100 km county; cost is the straight-line distance in km.
    let mut point = || (rng.below(100_000) as f64 / 1000.0, rng.below(100_000) as f64 / 1000.0);
    let organs: Vec<(f64, f64)> = (0..rows).map(|_| point()).collect();
    let villages: Vec<(f64, f64)> = (0..cols).map(|_| point()).collect();
    let geo = CostMatrix::from_fn(rows, cols, |i, j| {
        let (a, b) = (organs[i], villages[j]);
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    });
    vec![("uniform random [0,1)", uniform), ("small integers 0-9", small), ("geographic distance (km)", geo)]
}

/// The other two pairings of 001.2, with capacities expanded into rows as the engine does:
/// 360 cadres serving up to 3 enterprises each ↔ 905 enterprises, 4 teams serving up to 4 chambers
/// each ↔ 16 chambers; costs are distances between seats.
pub fn service_instances(seed: u64) -> Vec<(&'static str, CostMatrix)> {
    let mut rng = Rng::new(seed);
    let mut point = || (rng.below(100_000) as f64 / 1000.0, rng.below(100_000) as f64 / 1000.0);
    let mut expanded = |left: usize, capacity: usize, right: usize| {
        let seats: Vec<(f64, f64)> = (0..left).map(|_| point()).collect();
        let others: Vec<(f64, f64)> = (0..right).map(|_| point()).collect();
        CostMatrix::from_fn(left * capacity, right, |i, j| {
            let (a, b) = (seats[i / capacity], others[j]);
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
    };
    vec![("cadres x3 -> enterprises", expanded(360, 3, 905)), ("teams x4 -> chambers", expanded(4, 4, 16))]
}

fn write_matrix(path: &Path, m: &CostMatrix) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(&(m.rows as u64).to_le_bytes())?;
    f.write_all(&(m.cols as u64).to_le_bytes())?;
    for c in &m.data {
        f.write_all(&c.to_le_bytes())?;
    }
    f.flush()?;
    Ok(())
}

/// Solves every family with Frontline and with both anchors; `runs` timings each, median kept.
pub fn run(rows: usize, cols: usize, runs: usize) -> anyhow::Result<Vec<PairFigure>> {
    let dir = std::env::temp_dir().join(format!("frontline-bench-pair-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let python = python_venv(&["numpy", "scipy", "lap"])?;
    let script = dir.join("pair_anchor.py");
    std::fs::write(&script, include_str!("../../../../tools/bench/pair_anchor.py"))?;
    let mut figures = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut all = instances(rows, cols, 16_951_635);
    all.extend(service_instances(360_905));
    for (k, (family, m)) in all.into_iter().enumerate() {
        let mut times = Vec::with_capacity(runs);
        let mut total = 0.0;
        for _ in 0..runs {
            let t = Instant::now();
            total = solve(&m).total;
            times.push(t.elapsed());
        }
        times.sort();
        let file = dir.join(format!("instance-{k}.bin"));
        write_matrix(&file, &m)?;
        files.push(file);
        figures.push(PairFigure {
            family,
            rows: m.rows,
            cols: m.cols,
            frontline: times[times.len() / 2],
            frontline_total: total,
            scipy: Duration::ZERO,
            scipy_total: f64::NAN,
            lap: Duration::ZERO,
            lap_total: f64::NAN,
        });
    }
    let out = Command::new(&python)
        .arg(&script)
        .arg(runs.to_string())
        .args(&files)
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    anyhow::ensure!(out.status.success(), "the Python anchor failed: {}", String::from_utf8_lossy(&out.stderr));
    let answers: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    for (figure, file) in figures.iter_mut().zip(&files) {
        let a = &answers[file.to_string_lossy().as_ref()];
        let secs = |solver: &str| Duration::from_secs_f64(a[solver]["seconds"].as_f64().unwrap_or(f64::NAN));
        figure.scipy = secs("scipy");
        figure.lap = secs("lap");
        figure.scipy_total = a["scipy"]["total"].as_f64().unwrap_or(f64::NAN);
        figure.lap_total = a["lap"]["total"].as_f64().unwrap_or(f64::NAN);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(figures)
}

/// Prints the pairing figures as a table.
pub fn print(figures: &[PairFigure]) {
    println!(
        "{:<40} {:>11} {:>11} {:>11} {:>9} {:>16}  optimal",
        "pairing family", "frontline", "scipy", "lap", "speedup", "total cost"
    );
    for f in figures {
        println!(
            "{:<40} {:>8.2} ms {:>8.2} ms {:>8.2} ms {:>8.2}x {:>16.6}  {}",
            format!("{} ({}x{})", f.family, f.rows, f.cols),
            f.frontline.as_secs_f64() * 1e3,
            f.scipy.as_secs_f64() * 1e3,
            f.lap.as_secs_f64() * 1e3,
            f.speedup(),
            f.frontline_total,
            if f.totals_agree() {
                "yes: all three totals equal".to_string()
            } else {
                format!("NO: scipy {:.6}, lap {:.6}", f.scipy_total, f.lap_total)
            }
        );
    }
    println!("speedup = the faster anchor's time / Frontline's time (target: >= 1.00x on every family)");
}
