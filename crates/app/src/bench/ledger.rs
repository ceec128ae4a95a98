//! `frontline bench ledger`: every figure of a county's year, read through the HTTP API the
//! first time after a write (nothing cached), at the real size. The demo county (乐清市) is seeded,
//! then its week of records is repeated back over the 52 weeks of a year until the ledger holds
//! the records asked for (25 million by default) — appended through the store's own insert, so the
//! kept figures grow as they would in a year of use. Each read is timed `runs` times, each time
//! right after a new record is committed; the anchor is a bare `COUNT(*)` over the year's records
//! in the same store, in the same run.

use std::time::{Duration, Instant};

use chrono::Utc;
use frontline_core::bulletins::Cadence;
use frontline_core::records::RecordKind;
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_db::records::NewRecord;
use frontline_db::{Db, Sql};

use super::dashboard::{Served, serve_demo};

/// One read, timed after writes.
pub struct Read {
    pub name: String,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// What the run built and measured.
pub struct LedgerBench {
    pub store: &'static str,
    pub records: i64,
    pub grow_time: Duration,
    pub figure_rows: (i64, i64),
    pub count_anchor: Duration,
    pub reads: Vec<Read>,
    /// The year's 堡垒指数 of the county through the server's scoring function (best of the runs).
    pub year_scores: Duration,
    /// DuckDB scoring the same records, when asked.
    pub duckdb: Option<DuckAnchor>,
}

/// DuckDB over the same year of the same records.
pub struct DuckAnchor {
    pub records: usize,
    pub query: Duration,
    /// Villages scored by both, and those whose totals differ by more than 0.011.
    pub compared: usize,
    pub disagreements: usize,
}

/// The county's year as columns for DuckDB (units renumbered, records that count only) and the
/// server's village totals for the same year, compared.
async fn duckdb_anchor(
    db: &Db,
    python: &std::path::Path,
    county: i64,
    bastion: i64,
    period: frontline_db::indicators::Period,
    runs: usize,
) -> anyhow::Result<DuckAnchor> {
    use frontline_core::units::subtree_range;
    let all = frontline_core::access::Scope::everything();
    let root = frontline_db::units::get(db, &all, county).await?;
    let (lo, hi) = subtree_range(&root.path);
    let units: Vec<(i64, Option<i64>)> = db
        .all(&Sql::with(
            "SELECT id, parent_id FROM units WHERE path >= $1 AND path < $2 ORDER BY depth, id",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let index: std::collections::HashMap<i64, u32> =
        units.iter().enumerate().map(|(i, (id, _))| (*id, i as u32)).collect();
    let parent: Vec<u32> = units.iter().map(|(_, p)| p.and_then(|p| index.get(&p).copied()).unwrap_or(0)).collect();
    let mut members = vec![0u32; units.len()];
    let counted: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT p.home_unit_id, COUNT(*) FROM people p JOIN units u ON u.id = p.home_unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND p.party_status IN ('member', 'probationary') GROUP BY p.home_unit_id",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    for (unit, n) in counted {
        if let Some(&i) = index.get(&unit) {
            members[i as usize] = n as u32;
        }
    }
    let meta = frontline_db::indicators::scheme(db, &all, bastion).await?;
    let scheme = meta.compiled()?;
    let (start, end) = (start_of_china_day(period.from), start_of_china_day(period.to + chrono::Duration::days(1)));
    let (mut unit, mut kind, mut value) = (Vec::new(), Vec::new(), Vec::new());
    let mut after = 0i64;
    loop {
        // In slices of a million, by id, so that 25 million rows never sit in memory as rows.
        let mut sql = Sql::new("SELECT r.id, r.unit_id, r.kind, r.value FROM records r WHERE r.id > ");
        sql.bind(after).push(" AND r.occurred_at >= ").bind(start).push(" AND r.occurred_at < ").bind(end);
        sql.push(frontline_db::records::NOT_CORRECTED);
        sql.push(" ORDER BY r.id LIMIT 1000000");
        let rows: Vec<(i64, i64, String, i64)> = db.all(&sql).await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, u, k, v) in rows {
            let (Some(&i), Some(k)) = (index.get(&u), RecordKind::parse(&k)) else { continue };
            unit.push(i);
            kind.push(k.index() as u8);
            value.push(v as i32);
        }
    }
    let columns =
        super::duckdb::Columns { parent: &parent, members: &members, unit: &unit, kind: &kind, value: &value };
    let anchor = super::duckdb::score(python, &scheme, period.days(), &columns, runs)?;
    let ours = frontline_db::indicators::score(db, &all, &meta, &scheme, county, period).await?;
    let mut disagreements = 0;
    for s in &ours.subjects {
        let theirs = index.get(&s.unit_id).and_then(|&i| anchor.totals.get(i as usize)).copied().unwrap_or(f64::NAN);
        if (frontline_core::indicators::round2(theirs) - s.score.total).abs() > 0.011 {
            disagreements += 1;
        }
    }
    Ok(DuckAnchor { records: unit.len(), query: anchor.query, compared: ours.subjects.len(), disagreements })
}

/// Repeats the demo's records back over a year until the ledger holds `target` records: history
/// loaded in bulk, with the figures' upkeep suspended and the figures rebuilt at the end, as
/// `frontline_db::records::figures::suspend_upkeep` provides for loading history.
async fn grow(db: &Db, target: i64) -> anyhow::Result<()> {
    let suspended = frontline_db::records::figures::suspend_upkeep(db).await?;
    copy_back(db, target).await?;
    let t = Instant::now();
    let rebuilt = frontline_db::records::figures::resume_upkeep(db, suspended).await?;
    eprintln!(
        "  figures rebuilt from {} records in {:.0} s: {} unit rows, {} person rows",
        rebuilt.records,
        t.elapsed().as_secs_f64(),
        rebuilt.unit_rows,
        rebuilt.person_rows
    );
    Ok(())
}

async fn copy_back(db: &Db, target: i64) -> anyhow::Result<()> {
    let (last_demo,): (i64,) = db.one(&Sql::new("SELECT COALESCE(MAX(id), 0) FROM records")).await?;
    let mut copy = 0i64;
    loop {
        let have = db.count(&Sql::new("SELECT COUNT(*) FROM records")).await?;
        if have >= target {
            return Ok(());
        }
        copy += 1;
        // Weeks 1..=51 back, over and over: the year fills evenly, eight layers deep at 25 M.
        let days = 7 * (1 + (copy - 1) % 51);
        let shifted = if db.is_postgres() {
            format!("occurred_at - INTERVAL '{days} days'")
        } else {
            format!("strftime('%Y-%m-%dT%H:%M:%f+00:00', occurred_at, '-{days} days')")
        };
        let mut sql = Sql::new(&format!(
            "INSERT INTO records (kind, unit_id, person_id, occurred_at, value, source_kind, source_id, note, created_at) \
             SELECT kind, unit_id, person_id, {shifted}, value, source_kind, source_id, NULL, created_at FROM records \
             WHERE id <= "
        ));
        sql.bind(last_demo).push(" AND source_kind <> 'record' ORDER BY id LIMIT ").bind(target - have);
        let mut tx = db.begin().await?;
        tx.execute(&sql).await?;
        tx.commit().await?;
        if copy % 50 == 0 {
            eprintln!("  ledger: {have} records…");
        }
    }
}

/// A write that every cached figure must see: one leader's note on a village.
async fn write_one(db: &Db, village: i64) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    frontline_db::records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::LeaderInquiry,
            unit_id: village,
            person_id: None,
            occurred_at: Utc::now(),
            value: 1,
            source_kind: "bench",
            source_id: 0,
            note: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

impl Read {
    fn of(name: String, mut times: Vec<Duration>) -> Read {
        times.sort();
        Read { name, p50: percentile(&times, 0.5), p99: percentile(&times, 0.99), max: percentile(&times, 1.0) }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i.min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

/// Seeds, grows and serves the county on `db` (empty), then times each read `runs` times; with a
/// Python environment, DuckDB scores the same year beside it.
pub async fn run(db: &Db, target: i64, runs: usize, python: Option<&std::path::Path>) -> anyhow::Result<LedgerBench> {
    let Served { base, token, .. } = serve_demo(db).await?;
    let started = Instant::now();
    grow(db, target).await?;
    let mut tx = db.begin().await?;
    tx.execute(&Sql::new("ANALYZE")).await?;
    tx.commit().await?;
    let grow_time = started.elapsed();
    let records = db.count(&Sql::new("SELECT COUNT(*) FROM records")).await?;
    let figure_rows = (
        db.count(&Sql::new("SELECT COUNT(*) FROM unit_tallies")).await?,
        db.count(&Sql::new("SELECT COUNT(*) FROM person_tallies")).await?,
    );
    let one = |sql: &str| Sql::new(sql);
    let (county,): (i64,) = db.one(&one("SELECT id FROM units WHERE code = '330382'")).await?;
    let (township,): (i64,) = db.one(&one("SELECT id FROM units WHERE code = '330382006'")).await?;
    let (village,): (i64,) = db
        .one(&one("SELECT u.id FROM units u JOIN records r ON r.unit_id = u.id WHERE u.kind = 'village' \
             GROUP BY u.id ORDER BY COUNT(*) DESC LIMIT 1"))
        .await?;
    let (person,): (i64,) = db
        .one(&one("SELECT person_id FROM records WHERE person_id IS NOT NULL AND id <= 20000 GROUP BY person_id \
             ORDER BY COUNT(*) DESC LIMIT 1"))
        .await?;
    let (bastion,): (i64,) = db
        .one(&Sql::with("SELECT id FROM schemes WHERE code = 'bastion' AND unit_id = $1", vec![county.into()]))
        .await?;
    let (pioneer,): (i64,) = db
        .one(&Sql::with("SELECT id FROM schemes WHERE code = 'pioneer' AND unit_id = $1", vec![county.into()]))
        .await?;
    let today = today_in_china(Utc::now());
    let ago = |days: i64| today - chrono::Duration::days(days);
    let reads = [
        ("ledger, first page: county".to_string(), format!("/api/v1/records?unit={county}")),
        ("ledger, first page: a village".to_string(), format!("/api/v1/records?unit={village}")),
        ("ledger, first page: a person".to_string(), format!("/api/v1/records?person={person}")),
        ("ledger, county, one kind".to_string(), format!("/api/v1/records?unit={county}&kind=task_submitted")),
        (
            "county dashboard, 30 days".to_string(),
            format!("/api/v1/dashboard?unit={county}&from={}&to={today}", ago(29)),
        ),
        (
            "county dashboard, a quarter".to_string(),
            format!("/api/v1/dashboard?unit={county}&from={}&to={today}", ago(90)),
        ),
        (
            "county dashboard, a year".to_string(),
            format!("/api/v1/dashboard?unit={county}&from={}&to={today}", ago(364)),
        ),
        (
            "堡垒指数 of the county, 30 days".to_string(),
            format!("/api/v1/schemes/{bastion}/scores?unit={county}&from={}&to={today}", ago(29)),
        ),
        (
            "堡垒指数 of the county, a year".to_string(),
            format!("/api/v1/schemes/{bastion}/scores?unit={county}&from={}&to={today}", ago(364)),
        ),
        (
            "先锋指数 of a township's members, a year".to_string(),
            format!("/api/v1/schemes/{pioneer}/scores?unit={township}&from={}&to={today}", ago(364)),
        ),
    ];
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for (name, path) in reads {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            write_one(db, village).await?;
            let t = Instant::now();
            let answer = client.get(format!("{base}{path}")).bearer_auth(&token).send().await?;
            let status = answer.status();
            let body = answer.bytes().await?;
            times.push(t.elapsed());
            anyhow::ensure!(status.is_success(), "{name}: {status} {}", String::from_utf8_lossy(&body));
        }
        out.push(Read::of(name, times));
    }
    // One monthly bulletin of the county, made by the function the jobs loop calls.
    let month = Cadence::Monthly.containing(today);
    let last_month = Cadence::Monthly.containing(month.from - chrono::Duration::days(1));
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut tx = db.begin().await?;
        tx.execute(&Sql::with("DELETE FROM bulletins WHERE unit_id = $1", vec![county.into()])).await?;
        tx.commit().await?;
        let t = Instant::now();
        let made = frontline_db::bulletins::generate(db, county, Cadence::Monthly, last_month).await?;
        times.push(t.elapsed());
        anyhow::ensure!(made, "the bulletin was made");
    }
    out.push(Read::of("monthly bulletin of the county".into(), times));
    // The anchor: a bare count of the year's records, in the same store.
    let year_start = start_of_china_day(ago(364));
    let t = Instant::now();
    let counted =
        db.count(&Sql::with("SELECT COUNT(*) FROM records WHERE occurred_at >= $1", vec![year_start.into()])).await?;
    let count_anchor = t.elapsed();
    anyhow::ensure!(counted > 0, "the year holds records");
    // The year's scores through the very function the route calls, and DuckDB on the same records.
    let all = frontline_core::access::Scope::everything();
    let period = frontline_db::indicators::Period::checked(ago(364), today)?;
    let meta = frontline_db::indicators::scheme(db, &all, bastion).await?;
    let scheme = meta.compiled()?;
    let mut year_scores = Duration::MAX;
    for _ in 0..runs.min(5) {
        write_one(db, village).await?;
        let t = Instant::now();
        frontline_db::indicators::score(db, &all, &meta, &scheme, county, period).await?;
        year_scores = year_scores.min(t.elapsed());
    }
    super::dashboard::parts(db, county, ago(364), today).await?;
    let duckdb = match python {
        Some(python) => Some(duckdb_anchor(db, python, county, bastion, period, runs.min(5)).await?),
        None => None,
    };
    Ok(LedgerBench {
        year_scores,
        duckdb,
        store: if db.is_postgres() { "PostgreSQL" } else { "SQLite" },
        records,
        grow_time,
        figure_rows,
        count_anchor,
        reads: out,
    })
}

/// Prints the figures with the anchor and the targets.
pub fn print(b: &LedgerBench) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{}: {} ledger records (grown in {:.0} s); kept figures {} unit rows, {} person rows",
        b.store,
        b.records,
        b.grow_time.as_secs_f64(),
        b.figure_rows.0,
        b.figure_rows.1
    );
    println!("anchor: bare SELECT COUNT(*) over the year's records: {:.0} ms", ms(b.count_anchor));
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>8}  target p99 <= 150 ms and >= 20x the anchor",
        "read (first after a write)", "p50 ms", "p99 ms", "max ms", "anchor/p99"
    );
    println!("堡垒指数 of the county for a year, the route's scoring function alone: {:.1} ms", ms(b.year_scores));
    if let Some(d) = &b.duckdb {
        println!(
            "  DuckDB, same {} records of the year: {:.1} ms ({:.1}x; target >= 10x); village totals compared {}, differing {}",
            d.records,
            ms(d.query),
            d.query.as_secs_f64() / b.year_scores.as_secs_f64().max(1e-9),
            d.compared,
            d.disagreements
        );
    }
    for r in &b.reads {
        let ratio = b.count_anchor.as_secs_f64() / r.p99.as_secs_f64().max(1e-9);
        let met = r.p99 <= Duration::from_millis(150) && ratio >= 20.0;
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>9.1} {:>7.1}x  {}",
            r.name,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            ratio,
            if met { "✔" } else { "✘ MISSED" }
        );
    }
}
