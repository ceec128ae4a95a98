//! `frontline bench import`: a roster of a million people (乐清市's 514 villages) checked and
//! written all-or-nothing from CSV and from Excel, through the same code as an upload or
//! `frontline import people`, beside Python's `sqlite3.executemany` of the same rows in one
//! transaction into the same table (the anchor, measured in the same run).

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use frontline_core::access::Actor;
use frontline_core::demo::Rng;
use frontline_core::progress::Progress;
use frontline_db::{Db, Sql};
use frontline_web::i18n::Lang;
use frontline_web::services::{ImportOutcome, RosterFormat, import_roster};

use super::python_venv;

/// What one import took.
pub struct ImportFigure {
    pub format: &'static str,
    pub rows: usize,
    pub bytes: usize,
    pub frontline: Duration,
    /// Time spent in each stage (reading, checking, writing), sampled every 10 ms.
    pub stages: Vec<(&'static str, Duration)>,
}

/// The import figures and the anchor's time for the CSV rows.
pub struct Imports {
    pub figures: Vec<ImportFigure>,
    pub anchor: Option<Duration>,
}

const HEADER: [&str; 8] = ["姓名", "人员类别", "政治面貌", "职级", "专长", "出生日期", "手机号", "编制单位"];

/// A roster of `rows` people spread over the villages: Chinese labels for coded columns, as the
/// template's drop-downs write them, a birthday for most and a phone for all.
pub(crate) fn roster(villages: &[String], rows: usize, seed: u64) -> Vec<Vec<String>> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(rows + 1);
    out.push(HEADER.iter().map(|h| h.to_string()).collect());
    for i in 0..rows {
        let (category, party) = match rng.below(10) {
            0..=3 => ("党员", "中共党员"),
            4..=5 => ("网格员", "群众"),
            6 => ("村干部", "中共党员"),
            _ => ("群众联系人", "群众"),
        };
        out.push(vec![
            frontline_core::demo::person_name(&mut rng),
            category.into(),
            party.into(),
            String::new(),
            String::new(),
            if rng.chance(80) {
                format!("{}-{:02}-{:02}", rng.range(1950, 2004), rng.range(1, 12), rng.range(1, 28))
            } else {
                String::new()
            },
            format!("13{:09}", 100_000_000 + i),
            villages[i % villages.len()].clone(),
        ]);
    }
    out
}

pub(crate) fn csv_bytes(rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r)?;
    }
    Ok(w.into_inner()?)
}

/// Builds 乐清市's units in `db` (empty), imports a `rows`-row roster from CSV (timed from the
/// file's bytes to the commit), then, in a second fresh store, from Excel when `excel_rows` > 0;
/// then times the anchor on the rows as stored.
pub async fn run(db: &Db, second: &Db, rows: usize, excel_rows: usize, anchor: bool) -> anyhow::Result<Imports> {
    let actor = Actor::system("bench");
    let mut figures = Vec::new();
    for (format, store, n) in [("CSV", db, rows), ("Excel", second, excel_rows)] {
        if n == 0 {
            continue;
        }
        frontline_db::access::ensure_builtin_roles(store).await?;
        crate::divisions::import(store, &["330382".to_string()]).await?;
        let villages: Vec<(String,)> = store
            .all(&Sql::new("SELECT code FROM units WHERE kind = 'village' AND code LIKE '330382%' ORDER BY code"))
            .await?;
        let villages: Vec<String> = villages.into_iter().map(|(c,)| c).collect();
        anyhow::ensure!(villages.len() == 514, "乐清市 has {} villages in the shipped table", villages.len());
        let table = roster(&villages, n, 1_000_000);
        let (bytes, kind) = match format {
            "CSV" => (csv_bytes(&table)?, RosterFormat::Csv),
            _ => (frontline_reports::export_table("人员", &table[0], &table[1..])?, RosterFormat::Workbook),
        };
        let progress = std::sync::Arc::new(Progress::default());
        let sampler = {
            let progress = progress.clone();
            tokio::spawn(async move {
                let mut stages: Vec<(&'static str, Duration)> = Vec::new();
                let mut last = (progress.snapshot().0, Instant::now());
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let stage = progress.snapshot().0;
                    if stage != last.0 {
                        stages.push((last.0.as_str(), last.1.elapsed()));
                        last = (stage, Instant::now());
                    }
                    if std::sync::Arc::strong_count(&progress) == 1 {
                        stages.push((last.0.as_str(), last.1.elapsed()));
                        return stages;
                    }
                }
            })
        };
        let started = Instant::now();
        let outcome = import_roster(store, &actor, Lang::Zh, &bytes, kind, &progress)
            .await
            .map_err(|e| anyhow::anyhow!("the import failed: {e:?}"))?;
        let took = started.elapsed();
        drop(progress);
        let stages = sampler.await?;
        match outcome {
            ImportOutcome::Imported(k) => anyhow::ensure!(k == n, "imported {k} of {n} rows"),
            ImportOutcome::Rejected(report) => {
                anyhow::bail!("the roster was rejected: {:?}", report.problems.iter().take(5).collect::<Vec<_>>())
            }
        }
        figures.push(ImportFigure { format, rows: n, bytes: bytes.len(), frontline: took, stages });
    }
    let anchor = if anchor && rows > 0 { Some(python_anchor(db).await?) } else { None };
    Ok(Imports { figures, anchor })
}

/// Writes the people as stored and the table's DDL, and times Python inserting them.
async fn python_anchor(db: &Db) -> anyhow::Result<Duration> {
    let python = python_venv(&[])?;
    let dir = std::env::temp_dir().join(format!("frontline-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ddl: Vec<(String,)> = db
        .all(&Sql::new(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'people' AND sql IS NOT NULL ORDER BY type DESC, name",
        ))
        .await
        .context("the anchor copies the SQLite schema of the people table (run it on SQLite)")?;
    let ddl: String = ddl.into_iter().map(|(s,)| s + ";\n").collect();
    // The foreign key to units is left out: Python's sqlite3 does not enforce it by default.
    let ddl = ddl.replace("REFERENCES units(id)", "");
    std::fs::write(dir.join("people.sql"), ddl)?;
    type Row = (String, String, String, String, Option<String>, Option<String>, Option<String>, i64, String, String);
    let people: Vec<Row> = db
        .all(&Sql::new(
            "SELECT name, category, party_status, rank, specialties, birthday, phone, home_unit_id, created_at, updated_at \
             FROM people ORDER BY id",
        ))
        .await?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(dir.join("rows.csv"))?));
    for p in &people {
        let unit = p.7.to_string();
        w.write_record([
            p.0.as_str(),
            &p.1,
            &p.2,
            &p.3,
            p.4.as_deref().unwrap_or(""),
            p.5.as_deref().unwrap_or(""),
            p.6.as_deref().unwrap_or(""),
            &unit,
            &p.8,
            &p.9,
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?.flush()?;
    let script = dir.join("import_anchor.py");
    std::fs::write(&script, include_str!("../../../../tools/bench/import_anchor.py"))?;
    let out = Command::new(&python)
        .arg(&script)
        .arg(dir.join("people.sql"))
        .arg(dir.join("rows.csv"))
        .arg(dir.join("anchor.db"))
        .output()
        .with_context(|| "running the Python anchor")?;
    anyhow::ensure!(out.status.success(), "the Python anchor failed: {}", String::from_utf8_lossy(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    anyhow::ensure!(answer["rows"].as_u64() == Some(people.len() as u64), "the anchor stored {answer}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Duration::from_secs_f64(answer["seconds"].as_f64().unwrap_or(f64::NAN)))
}

/// Prints the import figures.
pub fn print(imports: &Imports) {
    for f in &imports.figures {
        println!(
            "import {} rows from {} ({:.1} MB), checked and written: {:.2} s ({:.0} rows/s)",
            f.rows,
            f.format,
            f.bytes as f64 / 1e6,
            f.frontline.as_secs_f64(),
            f.rows as f64 / f.frontline.as_secs_f64()
        );
        let stages: Vec<String> = f.stages.iter().map(|(s, d)| format!("{s} {:.2} s", d.as_secs_f64())).collect();
        println!("  by stage: {}", stages.join(", "));
    }
    if let Some(a) = imports.anchor {
        println!("anchor: Python sqlite3.executemany of the same rows, one transaction: {:.2} s", a.as_secs_f64());
    }
    println!("target (issue 8): CSV under 10 s on SQLite and faster than the anchor");
}
