//! `frontline bench dashboard`: dashboard reads through the real HTTP API under concurrent load,
//! on the demo county at the articles' scale (乐清市: 514 villages, about 66,000 people, a month of
//! work), beside the ceiling of the same machine in the same run: a bare axum "hello world" served
//! and loaded the same way. Requests per second, p50 and p99 per figure.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use frontline_db::{Db, Sql};
use frontline_web::{AppState, Config};
use serde_json::json;

/// Load on one address: requests per second and latency percentiles.
pub struct Load {
    pub name: String,
    pub requests: usize,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Sends `total` GETs to `url` from `concurrency` workers sharing one client (keep-alive), each
/// with the bearer token; every answer must be 200.
async fn load(name: &str, url: &str, token: Option<&str>, total: usize, concurrency: usize) -> anyhow::Result<Load> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, next, url, token) = (client.clone(), next.clone(), url.to_string(), token.map(str::to_string));
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                let t = Instant::now();
                let mut req = client.get(&url);
                if let Some(tok) = &token {
                    req = req.bearer_auth(tok);
                }
                let resp = req.send().await?;
                let status = resp.status();
                let _ = resp.bytes().await?;
                anyhow::ensure!(status.is_success(), "{url} answered {status}");
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::with_capacity(total);
    for w in workers {
        times.extend(w.await??);
    }
    let elapsed = started.elapsed();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Ok(Load {
        name: name.to_string(),
        requests: times.len(),
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    })
}

/// Times each part of one county dashboard, alone and in turn (where the time of a request goes).
async fn parts(db: &Db, unit: i64) -> anyhow::Result<()> {
    use frontline_core::access::Scope;
    let all = Scope::everything();
    let now = chrono::Utc::now();
    let to = frontline_core::tasks::today_in_china(now);
    let from = to - chrono::Duration::days(29);
    let span = frontline_core::bulletins::Span { from, to };
    macro_rules! timed {
        ($name:expr, $e:expr) => {{
            let t = Instant::now();
            let _ = $e.await?;
            println!("  part {:<28} {:>9.1} ms", $name, t.elapsed().as_secs_f64() * 1e3);
        }};
    }
    println!("One county dashboard, part by part:");
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

async fn hello_world() -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// Seeds the demo county into `db` (empty), serves it, and loads the dashboards of the county
/// and of one township, and the hello-world ceiling, with `requests` each at `concurrency`.
pub async fn run(db: &Db, requests: usize, concurrency: usize) -> anyhow::Result<(Duration, Vec<Load>)> {
    let seeded = Instant::now();
    frontline_db::access::ensure_builtin_roles(db).await?;
    crate::demo::seed(db, crate::demo::Scale::ARTICLE, 7).await?;
    let seed_time = seeded.elapsed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(db.clone(), Config::default());
    tokio::spawn(async move { frontline_web::serve(state, listener).await });
    let base = format!("http://{addr}");
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": "county_org", "password": crate::demo::DEMO_PASSWORD, "name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["token"].as_str().context("a token for county_org")?.to_string();
    let (county,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '330382'")).await?;
    let (township,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '330382006'")).await?;
    parts(db, county).await?;
    let hello = hello_world().await?;
    let mut out = Vec::new();
    // A warm-up round of each, not counted.
    for url in [format!("{base}/api/v1/dashboard?unit={county}"), format!("http://{hello}/")] {
        load("warm-up", &url, Some(&token), concurrency, concurrency).await?;
    }
    out.push(
        load("bare axum hello world (the ceiling)", &format!("http://{hello}/"), None, requests * 10, concurrency)
            .await?,
    );
    out.push(
        load(
            "county dashboard, 30 days (514 villages scored)",
            &format!("{base}/api/v1/dashboard?unit={county}"),
            Some(&token),
            requests,
            concurrency,
        )
        .await?,
    );
    out.push(
        load(
            "township dashboard, 30 days (白石街道)",
            &format!("{base}/api/v1/dashboard?unit={township}"),
            Some(&token),
            requests,
            concurrency,
        )
        .await?,
    );
    out.push(
        load(
            "one unit read (a scoped page-sized read)",
            &format!("{base}/api/v1/units/{county}"),
            Some(&token),
            requests,
            concurrency,
        )
        .await?,
    );
    Ok((seed_time, out))
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
