//! `frontline bench memory`: the server's resident memory with a prefecture in its store — 德宏州
//! with the article's 19,000 grids and 28,000 grid workers, 42,000 more party members (70,000
//! people) and a year's ledger of 25 million records — after serving the prefecture's dashboard,
//! its units and its people to 64 connections.

use std::time::{Duration, Instant};

use anyhow::Context;
use frontline_core::demo::Rng;
use frontline_db::{Db, Sql, Value};
use frontline_web::{AppState, Config};
use serde_json::json;

use super::http::load_get;

/// What the prefecture took and what the server held.
pub struct Footprint {
    pub people: i64,
    pub records: i64,
    pub load_time: Duration,
    pub rss_mib: f64,
    pub peak_mib: f64,
}

/// Fills `db` (empty, SQLite) with the prefecture, serves it and reads the memory.
pub async fn run(db: &Db, records: i64, requests: usize) -> anyhow::Result<Footprint> {
    let started = Instant::now();
    frontline_db::access::ensure_builtin_roles(db).await?;
    super::coverage(db).await?;
    let (pref_id,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '5331'")).await?;
    let villages: Vec<(i64,)> = db.all(&Sql::new("SELECT id FROM units WHERE kind = 'village' ORDER BY id")).await?;
    let mut rng = Rng::new(70_000);
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let members = (0..42_000)
        .map(|i| {
            let home = villages[i % villages.len()].0;
            vec![
                Value::from(frontline_core::demo::person_name(&mut rng)),
                "member".into(),
                "member".into(),
                "none".into(),
                home.into(),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    tx.insert_rows(
        "people",
        &["name", "category", "party_status", "rank", "home_unit_id", "created_at", "updated_at"],
        members,
    )
    .await?;
    // A year of the ledger, spread evenly over the grids, generated in the store itself.
    let grids = tx.count(&Sql::new("SELECT COUNT(*) FROM units WHERE kind = 'grid'")).await?.max(1);
    let per_grid = (records / grids).max(1);
    tx.execute(&Sql::with(
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $1 - 1) \
         INSERT INTO records (kind, unit_id, person_id, occurred_at, value, source_kind, source_id, note, created_at) \
         SELECT 'task_submitted', u.id, NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (s.i * 365 * 24 / $1) || ' hours'), \
                1, 'bench', u.id * 100000 + s.i, NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
         FROM units u JOIN s WHERE u.kind = 'grid' ORDER BY u.id, s.i",
        vec![per_grid.into()],
    ))
    .await?;
    tx.commit().await?;
    let mut tx = db.begin().await?;
    tx.execute(&Sql::new("ANALYZE")).await?;
    tx.commit().await?;
    let load_time = started.elapsed();
    let people = db.count(&Sql::new("SELECT COUNT(*) FROM people")).await?;
    let records = db.count(&Sql::new("SELECT COUNT(*) FROM records")).await?;
    // Serve it as an admin would read it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(db.clone(), Config::default());
    tokio::spawn(async move { frontline_web::serve(state, listener).await });
    let base = format!("http://{addr}");
    let password = "Bench-memory-2026";
    let hash = frontline_web::auth::hash_password(password).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let admin_role: (i64,) = db.one(&Sql::new("SELECT id FROM roles WHERE role_key = 'admin'")).await?;
    let mut tx = db.begin().await?;
    let user = tx
        .insert(&Sql::with(
            "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('bench_admin', '', $1, $2) RETURNING id",
            vec![hash.into(), now.into()],
        ))
        .await?;
    tx.execute(&Sql::with(
        "INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)",
        vec![user.into(), admin_role.0.into()],
    ))
    .await?;
    tx.commit().await?;
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": "bench_admin", "password": password, "name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["token"].as_str().context("a token for the bench account")?.to_string();
    for url in [
        format!("{base}/api/v1/dashboard?unit={pref_id}"),
        format!("{base}/api/v1/units?under={pref_id}&kind=village"),
        format!("{base}/api/v1/people?unit={pref_id}"),
    ] {
        load_get("prefecture read", &url, Some(&token), requests, 64).await?;
    }
    let (rss_mib, peak_mib) = super::all::memory();
    Ok(Footprint { people, records, load_time, rss_mib, peak_mib })
}

/// Prints the footprint.
pub fn print(f: &Footprint) {
    println!(
        "prefecture loaded in {:.1} s: {} people, {} ledger records; server resident {:.0} MiB, peak {:.0} MiB \
         (target < 1,024 MiB; the load generator runs in the same process)",
        f.load_time.as_secs_f64(),
        f.people,
        f.records,
        f.rss_mib,
        f.peak_mib
    );
}
