//! The records ledger in the store: appended inside the transaction of the change that produced
//! the fact, read back (scoped) to drill a number down to what it counts.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::access::Scope;
use frontline_core::records::RecordKind;
use frontline_core::time::start_of_china_day;
use frontline_core::units::subtree_range;
use serde::Serialize;

pub mod figures;

use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A fact to append.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub kind: RecordKind,
    pub unit_id: i64,
    pub person_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub value: i64,
    /// The table the fact comes from (`task_instance`, `shift_assignment`…) and its row.
    pub source_kind: &'static str,
    pub source_id: i64,
    pub note: Option<String>,
}

/// Appends a record in the caller's transaction.
pub async fn append(tx: &mut Tx, r: NewRecord) -> Result<i64, DbError> {
    tx.insert(&Sql::with(
        "INSERT INTO records (kind, unit_id, person_id, occurred_at, value, source_kind, source_id, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        vec![
            r.kind.as_str().into(),
            r.unit_id.into(),
            r.person_id.into(),
            r.occurred_at.into(),
            r.value.into(),
            r.source_kind.into(),
            r.source_id.into(),
            r.note.into(),
            Utc::now().into(),
        ],
    ))
    .await
}

/// Appends many facts in one go (bulk work: a training's attendance, the demo week).
pub async fn append_many(tx: &mut Tx, records: Vec<NewRecord>) -> Result<u64, DbError> {
    let created = Utc::now();
    let rows = records
        .into_iter()
        .map(|r| {
            vec![
                r.kind.as_str().into(),
                r.unit_id.into(),
                r.person_id.into(),
                r.occurred_at.into(),
                r.value.into(),
                r.source_kind.into(),
                r.source_id.into(),
                r.note.into(),
                created.into(),
            ]
        })
        .collect();
    tx.insert_rows(
        "records",
        &["kind", "unit_id", "person_id", "occurred_at", "value", "source_kind", "source_id", "note", "created_at"],
        rows,
    )
    .await
}

/// A record as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RecordView {
    pub id: i64,
    pub kind: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub value: i64,
    pub source_kind: String,
    pub source_id: i64,
    pub note: Option<String>,
    /// A later `record_corrected` record names this one: it no longer counts.
    pub corrected: bool,
}

/// The condition "record `r` has not been corrected", for every tally over the ledger.
pub const NOT_CORRECTED: &str =
    " AND NOT EXISTS (SELECT 1 FROM records c WHERE c.source_kind = 'record' AND c.source_id = r.id)";

/// Filters for the ledger.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// Records of units in this unit's subtree.
    pub unit: Option<i64>,
    pub person: Option<i64>,
    pub kind: Option<String>,
    /// From this day (China time), included.
    pub from: Option<NaiveDate>,
    /// Up to and including this day.
    pub to: Option<NaiveDate>,
    /// Values at least this.
    pub min_value: Option<i64>,
    /// Values at most this.
    pub max_value: Option<i64>,
    /// Values other than this.
    pub not_value: Option<i64>,
    /// Records from this source table (`task_instance`, `finding`…).
    pub source_kind: Option<String>,
    /// Only records that count (leave out corrected ones).
    pub counted: Option<bool>,
    /// Keyset paging: the records listed after this one (newest first), i.e. pass the id of the
    /// last record of a page to get the next page at any depth; `page` is then ignored.
    pub before: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Appends the FROM and WHERE of a ledger query to `filter`; `path` is the subtree of `q.unit`,
/// already resolved in the caller's scope.
fn push_filter(scope: &Scope, q: &RecordQuery, path: Option<&str>, filter: &mut Sql) {
    filter.push(" FROM records r JOIN units u ON u.id = r.unit_id LEFT JOIN people p ON p.id = r.person_id WHERE ");
    push_scope(filter, "u.path", scope);
    if let Some(path) = path {
        let (lo, hi) = subtree_range(path);
        filter.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    if let Some(p) = q.person {
        filter.push(" AND r.person_id = ").bind(p);
    }
    if let Some(k) = q.kind.as_deref().filter(|k| !k.is_empty()) {
        filter.push(" AND r.kind = ").bind(k);
    }
    if let Some(from) = q.from {
        filter.push(" AND r.occurred_at >= ").bind(start_of_china_day(from));
    }
    if let Some(to) = q.to {
        filter.push(" AND r.occurred_at < ").bind(start_of_china_day(to.succ_opt().unwrap_or(to)));
    }
    if let Some(v) = q.min_value {
        filter.push(" AND r.value >= ").bind(v);
    }
    if let Some(v) = q.max_value {
        filter.push(" AND r.value <= ").bind(v);
    }
    if let Some(v) = q.not_value {
        filter.push(" AND r.value <> ").bind(v);
    }
    if let Some(s) = q.source_kind.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND r.source_kind = ").bind(s);
    }
    if q.counted == Some(true) {
        filter.push(NOT_CORRECTED);
    }
}

/// The columns of a listed record.
const LIST_COLUMNS: &str = "r.id, r.kind, r.unit_id, u.name AS unit_name, r.person_id, p.name AS person_name, r.occurred_at, \
     r.value, r.source_kind, r.source_id, r.note, \
     EXISTS (SELECT 1 FROM records c WHERE c.source_kind = 'record' AND c.source_id = r.id) AS corrected";

/// The figures' filter for a ledger query, the unit's subtree resolved in the caller's scope.
async fn count_filter<'a>(
    db: &Db,
    scope: &Scope,
    q: &'a RecordQuery,
    path: &'a mut Option<String>,
) -> Result<figures::CountFilter<'a>, DbError> {
    if let Some(unit) = q.unit {
        *path = Some(units::get(db, scope, unit).await?.path);
    }
    Ok(figures::CountFilter {
        path: path.as_deref(),
        person: q.person,
        kind: q.kind.as_deref().filter(|k| !k.is_empty()),
        from: q.from,
        to: q.to,
        min_value: q.min_value,
        max_value: q.max_value,
        not_value: q.not_value,
        source_kind: q.source_kind.as_deref().filter(|s| !s.is_empty()),
        counted: q.counted == Some(true),
    })
}

/// Records in scope, newest first: one page, found by walking the time index from the newest (or
/// from the record `before` names), and the total read from the kept figures, never counted over
/// the records.
pub async fn list(db: &Db, scope: &Scope, q: &RecordQuery) -> Result<Page<RecordView>, DbError> {
    let mut path = None;
    let filter = count_filter(db, scope, q, &mut path).await?;
    let total = figures::counts(db, scope, &filter).await?.iter().map(|k| k.records).sum();
    let mut sql = Sql::new(&format!("SELECT {LIST_COLUMNS}"));
    push_filter(scope, q, filter.path, &mut sql);
    let (mut page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    if let Some(before) = q.before {
        let at: Option<(DateTime<Utc>,)> =
            db.opt(&Sql::with("SELECT occurred_at FROM records WHERE id = $1", vec![before.into()])).await?;
        let Some((at,)) = at else {
            return Err(frontline_core::DomainError::invalid("before", "error.not_found").into());
        };
        sql.push(" AND r.occurred_at <= ").bind(at).push(" AND (r.occurred_at < ").bind(at);
        sql.push(" OR r.id < ").bind(before).push(")");
        page = 1;
    }
    // A small subtree (a village, a grid) is read unit by unit, each newest first from its own
    // index, and the pieces merged; a large one (a township, the county) walks the time index,
    // where its records are dense.
    let units: Vec<(i64,)> = match (filter.path, q.person) {
        (Some(path), None) => {
            let (lo, hi) = subtree_range(path);
            db.all(&Sql::with(
                "SELECT id FROM units WHERE path >= $1 AND path < $2 LIMIT 201",
                vec![lo.into(), hi.into()],
            ))
            .await?
        }
        _ => Vec::new(),
    };
    let sql = if !units.is_empty() && units.len() <= 200 {
        let head = std::mem::take(&mut sql.text);
        let mut merged = Sql { text: String::new(), params: std::mem::take(&mut sql.params) };
        merged.push("SELECT * FROM (");
        for (i, (unit,)) in units.iter().enumerate() {
            if i > 0 {
                merged.push(" UNION ALL ");
            }
            merged.push(&format!("SELECT * FROM ({head} AND r.unit_id = "));
            merged.bind(*unit).push(" ORDER BY r.occurred_at DESC, r.id DESC LIMIT ").bind(page * per_page);
            merged.push(&format!(") b{i}"));
        }
        merged.push(") m ORDER BY occurred_at DESC, id DESC LIMIT ").bind(per_page);
        merged.push(" OFFSET ").bind((page - 1) * per_page);
        merged
    } else {
        sql.push(" ORDER BY r.occurred_at DESC, r.id DESC LIMIT ").bind(per_page);
        sql.push(" OFFSET ").bind((page - 1) * per_page);
        sql
    };
    let items = db.all(&sql).await?;
    Ok(Page { items, total, page, per_page })
}

/// How many records of each kind a filter matches, and the sum of their values: the summary at
/// the top of a person's or a unit's frontline record (守边档案).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct KindCount {
    pub kind: String,
    pub records: i64,
    pub total_value: i64,
}

/// The per-kind summary of [`list`]'s filter (paging ignored; corrected records not counted),
/// read from the kept figures.
pub async fn counts_by_kind(db: &Db, scope: &Scope, q: &RecordQuery) -> Result<Vec<KindCount>, DbError> {
    let q = RecordQuery { counted: Some(true), ..q.clone() };
    let mut path = None;
    let filter = count_filter(db, scope, &q, &mut path).await?;
    Ok(figures::counts(db, scope, &filter)
        .await?
        .into_iter()
        .map(|k| KindCount { kind: k.kind, records: k.records, total_value: k.total_value })
        .collect())
}
