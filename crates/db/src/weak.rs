//! Weak or lax party organisations in the store (003.5, 软弱涣散): the install's criteria, what the
//! records say about each organisation (organisational life missed, the secretary post vacant,
//! serious findings, members' attendance, a laggard in the latest ranking), the yearly screening
//! (排查) that lists candidates with their reasons, the organisation department's decision, the
//! rectification plan with a strong branch paired for "1+1" 帮带, progress reports, and 销号 only
//! when the criteria have cleared in the records.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, optional_text, text};
use frontline_core::life::last_quarter;
use frontline_core::pairing::{CostMatrix, solve};
use frontline_core::time::start_of_china_day;
use frontline_core::units::subtree_range;
use frontline_core::weak::{
    CaseStatus, Criterion, CriterionRule, DEFAULT_CRITERIA, Evidence, Reason, may_move, pairing_cost, reasons,
};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::life::{self, Judged};
use crate::people::person_in_tx;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

// ---------------------------------------------------------------------------------------------
// Criteria

/// The criteria in force: the built-in list, with what the install changed.
pub async fn criteria(db: &Db) -> Result<Vec<CriterionRule>, DbError> {
    let stored: Vec<(String, i64, bool)> =
        db.all(&Sql::new("SELECT criterion, threshold, enabled FROM weak_criteria ORDER BY criterion")).await?;
    Ok(DEFAULT_CRITERIA
        .iter()
        .map(|d| {
            stored
                .iter()
                .find(|(c, ..)| c == d.criterion.as_str())
                .map(|(_, threshold, enabled)| CriterionRule {
                    criterion: d.criterion,
                    threshold: *threshold,
                    enabled: *enabled,
                })
                .unwrap_or(*d)
        })
        .collect())
}

/// A criterion as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CriterionInput {
    #[schema(value_type = frontline_core::weak::Criterion)]
    pub criterion: String,
    #[schema(minimum = 0, maximum = 1000)]
    pub threshold: i64,
    pub enabled: bool,
}

/// Changes a criterion for the whole install.
pub async fn set_criterion(db: &Db, actor: &Actor, input: &CriterionInput) -> Result<CriterionRule, DbError> {
    actor.require("system:setting:edit")?;
    let mut p = Problems::new();
    let criterion = Criterion::parse(&input.criterion);
    if criterion.is_none() {
        p.add("criterion", "error.weak.criterion");
    }
    if !(0..=1000).contains(&input.threshold) {
        p.add("threshold", "error.out_of_range");
    }
    p.into_result()?;
    let criterion = criterion.ok_or(DomainError::NotFound)?;
    let rule = CriterionRule { criterion, threshold: input.threshold, enabled: input.enabled };
    let before = criteria(db).await?.into_iter().find(|r| r.criterion == criterion);
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with("DELETE FROM weak_criteria WHERE criterion = $1", vec![criterion.as_str().into()])).await?;
    tx.execute(&Sql::with(
        "INSERT INTO weak_criteria (criterion, threshold, enabled, updated_at) VALUES ($1, $2, $3, $4)",
        vec![criterion.as_str().into(), input.threshold.into(), input.enabled.into(), Utc::now().into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "weak_criterion.set",
            object_kind: "weak_criterion",
            object_id: None,
            unit_path: None,
            before: json!(before),
            after: json!(rule),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

// ---------------------------------------------------------------------------------------------
// Evidence

/// Every party organisation under `root_path` with what its records say over `period`, as of
/// `today`.
pub async fn evidence(
    db: &Db,
    scope: &Scope,
    root_path: &str,
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<(Judged, Evidence)>, DbError> {
    let rules = life::rules(db).await?;
    let judged = life::judge_organisations(db, scope, root_path, &rules, (from, to), today).await?;
    let (lo, hi) = subtree_range(root_path);
    let range = |extra: Vec<crate::Value>| {
        let mut v: Vec<crate::Value> = vec![lo.clone().into(), hi.clone().into()];
        v.extend(extra);
        v
    };
    // Secretary posts: filled, or vacant since the last holder left (or since the post was made).
    let posts: Vec<(i64, chrono::DateTime<Utc>, Option<NaiveDate>, i64)> = db
        .all(&Sql::with(
            "SELECT po.unit_id, po.created_at, (SELECT MAX(t.end_date) FROM tenures t WHERE t.post_id = po.id), \
             (SELECT COUNT(*) FROM tenures t WHERE t.post_id = po.id AND t.end_date IS NULL) \
             FROM posts po JOIN units u ON u.id = po.unit_id WHERE po.kind = 'secretary' AND u.path >= $1 AND u.path < $2",
            range(vec![]),
        ))
        .await?;
    let mut vacancy: HashMap<i64, Option<i64>> = HashMap::new();
    for (unit, created, last_end, holders) in posts {
        let days = (holders == 0).then(|| {
            let since = last_end.unwrap_or_else(|| frontline_core::time::today_in_china(created));
            (today - since).num_days().max(0)
        });
        let entry = vacancy.entry(unit).or_insert(days);
        // Vacant only if every secretary post of the organisation is.
        *entry = match (*entry, days) {
            (Some(a), Some(b)) => Some(a.min(b)),
            _ => None,
        };
    }
    // Serious findings in the period, by unit: an organisation counts its own and its village's,
    // so they are read under the root's parent (the root may be one branch).
    let parent_path = frontline_core::units::parent_path(root_path).unwrap_or(root_path).to_string();
    let (plo, phi) = subtree_range(&parent_path);
    let findings: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT f.unit_id, COUNT(*) FROM findings f JOIN units u ON u.id = f.unit_id \
             WHERE f.severity = 'serious' AND f.raised_at >= $3 AND f.raised_at < $4 \
             AND u.path >= $1 AND u.path < $2 GROUP BY f.unit_id",
            vec![
                plo.into(),
                phi.into(),
                start_of_china_day(from).into(),
                start_of_china_day(to + Duration::days(1)).into(),
            ],
        ))
        .await?;
    let findings: HashMap<i64, i64> = findings.into_iter().collect();
    // Members expected at a meeting: party members living in the organisation or holding a post in it.
    let home: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT p.home_unit_id, COUNT(*) FROM people p JOIN units u ON u.id = p.home_unit_id \
             WHERE p.party_status <> 'none' AND u.path >= $1 AND u.path < $2 GROUP BY p.home_unit_id",
            range(vec![]),
        ))
        .await?;
    let posted: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT po.unit_id, COUNT(DISTINCT t.person_id) FROM posts po JOIN units u ON u.id = po.unit_id \
             JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL JOIN people p ON p.id = t.person_id \
             WHERE p.party_status <> 'none' AND p.home_unit_id <> po.unit_id AND u.path >= $1 AND u.path < $2 \
             GROUP BY po.unit_id",
            range(vec![]),
        ))
        .await?;
    let mut members: HashMap<i64, i64> = home.into_iter().collect();
    for (unit, n) in posted {
        *members.entry(unit).or_default() += n;
    }
    // Attendance at the meetings whose attendance was taken.
    let taken: Vec<(i64, i64, i64)> = db
        .all(&Sql::with(
            "SELECT m.unit_id, COUNT(DISTINCT m.id), SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END) \
             FROM life_attendance a JOIN life_meetings m ON m.id = a.meeting_id JOIN units u ON u.id = m.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND m.held_on >= $3 AND m.held_on <= $4 GROUP BY m.unit_id",
            range(vec![from.into(), to.into()]),
        ))
        .await?;
    let taken: HashMap<i64, (i64, i64)> =
        taken.into_iter().map(|(u, meetings, present)| (u, (meetings, present))).collect();
    // Laggards of the latest published run of every scheme that scores units.
    let laggards: Vec<(i64,)> = db
        .all(&Sql::new(
            "SELECT s.unit_id FROM scores s WHERE s.laggard AND s.person_id IS NULL \
             AND s.run_id IN (SELECT MAX(r.id) FROM score_runs r GROUP BY r.scheme_id)",
        ))
        .await?;
    let laggards: HashSet<i64> = laggards.into_iter().map(|l| l.0).collect();
    Ok(judged
        .into_iter()
        .map(|o| {
            let total = o.total();
            let parent = o.parent_id.unwrap_or_default();
            let expected = members.get(&o.id).copied().unwrap_or(0);
            let attendance_percent = taken.get(&o.id).and_then(|(meetings, present)| {
                frontline_core::tasks::percent(*present, expected * meetings).map(|p| p.min(100.0))
            });
            let e = Evidence {
                life_missed: total.missed,
                life_due: total.due,
                secretary_vacant_days: vacancy.get(&o.id).copied().flatten(),
                serious_findings: findings.get(&o.id).copied().unwrap_or(0)
                    + findings.get(&parent).copied().unwrap_or(0),
                attendance_percent,
                laggard: laggards.contains(&o.id) || laggards.contains(&parent),
            };
            (o, e)
        })
        .collect())
}

/// The period a year's screening reads: the whole year, or up to yesterday in the current one.
pub fn year_period(year: i32, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), DbError> {
    if !(2000..=2100).contains(&year) {
        return Err(DomainError::invalid("year", "error.out_of_range").into());
    }
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| DomainError::invalid("year", "error.out_of_range"))?;
    let end =
        NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| DomainError::invalid("year", "error.out_of_range"))?;
    if from > today {
        return Err(DomainError::invalid("year", "error.weak.future_year").into());
    }
    Ok((from, end.min(today.pred_opt().unwrap_or(today)).max(from)))
}

// ---------------------------------------------------------------------------------------------
// Screening and cases

/// What a screening found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Screening {
    pub year: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Organisations read.
    pub screened: i64,
    /// Organisations that meet at least one criterion.
    pub candidates: i64,
    /// Of those, new cases (the others were already listed this year).
    pub new_cases: i64,
}

/// The yearly 排查 of a part of the tree: every party organisation read against the criteria; each
/// that meets one becomes a candidate with its reasons (a candidate already listed gets today's
/// reasons; a case decided is left as it is).
pub async fn screen(db: &Db, actor: &Actor, unit: i64, year: i32, today: NaiveDate) -> Result<Screening, DbError> {
    actor.require("judge:weak:decide")?;
    let root = units::get(db, &actor.scope, unit).await?;
    let period = year_period(year, today)?;
    let rules = criteria(db).await?;
    let found = evidence(db, &actor.scope, &root.path, period, today).await?;
    let mut tx = db.begin().await?;
    let now = Utc::now();
    let (mut candidates, mut new_cases) = (0, 0);
    for (o, e) in &found {
        let why = reasons(&rules, e);
        if why.is_empty() {
            continue;
        }
        candidates += 1;
        let text = serde_json::to_string(&why).map_err(|e| DbError::Config(e.to_string()))?;
        let existing: Option<(i64, String)> = tx
            .opt(&Sql::with(
                "SELECT id, status FROM weak_cases WHERE unit_id = $1 AND year = $2",
                vec![o.id.into(), i64::from(year).into()],
            ))
            .await?;
        match existing {
            None => {
                tx.execute(&Sql::with(
                    "INSERT INTO weak_cases (unit_id, year, status, reasons, created_at, updated_at) \
                     VALUES ($1, $2, 'candidate', $3, $4, $4)",
                    vec![o.id.into(), i64::from(year).into(), text.into(), now.into()],
                ))
                .await?;
                new_cases += 1;
            }
            Some((id, status)) if status == CaseStatus::Candidate.as_str() => {
                tx.execute(&Sql::with(
                    "UPDATE weak_cases SET reasons = $1, updated_at = $2 WHERE id = $3",
                    vec![text.into(), now.into(), id.into()],
                ))
                .await?;
            }
            Some(_) => {}
        }
    }
    let outcome = Screening { year, from: period.0, to: period.1, screened: found.len() as i64, candidates, new_cases };
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "weak.screen",
            object_kind: "unit",
            object_id: Some(unit),
            unit_path: Some(&root.path),
            before: serde_json::Value::Null,
            after: json!(outcome),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// A case as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub parent_name: String,
    pub year: i64,
    #[schema(value_type = frontline_core::weak::CaseStatus)]
    pub status: CaseStatus,
    pub reasons: Vec<Reason>,
    pub deadline: Option<NaiveDate>,
    pub partner_name: Option<String>,
    pub leader_name: Option<String>,
    pub cleared_on: Option<NaiveDate>,
}

type RawCase = (
    i64,
    i64,
    String,
    String,
    i64,
    String,
    String,
    Option<NaiveDate>,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
);

const CASE_COLUMNS: &str = "c.id, c.unit_id, u.name, COALESCE(pa.name, ''), c.year, c.status, c.reasons, c.deadline, \
    pu.name, lp.name, c.cleared_on";
const CASE_FROM: &str = " FROM weak_cases c JOIN units u ON u.id = c.unit_id LEFT JOIN units pa ON pa.id = u.parent_id \
    LEFT JOIN units pu ON pu.id = c.partner_id LEFT JOIN people lp ON lp.id = c.leader_id";

fn case_row(r: RawCase) -> Result<CaseRow, DbError> {
    Ok(CaseRow {
        id: r.0,
        unit_id: r.1,
        unit_name: r.2,
        parent_name: r.3,
        year: r.4,
        status: CaseStatus::try_from(r.5).map_err(DbError::Config)?,
        reasons: serde_json::from_str(&r.6).map_err(|e| DbError::Config(e.to_string()))?,
        deadline: r.7,
        partner_name: r.8,
        leader_name: r.9,
        cleared_on: r.10,
    })
}

/// Which cases to list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    pub year: Option<i32>,
    /// Only cases in this state (blank: all).
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// How many cases of each state a part of the tree holds, and the page asked for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseList {
    pub candidate: i64,
    pub confirmed: i64,
    pub dismissed: i64,
    pub cleared: i64,
    pub cases: Page<CaseRow>,
}

/// Cases of a unit's part of the tree (a year, a state), with the counts by state.
pub async fn cases(db: &Db, scope: &Scope, unit: i64, q: &CaseQuery) -> Result<CaseList, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut f = Sql::new(CASE_FROM);
    f.push(" WHERE u.path >= ").bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut f, "u.path", scope);
    if let Some(year) = q.year {
        f.push(" AND c.year = ").bind(i64::from(year));
    }
    let counts: Vec<(String, i64)> = db
        .all(&Sql { text: format!("SELECT c.status, COUNT(*){} GROUP BY c.status", f.text), params: f.params.clone() })
        .await?;
    let count = |s: CaseStatus| counts.iter().find(|c| c.0 == s.as_str()).map_or(0, |c| c.1);
    if let Some(status) = q.status.as_deref().filter(|s| !s.is_empty()) {
        let status = CaseStatus::parse(status).ok_or_else(|| DomainError::invalid("status", "error.weak.status"))?;
        f.push(" AND c.status = ").bind(status.as_str());
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    let raw: Page<RawCase> = db.page_of(CASE_COLUMNS, f, "c.year DESC, u.path, c.id", page, per_page).await?;
    let items = raw.items.into_iter().map(case_row).collect::<Result<Vec<_>, _>>()?;
    Ok(CaseList {
        candidate: count(CaseStatus::Candidate),
        confirmed: count(CaseStatus::Confirmed),
        dismissed: count(CaseStatus::Dismissed),
        cleared: count(CaseStatus::Cleared),
        cases: Page { items, total: raw.total, page: raw.page, per_page: raw.per_page },
    })
}

/// A progress report on a case.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseStep {
    pub noted_on: NaiveDate,
    pub note: String,
    pub created_by: String,
}

/// A case with its plan, its progress, and what the records say now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub row: CaseRow,
    pub measures: Option<String>,
    pub leader_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub note: Option<String>,
    pub steps: Vec<CaseStep>,
    /// The records over the last full quarter, as of today: what 销号 is judged on.
    pub now_from: NaiveDate,
    pub now_to: NaiveDate,
    pub evidence_now: Evidence,
    /// The criteria still met now; 销号 needs none.
    pub reasons_now: Vec<Reason>,
}

async fn case_in_scope(tx: &mut Tx, scope: &Scope, id: i64) -> Result<(i64, CaseStatus, String), DbError> {
    let mut sql =
        Sql::new("SELECT c.unit_id, c.status, u.path FROM weak_cases c JOIN units u ON u.id = c.unit_id WHERE c.id = ");
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let (unit, status, path): (i64, String, String) = tx.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    Ok((unit, CaseStatus::try_from(status).map_err(DbError::Config)?, path))
}

/// The criteria an organisation meets now: over the last full quarter, as of `today`.
async fn reasons_now(
    db: &Db,
    scope: &Scope,
    unit: i64,
    today: NaiveDate,
) -> Result<((NaiveDate, NaiveDate), Evidence, Vec<Reason>), DbError> {
    let org = units::get(db, scope, unit).await?;
    let period = last_quarter(today);
    let rules = criteria(db).await?;
    let e = evidence(db, scope, &org.path, period, today)
        .await?
        .into_iter()
        .find(|(o, _)| o.id == unit)
        .map(|(_, e)| e)
        .unwrap_or_default();
    let why = reasons(&rules, &e);
    Ok((period, e, why))
}

/// One case, if it lies in the caller's scope.
pub async fn case(db: &Db, scope: &Scope, id: i64, today: NaiveDate) -> Result<CaseView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {CASE_COLUMNS}{CASE_FROM} WHERE c.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let raw: RawCase = db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let row = case_row(raw)?;
    let (measures, leader_id, partner_id, note): (Option<String>, Option<i64>, Option<i64>, Option<String>) = db
        .one(&Sql::with("SELECT measures, leader_id, partner_id, note FROM weak_cases WHERE id = $1", vec![id.into()]))
        .await?;
    let steps: Vec<CaseStep> = db
        .all(&Sql::with(
            "SELECT noted_on, note, created_by FROM weak_case_steps WHERE case_id = $1 ORDER BY noted_on, id LIMIT 500",
            vec![id.into()],
        ))
        .await?;
    let ((now_from, now_to), evidence_now, reasons_now) = reasons_now(db, scope, row.unit_id, today).await?;
    Ok(CaseView { row, measures, leader_id, partner_id, note, steps, now_from, now_to, evidence_now, reasons_now })
}

async fn set_status(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    path: &str,
    (from, to): (CaseStatus, CaseStatus),
    note: Option<String>,
    cleared_on: Option<NaiveDate>,
) -> Result<(), DbError> {
    if !may_move(from, to) {
        return Err(DomainError::Conflict("error.weak.wrong_state".into()).into());
    }
    tx.execute(&Sql::with(
        "UPDATE weak_cases SET status = $1, note = COALESCE($2, note), cleared_on = $3, updated_at = $4 WHERE id = $5",
        vec![to.as_str().into(), note.clone().into(), cleared_on.into(), Utc::now().into(), id.into()],
    ))
    .await?;
    audit::append(
        tx,
        actor,
        Change {
            action: "weak_case.status",
            object_kind: "weak_case",
            object_id: Some(id),
            unit_path: Some(path),
            before: json!({"status": from}),
            after: json!({"status": to, "note": note, "cleared_on": cleared_on}),
        },
    )
    .await?;
    Ok(())
}

/// The organisation department confirms a candidate (整顿对象) or dismisses it, with a note.
pub async fn decide(db: &Db, actor: &Actor, id: i64, confirm: bool, note: &str) -> Result<(), DbError> {
    actor.require("judge:weak:decide")?;
    let note = optional_text("note", note, 1000).map_err(|e| DbError::from(vec![e]))?;
    if !confirm && note.is_none() {
        return Err(DomainError::invalid("note", "error.weak.note_required").into());
    }
    let mut tx = db.begin().await?;
    let (_, status, path) = case_in_scope(&mut tx, &actor.scope, id).await?;
    let to = if confirm { CaseStatus::Confirmed } else { CaseStatus::Dismissed };
    set_status(&mut tx, actor, id, &path, (status, to), note, None).await?;
    tx.commit().await?;
    Ok(())
}

/// A rectification plan as typed (整顿方案): the measures (e.g. 七个一), the leader responsible,
/// the deadline, and the strong branch paired with it (may be left for the pairing).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CasePlanInput {
    #[schema(min_length = 1, max_length = 4000)]
    pub measures: String,
    pub leader_id: i64,
    pub deadline: NaiveDate,
    #[serde(default)]
    pub partner_id: Option<i64>,
}

/// Sets the plan of a confirmed case.
pub async fn plan(db: &Db, actor: &Actor, id: i64, input: &CasePlanInput, today: NaiveDate) -> Result<(), DbError> {
    actor.require("judge:weak:decide")?;
    let mut p = Problems::new();
    let measures = p.check(text("measures", &input.measures, 4000));
    if input.deadline < today {
        p.add("deadline", "error.weak.deadline_past");
    }
    p.into_result()?;
    let mut tx = db.begin().await?;
    let (unit, status, path) = case_in_scope(&mut tx, &actor.scope, id).await?;
    if status != CaseStatus::Confirmed {
        return Err(DomainError::Conflict("error.weak.wrong_state".into()).into());
    }
    person_in_tx(&mut tx, &actor.scope, input.leader_id)
        .await
        .map_err(|_| DbError::from(DomainError::invalid("leader_id", "error.post.unknown_person")))?;
    if let Some(partner) = input.partner_id {
        partner_check(&mut tx, &actor.scope, unit, partner).await?;
    }
    tx.execute(&Sql::with(
        "UPDATE weak_cases SET measures = $1, leader_id = $2, deadline = $3, partner_id = COALESCE($4, partner_id), \
         updated_at = $5 WHERE id = $6",
        vec![
            measures.clone().into(),
            input.leader_id.into(),
            input.deadline.into(),
            input.partner_id.into(),
            Utc::now().into(),
            id.into(),
        ],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "weak_case.plan",
            object_kind: "weak_case",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"measures": measures, "leader_id": input.leader_id, "deadline": input.deadline,
                          "partner_id": input.partner_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A partner must be another open party organisation within scope.
async fn partner_check(tx: &mut Tx, scope: &Scope, unit: i64, partner: i64) -> Result<(), DbError> {
    let mut sql = Sql::new("SELECT kind, closed FROM units u WHERE u.id = ");
    sql.bind(partner).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let found: Option<(String, bool)> = tx.opt(&sql).await?;
    match found {
        Some((kind, false)) if partner != unit && life::ORGANISATION_KINDS.contains(&kind.as_str()) => Ok(()),
        Some(_) => Err(DomainError::invalid("partner_id", "error.weak.bad_partner").into()),
        None => Err(DomainError::invalid("partner_id", "error.person.unknown_unit").into()),
    }
}

/// A pair made for "1+1" 帮带.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Pairing {
    pub case_id: i64,
    pub unit_name: String,
    pub partner_id: i64,
    pub partner_name: String,
    /// The two are in the same township (乡镇).
    pub same_township: bool,
}

/// Pairs every confirmed case of the year without a partner with a strong branch — one that met
/// every period of organisational life over the year and meets no criterion — each strong branch
/// taking one case, the same township first, then the strongest (the pairing engine's optimal
/// assignment). Cases left over (too few strong branches) keep no partner.
pub async fn pair(db: &Db, actor: &Actor, unit: i64, year: i32, today: NaiveDate) -> Result<Vec<Pairing>, DbError> {
    actor.require("judge:weak:decide")?;
    let root = units::get(db, &actor.scope, unit).await?;
    let period = year_period(year, today)?;
    let rules = criteria(db).await?;
    let found = evidence(db, &actor.scope, &root.path, period, today).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT c.id, c.unit_id FROM weak_cases c JOIN units u ON u.id = c.unit_id WHERE c.status = 'confirmed' \
         AND c.partner_id IS NULL AND c.year = ",
    );
    sql.bind(i64::from(year)).push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    sql.push(" ORDER BY u.path");
    let open: Vec<(i64, i64)> = db.all(&sql).await?;
    let taken: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT partner_id FROM weak_cases WHERE partner_id IS NOT NULL AND year = $1",
            vec![i64::from(year).into()],
        ))
        .await?;
    let cased: Vec<(i64,)> =
        db.all(&Sql::with("SELECT unit_id FROM weak_cases WHERE year = $1", vec![i64::from(year).into()])).await?;
    let busy: HashSet<i64> = taken.into_iter().chain(cased).map(|t| t.0).collect();
    // The township of a village branch: two levels up (branch, village, township).
    let township = |path: &str| {
        let up = |p: &str| frontline_core::units::parent_path(p).map(str::to_string);
        up(path).and_then(|p| up(&p)).unwrap_or_default()
    };
    let strong: Vec<(&Judged, Option<f64>)> = found
        .iter()
        .filter(|(o, e)| !busy.contains(&o.id) && e.life_due > 0 && e.life_missed == 0 && reasons(&rules, e).is_empty())
        .map(|(o, _)| (o, o.total().percent()))
        .collect();
    let weak: Vec<(i64, &Judged)> = open
        .iter()
        .filter_map(|(case, unit)| found.iter().find(|(o, _)| o.id == *unit).map(|(o, _)| (*case, o)))
        .collect();
    if weak.is_empty() || strong.is_empty() {
        return Ok(Vec::new());
    }
    let costs = CostMatrix::from_fn(weak.len(), strong.len(), |i, j| {
        pairing_cost(township(&weak[i].1.path) == township(&strong[j].0.path), strong[j].1)
    });
    let assignment = solve(&costs);
    let mut tx = db.begin().await?;
    let mut made = Vec::new();
    for (i, col) in assignment.row_to_col.iter().enumerate() {
        let Some(j) = col else { continue };
        let (case, w) = weak[i];
        let s = strong[*j].0;
        tx.execute(&Sql::with(
            "UPDATE weak_cases SET partner_id = $1, updated_at = $2 WHERE id = $3",
            vec![s.id.into(), Utc::now().into(), case.into()],
        ))
        .await?;
        made.push(Pairing {
            case_id: case,
            unit_name: w.name.clone(),
            partner_id: s.id,
            partner_name: s.name.clone(),
            same_township: township(&w.path) == township(&s.path),
        });
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "weak.pair",
            object_kind: "unit",
            object_id: Some(unit),
            unit_path: Some(&root.path),
            before: serde_json::Value::Null,
            after: json!({"year": year, "pairs": made.iter().map(|p| (p.case_id, p.partner_id)).collect::<Vec<_>>()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(made)
}

/// A progress report on a confirmed case (by the organisation itself or those above it).
pub async fn report(db: &Db, actor: &Actor, id: i64, note: &str, today: NaiveDate) -> Result<(), DbError> {
    actor.require("judge:weak:report")?;
    let note = text("note", note, 2000).map_err(|e| DbError::from(vec![e]))?;
    let mut tx = db.begin().await?;
    let (_, status, path) = case_in_scope(&mut tx, &actor.scope, id).await?;
    if status != CaseStatus::Confirmed {
        return Err(DomainError::Conflict("error.weak.wrong_state".into()).into());
    }
    tx.execute(&Sql::with(
        "INSERT INTO weak_case_steps (case_id, noted_on, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![id.into(), today.into(), note.clone().into(), actor.name.clone().into(), Utc::now().into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "weak_case.report",
            object_kind: "weak_case",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"note": note}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// 销号: a confirmed case is cleared, only when the organisation meets no criterion over the last
/// full quarter in the records (otherwise 409, and the case page says which still hold).
pub async fn clear(db: &Db, actor: &Actor, id: i64, today: NaiveDate) -> Result<(), DbError> {
    actor.require("judge:weak:decide")?;
    let mut tx = db.begin().await?;
    let (unit, status, path) = case_in_scope(&mut tx, &actor.scope, id).await?;
    if status != CaseStatus::Confirmed {
        return Err(DomainError::Conflict("error.weak.wrong_state".into()).into());
    }
    drop(tx);
    let (period, e, still) = reasons_now(db, &actor.scope, unit, today).await?;
    if !still.is_empty() || e.life_due == 0 {
        return Err(DomainError::Conflict("error.weak.not_cleared".into()).into());
    }
    let mut tx = db.begin().await?;
    let (_, status, _) = case_in_scope(&mut tx, &actor.scope, id).await?;
    set_status(
        &mut tx,
        actor,
        id,
        &path,
        (status, CaseStatus::Cleared),
        Some(format!("{} – {}", period.0, period.1)),
        Some(today),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The current year in China and the ones before that have cases or may be screened.
pub fn years(today: NaiveDate) -> Vec<i32> {
    (0..3).map(|n| today.year() - n).collect()
}
