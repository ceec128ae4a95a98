//! What is read from the store on almost every request and changes only when it is written —
//! a county's dashboard (every village's month), an account's permissions and scope — kept while
//! nothing has been written, so that many readers share one computation instead of each
//! recomputing it.
//!
//! An entry answers a request when the store has not committed a write since the entry was
//! computed (and it is younger than its time to live, as figures such as "overdue" move with the
//! clock), or when its computation began after the request arrived — it then reflects every
//! write the request could have seen. Readers of one key wait for the computation in progress
//! rather than starting their own.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use frontline_core::access::Scope;
use frontline_db::dashboard::Dashboard;
use frontline_db::{Db, DbError};

/// How long an entry may answer while nothing is written: figures that move with the clock
/// (overdue lists and orders) are at most this old.
const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// Keys held at most by default; past that the cache starts afresh (a bound on memory).
const MOST_KEYS: usize = 2_000;

struct Entry<V> {
    value: V,
    commits: u64,
    started: Instant,
}

type Slot<V> = Arc<tokio::sync::Mutex<Option<Entry<V>>>>;

/// Values by key, each computed by one caller at a time.
pub struct Memo<V> {
    slots: Mutex<HashMap<String, Slot<V>>>,
    most_keys: usize,
}

impl<V> std::fmt::Debug for Memo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self.slots.lock().map(|s| s.len()).unwrap_or_default();
        f.debug_struct("Memo").field("keys", &keys).finish()
    }
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo::with_capacity(MOST_KEYS)
    }
}

impl<V> Memo<V> {
    /// A cache holding at most `most_keys` keys.
    pub fn with_capacity(most_keys: usize) -> Self {
        Memo { slots: Mutex::new(HashMap::new()), most_keys }
    }
}

impl<V: Clone> Memo<V> {
    /// The value of `key`: a current entry's, or `compute`'s (kept unless it failed).
    pub async fn get_or_compute<E, Fut>(&self, key: String, compute: impl FnOnce() -> Fut) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        let arrived = Instant::now();
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if slots.len() >= self.most_keys && !slots.contains_key(&key) {
                slots.clear();
            }
            slots.entry(key.clone()).or_default().clone()
        };
        let mut entry = slot.lock().await;
        if let Some(e) = entry.as_ref() {
            let unchanged = e.commits == frontline_db::commits() && e.started.elapsed() < TIME_TO_LIVE;
            if unchanged || e.started >= arrived {
                return Ok(e.value.clone());
            }
        }
        let (commits, started) = (frontline_db::commits(), Instant::now());
        match compute().await {
            Ok(value) => {
                *entry = Some(Entry { value: value.clone(), commits, started });
                Ok(value)
            }
            Err(e) => {
                // A key that never computed leaves no slot behind (guessed tokens must not fill
                // the map).
                if entry.is_none() {
                    self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&key);
                }
                Err(e)
            }
        }
    }
}

/// A dashboard and its JSON, made once for all its readers (a county's is about 100 KB: the
/// score of every village).
pub struct SharedDashboard {
    pub dashboard: Dashboard,
    pub json: axum::body::Bytes,
}

/// The dashboard of `unit` over a period as the holder of `scope` sees it, shared with every
/// other reader of the same figures.
pub async fn dashboard(
    memo: &Memo<Arc<SharedDashboard>>,
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Arc<SharedDashboard>, DbError> {
    let key = format!("{unit}|{from}|{to}|{scope:?}");
    memo.get_or_compute(key, || async {
        let dashboard = frontline_db::dashboard::dashboard(db, scope, unit, from, to, Utc::now()).await?;
        let json = serde_json::to_vec(&dashboard).map_err(|e| DbError::Config(format!("dashboard as JSON: {e}")))?;
        Ok(Arc::new(SharedDashboard { dashboard, json: json.into() }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_entry_answers_until_the_store_commits_and_failures_are_not_kept() {
        let memo: Memo<u32> = Memo::default();
        let calls = std::sync::atomic::AtomicU32::new(0);
        let compute = || async { Ok::<u32, ()>(calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1) };
        assert_eq!(memo.get_or_compute("a".into(), compute).await, Ok(1));
        // No commit in between: the first value answers (other tests of this process may commit,
        // so a second computation is allowed, but never a stale value after a commit below).
        let again = memo.get_or_compute("a".into(), compute).await.unwrap();
        assert!(again == 1 || again == 2);
        frontline_db::note_commit();
        let after = memo.get_or_compute("a".into(), compute).await.unwrap();
        assert!(after > again, "a commit makes the next read compute afresh");
        assert_eq!(memo.get_or_compute("b".into(), || async { Err::<u32, &str>("no") }).await, Err("no"));
        assert_eq!(format!("{memo:?}"), "Memo { keys: 1 }", "a failed key leaves no slot");
        assert_eq!(memo.get_or_compute("b".into(), || async { Ok::<u32, &str>(7) }).await, Ok(7));
    }
}
