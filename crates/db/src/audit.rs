//! The append-only, hash-chained audit log. Entries are appended inside the transaction of the
//! change they describe, so a change and its entry are committed together or not at all.

use chrono::{SecondsFormat, Utc};
use frontline_core::access::{Actor, Scope};
use frontline_core::audit::{
    AuditEntry, ChainCheck, ChainVerifier, Checkpoint, GENESIS_HASH, HASH_VERSION, SECURITY_ACTIONS, SM3_VERSION,
    entry_hash,
};
use serde::Serialize;

use crate::sql::page_bounds;
use crate::{Db, DbError, Page, Sql, Tx};

/// A change to record: the action (`unit.create`), the object, the unit it belongs to (for
/// scoped browsing) and the state before and after.
pub struct Change<'a> {
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: Option<i64>,
    pub unit_path: Option<&'a str>,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// Appends one entry to the chain. PostgreSQL takes a transaction-level advisory lock so that
/// concurrent writers queue for the chain's tail; SQLite already has a single writer.
/// Each entry is hashed with the layout of the entry before it, or a newer one: once the chain
/// turns to SM3 ([`SM3_VERSION`]) it goes on in SM3 without asking any setting.
pub async fn append(tx: &mut Tx, actor: &Actor, change: Change<'_>) -> Result<i64, DbError> {
    append_at_least(tx, actor, change, HASH_VERSION).await
}

/// Appends an entry hashed with at least layout `version` (the entry that turns the chain to SM3).
pub(crate) async fn append_at_least(
    tx: &mut Tx,
    actor: &Actor,
    change: Change<'_>,
    version: i64,
) -> Result<i64, DbError> {
    if tx.is_postgres() {
        tx.execute(&Sql::new("SELECT pg_advisory_xact_lock(7331001)")).await?;
    }
    let mut last: Option<(i64, String, i64)> =
        tx.opt(&Sql::new("SELECT seq, hash, hash_version FROM audit_log ORDER BY seq DESC LIMIT 1")).await?;
    if last.is_none() {
        // Every entry was pruned: the chain goes on from the last one removed.
        last = tx
            .opt(&Sql::new(
                "SELECT through_seq, through_hash, through_version FROM audit_pruned ORDER BY through_seq DESC LIMIT 1",
            ))
            .await?;
    }
    let (prev_seq, prev_hash, prev_version) = last.unwrap_or((0, GENESIS_HASH.to_string(), HASH_VERSION));
    let mut e = AuditEntry {
        seq: prev_seq + 1,
        at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        actor_user_id: actor.user_id,
        actor_name: actor.name.clone(),
        ip: actor.ip.clone(),
        action: change.action.to_string(),
        object_kind: change.object_kind.to_string(),
        object_id: change.object_id,
        before: change.before.to_string(),
        after: change.after.to_string(),
        unit_path: change.unit_path.map(str::to_string),
        version: version.max(prev_version),
        prev_hash,
        hash: String::new(),
    };
    e.hash = entry_hash(&e);
    tx.execute(&Sql::with(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor_name, ip, action, object_kind, object_id, before_state, \
         after_state, unit_path, prev_hash, hash, hash_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        vec![
            e.seq.into(),
            e.at.clone().into(),
            e.actor_user_id.into(),
            e.actor_name.clone().into(),
            e.ip.clone().into(),
            e.action.clone().into(),
            e.object_kind.clone().into(),
            e.object_id.into(),
            e.before.clone().into(),
            e.after.clone().into(),
            e.unit_path.clone().into(),
            e.prev_hash.clone().into(),
            e.hash.clone().into(),
            e.version.into(),
        ],
    ))
    .await?;
    Ok(e.seq)
}

#[derive(Debug, sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    at: String,
    actor_user_id: Option<i64>,
    actor_name: String,
    ip: String,
    action: String,
    object_kind: String,
    object_id: Option<i64>,
    before_state: String,
    after_state: String,
    unit_path: Option<String>,
    hash_version: i64,
    prev_hash: String,
    hash: String,
}

impl From<EntryRow> for AuditEntry {
    fn from(r: EntryRow) -> Self {
        AuditEntry {
            seq: r.seq,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor_name: r.actor_name,
            ip: r.ip,
            action: r.action,
            object_kind: r.object_kind,
            object_id: r.object_id,
            before: r.before_state,
            after: r.after_state,
            unit_path: r.unit_path,
            version: r.hash_version,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const COLUMNS: &str = "seq, at, actor_user_id, actor_name, ip, action, object_kind, object_id, before_state, after_state, \
     unit_path, hash_version, prev_hash, hash";

/// One entry of the chain as stored, every column (what verification reads).
pub async fn entry(db: &Db, seq: i64) -> Result<Option<AuditEntry>, DbError> {
    let row: Option<EntryRow> =
        db.opt(&Sql::with(&format!("SELECT {COLUMNS} FROM audit_log WHERE seq = $1"), vec![seq.into()])).await?;
    Ok(row.map(AuditEntry::from))
}

/// Walks the whole chain in order and reports the first break, if any.
pub async fn verify(db: &Db) -> Result<ChainCheck, DbError> {
    verify_against(db, None).await
}

/// The newest entry's seq and hash (the head a [`Checkpoint`] signs), if the log holds any.
pub async fn head(db: &Db) -> Result<Option<(i64, String, i64)>, DbError> {
    db.opt(&Sql::new("SELECT seq, hash, hash_version FROM audit_log ORDER BY seq DESC LIMIT 1")).await
}

/// Whether the chain is hashed with SM3 from its newest entry on.
pub async fn uses_sm3(db: &Db) -> Result<bool, DbError> {
    Ok(head(db).await?.is_some_and(|(_, _, version)| version >= SM3_VERSION))
}

/// Walks the whole chain and, given the latest signed checkpoint, checks that the chain still
/// reaches it with the same hash (the newest entries were not deleted or rewritten).
///
/// After a pruning the walk starts from the last entry pruned (`audit_pruned`), and that start
/// must be named by an `audit.prune` entry of the chain kept; a checkpoint older than the start
/// is vouched for by that entry.
pub async fn verify_against(db: &Db, checkpoint: Option<&Checkpoint>) -> Result<ChainCheck, DbError> {
    let mut at_checkpoint: Option<String> = None;
    let base: Option<(i64, String)> = db
        .opt(&Sql::new("SELECT through_seq, through_hash FROM audit_pruned ORDER BY through_seq DESC LIMIT 1"))
        .await?;
    let mut v = match &base {
        Some((seq, hash)) => ChainVerifier::after(*seq, hash),
        None => ChainVerifier::new(),
    };
    let mut base_named = base.is_none();
    let mut after = base.as_ref().map_or(0, |(seq, _)| *seq);
    loop {
        let rows: Vec<EntryRow> = db
            .all(&Sql::with(
                &format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000"),
                vec![after.into()],
            ))
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in rows {
            if checkpoint.is_some_and(|c| c.seq == r.seq) {
                at_checkpoint = Some(r.hash.clone());
            }
            if let Some((seq, hash)) = &base
                && r.action == PRUNE_ACTION
                && serde_json::from_str::<serde_json::Value>(&r.after_state).is_ok_and(|a| {
                    a["through_seq"].as_i64() == Some(*seq) && a["through_hash"].as_str() == Some(hash.as_str())
                })
            {
                base_named = true;
            }
            if let Err(broken) = v.push(&r.into()) {
                return Ok(broken);
            }
        }
    }
    if let Some((seq, _)) = &base
        && !base_named
    {
        return Ok(ChainCheck::Broken { seq: seq + 1, reason: "unexplained_start" });
    }
    let pruned_past = |c: &Checkpoint| base.as_ref().is_some_and(|(seq, _)| c.seq <= *seq);
    if let Some(c) = checkpoint.filter(|c| !pruned_past(c))
        && let Err(broken) = c.check(at_checkpoint.as_deref())
    {
        return Ok(broken);
    }
    Ok(v.finish())
}

const PRUNE_ACTION: &str = "audit.prune";

/// Removes the entries older than the install keeps them (`keep_days`, at least six months; 0
/// keeps all), in one transaction: the last entry removed is noted in `audit_pruned`, and the
/// pruning is written as an entry that names it, so that the chain is verified from there.
/// Returns how many entries were removed.
pub async fn prune(db: &Db, keep_days: u32, now: chrono::DateTime<Utc>) -> Result<i64, DbError> {
    if keep_days == 0 {
        return Ok(0);
    }
    let keep_days = keep_days.max(frontline_core::audit::MIN_RETENTION_DAYS);
    let cutoff = (now - chrono::Duration::days(i64::from(keep_days))).to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut tx = db.begin().await?;
    if tx.is_postgres() {
        tx.execute(&Sql::new("SELECT pg_advisory_xact_lock(7331001)")).await?;
    }
    let last: Option<(i64, String, i64)> = tx
        .opt(&Sql::with(
            "SELECT seq, hash, hash_version FROM audit_log WHERE at < $1 ORDER BY seq DESC LIMIT 1",
            vec![cutoff.clone().into()],
        ))
        .await?;
    let Some((through_seq, through_hash, through_version)) = last else { return Ok(0) };
    let removed =
        tx.count(&Sql::with("SELECT COUNT(*) FROM audit_log WHERE seq <= $1", vec![through_seq.into()])).await?;
    tx.execute(&Sql::with("DELETE FROM audit_log WHERE seq <= $1", vec![through_seq.into()])).await?;
    tx.execute(&Sql::with(
        "INSERT INTO audit_pruned (through_seq, through_hash, through_version, pruned_at, entries) VALUES ($1, $2, $3, $4, $5)",
        vec![
            through_seq.into(),
            through_hash.clone().into(),
            through_version.into(),
            now.to_rfc3339_opts(SecondsFormat::Millis, true).into(),
            removed.into(),
        ],
    ))
    .await?;
    append(
        &mut tx,
        &Actor::system("audit retention"),
        Change {
            action: PRUNE_ACTION,
            object_kind: "audit_log",
            object_id: None,
            unit_path: None,
            before: serde_json::Value::Null,
            after: serde_json::json!({"through_seq": through_seq, "through_hash": through_hash, "entries": removed, "older_than": cutoff, "keep_days": keep_days}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(removed)
}

/// Filters for browsing the log.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub object_kind: Option<String>,
    /// Only the security events (`frontline_core::audit::SECURITY_ACTIONS`).
    #[serde(default)]
    pub security: bool,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One entry as browsed (without the hashes' noise for the reader, but with the hash shown short).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor_name: String,
    pub ip: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<i64>,
    pub before: String,
    pub after: String,
    pub hash: String,
}

/// Entries the actor may read: all of them with an all-units scope; otherwise those about objects
/// in units within the scope.
pub async fn list(db: &Db, scope: &Scope, q: &AuditQuery) -> Result<Page<AuditView>, DbError> {
    let (page, per) = page_bounds(q.page, q.per_page);
    let mut filter = Sql::new(" FROM audit_log WHERE ");
    crate::units::push_scope(&mut filter, "unit_path", scope);
    if let Some(a) = q.action.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND action = ").bind(a);
    }
    if let Some(a) = q.actor.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND actor_name = ").bind(a);
    }
    if let Some(k) = q.object_kind.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND object_kind = ").bind(k);
    }
    if q.security {
        filter.push(" AND action IN ").bind_list(SECURITY_ACTIONS.iter().copied());
    }
    let p: Page<EntryRow> = db.page_of(COLUMNS, filter, "seq DESC", page, per).await?;
    Ok(p.map(|r| AuditView {
        seq: r.seq,
        at: r.at,
        actor_name: r.actor_name,
        ip: r.ip,
        action: r.action,
        object_kind: r.object_kind,
        object_id: r.object_id,
        before: r.before_state,
        after: r.after_state,
        hash: r.hash.chars().take(12).collect(),
    }))
}

/// How many security events of each kind a day brought (China days), newest day first.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SecurityDay {
    /// The day, `YYYY-MM-DD` in China.
    pub day: String,
    pub action: String,
    pub events: i64,
}

/// The daily summary of security events over the last `days` days (the audit administrator's).
pub async fn security_summary(db: &Db, scope: &Scope, days: i64) -> Result<Vec<SecurityDay>, DbError> {
    let days = days.clamp(1, 366);
    let since = (Utc::now() - chrono::Duration::days(days)).to_rfc3339_opts(SecondsFormat::Millis, true);
    let rows: Vec<(String, String)> = {
        let mut sql = Sql::new("SELECT at, action FROM audit_log WHERE ");
        crate::units::push_scope(&mut sql, "unit_path", scope);
        sql.push(" AND at >= ").bind(since);
        sql.push(" AND action IN ").bind_list(SECURITY_ACTIONS.iter().copied());
        db.all(&sql).await?
    };
    let mut counts: std::collections::BTreeMap<(String, String), i64> = std::collections::BTreeMap::new();
    for (at, action) in rows {
        let day = chrono::DateTime::parse_from_rfc3339(&at)
            .map(|t| frontline_core::time::today_in_china(t.with_timezone(&Utc)).to_string())
            .unwrap_or_else(|_| at.chars().take(10).collect());
        *counts.entry((day, action)).or_default() += 1;
    }
    let mut out: Vec<SecurityDay> =
        counts.into_iter().map(|((day, action), events)| SecurityDay { day, action, events }).collect();
    out.sort_by(|a, b| b.day.cmp(&a.day).then(a.action.cmp(&b.action)));
    Ok(out)
}
