//! Deployments of cadres (000.4, 000.5, 003.12): person, home unit, target unit, purpose, period
//! and arrival; the staff the planners work on; mentoring triples (青蓝结对, 002.4). Secondments
//! (互派互挂, 002.5) are postings of kind `secondment`.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::deployment::{Mentee, Purpose, Staff, Third, check_triple};
use frontline_core::people::Rank;
use frontline_core::units::subtree_range;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::people::{open_unit_in_scope, person_in_tx};
use crate::sql::page_bounds;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A deployment as lists show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DeploymentView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub home_unit_id: i64,
    pub home_unit_name: String,
    pub target_unit_id: i64,
    pub target_unit_name: String,
    pub purpose: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub arrived_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub home_path: String,
    #[serde(skip)]
    pub target_path: String,
}

const DEPLOY_COLUMNS: &str = "d.id, d.person_id, p.name AS person_name, d.home_unit_id, hu.name AS home_unit_name, \
     d.target_unit_id, tu.name AS target_unit_name, d.purpose, d.start_date, d.end_date, d.arrived_at, \
     hu.path AS home_path, tu.path AS target_path";
const DEPLOY_FROM: &str = " FROM deployments d JOIN people p ON p.id = d.person_id JOIN units hu ON hu.id = d.home_unit_id \
     JOIN units tu ON tu.id = d.target_unit_id";

/// A deployment is visible from its sending side and from its receiving side.
fn push_deploy_scope(sql: &mut Sql, scope: &Scope) {
    sql.push("(");
    push_scope(sql, "hu.path", scope);
    sql.push(" OR ");
    push_scope(sql, "tu.path", scope);
    if let Some(me) = scope.person_id {
        sql.push(" OR d.person_id = ").bind(me);
    }
    sql.push(")");
}

/// Filters for the deployment list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeploymentQuery {
    /// Deployments sent from, or received in, the subtree of this unit.
    pub unit: Option<i64>,
    pub purpose: Option<String>,
    /// Only those arrived by the end of this day.
    pub arrived_by: Option<NaiveDate>,
    /// Only those not yet arrived.
    pub pending: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

async fn deploy_filter(db: &Db, scope: &Scope, q: &DeploymentQuery) -> Result<Sql, DbError> {
    let mut filter = Sql::new(DEPLOY_FROM);
    filter.push(" WHERE ");
    push_deploy_scope(&mut filter, scope);
    if let Some(unit) = q.unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        filter.push(" AND ((hu.path >= ").bind(lo.clone()).push(" AND hu.path < ").bind(hi.clone());
        filter.push(") OR (tu.path >= ").bind(lo).push(" AND tu.path < ").bind(hi).push("))");
    }
    if let Some(p) = q.purpose.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND d.purpose = ").bind(p);
    }
    if let Some(day) = q.arrived_by {
        let end_of_day = day.succ_opt().unwrap_or(day).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        filter.push(" AND d.arrived_at IS NOT NULL AND d.arrived_at < ").bind(end_of_day);
    }
    if q.pending == Some(true) {
        filter.push(" AND d.arrived_at IS NULL AND d.end_date IS NULL");
    }
    Ok(filter)
}

pub async fn list(db: &Db, scope: &Scope, q: &DeploymentQuery) -> Result<Page<DeploymentView>, DbError> {
    let (page, per) = page_bounds(q.page, q.per_page);
    db.page_of(DEPLOY_COLUMNS, deploy_filter(db, scope, q).await?, "d.start_date DESC, d.id DESC", page, per).await
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<DeploymentView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {DEPLOY_COLUMNS}{DEPLOY_FROM} WHERE d.id = "));
    sql.bind(id).push(" AND ");
    push_deploy_scope(&mut sql, scope);
    db.one(&sql).await
}

async fn get_in_tx(tx: &mut Tx, id: i64) -> Result<DeploymentView, DbError> {
    tx.one(&Sql::with(&format!("SELECT {DEPLOY_COLUMNS}{DEPLOY_FROM} WHERE d.id = $1"), vec![id.into()])).await
}

/// A deployment as typed.
#[derive(Debug, Clone)]
pub struct NewDeployment {
    pub person_id: i64,
    pub target_unit_id: i64,
    pub purpose: Purpose,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

async fn insert(tx: &mut Tx, actor: &Actor, d: &NewDeployment) -> Result<i64, DbError> {
    let person = person_in_tx(tx, &actor.scope, d.person_id)
        .await
        .map_err(|_| DomainError::invalid("person_id", "error.post.unknown_person"))?;
    if !actor.scope.reaches(&person.home_unit_path) {
        return Err(DomainError::invalid("person_id", "error.deploy.not_your_staff").into());
    }
    let (target_path, closed): (String, bool) = tx
        .opt(&Sql::with("SELECT path, closed FROM units WHERE id = $1", vec![d.target_unit_id.into()]))
        .await?
        .ok_or_else(|| DomainError::invalid("target_unit_id", "error.link.unknown_unit"))?;
    if closed {
        return Err(DomainError::invalid("target_unit_id", "error.unit.parent_closed").into());
    }
    if d.end.is_some_and(|e| e <= d.start) {
        return Err(DomainError::invalid("end_date", "error.post.end_before_start").into());
    }
    if d.target_unit_id == person.home_unit_id {
        return Err(DomainError::invalid("target_unit_id", "error.deploy.same_unit").into());
    }
    let open = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM deployments WHERE person_id = $1 AND (end_date IS NULL OR end_date > $2)",
            vec![d.person_id.into(), d.start.into()],
        ))
        .await?;
    if open > 0 {
        return Err(DomainError::Conflict("error.deploy.already_deployed".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO deployments (person_id, home_unit_id, target_unit_id, purpose, start_date, end_date, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                d.person_id.into(),
                person.home_unit_id.into(),
                d.target_unit_id.into(),
                d.purpose.as_str().into(),
                d.start.into(),
                d.end.into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        tx,
        actor,
        Change {
            action: "deployment.create",
            object_kind: "deployment",
            object_id: Some(id),
            unit_path: Some(&target_path),
            before: serde_json::Value::Null,
            after: json!({"person_id": d.person_id, "home_unit_id": person.home_unit_id, "target_unit_id": d.target_unit_id,
                          "purpose": d.purpose.as_str(), "start_date": d.start, "end_date": d.end}),
        },
    )
    .await?;
    Ok(id)
}

/// Sends one person (of the caller's own units) to a target unit.
pub async fn create(db: &Db, actor: &Actor, d: &NewDeployment) -> Result<DeploymentView, DbError> {
    actor.require("duty:deploy:add")?;
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, d).await?;
    let view = get_in_tx(&mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Sends several people at once (a confirmed plan): all or nothing.
pub async fn create_many(db: &Db, actor: &Actor, items: &[NewDeployment]) -> Result<usize, DbError> {
    actor.require("duty:deploy:add")?;
    if items.is_empty() {
        return Err(DomainError::invalid("people", "error.deploy.nobody").into());
    }
    let mut tx = db.begin().await?;
    // Everyone already out is named, all at once, and nobody is sent.
    let mut out = Vec::new();
    for d in items {
        match insert(&mut tx, actor, d).await {
            Ok(_) => {}
            Err(DbError::Domain(DomainError::Conflict(code))) if code == "error.deploy.already_deployed" => {
                let (name,): (String,) =
                    tx.one(&Sql::with("SELECT name FROM people WHERE id = $1", vec![d.person_id.into()])).await?;
                out.push(frontline_core::error::FieldError::new(format!("person.{name}"), code));
            }
            Err(e) => return Err(e),
        }
    }
    if !out.is_empty() {
        return Err(DomainError::Invalid(out).into());
    }
    tx.commit().await?;
    Ok(items.len())
}

/// Records arrival at the target (by the person themself, or by either side's managers).
pub async fn check_in(db: &Db, actor: &Actor, id: i64, at: DateTime<Utc>) -> Result<DeploymentView, DbError> {
    let mut tx = db.begin().await?;
    let before = get_in_tx(&mut tx, id).await?;
    let own = actor.scope.person_id == Some(before.person_id);
    if !own {
        actor.require("duty:deploy:edit")?;
        if !(actor.scope.reaches(&before.home_path) || actor.scope.reaches(&before.target_path)) {
            return Err(DomainError::NotFound.into());
        }
    }
    if before.arrived_at.is_some() {
        return Err(DomainError::Conflict("error.deploy.already_arrived".into()).into());
    }
    if before.end_date.is_some() {
        return Err(DomainError::Conflict("error.deploy.ended".into()).into());
    }
    tx.execute(&Sql::with("UPDATE deployments SET arrived_at = $1 WHERE id = $2", vec![at.into(), id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "deployment.arrive",
            object_kind: "deployment",
            object_id: Some(id),
            unit_path: Some(&before.target_path),
            before: json!({"arrived_at": null}),
            after: json!({"arrived_at": at}),
        },
    )
    .await?;
    let view = get_in_tx(&mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Ends a deployment (the person comes home).
pub async fn end(db: &Db, actor: &Actor, id: i64, on: NaiveDate) -> Result<DeploymentView, DbError> {
    actor.require("duty:deploy:edit")?;
    let mut tx = db.begin().await?;
    let before = get_in_tx(&mut tx, id).await?;
    if !(actor.scope.reaches(&before.home_path) || actor.scope.reaches(&before.target_path)) {
        return Err(DomainError::NotFound.into());
    }
    if before.end_date.is_some() {
        return Err(DomainError::Conflict("error.deploy.ended".into()).into());
    }
    if on <= before.start_date {
        return Err(DomainError::invalid("end_date", "error.post.end_before_start").into());
    }
    tx.execute(&Sql::with("UPDATE deployments SET end_date = $1 WHERE id = $2", vec![on.into(), id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "deployment.end",
            object_kind: "deployment",
            object_id: Some(id),
            unit_path: Some(&before.target_path),
            before: json!({"end_date": null}),
            after: json!({"end_date": on}),
        },
    )
    .await?;
    let view = get_in_tx(&mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Arrival figures of the deployments sent from a subtree: sent, arrived by a day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArrivalCount {
    pub sent: i64,
    pub arrived: i64,
    pub by: NaiveDate,
}

pub async fn arrivals(db: &Db, scope: &Scope, unit: i64, by: NaiveDate) -> Result<ArrivalCount, DbError> {
    let all = DeploymentQuery { unit: Some(unit), ..Default::default() };
    let mut sent = deploy_filter(db, scope, &all).await?;
    sent.push(" AND d.start_date <= ").bind(by);
    let sent = db.count(&prefix_count(sent)).await?;
    let arrived_q = DeploymentQuery { unit: Some(unit), arrived_by: Some(by), ..Default::default() };
    let arrived = db.count(&prefix_count(deploy_filter(db, scope, &arrived_q).await?)).await?;
    Ok(ArrivalCount { sent, arrived, by })
}

fn prefix_count(from_where: Sql) -> Sql {
    Sql { text: format!("SELECT COUNT(*){}", from_where.text), params: from_where.params }
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: i64,
    name: String,
    birthday: Option<NaiveDate>,
    party_status: String,
    specialties: Option<String>,
    /// Leading posts held in the unit.
    leads: i64,
    /// The purpose of the deployment in force, if any.
    deployed_for: Option<String>,
}

/// The staff of a unit (people homed there) as the planners see them, on a day.
pub async fn staff(db: &Db, scope: &Scope, unit_id: i64, on: NaiveDate) -> Result<Vec<Staff>, DbError> {
    let unit = units::get(db, scope, unit_id).await?;
    let rows: Vec<StaffRow> = db
        .all(&Sql::with(
            "SELECT p.id, p.name, p.birthday, p.party_status, p.specialties, \
             (SELECT COUNT(*) FROM posts po JOIN tenures t ON t.post_id = po.id AND t.start_date <= $2 \
              AND (t.end_date IS NULL OR t.end_date > $2) WHERE t.person_id = p.id \
              AND (po.unit_id = $1 OR po.unit_id IN (SELECT c.id FROM units c WHERE c.parent_id = $1 AND c.kind IN \
              ('party_committee', 'party_general_branch', 'party_branch', 'party_group'))) \
              AND po.kind IN ('department_head', 'township_secretary', 'township_head', 'secretary', 'county_leader')) AS leads, \
             (SELECT MIN(d.purpose) FROM deployments d WHERE d.person_id = p.id AND d.start_date <= $2 \
              AND (d.end_date IS NULL OR d.end_date > $2)) AS deployed_for \
             FROM people p WHERE p.home_unit_id = $1 AND p.category IN ('cadre', 'village_cadre') ORDER BY p.id",
            vec![unit.id.into(), on.into()],
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Staff {
            person_id: r.id,
            name: r.name,
            age: r.birthday.map(|b| on.years_since(b).map(i64::from).unwrap_or(0)),
            party_member: r.party_status != "none",
            must_stay: r.leads > 0,
            deployed: r.deployed_for.map(|p| Purpose::parse(&p).map_or(Third::Front, Purpose::third)),
            specialties: r.specialties,
        })
        .collect())
}

/// A mentoring triple (青蓝结对): a leader, a middle cadre and a young cadre.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MentorshipView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub leader_id: i64,
    pub leader_name: String,
    pub middle_id: i64,
    pub middle_name: String,
    pub young_id: i64,
    pub young_name: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

pub async fn mentorships(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<MentorshipView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT m.id, m.unit_id, u.name AS unit_name, m.leader_id, a.name AS leader_name, m.middle_id, b.name AS middle_name, \
         m.young_id, c.name AS young_name, m.start_date, m.end_date FROM mentorships m JOIN units u ON u.id = m.unit_id \
         JOIN people a ON a.id = m.leader_id JOIN people b ON b.id = m.middle_id JOIN people c ON c.id = m.young_id \
         WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY m.start_date DESC, m.id DESC LIMIT 500");
    db.all(&sql).await
}

/// Creates a mentoring triple in a unit; the three must be different people in scope.
pub async fn create_mentorship(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    people: [i64; 3],
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> Result<i64, DbError> {
    actor.require("duty:deploy:add")?;
    if people[0] == people[1] || people[1] == people[2] || people[0] == people[2] {
        return Err(DomainError::invalid("young_id", "error.mentor.same_person").into());
    }
    if end.is_some_and(|e| e <= start) {
        return Err(DomainError::invalid("end_date", "error.post.end_before_start").into());
    }
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    let mut three = Vec::with_capacity(3);
    for (field, id) in ["leader_id", "middle_id", "young_id"].iter().zip(people) {
        let p = person_in_tx(&mut tx, &actor.scope, id)
            .await
            .map_err(|_| DomainError::invalid(field, "error.post.unknown_person"))?;
        three.push(Mentee {
            age: p.birthday.and_then(|b| start.years_since(b)).map(i64::from),
            rank: Rank::parse(&p.rank).unwrap_or(Rank::None),
            cadre: matches!(p.category.as_str(), "cadre" | "village_cadre"),
        });
    }
    let broken = check_triple(&three[0], &three[1], &three[2]);
    if !broken.is_empty() {
        return Err(DomainError::Invalid(broken).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO mentorships (unit_id, leader_id, middle_id, young_id, start_date, end_date, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                unit_id.into(),
                people[0].into(),
                people[1].into(),
                people[2].into(),
                start.into(),
                end.into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "mentorship.create",
            object_kind: "mentorship",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"unit_id": unit_id, "people": people, "start_date": start, "end_date": end}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends a mentoring triple on a day (the young cadre has grown, someone left).
pub async fn end_mentorship(db: &Db, actor: &Actor, id: i64, end: NaiveDate) -> Result<MentorshipView, DbError> {
    actor.require("duty:deploy:edit")?;
    let mut tx = db.begin().await?;
    let mut sql = Sql::new(
        "SELECT m.start_date, m.end_date, u.path FROM mentorships m JOIN units u ON u.id = m.unit_id WHERE m.id = ",
    );
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let (start, ended, path): (NaiveDate, Option<NaiveDate>, String) =
        tx.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    if ended.is_some_and(|e| e <= end) {
        return Err(DomainError::Conflict("error.mentor.already_ended".into()).into());
    }
    if end <= start {
        return Err(DomainError::invalid("end_date", "error.post.end_before_start").into());
    }
    tx.execute(&Sql::with("UPDATE mentorships SET end_date = $1 WHERE id = $2", vec![end.into(), id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "mentorship.end",
            object_kind: "mentorship",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"end_date": ended}),
            after: json!({"end_date": end}),
        },
    )
    .await?;
    let view: MentorshipView = tx
        .one(&Sql::with(
            "SELECT m.id, m.unit_id, u.name AS unit_name, m.leader_id, a.name AS leader_name, m.middle_id, \
             b.name AS middle_name, m.young_id, c.name AS young_name, m.start_date, m.end_date FROM mentorships m \
             JOIN units u ON u.id = m.unit_id JOIN people a ON a.id = m.leader_id JOIN people b ON b.id = m.middle_id \
             JOIN people c ON c.id = m.young_id WHERE m.id = $1",
            vec![id.into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(view)
}
