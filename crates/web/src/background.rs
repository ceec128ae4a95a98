//! Long work that runs beside the requests (exports of long lists, roster imports): each piece of
//! work is a job on a board, run in its own task so nobody waits on it, with its progress readable
//! while it runs and its outcome kept for its owner to collect (a workbook to download, an import
//! report). Jobs are known by an unguessable id, seen only by the account that started them, and
//! forgotten an hour after they start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frontline_core::progress::Progress;

use crate::services::ImportReport;

/// How long a finished job's outcome is kept.
const KEEP: Duration = Duration::from_secs(3600);
/// How many jobs one account may have on the board at once.
const PER_OWNER: usize = 5;

/// What a job ended in.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A workbook to download, with how many rows it holds.
    File { name: String, bytes: Vec<u8>, rows: usize },
    /// A roster written whole.
    Imported(usize),
    /// A roster rejected whole, with every problem.
    Rejected(ImportReport),
    /// It could not be done: the HTTP status that says why (422 for input that cannot be used, 500
    /// for a fault) and the message in the owner's language.
    Failed { status: u16, message: String },
}

/// One piece of long work.
#[derive(Debug)]
pub struct Job {
    pub owner: Option<i64>,
    pub progress: Progress,
    started: Instant,
    outcome: Mutex<Option<Outcome>>,
}

impl Job {
    /// The outcome, once the work is over.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome.lock().ok().and_then(|o| o.clone())
    }

    pub fn finish(&self, outcome: Outcome) {
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(outcome);
        }
    }
}

/// The jobs of one server.
#[derive(Debug, Default)]
pub struct Board {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Board {
    /// Puts a new job on the board for `owner`, or `None` when they already have too many running.
    pub fn start(&self, owner: Option<i64>) -> Option<(String, Arc<Job>)> {
        let mut jobs = self.jobs.lock().ok()?;
        jobs.retain(|_, j| j.started.elapsed() < KEEP);
        let running = jobs.values().filter(|j| j.owner == owner && j.outcome().is_none()).count();
        if running >= PER_OWNER {
            return None;
        }
        let id = crate::auth::random_token();
        let job =
            Arc::new(Job { owner, progress: Progress::default(), started: Instant::now(), outcome: Mutex::new(None) });
        jobs.insert(id.clone(), job.clone());
        Some((id, job))
    }

    /// A job of `owner`; another account's job is as good as unknown.
    pub fn get(&self, id: &str, owner: Option<i64>) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().ok()?;
        jobs.get(id).filter(|j| j.owner == owner && j.started.elapsed() < KEEP).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_seen_only_by_their_owner_and_limited_per_owner() {
        let board = Board::default();
        let (id, job) = board.start(Some(1)).unwrap();
        assert!(board.get(&id, Some(1)).is_some());
        assert!(board.get(&id, Some(2)).is_none(), "another account cannot see it");
        assert!(board.get("no-such-job", Some(1)).is_none());
        for _ in 1..PER_OWNER {
            board.start(Some(1)).unwrap();
        }
        assert!(board.start(Some(1)).is_none(), "too many running at once");
        assert!(board.start(Some(2)).is_some(), "others are not held up");
        job.finish(Outcome::Imported(3));
        assert!(board.start(Some(1)).is_some(), "a finished job no longer counts");
        assert!(matches!(board.get(&id, Some(1)).unwrap().outcome(), Some(Outcome::Imported(3))));
    }
}
