//! Rectification plans of laggard organisations in the store (后进整转): opened by the township or
//! county for a unit a score run found a laggard (or that they judge one), progress noted by the
//! unit, closed converted or not. The person who answers for the plan is told.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, text};
use frontline_core::indicators::laggards::PlanStatus;
use frontline_core::time::today_in_china;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::inspections::{subject_in_tx, unit_path_in_scope};
use crate::succession::notify;
use crate::units::push_scope;
use crate::{Db, DbError, Page, Sql};

/// A plan as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = LaggardPlanInput)]
pub struct PlanInput {
    pub unit_id: i64,
    /// The published run that found the unit a laggard, if any.
    #[serde(default)]
    pub run_id: Option<i64>,
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    #[schema(min_length = 1, max_length = 4000)]
    pub plan: String,
    pub deadline: NaiveDate,
    /// The cadre or member who answers for the plan (usually the secretary, or a 第一书记).
    pub responsible_id: i64,
}

/// A plan.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub run_id: Option<i64>,
    pub reason: String,
    pub plan: String,
    pub deadline: NaiveDate,
    pub responsible_id: i64,
    pub responsible_name: String,
    /// `open`, `converted` or `not_converted`.
    pub status: String,
    pub outcome: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl PlanView {
    /// Open past its deadline.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == PlanStatus::Open.as_str() && self.deadline < today
    }
}

/// A note of progress.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = LaggardStepView)]
pub struct StepView {
    pub id: i64,
    pub noted_on: NaiveDate,
    pub note: String,
    pub created_by: String,
}

/// A plan with its progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    pub plan: PlanView,
    pub overdue: bool,
    pub steps: Vec<StepView>,
}

const PLAN_COLUMNS: &str = "l.id, l.unit_id, u.name AS unit_name, l.run_id, l.reason, l.plan, l.deadline, l.responsible_id, \
     p.name AS responsible_name, l.status, l.outcome, l.created_by, l.created_at, l.closed_at";
const PLAN_FROM: &str =
    " FROM laggard_plans l JOIN units u ON u.id = l.unit_id JOIN people p ON p.id = l.responsible_id WHERE ";

/// Opens a plan for a unit the actor reaches; a unit has at most one open plan.
pub async fn create(db: &Db, actor: &Actor, input: &PlanInput) -> Result<i64, DbError> {
    actor.require("judge:laggard:edit")?;
    let mut p = Problems::new();
    let reason = p.check(text("reason", &input.reason, 1000));
    let plan = p.check(text("plan", &input.plan, 4000));
    let today = today_in_china(Utc::now());
    if input.deadline <= today {
        p.add("deadline", "error.judge.deadline_past");
    }
    p.into_result()?;
    let (Some(reason), Some(plan)) = (reason, plan) else {
        return Err(DomainError::invalid("reason", "error.required").into());
    };
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, input.unit_id, "unit_id").await?;
    subject_in_tx(&mut tx, &actor.scope, input.responsible_id, "responsible_id").await?;
    if let Some(run) = input.run_id {
        let found = tx
            .count(&Sql::with(
                "SELECT COUNT(*) FROM scores WHERE run_id = $1 AND unit_id = $2 AND person_id IS NULL AND laggard = $3",
                vec![run.into(), input.unit_id.into(), true.into()],
            ))
            .await?;
        if found == 0 {
            return Err(DomainError::invalid("run_id", "error.judge.not_a_laggard").into());
        }
    }
    let open = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM laggard_plans WHERE unit_id = $1 AND status = $2",
            vec![input.unit_id.into(), PlanStatus::Open.as_str().into()],
        ))
        .await?;
    if open > 0 {
        return Err(DomainError::Conflict("error.judge.plan_open".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO laggard_plans (unit_id, run_id, reason, plan, deadline, responsible_id, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vec![
                input.unit_id.into(),
                input.run_id.into(),
                reason.clone().into(),
                plan.clone().into(),
                input.deadline.into(),
                input.responsible_id.into(),
                PlanStatus::Open.as_str().into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    notify(&mut tx, input.responsible_id, "laggard_plan", json!({"plan_id": id, "deadline": input.deadline})).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "laggard.create",
            object_kind: "laggard_plan",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"unit_id": input.unit_id, "run_id": input.run_id, "reason": reason, "plan": plan,
                "deadline": input.deadline, "responsible_id": input.responsible_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Filters for plans.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    pub status: Option<String>,
    pub page: Option<i64>,
}

/// Plans of units the caller reaches, open first, nearest deadline first.
pub async fn list(db: &Db, scope: &Scope, q: &PlanQuery) -> Result<Page<PlanView>, DbError> {
    let mut filter = Sql::new(PLAN_FROM);
    push_scope(&mut filter, "u.path", scope);
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND l.status = ").bind(s);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, Some(50));
    db.page_of(PLAN_COLUMNS, filter, "CASE WHEN l.status = 'open' THEN 0 ELSE 1 END, l.deadline, l.id", page, per_page)
        .await
}

/// One plan with its progress.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<PlanDetail, DbError> {
    let mut sql = Sql::new(&format!("SELECT {PLAN_COLUMNS}{PLAN_FROM}"));
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND l.id = ").bind(id);
    let plan: PlanView = db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let steps = db
        .all(&Sql::with(
            "SELECT id, noted_on, note, created_by FROM laggard_plan_steps WHERE plan_id = $1 ORDER BY noted_on, id",
            vec![id.into()],
        ))
        .await?;
    let overdue = plan.overdue(today_in_china(Utc::now()));
    Ok(PlanDetail { plan, overdue, steps })
}

/// Notes progress on an open plan (the unit itself, or whoever opened it).
pub async fn add_step(db: &Db, actor: &Actor, id: i64, note: &str) -> Result<i64, DbError> {
    if !actor.can("judge:laggard:report") {
        actor.require("judge:laggard:edit")?;
    }
    let note = text("note", note, 2000).map_err(|e| DbError::from(vec![e]))?;
    let detail = get(db, &actor.scope, id).await?;
    PlanStatus::parse(&detail.plan.status).unwrap_or(PlanStatus::Open).note()?;
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, detail.plan.unit_id, "unit_id").await?;
    let step = tx
        .insert(&Sql::with(
            "INSERT INTO laggard_plan_steps (plan_id, noted_on, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![id.into(), today_in_china(Utc::now()).into(), note.clone().into(), actor.name.clone().into(), Utc::now().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "laggard.note",
            object_kind: "laggard_plan",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"step_id": step, "note": note}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(step)
}

/// Judges an open plan: converted (整转完成) or not, with the outcome in words.
pub async fn close(db: &Db, actor: &Actor, id: i64, converted: bool, outcome: &str) -> Result<(), DbError> {
    actor.require("judge:laggard:edit")?;
    let outcome = text("outcome", outcome, 2000).map_err(|e| DbError::from(vec![e]))?;
    let detail = get(db, &actor.scope, id).await?;
    let before = PlanStatus::parse(&detail.plan.status).unwrap_or(PlanStatus::Open);
    let after = before.close(converted)?;
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, detail.plan.unit_id, "unit_id").await?;
    let changed = tx
        .execute(&Sql::with(
            "UPDATE laggard_plans SET status = $1, outcome = $2, closed_at = $3 WHERE id = $4 AND status = $5",
            vec![after.as_str().into(), outcome.clone().into(), Utc::now().into(), id.into(), before.as_str().into()],
        ))
        .await?;
    if changed == 0 {
        return Err(DomainError::Conflict("error.judge.plan_closed".into()).into());
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "laggard.close",
            object_kind: "laggard_plan",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": before.as_str()}),
            after: json!({"status": after.as_str(), "outcome": outcome}),
        },
    )
    .await?;
    tx.commit().await
}
