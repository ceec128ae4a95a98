//! `frontline bench dashboard`: dashboard reads through the real HTTP API under concurrent load,
//! on the demo county at the articles' scale (乐清市: 514 villages, about 66,000 people, a month of
//! work), beside the ceiling of the same machine in the same run: a bare axum "hello world" served
//! and loaded the same way. Requests per second, p50 and p99 per figure.

use std::time::{Duration, Instant};

use anyhow::Context;
use frontline_db::{Db, Sql};
use frontline_web::{AppState, Config};
use serde_json::json;

use super::http::{Load, ceiling, load_get};

/// Times each part of one county dashboard over `[from, to]`, alone and in turn (where the time
/// of a request goes).
pub async fn parts(db: &Db, unit: i64, from: chrono::NaiveDate, to: chrono::NaiveDate) -> anyhow::Result<()> {
    use frontline_core::access::Scope;
    let all = Scope::everything();
    let now = chrono::Utc::now();
    let span = frontline_core::bulletins::Span { from, to };
    macro_rules! timed {
        ($name:expr, $e:expr) => {{
            let t = Instant::now();
            let _ = $e.await?;
            println!("  part {:<28} {:>9.1} ms", $name, t.elapsed().as_secs_f64() * 1e3);
        }};
    }
    println!("One county dashboard, {from} to {to}, part by part:");
    let path = frontline_db::units::get(db, &all, unit).await?.path;
    let figures = frontline_db::records::figures::TallyQuery {
        holder: frontline_db::records::figures::Holder::Unit,
        path: &path,
        from,
        to,
        kinds: Vec::new(),
    };
    timed!("ledger figures (all kinds)", frontline_db::records::figures::tallies(db, &figures));
    timed!("arrivals", frontline_db::deployment::arrivals(db, &all, unit, to));
    timed!("grid coverage", frontline_db::responsibility::coverage(db, &all, unit, to, 0));
    timed!("sign-off rates", frontline_db::tasks::rates(db, &all, unit, from, to, now));
    timed!("supervision counts", frontline_db::inspections::counts(db, &all, unit, from, to));
    timed!("order counts", frontline_db::orders::counts(db, &all, unit, from, to));
    timed!("bastion ranking", frontline_db::bulletins::ranking(db, unit, span));
    timed!("accountability counts", frontline_db::accountability::counts(db, &all, unit, from, to));
    timed!("training coverage", frontline_db::meetings::coverage(db, &all, unit, from, to));
    timed!("whole dashboard", frontline_db::dashboard::dashboard(db, &all, unit, from, to, now));
    Ok(())
}

/// The demo county served over HTTP on a free loopback port, and a token of the county
/// organisation department's account.
pub struct Served {
    pub base: String,
    pub token: String,
    pub seed_time: Duration,
}

/// Seeds the demo county into `db` (empty) and serves it.
pub async fn serve_demo(db: &Db) -> anyhow::Result<Served> {
    let seeded = Instant::now();
    frontline_db::access::ensure_builtin_roles(db).await?;
    crate::demo::seed(db, crate::demo::Scale::ARTICLE, 7).await?;
    let seed_time = seeded.elapsed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(db.clone(), Config::default());
    tokio::spawn(async move { frontline_web::serve(state, listener).await });
    let base = format!("http://{addr}");
    let token = demo_token(&base, "county_org").await?;
    Ok(Served { base, token, seed_time })
}

/// An API token of one of the demo's accounts, from the server at `base`.
pub async fn demo_token(base: &str, username: &str) -> anyhow::Result<String> {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": username, "password": crate::demo::DEMO_PASSWORD, "name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(answer["token"].as_str().with_context(|| format!("a token for {username}: {answer}"))?.to_string())
}

/// Loads the dashboards of the county and of one township, and one unit read, with `requests`
/// each at `concurrency`, beside the hello-world ceiling (first in the list), after timing the
/// county dashboard's parts.
pub async fn run(db: &Db, served: &Served, requests: usize, concurrency: usize) -> anyhow::Result<Vec<Load>> {
    let (county,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '330382'")).await?;
    let to = frontline_core::time::today_in_china(chrono::Utc::now());
    parts(db, county, to - chrono::Duration::days(29), to).await?;
    let mut out = vec![ceiling(requests * 10, concurrency).await?];
    out.extend(loads(db, served, requests, concurrency).await?.1);
    Ok(out)
}

/// One county dashboard computed from the store (nothing cached), then the county and township
/// dashboards and one unit read through the API, `requests` each at `concurrency`.
pub async fn loads(
    db: &Db,
    served: &Served,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<(Duration, Vec<Load>)> {
    let (base, token) = (&served.base, Some(served.token.as_str()));
    let (county,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '330382'")).await?;
    let (township,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '330382006'")).await?;
    let now = chrono::Utc::now();
    let to = frontline_core::time::today_in_china(now);
    let from = to - chrono::Duration::days(29);
    let all = frontline_core::access::Scope::everything();
    let t = Instant::now();
    frontline_db::dashboard::dashboard(db, &all, county, from, to, now).await?;
    let cold = t.elapsed();
    let figures = [
        ("county dashboard, 30 days (514 villages scored)", format!("{base}/api/v1/dashboard?unit={county}")),
        ("township dashboard, 30 days (白石街道)", format!("{base}/api/v1/dashboard?unit={township}")),
        ("one unit read (a scoped page-sized read)", format!("{base}/api/v1/units/{county}")),
    ];
    let mut out = Vec::new();
    for (name, url) in figures {
        // A warm-up round, not counted: the first reader computes the figures the others share.
        load_get("warm-up", &url, token, concurrency, concurrency).await?;
        out.push(load_get(name, &url, token, requests, concurrency).await?);
    }
    Ok((cold, out))
}

pub fn print(store: &str, seed: Duration, concurrency: usize, loads: &[Load]) {
    println!(
        "Demo county seeded in {:.1} s ({store}); {concurrency} concurrent connections on loopback.",
        seed.as_secs_f64()
    );
    let ceiling = loads.first().map_or(1.0, |l| l.per_second);
    println!(
        "{:<52} {:>9} {:>10} {:>10} {:>10} {:>12}",
        "figure", "requests", "req/s", "p50 ms", "p99 ms", "of ceiling"
    );
    for l in loads {
        println!(
            "{:<52} {:>9} {:>10.0} {:>10.2} {:>10.2} {:>11.1}%",
            l.name,
            l.requests,
            l.per_second,
            l.p50.as_secs_f64() * 1e3,
            l.p99.as_secs_f64() * 1e3,
            l.per_second / ceiling * 100.0
        );
    }
    println!("targets (issue 8, at prefecture scale): p99 < 20 ms at 64 connections; ≥ 25 % of the ceiling's req/s");
}
