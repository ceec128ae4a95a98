//! The background work the server does by itself (the jobs loop of `frontline serve` calls
//! [`run`] every few minutes; running it more often does no harm): the current period's task
//! instances, overdue and missed-shift records, the weekly reminders and the monthly dispatch, and
//! the yellow card on work orders past their time limit, and the escalation of findings not fixed
//! by their deadline or topics (党委点题) not answered by theirs, and the periodic bulletins that
//! have come due, and the answers kept for phones' retries once they are a week old.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Db, DbError};

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobsReport {
    pub tasks: crate::tasks::JobReport,
    pub missed_shifts: u64,
    pub orders_escalated: u64,
    pub findings_escalated: u64,
    pub topics_escalated: u64,
    pub bulletins: u64,
    pub replays_forgotten: u64,
    /// Audit entries older than the install keeps them, pruned.
    pub audit_entries_pruned: i64,
}

pub async fn run(db: &Db, now: DateTime<Utc>) -> Result<JobsReport, DbError> {
    let tasks = crate::tasks::run_jobs(db, now).await?;
    let missed_shifts = crate::roster::record_missed(db, now).await?;
    let orders_escalated = crate::orders::escalate_overdue(db, now).await?;
    let findings_escalated = crate::inspections::escalate_overdue(db, now).await?;
    let topics_escalated = crate::meetings::escalate_overdue_topics(db, now).await?;
    let bulletins = crate::bulletins::generate_due(db, now).await?;
    let replays_forgotten = crate::offline::purge(db, now).await?;
    let keep_days = crate::security::audit_retention(db).await?;
    let audit_entries_pruned = crate::audit::prune(db, keep_days, now).await?;
    Ok(JobsReport {
        tasks,
        missed_shifts,
        orders_escalated,
        findings_escalated,
        topics_escalated,
        bulletins,
        replays_forgotten,
        audit_entries_pruned,
    })
}
