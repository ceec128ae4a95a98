//! Accountability in the store (004.6, 003.14, 001.7): actions on cadres and party members with
//! the finding, record or order behind them, the decided items about them (问责会审 and 容错纠错),
//! the counts by kind and unit, and the trace-back (责任倒查) from a missed item to the post
//! holder who answered for it at that moment.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::accountability::{ActionKind, ActionStatus, ReviewKind, ReviewStatus, SourceKind};
use frontline_core::error::{Problems, optional_text, text};
use frontline_core::records::RecordKind;
use frontline_core::time::today_in_china;
use frontline_core::units::{is_within, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::inspections::subject_in_tx;
use crate::records::{self, NewRecord};
use crate::responsibility::{self, ChainLevel, responsible_holder};
use crate::succession::notify;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// An action as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ActionInput {
    pub person_id: i64,
    /// `interview` 约谈, `admonition` 诫勉, `criticism` 通报批评, `suspension` 歇职, `exit` 退出,
    /// `discipline` 党纪政务处分, `candidacy` 取消换届人选资格, `adjustment` 组织调整.
    #[schema(value_type = frontline_core::accountability::ActionKind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// The decision's text (文号 and wording); required unless the action goes to a review first.
    #[serde(default)]
    pub decision: String,
    pub decided_on: NaiveDate,
    /// What the action rests on: `finding`, `record` or `order`, with its id.
    #[serde(default)]
    #[schema(value_type = Option<frontline_core::accountability::SourceKind>)]
    pub source_kind: Option<String>,
    #[serde(default)]
    pub source_id: Option<i64>,
    /// Put the action to an accountability review (问责会审) before it takes effect.
    #[serde(default)]
    pub review: bool,
}

/// An action.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ActionView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub decision: Option<String>,
    pub decided_on: NaiveDate,
    pub source_kind: Option<String>,
    pub source_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const ACTION_COLUMNS: &str = "a.id, a.person_id, p.name AS person_name, a.unit_id, u.name AS unit_name, a.kind, a.status, \
     a.reason, a.decision, a.decided_on, a.source_kind, a.source_id, a.created_by, a.created_at";
const ACTION_FROM: &str =
    " FROM accountability_actions a JOIN people p ON p.id = a.person_id JOIN units u ON u.id = a.unit_id WHERE ";

/// The unit a source happened in, if the actor reaches it.
async fn source_unit(tx: &mut Tx, scope: &Scope, kind: SourceKind, id: i64) -> Result<(i64, NaiveDate), DbError> {
    let mut sql = match kind {
        SourceKind::Finding => Sql::new(
            "SELECT f.unit_id, f.deadline AS day, u.path FROM findings f JOIN units u ON u.id = f.unit_id WHERE f.id = ",
        ),
        SourceKind::Record => Sql::new(
            "SELECT r.unit_id, r.occurred_at AS day, u.path FROM records r JOIN units u ON u.id = r.unit_id WHERE r.id = ",
        ),
        SourceKind::Order => Sql::new(
            "SELECT o.owner_unit_id AS unit_id, o.due_at AS day, u.path FROM work_orders o JOIN units u ON u.id = o.owner_unit_id WHERE o.id = ",
        ),
    };
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    match kind {
        SourceKind::Finding => {
            let row: Option<(i64, NaiveDate, String)> = tx.opt(&sql).await?;
            row.map(|r| (r.0, r.1))
                .ok_or_else(|| DomainError::invalid("source_id", "error.account.unknown_source").into())
        }
        _ => {
            let row: Option<(i64, DateTime<Utc>, String)> = tx.opt(&sql).await?;
            row.map(|r| (r.0, today_in_china(r.1)))
                .ok_or_else(|| DomainError::invalid("source_id", "error.account.unknown_source").into())
        }
    }
}

/// Takes an action on a cadre or party member. In effect at once (a `held_accountable` record),
/// or proposed to an accountability review first. Returns the action's id.
pub async fn create_action(db: &Db, actor: &Actor, input: &ActionInput) -> Result<i64, DbError> {
    actor.require("account:action:edit")?;
    let mut p = Problems::new();
    let kind = ActionKind::parse(&input.kind);
    if kind.is_none() {
        p.add("kind", "error.account.kind");
    }
    let reason = p.check(text("reason", &input.reason, 1000));
    let decision = if input.review {
        p.check(optional_text("decision", &input.decision, 1000)).flatten()
    } else {
        p.check(text("decision", &input.decision, 1000))
    };
    let source = match (input.source_kind.as_deref().filter(|s| !s.is_empty()), input.source_id) {
        (None, None) => None,
        (Some(k), Some(id)) => match SourceKind::parse(k) {
            Some(k) => Some((k, id)),
            None => {
                p.add("source_kind", "error.account.source_kind");
                None
            }
        },
        _ => {
            p.add("source_id", "error.account.source_pair");
            None
        }
    };
    let today = today_in_china(Utc::now());
    if input.decided_on > today {
        p.add("decided_on", "error.account.future");
    }
    p.into_result()?;
    let (Some(kind), Some(reason)) = (kind, reason) else {
        return Err(DomainError::invalid("kind", "error.account.kind").into());
    };
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let home = subject_in_tx(&mut tx, &actor.scope, input.person_id, "person_id").await?;
    let unit = match source {
        Some((k, id)) => source_unit(&mut tx, &actor.scope, k, id).await?.0,
        None => home,
    };
    let (path,): (String,) = tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![unit.into()])).await?;
    if !actor.scope.reaches(&path) {
        return Err(DomainError::invalid("person_id", "error.inspect.unknown_person").into());
    }
    let status = if input.review { ActionStatus::Proposed } else { ActionStatus::Effective };
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO accountability_actions (person_id, unit_id, kind, status, reason, decision, decided_on, source_kind, \
             source_id, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            vec![
                input.person_id.into(),
                unit.into(),
                kind.as_str().into(),
                status.as_str().into(),
                reason.clone().into(),
                decision.clone().into(),
                input.decided_on.into(),
                source.map(|s| s.0.as_str().to_string()).into(),
                source.map(|s| s.1).into(),
                actor.name.clone().into(),
                now.into(),
            ],
        ))
        .await?;
    if input.review {
        tx.insert(&Sql::with(
            "INSERT INTO accountability_reviews (action_id, kind, request, status, requested_by, requested_at) \
             VALUES ($1, 'review', $2, 'pending', $3, $4) RETURNING id",
            vec![id.into(), reason.clone().into(), actor.name.clone().into(), now.into()],
        ))
        .await?;
    } else {
        held_accountable(&mut tx, id, input.person_id, unit, now).await?;
    }
    notify(
        &mut tx,
        input.person_id,
        "accountability_action",
        json!({"kind": kind.as_str(), "status": status.as_str()}),
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "accountability.create",
            object_kind: "accountability_action",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"person_id": input.person_id, "kind": kind.as_str(), "status": status.as_str(), "reason": reason,
                "decision": decision, "decided_on": input.decided_on, "source": source.map(|s| json!([s.0.as_str(), s.1]))}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn held_accountable(tx: &mut Tx, action: i64, person: i64, unit: i64, at: DateTime<Utc>) -> Result<(), DbError> {
    records::append(
        tx,
        NewRecord {
            kind: RecordKind::HeldAccountable,
            unit_id: unit,
            person_id: Some(person),
            occurred_at: at,
            value: 1,
            source_kind: "accountability_action",
            source_id: action,
            note: None,
        },
    )
    .await?;
    Ok(())
}

/// Filters for the actions list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    pub unit: Option<i64>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub person: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Actions in the caller's units, newest first.
pub async fn actions(db: &Db, scope: &Scope, q: &ActionQuery) -> Result<Page<ActionView>, DbError> {
    let mut f = Sql::new(ACTION_FROM);
    push_scope(&mut f, "u.path", scope);
    if let Some(unit) = q.unit {
        units::push_subtree_of(db, scope, &mut f, "u.path", unit).await?;
    }
    if let Some(k) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        f.push(" AND a.kind = ").bind(k);
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        f.push(" AND a.status = ").bind(s);
    }
    if let Some(p) = q.person {
        f.push(" AND a.person_id = ").bind(p);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    db.page_of(ACTION_COLUMNS, f, "a.decided_on DESC, a.id DESC", page, per_page).await
}

/// A decided item about an action.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = AccountabilityReviewView)]
pub struct ReviewView {
    pub id: i64,
    pub action_id: i64,
    pub kind: String,
    pub request: String,
    pub status: String,
    pub decision: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// An action with its decided items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionDetail {
    pub action: ActionView,
    pub reviews: Vec<ReviewView>,
}

const REVIEW_COLUMNS: &str =
    "id, action_id, kind, request, status, decision, requested_by, requested_at, decided_by, decided_at";

/// One action in the caller's units with its reviews and tolerance requests.
pub async fn action(db: &Db, scope: &Scope, id: i64) -> Result<ActionDetail, DbError> {
    let mut f = Sql::new(&format!("SELECT {ACTION_COLUMNS}{ACTION_FROM}a.id = "));
    f.bind(id).push(" AND ");
    push_scope(&mut f, "u.path", scope);
    let action: ActionView = db.opt(&f).await?.ok_or(DomainError::NotFound)?;
    let reviews = db
        .all(&Sql::with(
            &format!("SELECT {REVIEW_COLUMNS} FROM accountability_reviews WHERE action_id = $1 ORDER BY id"),
            vec![id.into()],
        ))
        .await?;
    Ok(ActionDetail { action, reviews })
}

/// Pending reviews and tolerance requests in the caller's units (the items waiting on a decision).
pub async fn pending_reviews(db: &Db, scope: &Scope) -> Result<Vec<ReviewView>, DbError> {
    let mut sql = Sql::new(
        "SELECT r.id, r.action_id, r.kind, r.request, r.status, r.decision, r.requested_by, r.requested_at, r.decided_by, \
         r.decided_at FROM accountability_reviews r JOIN accountability_actions a ON a.id = r.action_id \
         JOIN units u ON u.id = a.unit_id WHERE r.status = 'pending' AND ",
    );
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY r.requested_at, r.id LIMIT 200");
    db.all(&sql).await
}

async fn action_for_change(tx: &mut Tx, scope: &Scope, id: i64) -> Result<(ActionView, String), DbError> {
    let mut f = Sql::new(&format!("SELECT {ACTION_COLUMNS}{ACTION_FROM}a.id = "));
    f.bind(id).push(" AND ");
    push_scope(&mut f, "u.path", scope);
    let action: ActionView = tx.opt(&f).await?.ok_or(DomainError::NotFound)?;
    let (path,): (String,) =
        tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![action.unit_id.into()])).await?;
    Ok((action, path))
}

/// Opens a decided item on an action: an error-tolerance request (容错纠错) from the unit, or an
/// accountability review (问责会审) of a proposed action. Returns its id.
pub async fn open_review(db: &Db, actor: &Actor, action_id: i64, kind: &str, request: &str) -> Result<i64, DbError> {
    actor.require("account:action:edit")?;
    let mut p = Problems::new();
    let kind = ReviewKind::parse(kind);
    if kind.is_none() {
        p.add("kind", "error.account.review_kind");
    }
    let request = p.check(text("request", request, 2000));
    p.into_result()?;
    let (Some(kind), Some(request)) = (kind, request) else {
        return Err(DomainError::invalid("kind", "error.account.review_kind").into());
    };
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let (action, path) = action_for_change(&mut tx, &actor.scope, action_id).await?;
    ActionStatus::parse(&action.status).unwrap_or(ActionStatus::Withdrawn).may_open(kind)?;
    let pending = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM accountability_reviews WHERE action_id = $1 AND status = 'pending'",
            vec![action_id.into()],
        ))
        .await?;
    if pending > 0 {
        return Err(DomainError::Conflict("error.account.review_pending".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO accountability_reviews (action_id, kind, request, status, requested_by, requested_at) \
             VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id",
            vec![action_id.into(), kind.as_str().into(), request.clone().into(), actor.name.clone().into(), now.into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "accountability.review_open",
            object_kind: "accountability_review",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"action_id": action_id, "kind": kind.as_str(), "request": request}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Decides a pending review or tolerance request; the action's standing follows (a review
/// approved puts it in effect, rejected withdraws it; tolerance granted exempts it).
pub async fn decide_review(
    db: &Db,
    actor: &Actor,
    review_id: i64,
    approve: bool,
    decision: &str,
) -> Result<ActionDetail, DbError> {
    actor.require("account:review:decide")?;
    let decision = text("decision", decision, 2000).map_err(|e| DbError::from(vec![e]))?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let row: Option<(i64, String, String)> = tx
        .opt(&Sql::with(
            "SELECT action_id, kind, status FROM accountability_reviews WHERE id = $1",
            vec![review_id.into()],
        ))
        .await?;
    let (action_id, kind, status) = row.ok_or(DomainError::NotFound)?;
    let (action, path) = action_for_change(&mut tx, &actor.scope, action_id).await?;
    if ReviewStatus::parse(&status) != Some(ReviewStatus::Pending) {
        return Err(DomainError::Conflict("error.account.review_decided".into()).into());
    }
    let kind = ReviewKind::parse(&kind).unwrap_or(ReviewKind::Review);
    let before = ActionStatus::parse(&action.status).unwrap_or(ActionStatus::Proposed);
    let after = before.after(kind, approve);
    let outcome = if approve { ReviewStatus::Approved } else { ReviewStatus::Rejected };
    tx.execute(&Sql::with(
        "UPDATE accountability_reviews SET status = $1, decision = $2, decided_by = $3, decided_at = $4 WHERE id = $5",
        vec![outcome.as_str().into(), decision.clone().into(), actor.name.clone().into(), now.into(), review_id.into()],
    ))
    .await?;
    if after != before {
        tx.execute(&Sql::with(
            "UPDATE accountability_actions SET status = $1, decision = COALESCE(decision, $2), updated_at = $3 WHERE id = $4",
            vec![after.as_str().into(), decision.clone().into(), now.into(), action_id.into()],
        ))
        .await?;
        match (before, after) {
            (_, ActionStatus::Effective) => {
                held_accountable(&mut tx, action_id, action.person_id, action.unit_id, now).await?
            }
            (ActionStatus::Effective, ActionStatus::Exempted) => {
                records::append(
                    &mut tx,
                    NewRecord {
                        kind: RecordKind::AccountabilityLifted,
                        unit_id: action.unit_id,
                        person_id: Some(action.person_id),
                        occurred_at: now,
                        value: 1,
                        source_kind: "accountability_action",
                        source_id: action_id,
                        note: None,
                    },
                )
                .await?;
            }
            _ => {}
        }
    }
    notify(
        &mut tx,
        action.person_id,
        "accountability_decided",
        json!({"kind": kind.as_str(), "outcome": outcome.as_str()}),
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "accountability.review_decide",
            object_kind: "accountability_review",
            object_id: Some(review_id),
            unit_path: Some(&path),
            before: json!({"status": "pending", "action_status": before.as_str()}),
            after: json!({"status": outcome.as_str(), "action_status": after.as_str(), "decision": decision}),
        },
    )
    .await?;
    tx.commit().await?;
    self::action(db, &Scope::everything(), action_id).await
}

/// Actions in effect by kind, for a unit and each of its children (003.14).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionCounts {
    pub unit_id: i64,
    pub unit_name: String,
    /// Actions in effect per kind, in `ActionKind` order.
    pub by_kind: Vec<(String, i64)>,
    pub total: i64,
    /// Distinct people held accountable.
    pub people: i64,
}

/// Counts of actions in effect decided in `[from, to]`; the first row is the unit itself.
pub async fn counts(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ActionCounts>, DbError> {
    let rows_of = units::with_children(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&rows_of[0].path);
    let mut sql = Sql::new(
        "SELECT u.path, a.kind, a.person_id FROM accountability_actions a JOIN units u ON u.id = a.unit_id \
         WHERE a.status = 'effective' AND a.decided_on >= ",
    );
    sql.bind(from).push(" AND a.decided_on <= ").bind(to);
    sql.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let rows: Vec<(String, String, i64)> = db.all(&sql).await?;
    Ok(rows_of
        .into_iter()
        .map(|u| {
            let (unit_id, unit_name, path) = (u.id, u.name, u.path);
            let mine: Vec<&(String, String, i64)> = rows.iter().filter(|r| is_within(&r.0, &path)).collect();
            let mut people: Vec<i64> = mine.iter().map(|r| r.2).collect();
            people.sort_unstable();
            people.dedup();
            ActionCounts {
                unit_id,
                unit_name,
                by_kind: ActionKind::ALL
                    .iter()
                    .map(|k| (k.as_str().to_string(), mine.iter().filter(|r| r.1 == k.as_str()).count() as i64))
                    .collect(),
                total: mine.len() as i64,
                people: people.len() as i64,
            }
        })
        .collect())
}

/// A trace-back (责任倒查): the missed item, the day it was missed and who answered for it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trace {
    pub source_kind: String,
    pub source_id: i64,
    /// What was missed, in a few words (the record kind, the finding, the order's title).
    pub what: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// The day that counts: the shift's or period's day, the rectification deadline, the order's due day.
    pub day: NaiveDate,
    /// The person the record itself names (who missed the shift, whose list was late), if any.
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    /// The post holder who answered for the unit that day (its secretary, or the grid's worker).
    pub holder_id: Option<i64>,
    pub holder_name: Option<String>,
    pub holder_post: Option<String>,
    /// The whole chain of who answered for the unit that day, from the unit up to the county.
    pub chain: Vec<ChainLevel>,
}

/// Traces a missed item — a record in the ledger (a missed shift, an overdue list…), a finding
/// whose rectification is late, an order past its limit — back to the post holder responsible at
/// that moment.
pub async fn trace(db: &Db, scope: &Scope, kind: &str, id: i64) -> Result<Trace, DbError> {
    let kind =
        SourceKind::parse(kind).ok_or_else(|| DomainError::invalid("source_kind", "error.account.source_kind"))?;
    let mut tx = db.begin().await?;
    let (unit, day) = source_unit(&mut tx, scope, kind, id).await.map_err(|_| DomainError::NotFound)?;
    let (what, person): (String, Option<i64>) = match kind {
        SourceKind::Record => {
            tx.one(&Sql::with("SELECT kind, person_id FROM records WHERE id = $1", vec![id.into()])).await?
        }
        SourceKind::Finding => {
            tx.one(&Sql::with("SELECT description, person_id FROM findings WHERE id = $1", vec![id.into()])).await?
        }
        SourceKind::Order => {
            tx.one(&Sql::with("SELECT title, handler_id FROM work_orders WHERE id = $1", vec![id.into()])).await?
        }
    };
    let holder = responsible_holder(&mut tx, unit, day).await?;
    let names = |id: Option<i64>| async move {
        match id {
            Some(id) => db
                .opt::<(String,)>(&Sql::with("SELECT name FROM people WHERE id = $1", vec![id.into()]))
                .await
                .map(|r| r.map(|r| r.0)),
            None => Ok(None),
        }
    };
    let post: Option<(String,)> = match holder {
        Some((_, post)) => tx.opt(&Sql::with("SELECT title FROM posts WHERE id = $1", vec![post.into()])).await?,
        None => None,
    };
    let (unit_name,): (String,) = tx.one(&Sql::with("SELECT name FROM units WHERE id = $1", vec![unit.into()])).await?;
    tx.commit().await?;
    let chain = responsibility::chain(db, &Scope::everything(), unit, day).await?;
    Ok(Trace {
        source_kind: kind.as_str().to_string(),
        source_id: id,
        what,
        unit_id: unit,
        unit_name,
        day,
        person_name: names(person).await?,
        person_id: person,
        holder_name: names(holder.map(|h| h.0)).await?,
        holder_id: holder.map(|h| h.0),
        holder_post: post.map(|p| p.0),
        chain,
    })
}
