//! Task lists in the store (004.1, 003.10): lists and their items, the instances generated for
//! each period without anyone clicking, sign-off by the doer, verification or return by the
//! secretary, commitment letters, overdue items, weekly reminders (周督促), the monthly dispatch
//! (月调度) and completion rates over any subtree. Every step appends to the records ledger.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::records::RecordKind;
use frontline_core::tasks::{Period, Rates, TaskStatus, ValidTaskList, due_at, period_end, period_start, week_of};
use frontline_core::time::{Timing, today_in_china};
use frontline_core::units::subtree_range;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::evidence::{clean_photo, insert_photo};
use crate::people::open_unit_in_scope;
use crate::records::{self, NewRecord};
use crate::succession::notify;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A task list as shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TaskListView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    /// Post kinds whose holders do the list, comma separated.
    pub post_kinds: String,
    pub period: String,
    pub due_time: String,
    pub campaign: Option<String>,
    pub commitment: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub unit_path: String,
}

/// An item of a list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TaskItemView {
    pub id: i64,
    pub seq: i64,
    pub text: String,
    pub needs_note: bool,
    pub needs_photo: bool,
}

const LIST_COLUMNS: &str = "l.id, l.unit_id, u.name AS unit_name, l.title, l.post_kinds, l.period, l.due_time, l.campaign, \
     l.commitment, l.active, l.created_at, u.path AS unit_path";

/// Lists owned by units in scope (or in a subtree), newest first.
pub async fn lists(db: &Db, scope: &Scope, unit: Option<i64>) -> Result<Vec<TaskListView>, DbError> {
    let mut sql = Sql::new(&format!("SELECT {LIST_COLUMNS} FROM task_lists l JOIN units u ON u.id = l.unit_id WHERE "));
    push_scope(&mut sql, "u.path", scope);
    if let Some(unit) = unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        sql.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    sql.push(" ORDER BY l.id DESC LIMIT 200");
    db.all(&sql).await
}

pub async fn items(db: &Db, list_id: i64) -> Result<Vec<TaskItemView>, DbError> {
    db.all(&Sql::with(
        "SELECT id, seq, text, needs_note, needs_photo FROM task_items WHERE list_id = $1 ORDER BY seq, id",
        vec![list_id.into()],
    ))
    .await
}

/// Creates a list in a unit; its holders get their first instance at once.
pub async fn create_list(db: &Db, actor: &Actor, unit_id: i64, list: &ValidTaskList) -> Result<i64, DbError> {
    actor.require("work:task:edit")?;
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO task_lists (unit_id, title, post_kinds, period, due_time, campaign, commitment, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8) RETURNING id",
            vec![
                unit_id.into(),
                list.title.clone().into(),
                list.post_kinds.join(",").into(),
                list.period.as_str().into(),
                list.due_time.format("%H:%M").to_string().into(),
                list.campaign.clone().into(),
                list.commitment.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    for (seq, item) in list.items.iter().enumerate() {
        tx.execute(&Sql::with(
            "INSERT INTO task_items (list_id, seq, text, needs_note, needs_photo) VALUES ($1, $2, $3, $4, $5)",
            vec![
                id.into(),
                (seq as i64 + 1).into(),
                item.text.clone().into(),
                item.needs_note.into(),
                item.needs_photo.into(),
            ],
        ))
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "task_list.create",
            object_kind: "task_list",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"title": list.title, "post_kinds": list.post_kinds, "period": list.period.as_str(),
                "due_time": list.due_time.format("%H:%M").to_string(), "items": list.items.len()}),
        },
    )
    .await?;
    generate_list(&mut tx, id, today_in_china(Utc::now())).await?;
    tx.commit().await?;
    Ok(id)
}

/// Stops or restarts a list (no new instances while stopped; the old ones stay).
pub async fn set_active(db: &Db, actor: &Actor, list_id: i64, active: bool) -> Result<(), DbError> {
    actor.require("work:task:edit")?;
    let mut tx = db.begin().await?;
    let mut sql =
        Sql::new(&format!("SELECT {LIST_COLUMNS} FROM task_lists l JOIN units u ON u.id = l.unit_id WHERE l.id = "));
    sql.bind(list_id).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let list: TaskListView = tx.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    tx.execute(&Sql::with("UPDATE task_lists SET active = $1 WHERE id = $2", vec![active.into(), list_id.into()]))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "task_list.active",
            object_kind: "task_list",
            object_id: Some(list_id),
            unit_path: Some(&list.unit_path),
            before: json!({"active": list.active}),
            after: json!({"active": active}),
        },
    )
    .await?;
    tx.commit().await
}

/// Creates the missing instances of one list for the period containing `day`: one per current
/// holder of a matching post in the list's subtree. Gives how many were created.
async fn generate_list(tx: &mut Tx, list_id: i64, day: NaiveDate) -> Result<u64, DbError> {
    let (path, kinds, period, due_time, created_at): (String, String, String, String, DateTime<Utc>) = tx
        .one(&Sql::with(
            "SELECT u.path, l.post_kinds, l.period, l.due_time, l.created_at FROM task_lists l JOIN units u ON u.id = l.unit_id \
             WHERE l.id = $1",
            vec![list_id.into()],
        ))
        .await?;
    let period = Period::parse(&period).unwrap_or(Period::Daily);
    let due_time = NaiveTime::parse_from_str(&due_time, "%H:%M").unwrap_or_default();
    let start = period_start(period, day, today_in_china(created_at));
    if period == Period::Once && day > period_end(period, start) {
        return Ok(0);
    }
    let (lo, hi) = subtree_range(&path);
    let mut sql = Sql::new(
        "INSERT INTO task_instances (list_id, person_id, unit_id, period_start, due_at, status, created_at) SELECT ",
    );
    sql.bind(list_id)
        .push(", t.person_id, MIN(po.unit_id), ")
        .bind(start)
        .push(", ")
        .bind(due_at(period, start, due_time));
    sql.push(", 'open', ").bind(Utc::now());
    sql.push(" FROM posts po JOIN tenures t ON t.post_id = po.id JOIN units u ON u.id = po.unit_id WHERE u.path >= ");
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND po.kind IN ");
    sql.bind_list(kinds.split(',').map(str::to_string));
    sql.push(" AND t.start_date <= ").bind(day).push(" AND (t.end_date IS NULL OR t.end_date > ").bind(day);
    sql.push(") GROUP BY t.person_id ON CONFLICT (list_id, person_id, period_start) DO NOTHING");
    tx.execute(&sql).await
}

/// Creates the missing instances of every active list for the period containing `day`.
pub async fn generate_day(db: &Db, day: NaiveDate) -> Result<u64, DbError> {
    let ids: Vec<(i64,)> = db.all(&Sql::new("SELECT id FROM task_lists WHERE active = TRUE ORDER BY id")).await?;
    let mut generated = 0;
    for (id,) in ids {
        let mut tx = db.begin().await?;
        generated += generate_list(&mut tx, id, day).await?;
        tx.commit().await?;
    }
    Ok(generated)
}

/// What one run of the background jobs did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobReport {
    pub generated: u64,
    pub overdue_recorded: u64,
    pub reminders: u64,
    pub dispatches: u64,
}

/// The background work of task lists, safe to run as often as wanted: generate the current
/// period's instances of every active list, record the instances whose period ended unfinished,
/// send the weekly reminders once a week and the monthly dispatch notice once a month.
pub async fn run_jobs(db: &Db, now: DateTime<Utc>) -> Result<JobReport, DbError> {
    let day = today_in_china(now);
    let mut report = JobReport { generated: generate_day(db, day).await?, ..JobReport::default() };
    report.overdue_recorded = record_overdue(db, now).await?;
    let (_, week) = week_of(day);
    if claim_job_run(db, "weekly_reminder", &week).await? {
        report.reminders = weekly_reminders(db, now).await?;
    }
    let month = day.format("%Y-%m").to_string();
    if claim_job_run(db, "monthly_dispatch", &month).await? {
        report.dispatches = monthly_dispatch_notices(db, &month).await?;
    }
    Ok(report)
}

/// Marks a job as run for a period; false when it had run already.
async fn claim_job_run(db: &Db, job: &str, period: &str) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(&Sql::with(
            "INSERT INTO job_runs (job, period, ran_at) VALUES ($1, $2, $3) ON CONFLICT (job, period) DO NOTHING",
            vec![job.into(), period.into(), Utc::now().into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Appends a `task_overdue` record for every instance past due and not handed in, once.
async fn record_overdue(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(&Sql::with(
            "INSERT INTO records (kind, unit_id, person_id, occurred_at, value, source_kind, source_id, note, created_at) \
             SELECT 'task_overdue', i.unit_id, i.person_id, i.due_at, 1, 'task_instance', i.id, NULL, $2 \
             FROM task_instances i WHERE i.status IN ('open', 'returned') AND i.due_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM records r WHERE r.source_kind = 'task_instance' AND r.source_id = i.id AND r.kind = 'task_overdue')",
            vec![now.into(), Utc::now().into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// 周督促: each doer with overdue items, and each village secretary with items overdue or waiting
/// for verification in the village, gets one notification with the counts.
async fn weekly_reminders(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let doers: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT person_id, COUNT(*) FROM task_instances WHERE status IN ('open', 'returned') AND due_at < $1 \
             GROUP BY person_id ORDER BY person_id",
            vec![now.into()],
        ))
        .await?;
    // Village doers hold posts in the village's grids and party branch, one level below it.
    let per_village: Vec<(i64, i64, i64)> = db
        .all(&Sql::with(
            "SELECT u.parent_id, SUM(CASE WHEN i.status IN ('open', 'returned') AND i.due_at < $1 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.status = 'submitted' THEN 1 ELSE 0 END) FROM task_instances i JOIN units u ON u.id = i.unit_id \
             WHERE u.parent_id IS NOT NULL GROUP BY u.parent_id",
            vec![now.into()],
        ))
        .await?;
    let counts: std::collections::HashMap<i64, (i64, i64)> =
        per_village.into_iter().map(|(v, overdue, pending)| (v, (overdue, pending))).collect();
    // A village secretary's post sits in the village's party branch; the village is its parent.
    let secretaries: Vec<(i64, i64)> = db
        .all(&Sql::new(
            "SELECT t.person_id, b.parent_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
             JOIN units b ON b.id = po.unit_id WHERE po.kind = 'secretary' AND b.parent_id IS NOT NULL ORDER BY t.person_id",
        ))
        .await?;
    let created = Utc::now();
    let mut rows: Vec<Vec<crate::Value>> = doers
        .into_iter()
        .map(|(person, overdue)| {
            vec![person.into(), "task_reminder".into(), json!({"overdue": overdue}).to_string().into(), created.into()]
        })
        .collect();
    for (person, village) in secretaries {
        if let Some(&(overdue, pending)) = counts.get(&village).filter(|c| c.0 + c.1 > 0) {
            let params = json!({"overdue": overdue, "pending": pending}).to_string();
            rows.push(vec![person.into(), "task_supervision".into(), params.into(), created.into()]);
        }
    }
    let mut tx = db.begin().await?;
    let sent = tx.insert_rows("notifications", &["person_id", "kind", "params", "created_at"], rows).await?;
    tx.commit().await?;
    Ok(sent)
}

/// 月调度: township secretaries are told the month's dispatch list is ready.
async fn monthly_dispatch_notices(db: &Db, month: &str) -> Result<u64, DbError> {
    let people: Vec<(i64,)> = db
        .all(&Sql::new(
            "SELECT DISTINCT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
             WHERE po.kind = 'township_secretary' ORDER BY t.person_id",
        ))
        .await?;
    let mut tx = db.begin().await?;
    for (person,) in &people {
        notify(&mut tx, *person, "task_dispatch", json!({"month": month})).await?;
    }
    tx.commit().await?;
    Ok(people.len() as u64)
}

/// One person's copy of a list for one period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InstanceView {
    pub id: i64,
    pub list_id: i64,
    pub title: String,
    pub period: String,
    pub person_id: i64,
    pub person_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub period_start: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub status: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub campaign: Option<String>,
    pub commitment: Option<String>,
    /// When the doer's phone says they handed it in, for a sign-off made offline and sent later
    /// (`submitted_at` is this time where it was believed, else `received_at`).
    pub device_at: Option<DateTime<Utc>>,
    /// When the sign-off reached the server.
    pub received_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub unit_path: String,
}

impl InstanceView {
    pub fn status(&self) -> TaskStatus {
        TaskStatus::parse(&self.status).unwrap_or(TaskStatus::Open)
    }

    /// Past due and not handed in.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.status().editable() && self.due_at < now
    }
}

const INSTANCE_COLUMNS: &str = "i.id, i.list_id, l.title, l.period, i.person_id, p.name AS person_name, i.unit_id, \
     u.name AS unit_name, i.period_start, i.due_at, i.status, i.submitted_at, i.decided_at, i.decided_by, i.reason, \
     l.campaign, l.commitment, i.device_at, i.received_at, u.path AS unit_path";
const INSTANCE_FROM: &str = " FROM task_instances i JOIN task_lists l ON l.id = i.list_id JOIN people p ON p.id = i.person_id \
     JOIN units u ON u.id = i.unit_id";

/// The caller's own instances that are current (their period contains `day`) or still open from
/// before, earliest due first.
pub async fn mine(db: &Db, person_id: i64, day: NaiveDate) -> Result<Vec<InstanceView>, DbError> {
    db.all(&Sql::with(
        &format!(
            "SELECT {INSTANCE_COLUMNS}{INSTANCE_FROM} WHERE i.person_id = $1 AND (i.period_start = $2 \
             OR (i.period_start <= $2 AND i.status IN ('open', 'returned')) \
             OR (i.period_start <= $2 AND i.due_at >= $3)) ORDER BY i.due_at, i.id LIMIT 100"
        ),
        vec![person_id.into(), day.into(), day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().into()],
    ))
    .await
}

/// What `status` filters by: a task's status or `overdue` (`""` for any).
fn status_filter() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_or_blank(TaskStatus::ALL.iter().map(|s| s.as_str()).chain(["overdue"]))
}

/// Filters for instances.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceQuery {
    /// Instances of units in this unit's subtree.
    pub unit: Option<i64>,
    /// `open`, `submitted`, `verified`, `returned`, or `overdue`.
    #[param(schema_with = status_filter)]
    pub status: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub person: Option<i64>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page (1–200, default 20).
    pub per_page: Option<i64>,
}

/// Instances in scope (the caller's own always included), most urgent first, a page at a time.
pub async fn instances(
    db: &Db,
    scope: &Scope,
    q: &InstanceQuery,
    now: DateTime<Utc>,
) -> Result<Page<InstanceView>, DbError> {
    let mut sql = Sql::new(&format!("{INSTANCE_FROM} WHERE ("));
    push_scope(&mut sql, "u.path", scope);
    if let Some(me) = scope.person_id {
        sql.push(" OR i.person_id = ").bind(me);
    }
    sql.push(")");
    if let Some(unit) = q.unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        sql.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some("overdue") => {
            sql.push(" AND i.status IN ('open', 'returned') AND i.due_at < ").bind(now);
        }
        Some(s) => {
            let status = TaskStatus::parse(s).ok_or_else(|| DomainError::invalid("status", "error.task.status"))?;
            sql.push(" AND i.status = ").bind(status.as_str());
        }
        None => {}
    }
    if let Some(from) = q.from {
        sql.push(" AND i.period_start >= ").bind(from);
    }
    if let Some(to) = q.to {
        sql.push(" AND i.period_start <= ").bind(to);
    }
    if let Some(p) = q.person {
        sql.push(" AND i.person_id = ").bind(p);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    db.page_of(INSTANCE_COLUMNS, sql, "i.due_at, u.path, i.id", page, per_page).await
}

/// One item of an instance with its tick.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CheckView {
    pub item_id: i64,
    pub seq: i64,
    pub text: String,
    pub needs_note: bool,
    pub needs_photo: bool,
    pub done_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub attachment_id: Option<i64>,
}

/// An instance with its items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstanceDetail {
    pub instance: InstanceView,
    pub items: Vec<CheckView>,
    /// Whether the doer still has to sign the campaign's commitment letter.
    pub commitment_pending: bool,
}

fn instance_sql(scope: &Scope, id: i64) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {INSTANCE_COLUMNS}{INSTANCE_FROM} WHERE i.id = "));
    sql.bind(id).push(" AND (");
    push_scope(&mut sql, "u.path", scope);
    if let Some(me) = scope.person_id {
        sql.push(" OR i.person_id = ").bind(me);
    }
    sql.push(")");
    sql
}

async fn instance_in(tx: &mut Tx, scope: &Scope, id: i64) -> Result<InstanceView, DbError> {
    tx.opt(&instance_sql(scope, id)).await?.ok_or_else(|| DomainError::NotFound.into())
}

/// An instance the caller may see (their own, or one in their units).
pub async fn instance(db: &Db, scope: &Scope, id: i64) -> Result<InstanceDetail, DbError> {
    let mut tx = db.begin().await?;
    let instance = instance_in(&mut tx, scope, id).await?;
    let items = tx
        .all(&Sql::with(
            "SELECT it.id AS item_id, it.seq, it.text, it.needs_note, it.needs_photo, c.done_at, c.note, c.attachment_id \
             FROM task_items it LEFT JOIN task_checks c ON c.item_id = it.id AND c.instance_id = $1 \
             WHERE it.list_id = $2 ORDER BY it.seq, it.id",
            vec![id.into(), instance.list_id.into()],
        ))
        .await?;
    let commitment_pending = match &instance.campaign {
        Some(c) if instance.commitment.is_some() => {
            tx.count(&Sql::with(
                "SELECT COUNT(*) FROM commitments WHERE campaign = $1 AND person_id = $2",
                vec![c.clone().into(), instance.person_id.into()],
            ))
            .await?
                == 0
        }
        _ => false,
    };
    tx.commit().await?;
    Ok(InstanceDetail { instance, items, commitment_pending })
}

/// One item ticked on sign-off.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Tick {
    pub item_id: i64,
    #[serde(default)]
    pub note: String,
    /// An uploaded photo (see `attach`).
    #[serde(default)]
    pub attachment_id: Option<i64>,
}

/// A photo taken for one item, sent with the sign-off itself (the phone form).
#[derive(Debug, Clone)]
pub struct NewPhoto {
    pub item_id: i64,
    pub content_type: String,
    pub data: Vec<u8>,
    /// Where it was taken (latitude, longitude), only where the user chose to send it.
    pub place: Option<(f64, f64)>,
}

/// The doer hands an instance in: every item ticked, with the notes and photos the list asks
/// for. Records `task_submitted` (value 1 when on time). Photos sent with the sign-off are stored
/// in the same transaction, so a refused sign-off keeps none of them.
///
/// This is the write of the morning peak (003.1: tens of thousands of members within an hour), so
/// the checks read on a reading connection first and the transaction holds only the writes; the
/// update of the status re-checks that the instance is still open, so a sign-off racing another
/// change fails whole instead of overwriting it.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    id: i64,
    ticks: &[Tick],
    photos: Vec<NewPhoto>,
    when: Timing,
) -> Result<InstanceView, DbError> {
    let now = when.trusted();
    actor.require("work:task:sign")?;
    let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("work:task:sign".into()))?;
    let mut cleaned = Vec::new();
    for p in &photos {
        cleaned.push((p.item_id, clean_photo(&format!("item_{}", p.item_id), &p.content_type, &p.data, p.place)?));
    }
    let mut inst: InstanceView = db.opt(&instance_sql(&actor.scope, id)).await?.ok_or(DomainError::NotFound)?;
    if inst.person_id != me {
        return Err(DomainError::Forbidden("work:task:sign".into()).into());
    }
    if !inst.status().editable() {
        return Err(DomainError::Conflict("error.task.not_open".into()).into());
    }
    // Signed off on a phone without signal, and returned by the secretary before it arrived:
    // the doer has not read why, so the sign-off is not taken as an answer to the return.
    if let (Some(device), Some(decided)) = (when.device, inst.decided_at)
        && decided > device
    {
        return Err(DomainError::Conflict("error.task.returned_meanwhile".into()).into());
    }
    if let (Some(campaign), Some(_)) = (&inst.campaign, &inst.commitment) {
        let signed = db
            .count(&Sql::with(
                "SELECT COUNT(*) FROM commitments WHERE campaign = $1 AND person_id = $2",
                vec![campaign.clone().into(), me.into()],
            ))
            .await?;
        if signed == 0 {
            return Err(DomainError::Conflict("error.task.commitment_first".into()).into());
        }
    }
    let items: Vec<TaskItemView> = db
        .all(&Sql::with(
            "SELECT id, seq, text, needs_note, needs_photo FROM task_items WHERE list_id = $1 ORDER BY seq, id",
            vec![inst.list_id.into()],
        ))
        .await?;
    let mut problems = frontline_core::error::Problems::new();
    for item in &items {
        let field = format!("item_{}", item.id);
        match ticks.iter().find(|t| t.item_id == item.id) {
            None => problems.add(&field, "error.task.item_unticked"),
            Some(t) => {
                if item.needs_note && t.note.trim().is_empty() {
                    problems.add(&field, "error.task.note_needed");
                }
                if t.note.chars().count() > 500 {
                    problems.add(&field, "error.too_long");
                }
                let photo_sent = photos.iter().any(|p| p.item_id == item.id);
                if item.needs_photo && t.attachment_id.is_none() && !photo_sent {
                    problems.add(&field, "error.task.photo_needed");
                }
            }
        }
    }
    if ticks.iter().any(|t| !items.iter().any(|i| i.id == t.item_id)) {
        problems.add("items", "error.task.unknown_item");
    }
    problems.into_result()?;
    for t in ticks {
        if let Some(a) = t.attachment_id {
            let mine = db
                .count(&Sql::with(
                    "SELECT COUNT(*) FROM attachments WHERE id = $1 AND person_id = $2",
                    vec![a.into(), me.into()],
                ))
                .await?;
            if mine == 0 {
                return Err(DomainError::invalid(&format!("item_{}", t.item_id), "error.task.photo_needed").into());
            }
        }
    }
    let mut tx = db.begin().await?;
    let mut ticks = ticks.to_vec();
    for (item_id, photo) in cleaned {
        let attachment = insert_photo(&mut tx, Some(me), photo, when).await?;
        if let Some(t) = ticks.iter_mut().find(|t| t.item_id == item_id) {
            t.attachment_id = Some(attachment);
        }
    }
    let updated = tx
        .execute(&Sql::with(
            "UPDATE task_instances SET status = 'submitted', submitted_at = $1, device_at = $2, received_at = $3, \
             reason = NULL WHERE id = $4 AND status IN ('open', 'returned')",
            vec![now.into(), when.device.into(), when.received.into(), id.into()],
        ))
        .await?;
    if updated != 1 {
        return Err(DomainError::Conflict("error.task.not_open".into()).into());
    }
    tx.execute(&Sql::with("DELETE FROM task_checks WHERE instance_id = $1", vec![id.into()])).await?;
    let checks = ticks
        .iter()
        .map(|t| {
            let note = Some(t.note.trim().to_string()).filter(|n| !n.is_empty());
            vec![id.into(), t.item_id.into(), note.into(), t.attachment_id.into(), now.into()]
        })
        .collect();
    tx.insert_rows("task_checks", &["instance_id", "item_id", "note", "attachment_id", "done_at"], checks).await?;
    let on_time = now <= inst.due_at;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::TaskSubmitted,
            unit_id: inst.unit_id,
            person_id: Some(me),
            occurred_at: now,
            value: on_time as i64,
            source_kind: "task_instance",
            source_id: id,
            note: None,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "task.submit",
            object_kind: "task_instance",
            object_id: Some(id),
            unit_path: Some(&inst.unit_path),
            before: json!({"status": inst.status}),
            after: json!({"status": "submitted", "on_time": on_time, "items": ticks.len(),
                "received_at": when.received, "device_at": when.device}),
        },
    )
    .await?;
    tx.commit().await?;
    inst.status = "submitted".into();
    inst.submitted_at = Some(now);
    inst.device_at = when.device;
    inst.received_at = Some(when.received);
    inst.reason = None;
    Ok(inst)
}

/// The secretary verifies a handed-in instance, or returns it with a reason (the doer is told).
/// Nobody verifies their own.
pub async fn decide(db: &Db, actor: &Actor, id: i64, approve: bool, reason: &str) -> Result<InstanceView, DbError> {
    actor.require("work:task:verify")?;
    let mut tx = db.begin().await?;
    let view = decide_in(&mut tx, actor, id, approve, reason).await?;
    tx.commit().await?;
    Ok(view)
}

/// Verifies several handed-in lists at once (批量核验), all or none: if one cannot be verified
/// (not handed in, the checker's own, out of reach), nothing is and the error says why. Returns
/// how many were verified.
pub async fn verify_many(db: &Db, actor: &Actor, ids: &[i64]) -> Result<usize, DbError> {
    actor.require("work:task:verify")?;
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(DomainError::invalid("ids", "error.task.none_chosen").into());
    }
    if ids.len() > 200 {
        return Err(DomainError::invalid("ids", "error.too_many").into());
    }
    let mut tx = db.begin().await?;
    for id in &ids {
        decide_in(&mut tx, actor, *id, true, "").await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// The decision on one list, inside the caller's transaction.
async fn decide_in(tx: &mut Tx, actor: &Actor, id: i64, approve: bool, reason: &str) -> Result<InstanceView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {INSTANCE_COLUMNS}{INSTANCE_FROM} WHERE i.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let inst: InstanceView = tx.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    if actor.scope.person_id == Some(inst.person_id) {
        return Err(DomainError::Conflict("error.task.own".into()).into());
    }
    if inst.status() != TaskStatus::Submitted {
        return Err(DomainError::Conflict("error.task.not_submitted".into()).into());
    }
    let reason = reason.trim();
    if !approve && reason.is_empty() {
        return Err(DomainError::invalid("reason", "error.required").into());
    }
    if reason.chars().count() > 200 {
        return Err(DomainError::invalid("reason", "error.too_long").into());
    }
    let now = Utc::now();
    let status = if approve { TaskStatus::Verified } else { TaskStatus::Returned };
    let reason = Some(reason.to_string()).filter(|r| !r.is_empty());
    tx.execute(&Sql::with(
        "UPDATE task_instances SET status = $1, decided_at = $2, decided_by = $3, reason = $4 WHERE id = $5",
        vec![status.as_str().into(), now.into(), actor.name.clone().into(), reason.clone().into(), id.into()],
    ))
    .await?;
    records::append(
        tx,
        NewRecord {
            kind: if approve { RecordKind::TaskVerified } else { RecordKind::TaskReturned },
            unit_id: inst.unit_id,
            person_id: Some(inst.person_id),
            occurred_at: now,
            value: 1,
            source_kind: "task_instance",
            source_id: id,
            note: reason.clone(),
        },
    )
    .await?;
    if !approve {
        notify(
            tx,
            inst.person_id,
            "task_returned",
            json!({"title": inst.title, "reason": reason, "date": inst.period_start}),
        )
        .await?;
    }
    audit::append(
        tx,
        actor,
        Change {
            action: if approve { "task.verify" } else { "task.return" },
            object_kind: "task_instance",
            object_id: Some(id),
            unit_path: Some(&inst.unit_path),
            before: json!({"status": inst.status}),
            after: json!({"status": status.as_str(), "reason": reason}),
        },
    )
    .await?;
    instance_in(tx, &Scope::everything(), id).await
}

/// The caller signs the commitment letter of a list's campaign (once per campaign).
pub async fn sign_commitment(db: &Db, actor: &Actor, list_id: i64) -> Result<(), DbError> {
    actor.require("work:task:sign")?;
    let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("work:task:sign".into()))?;
    let mut tx = db.begin().await?;
    // The caller must be a doer of the list: one of their instances belongs to it.
    let row: Option<(Option<String>, Option<String>, i64, String)> = tx
        .opt(&Sql::with(
            "SELECT l.campaign, l.commitment, i.unit_id, u.path FROM task_lists l JOIN task_instances i ON i.list_id = l.id \
             JOIN units u ON u.id = i.unit_id WHERE l.id = $1 AND i.person_id = $2 ORDER BY i.id DESC LIMIT 1",
            vec![list_id.into(), me.into()],
        ))
        .await?;
    let Some((Some(campaign), Some(text), unit_id, path)) = row else {
        return Err(DomainError::NotFound.into());
    };
    let now = Utc::now();
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO commitments (campaign, person_id, unit_id, text, signed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![campaign.clone().into(), me.into(), unit_id.into(), text.into(), now.into()],
        ))
        .await
        .map_err(|e| e.on_unique("error.task.commitment_signed"))?;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::CommitmentSigned,
            unit_id,
            person_id: Some(me),
            occurred_at: now,
            value: 1,
            source_kind: "commitment",
            source_id: id,
            note: Some(campaign.clone()),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "commitment.sign",
            object_kind: "commitment",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"campaign": campaign}),
        },
    )
    .await?;
    tx.commit().await
}

/// Completion rates of one unit's part of the tree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitRates {
    pub unit_id: i64,
    pub unit_name: String,
    #[schema(value_type = Object)]
    pub rates: Rates,
}

/// Rates over a subtree for instances whose period starts in [from, to]: the whole subtree
/// first, then each child unit.
pub async fn rates(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<UnitRates>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let children = units::children(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    // One aggregate per unit holding instances; rolled up to the children by path.
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = db
        .all(&Sql::with(
            "SELECT u.path, COUNT(*), \
             SUM(CASE WHEN i.status IN ('submitted', 'verified') THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.status IN ('submitted', 'verified') AND i.submitted_at <= i.due_at THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.status = 'verified' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.status = 'returned' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.status IN ('open', 'returned') AND i.due_at < $5 THEN 1 ELSE 0 END) \
             FROM task_instances i JOIN units u ON u.id = i.unit_id WHERE u.path >= $1 AND u.path < $2 \
             AND i.period_start >= $3 AND i.period_start <= $4 GROUP BY u.path",
            vec![lo.into(), hi.into(), from.into(), to.into(), now.into()],
        ))
        .await?;
    let add = |r: &mut Rates, row: &(String, i64, i64, i64, i64, i64, i64)| {
        r.total += row.1;
        r.submitted += row.2;
        r.on_time += row.3;
        r.verified += row.4;
        r.returned += row.5;
        r.overdue += row.6;
    };
    let mut whole = Rates::default();
    for row in &rows {
        add(&mut whole, row);
    }
    let mut out = vec![UnitRates { unit_id: root.id, unit_name: root.name.clone(), rates: whole }];
    for child in children {
        let mut r = Rates::default();
        for row in rows.iter().filter(|row| row.0.starts_with(&child.path)) {
            add(&mut r, row);
        }
        if r.total > 0 {
            out.push(UnitRates { unit_id: child.id, unit_name: child.name, rates: r });
        }
    }
    Ok(out)
}
