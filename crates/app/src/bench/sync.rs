//! `frontline bench sync`: a phone coming back into signal with 50 changes queued offline (issue
//! 27). The queue is sent as `app.js` sends it: one change after another over one connection,
//! each a sign-off through the real HTTP API with its `Idempotency-Key` and `X-Device-Time`; then
//! the whole queue is sent again (a phone that lost the answers), which must write nothing. The
//! anchor, in the same run: the same number of sign-offs sent one after another without a key.

use std::time::{Duration, Instant};

use chrono::Utc;
use frontline_db::{Db, Sql};

use super::signoff::{Pending, prepare};

/// What one run measured.
pub struct SyncRun {
    pub actions: usize,
    /// The queue sent for the first time.
    pub first: Duration,
    /// The same queue sent again: every answer a replay.
    pub replay: Duration,
    /// The anchor: as many plain sign-offs, one after another, without keys.
    pub plain: Duration,
    /// Records written by the replay (must be 0).
    pub written_twice: i64,
    /// Answers of the replay not marked as replays (must be 0).
    pub not_replayed: usize,
}

async fn send(client: &reqwest::Client, base: &str, p: &Pending, key: Option<&str>) -> anyhow::Result<bool> {
    let mut req =
        client.post(format!("{base}/api/v1/tasks/{}/submit", p.instance)).bearer_auth(&*p.token).json(&*p.items);
    if let Some(key) = key {
        let done = (Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
        req = req.header("idempotency-key", key).header("x-device-time", done);
    }
    let resp = req.send().await?;
    anyhow::ensure!(resp.status().is_success(), "a queued sign-off was refused: {}", resp.status());
    let replayed = resp.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    resp.bytes().await?;
    Ok(replayed)
}

/// Runs the phone's sync of `actions` queued sign-offs against the server at `base` (serving `db`).
pub async fn run(db: &Db, base: &str, actions: usize) -> anyhow::Result<SyncRun> {
    let (list_id, pending) = prepare(db, actions * 2).await?;
    anyhow::ensure!(
        pending.len() >= actions * 2,
        "not enough open lists for {actions} queued sign-offs and the anchor"
    );
    let (queue, anchor) = pending.split_at(actions);
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
    let keys: Vec<String> = (0..actions).map(|i| format!("bench-sync-{}-{i}", std::process::id())).collect();
    let records = |ids: &[Pending]| {
        let mut sql = Sql::new("SELECT COUNT(*) FROM records WHERE kind = 'task_submitted' AND source_id IN ");
        sql.bind_list(ids.iter().map(|p| p.instance));
        sql
    };
    let started = Instant::now();
    for (p, key) in queue.iter().zip(&keys) {
        send(&client, base, p, Some(key)).await?;
    }
    let first = started.elapsed();
    let written = db.count(&records(queue)).await?;
    let started = Instant::now();
    let mut not_replayed = 0;
    for (p, key) in queue.iter().zip(&keys) {
        if !send(&client, base, p, Some(key)).await? {
            not_replayed += 1;
        }
    }
    let replay = started.elapsed();
    let written_twice = db.count(&records(queue)).await? - written;
    let started = Instant::now();
    for p in &anchor[..actions] {
        send(&client, base, p, None).await?;
    }
    let plain = started.elapsed();
    let _ = list_id;
    Ok(SyncRun { actions, first, replay, plain, written_twice, not_replayed })
}

/// Prints the run.
pub fn print(store: &str, r: &SyncRun) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "phone sync on {store}: {} queued sign-offs sent one after another in {:.0} ms ({:.1} ms each); \
         sent again (replays) in {:.0} ms; anchor, as many plain sign-offs: {:.0} ms",
        r.actions,
        ms(r.first),
        ms(r.first) / r.actions as f64,
        ms(r.replay),
        ms(r.plain)
    );
    println!(
        "written twice by the replay: {} records; replay answers not marked as replays: {}",
        r.written_twice, r.not_replayed
    );
}
