//! `frontline bench soak`: minutes of mixed load on the demo county served by a separate
//! `frontline serve` process — reads (dashboards, a unit, people and order lists), daily sign-offs,
//! work orders taken in, signed and answered, and one 20,000-row roster import half-way through.
//! Every answer must be a success. The server's resident memory and the latency are taken minute
//! by minute; the verdicts compare the last minute with the first. Afterwards every acknowledged
//! sign-off is checked in the store.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frontline_core::demo::Rng;
use frontline_db::{Db, Sql};
use serde_json::{Value, json};

use super::dashboard::demo_token;
use super::process::ServerProcess;
use super::signoff::Pending;

/// One minute of the soak.
pub struct Minute {
    pub requests: usize,
    pub errors: usize,
    pub p50: Duration,
    pub p99: Duration,
    /// The server's resident memory at the minute's end.
    pub resident_mib: f64,
}

pub struct Soak {
    pub minutes: Vec<Minute>,
    /// The import's time and answer.
    pub import: Option<(Duration, u16)>,
    /// The first few failed answers, for the report.
    pub errors: Vec<String>,
    pub signoffs: usize,
    /// Acknowledged sign-offs not found in the store afterwards (must be 0).
    pub signoffs_lost: usize,
    pub orders: usize,
}

/// Latencies and failures, by minute.
#[derive(Default)]
struct Tape {
    minutes: Vec<(Vec<Duration>, usize)>,
    errors: Vec<String>,
    signed: BTreeSet<i64>,
    orders: usize,
}

impl Tape {
    fn note(&mut self, minute: usize, took: Duration, ok: Result<(), String>) {
        while self.minutes.len() <= minute {
            self.minutes.push((Vec::new(), 0));
        }
        self.minutes[minute].0.push(took);
        if let Err(e) = ok {
            self.minutes[minute].1 += 1;
            if self.errors.len() < 20 {
                self.errors.push(e);
            }
        }
    }
}

/// What every worker shares.
struct Shared {
    http: reqwest::Client,
    base: String,
    county_token: String,
    secretary_token: String,
    reads: Vec<String>,
    village: i64,
    pending: Vec<Pending>,
    next_signoff: AtomicUsize,
    started: Instant,
    tape: Mutex<Tape>,
}

impl Shared {
    fn minute(&self) -> usize {
        (self.started.elapsed().as_secs() / 60) as usize
    }

    /// Sends one request and notes how long it took and whether it succeeded.
    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Option<Value> {
        let t = Instant::now();
        let answer = async {
            let r = request.send().await.map_err(|e| format!("{what}: {e}"))?;
            let status = r.status();
            let body = r.bytes().await.map_err(|e| format!("{what}: {e}"))?;
            if !status.is_success() {
                return Err(format!("{what}: {status} {}", String::from_utf8_lossy(&body)));
            }
            Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
        }
        .await;
        let minute = self.minute();
        let mut tape = self.tape.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            Ok(v) => {
                tape.note(minute, t.elapsed(), Ok(()));
                Some(v)
            }
            Err(e) => {
                tape.note(minute, t.elapsed(), Err(e));
                None
            }
        }
    }

    /// One operation, drawn: a read (six in ten), a sign-off (a quarter) or a work order taken
    /// in, signed and answered.
    async fn operate(&self, rng: &mut Rng) {
        let roll = rng.below(100);
        if roll < 60 {
            let url = &self.reads[rng.below(self.reads.len() as u64) as usize];
            self.send(self.http.get(url).bearer_auth(&self.county_token), "read").await;
        } else if roll < 85 {
            let k = self.next_signoff.fetch_add(1, Ordering::Relaxed);
            let Some(p) = self.pending.get(k) else { return };
            let url = format!("{}/api/v1/tasks/{}/submit", self.base, p.instance);
            if self.send(self.http.post(url).bearer_auth(&*p.token).json(&*p.items), "sign-off").await.is_some() {
                self.tape.lock().unwrap_or_else(|e| e.into_inner()).signed.insert(p.instance);
            }
        } else {
            let intake = json!({"category": "road_light", "channel": "hotline", "place_unit_id": self.village,
                "title": "村口路灯不亮", "description": "村口至文化礼堂一段路灯已坏。", "reporter_name": "林秀英"});
            let url = format!("{}/api/v1/orders", self.base);
            let Some(created) =
                self.send(self.http.post(url).bearer_auth(&self.county_token).json(&intake), "intake").await
            else {
                return;
            };
            let Some(id) = created["id"].as_i64() else { return };
            for step in [json!({"step": "sign"}), json!({"step": "reply", "text": "已更换灯具。"})] {
                let url = format!("{}/api/v1/orders/{id}/steps", self.base);
                if self
                    .send(self.http.post(url).bearer_auth(&self.secretary_token).json(&step), "order step")
                    .await
                    .is_none()
                {
                    return;
                }
            }
            self.tape.lock().unwrap_or_else(|e| e.into_inner()).orders += 1;
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Seeds the demo county into `db` (empty, at `url`), serves it with `exe serve`, and keeps
/// `workers` clients busy for `minutes` at about `rate` operations a second in all.
pub async fn run(db: &Db, url: &str, exe: &Path, minutes: u64, rate: usize, workers: usize) -> anyhow::Result<Soak> {
    frontline_db::access::ensure_builtin_roles(db).await?;
    crate::demo::seed(db, crate::demo::Scale::ARTICLE, 7).await?;
    let wanted = (rate as u64 * 60 * minutes / 4 + 1_000) as usize;
    let (list_id, pending) = super::signoff::prepare(db, wanted).await?;
    let villages: Vec<(String,)> = db
        .all(&Sql::new("SELECT code FROM units WHERE kind = 'village' AND code LIKE '330382%' ORDER BY code"))
        .await?;
    let villages: Vec<String> = villages.into_iter().map(|(c,)| c).collect();
    let mut roster = super::import::roster(&villages, 20_000, 20_261_124);
    for (i, row) in roster.iter_mut().enumerate().skip(1) {
        row[6] = format!("177{i:08}");
    }
    let roster = super::import::csv_bytes(&roster)?;
    let ids = |code: &str| {
        let sql = Sql::with("SELECT id FROM units WHERE code = $1", vec![code.to_string().into()]);
        async move { db.one::<(i64,)>(&sql).await.map(|r| r.0) }
    };
    let (county, township, village) = (ids("330382").await?, ids("330382006").await?, ids("330382006205").await?);

    let log = std::env::temp_dir().join(format!("frontline-soak-{}.log", std::process::id()));
    let server = ServerProcess::start(exe, url, &log)?;
    let base = server.base.clone();
    let reads = vec![
        format!("{base}/api/v1/dashboard?unit={county}"),
        format!("{base}/api/v1/dashboard?unit={township}"),
        format!("{base}/api/v1/units/{village}"),
        format!("{base}/api/v1/units/{township}/children"),
        format!("{base}/api/v1/people?unit={village}"),
        format!("{base}/api/v1/orders?unit={village}"),
    ];
    let shared = Arc::new(Shared {
        http: reqwest::Client::builder().pool_max_idle_per_host(workers).timeout(Duration::from_secs(60)).build()?,
        county_token: demo_token(&base, "county_org").await?,
        secretary_token: demo_token(&base, "village_secretary").await?,
        base,
        reads,
        village,
        pending,
        next_signoff: AtomicUsize::new(0),
        started: Instant::now(),
        tape: Mutex::new(Tape::default()),
    });
    let end = Duration::from_secs(minutes * 60);
    let pace = Duration::from_secs_f64(workers as f64 / rate.max(1) as f64);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(1_000 + w as u64);
            let mut next = Instant::now();
            while shared.started.elapsed() < end {
                shared.operate(&mut rng).await;
                next += pace;
                tokio::time::sleep_until(next.into()).await;
            }
        }));
    }
    // The import, half-way.
    let importer = {
        let shared = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(end / 2).await;
            let t = Instant::now();
            let r = shared
                .http
                .post(format!("{}/api/v1/people/import", shared.base))
                .bearer_auth(&shared.county_token)
                .header("content-type", "text/csv")
                .body(roster)
                .send()
                .await;
            let status = r.map(|r| r.status().as_u16()).unwrap_or(0);
            (t.elapsed(), status)
        })
    };
    let mut resident = Vec::new();
    for m in 0..minutes {
        let at = Duration::from_secs((m + 1) * 60);
        tokio::time::sleep(at.saturating_sub(shared.started.elapsed())).await;
        resident.push(server.resident_mib().unwrap_or(0.0));
        let tape = shared.tape.lock().unwrap_or_else(|e| e.into_inner());
        let (done, failed) = tape.minutes.get(m as usize).map_or((0, 0), |(t, e)| (t.len(), *e));
        println!(
            "minute {:>2}: {done} requests, {failed} failed, server resident {:.0} MiB",
            m + 1,
            resident.last().copied().unwrap_or(0.0)
        );
    }
    for t in tasks {
        t.await?;
    }
    let import = importer.await.ok();
    server.kill()?;

    let tape = std::mem::take(&mut *shared.tape.lock().unwrap_or_else(|e| e.into_inner()));
    let mut out = Vec::new();
    for (m, (mut times, errors)) in tape.minutes.into_iter().enumerate().take(minutes as usize) {
        times.sort_unstable();
        out.push(Minute {
            requests: times.len(),
            errors,
            p50: percentile(&times, 0.5),
            p99: percentile(&times, 0.99),
            resident_mib: resident.get(m).copied().unwrap_or(0.0),
        });
    }
    let submitted: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT id FROM task_instances WHERE list_id = $1 AND status = 'submitted'",
            vec![list_id.into()],
        ))
        .await?;
    let submitted: BTreeSet<i64> = submitted.into_iter().map(|(id,)| id).collect();
    let _ = std::fs::remove_file(log);
    Ok(Soak {
        minutes: out,
        import,
        errors: tape.errors,
        signoffs: tape.signed.len(),
        signoffs_lost: tape.signed.difference(&submitted).count(),
        orders: tape.orders,
    })
}

/// Prints the minutes and the verdicts; false when a verdict fails.
pub fn print(store: &str, soak: &Soak) -> bool {
    println!(
        "Soak on {store}: {} minutes of mixed load on the demo county (a separate server process).",
        soak.minutes.len()
    );
    println!("{:>6} {:>9} {:>7} {:>9} {:>9} {:>12}", "minute", "requests", "errors", "p50 ms", "p99 ms", "server MiB");
    for (m, x) in soak.minutes.iter().enumerate() {
        println!(
            "{:>6} {:>9} {:>7} {:>9.1} {:>9.1} {:>12.0}",
            m + 1,
            x.requests,
            x.errors,
            x.p50.as_secs_f64() * 1e3,
            x.p99.as_secs_f64() * 1e3,
            x.resident_mib
        );
    }
    let errors: usize = soak.minutes.iter().map(|m| m.errors).sum();
    let requests: usize = soak.minutes.iter().map(|m| m.requests).sum();
    for e in &soak.errors {
        println!("  failed: {e}");
    }
    let (Some(first), Some(last)) = (soak.minutes.first(), soak.minutes.last()) else { return false };
    let peak = soak.minutes.iter().map(|m| m.resident_mib).fold(0.0, f64::max);
    // Memory: what the store's page caches may still fill (nine SQLite connections, each up to
    // FRONTLINE_SQLITE_CACHE_MIB) is allowed on top of the first minute, and 64 MiB more; no
    // more, and under 1 GiB in all. A leak outgrows that bound; caches filling do not.
    let caches = if store == "SQLite" { 9.0 * frontline_db::sqlite_cache_mib() as f64 } else { 0.0 };
    let bound = first.resident_mib + caches + 64.0;
    let memory_ok = last.resident_mib <= bound && peak < 1024.0;
    // Speed: the last minute's p99 no worse than twice the first's (or 20 ms), its p50 likewise.
    let slow = |a: Duration, b: Duration| b.as_secs_f64() > (a.as_secs_f64() * 2.0).max(0.020);
    let speed_ok = !slow(first.p99, last.p99) && !slow(first.p50, last.p50);
    let import_ok = soak.import.is_some_and(|(_, s)| s == 201);
    let mark = |ok: bool| if ok { "✔" } else { "✘ FAILED" };
    println!("requests {requests}, failed {errors} {}", mark(errors == 0));
    println!(
        "sign-offs acknowledged {}, lost {} {}; work orders taken in, signed and answered {}",
        soak.signoffs,
        soak.signoffs_lost,
        mark(soak.signoffs_lost == 0),
        soak.orders
    );
    match soak.import {
        Some((took, status)) => {
            println!("roster import of 20,000 rows: {status} in {:.1} s {}", took.as_secs_f64(), mark(import_ok))
        }
        None => println!("roster import: no answer {}", mark(false)),
    }
    let half = soak.minutes.len() / 2;
    let late_growth = (last.resident_mib - soak.minutes[half.saturating_sub(1)].resident_mib)
        / (soak.minutes.len() - half).max(1) as f64;
    println!(
        "server memory: first minute {:.0} MiB, last {:.0} MiB, peak {peak:.0} MiB; second half {late_growth:+.1} MiB a \
         minute; bound {bound:.0} MiB (first minute + page caches {caches:.0} + 64) and 1 GiB {}",
        first.resident_mib,
        last.resident_mib,
        mark(memory_ok)
    );
    println!(
        "latency: first minute p50 {:.1} / p99 {:.1} ms, last minute p50 {:.1} / p99 {:.1} ms {}",
        first.p50.as_secs_f64() * 1e3,
        first.p99.as_secs_f64() * 1e3,
        last.p50.as_secs_f64() * 1e3,
        last.p99.as_secs_f64() * 1e3,
        mark(speed_ok)
    );
    errors == 0 && soak.signoffs_lost == 0 && import_ok && memory_ok && speed_ok
}
