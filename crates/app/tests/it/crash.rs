//! Crash safety: the real `frontline serve` process is killed with SIGKILL at random moments while
//! clients sign daily lists and move work orders through the API; after every restart each write
//! a client saw acknowledged is in the store, no sign-off or order step is half-applied (its checks,
//! ledger record, timeline and audit entry are all there or none is), the audit chain verifies, and
//! the ledger's kept figures agree with a recount of its records.
//!
//! CI runs a few cycles; `scripts/reliability.sh crash` runs 50 per store
//! (`FRONTLINE_CRASH_CYCLES`, `FRONTLINE_CRASH_SEED` set the count and the random moments).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use frontline_app::bench::process::ServerProcess;
use frontline_app::demo::{self, DEMO_PASSWORD, Scale};
use frontline_core::audit::ChainCheck;
use frontline_db::testing::TestDb;
use frontline_db::{Db, Sql};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The server as a child process on the test's store.
fn start(url: &str, log: &std::path::Path) -> ServerProcess {
    ServerProcess::start(std::path::Path::new(env!("CARGO_BIN_EXE_frontline")), url, log).unwrap()
}

/// What the server acknowledged, across all cycles.
#[derive(Default, Clone)]
struct Acked {
    signoffs: BTreeSet<i64>,
    /// Order id → the steps acknowledged on it (intake counts as `receive`).
    orders: BTreeMap<i64, Vec<String>>,
    /// Answers that were neither an acknowledgement nor a cut connection.
    unexpected: Vec<String>,
}

async fn token(base: &str, username: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": username, "password": DEMO_PASSWORD, "name": "crash test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// Posts and returns the status and body, or None when the connection was cut.
async fn post(http: &reqwest::Client, url: String, token: &str, body: &Value) -> Option<(u16, Value)> {
    let r = http.post(url).bearer_auth(token).json(body).send().await.ok()?;
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.ok()?;
    Some((status, body))
}

struct Workload {
    base: String,
    county: String,
    secretary: String,
    village: i64,
    pending: Arc<Vec<frontline_app::bench::signoff::Pending>>,
    next_signoff: Arc<AtomicUsize>,
    next_order: Arc<AtomicUsize>,
    acked: Arc<Mutex<Acked>>,
}

impl Workload {
    /// Signs lists one after another until the connection is cut or none is left.
    async fn sign(self: Arc<Self>, stop: Arc<AtomicBool>) {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        while !stop.load(Ordering::Relaxed) {
            let k = self.next_signoff.fetch_add(1, Ordering::Relaxed);
            let Some(p) = self.pending.get(k) else { return };
            let url = format!("{}/api/v1/tasks/{}/submit", self.base, p.instance);
            match post(&http, url, &p.token, &p.items).await {
                None => return,
                Some((200, _)) => {
                    self.acked.lock().unwrap().signoffs.insert(p.instance);
                }
                Some((s, b)) => self.acked.lock().unwrap().unexpected.push(format!("submit {}: {s} {b}", p.instance)),
            }
        }
    }

    /// Takes in a request, signs it and replies, again and again, until the connection is cut.
    async fn handle_orders(self: Arc<Self>, stop: Arc<AtomicBool>) {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        while !stop.load(Ordering::Relaxed) {
            let n = self.next_order.fetch_add(1, Ordering::Relaxed);
            let intake = json!({"category": "road_light", "channel": "hotline", "place_unit_id": self.village,
                "title": format!("崩溃测试{n}"), "description": "村口路灯不亮。", "reporter_name": "林秀英"});
            let id = match post(&http, format!("{}/api/v1/orders", self.base), &self.county, &intake).await {
                None => return,
                Some((201, b)) => b["id"].as_i64().unwrap(),
                Some((s, b)) => {
                    self.acked.lock().unwrap().unexpected.push(format!("intake: {s} {b}"));
                    return;
                }
            };
            self.acked.lock().unwrap().orders.insert(id, vec!["receive".into()]);
            for step in [json!({"step": "sign"}), json!({"step": "reply", "text": format!("已修复{n}")})] {
                let url = format!("{}/api/v1/orders/{id}/steps", self.base);
                match post(&http, url, &self.secretary, &step).await {
                    None => return,
                    Some((200, _)) => {
                        let name = step["step"].as_str().unwrap().to_string();
                        self.acked.lock().unwrap().orders.get_mut(&id).unwrap().push(name);
                    }
                    Some((s, b)) => {
                        self.acked.lock().unwrap().unexpected.push(format!("step on {id}: {s} {b}"));
                        return;
                    }
                }
            }
        }
    }
}

/// Checks the store after a crash; returns how many acknowledged writes were checked.
async fn check(db: &Db, list_id: i64, acked: &Acked) -> usize {
    // Every sign-off of the list is whole or absent: three checks, one ledger record, one audit entry.
    let rows: Vec<(i64, String, i64, i64, i64)> = db
        .all(&Sql::with(
            "SELECT i.id, i.status, \
               CAST((SELECT COUNT(*) FROM task_checks c WHERE c.instance_id = i.id) AS BIGINT), \
               CAST((SELECT COUNT(*) FROM records r WHERE r.source_kind = 'task_instance' AND r.source_id = i.id) AS BIGINT), \
               CAST((SELECT COUNT(*) FROM audit_log a WHERE a.object_kind = 'task_instance' AND a.object_id = i.id \
                      AND a.action = 'task.submit') AS BIGINT) \
             FROM task_instances i WHERE i.list_id = $1",
            vec![list_id.into()],
        ))
        .await
        .unwrap();
    let mut submitted = BTreeSet::new();
    for (id, status, checks, records, audited) in rows {
        match status.as_str() {
            "submitted" => {
                assert_eq!((checks, records, audited), (3, 1, 1), "sign-off {id} is whole");
                submitted.insert(id);
            }
            _ => assert_eq!((checks, records, audited), (0, 0, 0), "unsigned list {id} holds nothing"),
        }
    }
    let lost: Vec<_> = acked.signoffs.difference(&submitted).collect();
    assert!(lost.is_empty(), "acknowledged sign-offs lost: {lost:?}");

    // Every order's status is its last step's, and each change after intake has its audit entry.
    let orders: Vec<(i64, String)> =
        db.all(&Sql::new("SELECT id, status FROM work_orders WHERE title LIKE '崩溃测试%'")).await.unwrap();
    let mut steps_of = BTreeMap::new();
    for (id, status) in &orders {
        let steps: Vec<(String, String)> = db
            .all(&Sql::with(
                "SELECT step, to_status FROM order_steps WHERE order_id = $1 ORDER BY id",
                vec![(*id).into()],
            ))
            .await
            .unwrap();
        let audited = db
            .count(&Sql::with(
                "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'work_order' AND object_id = $1",
                vec![(*id).into()],
            ))
            .await
            .unwrap();
        let names: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(names[..2], ["receive", "dispatch"], "order {id} was taken in whole");
        assert_eq!(&steps.last().unwrap().1, status, "order {id}'s status is its last step's");
        assert_eq!(audited as usize, steps.len() - 1, "order {id}: intake and each later step audited once");
        steps_of.insert(*id, names.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    }
    for (id, want) in &acked.orders {
        let have = steps_of.get(id).unwrap_or_else(|| panic!("acknowledged order {id} lost"));
        for step in want {
            assert!(have.contains(step), "order {id}: acknowledged step {step} lost ({have:?})");
        }
    }

    match frontline_db::audit::verify(db).await.unwrap() {
        ChainCheck::Intact { .. } => {}
        ChainCheck::Broken { seq, reason } => panic!("the audit chain broke at {seq}: {reason}"),
    }
    // The ledger's kept figures were written in the records' own transactions: a recount agrees.
    let differences = frontline_db::records::figures::verify(db, 10).await.unwrap();
    assert!(
        differences.is_empty(),
        "ledger figures after SIGKILL: {:?}",
        differences.iter().map(|d| d.to_string()).collect::<Vec<_>>()
    );
    acked.signoffs.len() + acked.orders.values().map(Vec::len).sum::<usize>()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill() {
    let cycles: usize = std::env::var("FRONTLINE_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let seed: u64 = std::env::var("FRONTLINE_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20_261_124);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let guard = TestDb::new().await.unwrap();
    let db = guard.db.clone();
    frontline_db::access::ensure_builtin_roles(&db).await.unwrap();
    demo::seed(&db, Scale::SMALL, 7).await.unwrap();
    let (list_id, pending) = frontline_app::bench::signoff::prepare(&db, 400 * cycles).await.unwrap();
    let (village,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '330382006205'")).await.unwrap();
    let log = std::env::temp_dir().join(format!("ft-crash-{}.log", std::process::id()));

    let server = start(&guard.url, &log);
    let county = token(&server.base, "county_org").await;
    let secretary = token(&server.base, "village_secretary").await;
    let mut server = Some(server);
    let (pending, acked) = (Arc::new(pending), Arc::new(Mutex::new(Acked::default())));
    let (next_signoff, next_order) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut checked = 0;
    for cycle in 0..cycles {
        let running = server.take().unwrap_or_else(|| start(&guard.url, &log));
        let work = Arc::new(Workload {
            base: running.base.clone(),
            county: county.clone(),
            secretary: secretary.clone(),
            village,
            pending: pending.clone(),
            next_signoff: next_signoff.clone(),
            next_order: next_order.clone(),
            acked: acked.clone(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for _ in 0..4 {
            clients.push(tokio::spawn(work.clone().sign(stop.clone())));
        }
        for _ in 0..3 {
            clients.push(tokio::spawn(work.clone().handle_orders(stop.clone())));
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..1_200))).await;
        running.kill().unwrap();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.await.unwrap();
        }
        // Restarted on the same store, which it recovers on opening.
        server = Some(start(&guard.url, &log));
        let seen = acked.lock().unwrap().clone();
        assert!(seen.unexpected.is_empty(), "cycle {cycle}: {:?}", seen.unexpected);
        checked = check(&db, list_id, &seen).await;
    }
    if let Some(s) = server {
        s.kill().unwrap();
    }
    let acked = acked.lock().unwrap();
    println!(
        "crash cycles survived: {cycles} (seed {seed}) on {}; acknowledged writes checked: {checked} \
         ({} sign-offs, {} orders), lost: 0",
        frontline_db::testing::test_store(),
        acked.signoffs.len(),
        acked.orders.len()
    );
    assert!(acked.signoffs.len() >= cycles && !acked.orders.is_empty(), "the clients got writes through");
    let _ = std::fs::remove_file(log);
}
