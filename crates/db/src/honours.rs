//! Incentives and care in the store: commendations of people and collectives, typical deeds and
//! their internal publication, annual selections (实干担当好干部) with nominations and votes, care
//! records, and the care reminders of a day. Each of these writes its record into the ledger.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, text};
use frontline_core::honours::{
    CareKind, CommendationKind, DeedStatus, LONG_STREAK_DAYS, ReminderKind, SelectionStatus, Tally, birthday_on, elect,
    streak,
};
use frontline_core::records::RecordKind;
use frontline_core::time::{start_of_china_day, today_in_china};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::inspections::{subject_in_tx, subject_or_unit, unit_path, unit_path_in_scope};
use crate::people::{person_in_tx, push_person_scope};
use crate::records::{self, NewRecord};
use crate::units::push_scope;
use crate::{Db, DbError, Page, Sql, Tx};
use frontline_core::units::subtree_range;

// ---------------------------------------------------------------------------------------------
// Commendations

/// A commendation as typed: of a person (a cadre or member), or of a collective (a unit).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CommendationInput {
    /// `notice` (通报表扬) or `honour` (表彰).
    #[schema(value_type = frontline_core::honours::CommendationKind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    #[serde(default)]
    pub person_id: Option<i64>,
    /// The collective commended, when no person is.
    #[serde(default)]
    pub unit_id: Option<i64>,
    pub issued_on: NaiveDate,
}

/// A commendation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CommendationView {
    pub id: i64,
    pub issuer_unit_id: i64,
    pub issuer_name: String,
    pub kind: String,
    pub title: String,
    pub reason: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub issued_on: NaiveDate,
    pub created_by: String,
}

/// Commends a person or a collective the actor reaches; the issuer is the actor's top unit
/// above the one commended.
pub async fn commend(db: &Db, actor: &Actor, input: &CommendationInput) -> Result<i64, DbError> {
    actor.require("honour:commend:edit")?;
    let mut p = Problems::new();
    let kind = CommendationKind::parse(&input.kind);
    if kind.is_none() {
        p.add("kind", "error.honour.kind");
    }
    let title = p.check(text("title", &input.title, 80));
    let reason = p.check(text("reason", &input.reason, 2000));
    if input.issued_on > today_in_china(Utc::now()) {
        p.add("issued_on", "error.note.future");
    }
    if input.person_id.is_none() && input.unit_id.is_none() {
        p.add("person_id", "error.required");
    }
    p.into_result()?;
    let (Some(kind), Some(title), Some(reason)) = (kind, title, reason) else {
        return Err(DomainError::invalid("kind", "error.honour.kind").into());
    };
    let mut tx = db.begin().await?;
    let (unit_id, path) = honoured_or_unit(&mut tx, &actor.scope, input.person_id, input.unit_id).await?;
    let issuer = issuer_of(&mut tx, &actor.scope, &path).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO commendations (issuer_unit_id, kind, title, reason, unit_id, person_id, issued_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vec![
                issuer.into(),
                kind.as_str().into(),
                title.clone().into(),
                reason.clone().into(),
                unit_id.into(),
                input.person_id.into(),
                input.issued_on.into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::Commended,
            unit_id,
            person_id: input.person_id,
            occurred_at: start_of_china_day(input.issued_on),
            value: 1,
            source_kind: "commendation",
            source_id: id,
            note: Some(title.clone()),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "commendation.create",
            object_kind: "commendation",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"kind": kind.as_str(), "title": title, "reason": reason, "unit_id": unit_id,
                "person_id": input.person_id, "issued_on": input.issued_on}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The highest unit in the actor's scope on the path to `path` (the county for the county's
/// department, the township for a township): who issues what the actor writes.
async fn issuer_of(tx: &mut Tx, scope: &Scope, path: &str) -> Result<i64, DbError> {
    let mut sql = Sql::new("SELECT id, path FROM units u WHERE ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND ").bind(path.to_string()).push(" LIKE u.path || '%' ORDER BY LENGTH(u.path) LIMIT 1");
    let row: Option<(i64, String)> = tx.opt(&sql).await?;
    row.map(|r| r.0).ok_or_else(|| DomainError::NotFound.into())
}

/// Filters for commendations.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommendationQuery {
    pub kind: Option<String>,
    pub page: Option<i64>,
}

/// Commendations of people and collectives the caller reaches, newest first.
pub async fn commendations(db: &Db, scope: &Scope, q: &CommendationQuery) -> Result<Page<CommendationView>, DbError> {
    let mut filter = Sql::new(
        " FROM commendations c JOIN units u ON u.id = c.unit_id JOIN units iu ON iu.id = c.issuer_unit_id \
         LEFT JOIN people p ON p.id = c.person_id WHERE ",
    );
    push_scope(&mut filter, "u.path", scope);
    if let Some(k) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND c.kind = ").bind(k);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, Some(50));
    db.page_of(
        "c.id, c.issuer_unit_id, iu.name AS issuer_name, c.kind, c.title, c.reason, c.unit_id, u.name AS unit_name, c.person_id, \
         p.name AS person_name, c.issued_on, c.created_by",
        filter,
        "c.issued_on DESC, c.id DESC",
        page,
        per_page,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Typical deeds

/// A typical deed as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct DeedInput {
    #[serde(default)]
    pub person_id: Option<i64>,
    /// The unit whose deed it is (or the person's unit).
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    #[schema(min_length = 1, max_length = 8000)]
    pub body: String,
}

/// A typical deed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DeedView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub title: String,
    pub body: String,
    /// `draft` or `published`.
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub published_by: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

const DEED_COLUMNS: &str = "d.id, d.unit_id, u.name AS unit_name, d.person_id, p.name AS person_name, d.title, d.body, d.status, \
     d.created_by, d.created_at, d.published_by, d.published_at";
const DEED_FROM: &str =
    " FROM deeds d JOIN units u ON u.id = d.unit_id LEFT JOIN people p ON p.id = d.person_id WHERE ";

/// Writes up a deed (a draft) of a person or unit the actor reaches.
pub async fn write_deed(db: &Db, actor: &Actor, input: &DeedInput) -> Result<i64, DbError> {
    actor.require("honour:deed:edit")?;
    let mut p = Problems::new();
    let title = p.check(text("title", &input.title, 80));
    let body = p.check(text("body", &input.body, 8000));
    if input.person_id.is_none() && input.unit_id.is_none() {
        p.add("person_id", "error.required");
    }
    p.into_result()?;
    let (Some(title), Some(body)) = (title, body) else {
        return Err(DomainError::invalid("title", "error.required").into());
    };
    let mut tx = db.begin().await?;
    let (unit_id, path) = honoured_or_unit(&mut tx, &actor.scope, input.person_id, input.unit_id).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO deeds (unit_id, person_id, title, body, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                unit_id.into(),
                input.person_id.into(),
                title.clone().into(),
                body.clone().into(),
                DeedStatus::Draft.as_str().into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "deed.create",
            object_kind: "deed",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"unit_id": unit_id, "person_id": input.person_id, "title": title}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The unit (and its path) of whom a commendation or a deed names: a person who serves (see
/// `PersonCategory::may_be_honoured`) or a unit, either in the actor's scope.
async fn honoured_or_unit(
    tx: &mut Tx,
    scope: &Scope,
    person: Option<i64>,
    unit: Option<i64>,
) -> Result<(i64, String), DbError> {
    let Some(person) = person else {
        return subject_or_unit(tx, scope, None, unit).await;
    };
    let p = person_in_tx(tx, scope, person)
        .await
        .map_err(|_| DomainError::invalid("person_id", "error.inspect.unknown_person"))?;
    let category = frontline_core::people::PersonCategory::parse(&p.category)
        .unwrap_or(frontline_core::people::PersonCategory::Resident);
    if !category.may_be_honoured() {
        return Err(DomainError::invalid("person_id", "error.honour.not_honourable").into());
    }
    Ok((p.home_unit_id, unit_path(tx, p.home_unit_id).await?))
}

/// Filters for deeds.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeedQuery {
    pub status: Option<String>,
    pub page: Option<i64>,
    /// Rows per page (1–200, default 20).
    pub per_page: Option<i64>,
}

/// Deeds of units the caller reaches: drafts and published.
pub async fn deeds(db: &Db, scope: &Scope, q: &DeedQuery) -> Result<Page<DeedView>, DbError> {
    let mut filter = Sql::new(DEED_FROM);
    push_scope(&mut filter, "u.path", scope);
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND d.status = ").bind(s);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    db.page_of(DEED_COLUMNS, filter, "COALESCE(d.published_at, d.created_at) DESC, d.id DESC", page, per_page).await
}

/// One deed.
pub async fn deed(db: &Db, scope: &Scope, id: i64) -> Result<DeedView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {DEED_COLUMNS}{DEED_FROM}"));
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND d.id = ").bind(id);
    Ok(db.opt(&sql).await?.ok_or(DomainError::NotFound)?)
}

/// The county a person's home unit lies in (or the root of its tree where there is no county):
/// the organisation a published deed is shown inside.
async fn county_of_person(db: &Db, person_id: i64) -> Result<String, DbError> {
    let home: Option<(String,)> = db
        .opt(&Sql::with(
            "SELECT h.path FROM people p JOIN units h ON h.id = p.home_unit_id WHERE p.id = $1",
            vec![person_id.into()],
        ))
        .await?;
    let (home,) = home.ok_or(DomainError::NotFound)?;
    let county: Option<(String,)> = db
        .opt(&Sql::with(
            "SELECT c.path FROM units c WHERE c.kind = 'county' AND $1 LIKE c.path || '%' ORDER BY LENGTH(c.path) LIMIT 1",
            vec![home.clone().into()],
        ))
        .await?;
    Ok(county.map(|(c,)| c).unwrap_or_else(|| {
        let root = home.trim_start_matches('/').split('/').next().unwrap_or_default();
        format!("/{root}/")
    }))
}

fn published_in(county: &str) -> Sql {
    let (lo, hi) = subtree_range(county);
    let mut filter = Sql::new(DEED_FROM);
    filter.push("u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    filter.push(" AND d.status = ").bind(DeedStatus::Published.as_str());
    filter
}

/// The published deeds of a person's county, newest first: what the organisation publishes inside
/// itself, readable by every member of it. Drafts stay with those who write and publish them.
pub async fn published_deeds_for(
    db: &Db,
    person_id: i64,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<DeedView>, DbError> {
    let county = county_of_person(db, person_id).await?;
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    db.page_of(DEED_COLUMNS, published_in(&county), "d.published_at DESC, d.id DESC", page, per_page).await
}

/// One published deed of a person's county.
pub async fn published_deed_for(db: &Db, person_id: i64, id: i64) -> Result<DeedView, DbError> {
    let county = county_of_person(db, person_id).await?;
    let mut sql = published_in(&county);
    sql.text = format!("SELECT {DEED_COLUMNS}{}", sql.text);
    sql.push(" AND d.id = ").bind(id);
    Ok(db.opt(&sql).await?.ok_or(DomainError::NotFound)?)
}

/// Publishes a draft deed inside the organisation; the deed's subject gets a `deed_published`
/// record.
pub async fn publish_deed(db: &Db, actor: &Actor, id: i64) -> Result<(), DbError> {
    actor.require("honour:deed:publish")?;
    let d = deed(db, &actor.scope, id).await?;
    if d.status != DeedStatus::Draft.as_str() {
        return Err(DomainError::Conflict("error.honour.deed_published".into()).into());
    }
    let mut tx = db.begin().await?;
    let path = unit_path(&mut tx, d.unit_id).await?;
    let changed = tx
        .execute(&Sql::with(
            "UPDATE deeds SET status = $1, published_by = $2, published_at = $3 WHERE id = $4 AND status = $5",
            vec![
                DeedStatus::Published.as_str().into(),
                actor.name.clone().into(),
                Utc::now().into(),
                id.into(),
                DeedStatus::Draft.as_str().into(),
            ],
        ))
        .await?;
    if changed == 0 {
        return Err(DomainError::Conflict("error.honour.deed_published".into()).into());
    }
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::DeedPublished,
            unit_id: d.unit_id,
            person_id: d.person_id,
            occurred_at: Utc::now(),
            value: 1,
            source_kind: "deed",
            source_id: id,
            note: Some(d.title.clone()),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "deed.publish",
            object_kind: "deed",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": "draft"}),
            after: json!({"status": "published"}),
        },
    )
    .await?;
    tx.commit().await
}

// ---------------------------------------------------------------------------------------------
// Selections (实干担当好干部)

/// A selection as opened by a county (or township).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct SelectionInput {
    pub unit_id: i64,
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    /// How many are selected; each voter casts at most this many votes.
    #[schema(minimum = 1, maximum = 500)]
    pub seats: i64,
}

/// A selection.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SelectionView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: String,
    pub year: i64,
    pub title: String,
    pub seats: i64,
    /// `nominating`, `voting` or `closed`.
    pub status: String,
    pub created_by: String,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A nomination with its votes.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NominationView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub home_unit_name: String,
    pub reason: String,
    pub nominated_by: String,
    pub votes: i64,
    pub selected: bool,
}

/// A selection with its nominations and the caller's votes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SelectionDetail {
    pub selection: SelectionView,
    pub nominations: Vec<NominationView>,
    /// The nominations the caller voted for.
    pub my_votes: Vec<i64>,
}

const SELECTION_COLUMNS: &str = "s.id, s.unit_id, u.name AS unit_name, u.path AS unit_path, s.year, s.title, s.seats, s.status, \
     s.created_by, s.closed_at";

/// Opens a selection in a unit the actor reaches.
pub async fn open_selection(db: &Db, actor: &Actor, input: &SelectionInput) -> Result<i64, DbError> {
    actor.require("honour:selection:edit")?;
    let mut p = Problems::new();
    let title = p.check(text("title", &input.title, 80));
    if !(1..=500).contains(&input.seats) {
        p.add("seats", "error.honour.seats");
    }
    if !(2000..=2100).contains(&input.year) {
        p.add("year", "error.review.year");
    }
    p.into_result()?;
    let Some(title) = title else {
        return Err(DomainError::invalid("title", "error.required").into());
    };
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, input.unit_id, "unit_id").await?;
    let exists = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM selections WHERE unit_id = $1 AND year = $2 AND title = $3",
            vec![input.unit_id.into(), i64::from(input.year).into(), title.clone().into()],
        ))
        .await?;
    if exists > 0 {
        return Err(DomainError::Conflict("error.honour.selection_exists".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO selections (unit_id, year, title, seats, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                input.unit_id.into(),
                i64::from(input.year).into(),
                title.clone().into(),
                input.seats.into(),
                SelectionStatus::Nominating.as_str().into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "selection.open",
            object_kind: "selection",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"unit_id": input.unit_id, "year": input.year, "title": title, "seats": input.seats}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Selections the caller sees: those of units they reach and those of the units above them (a
/// township sees its county's selection and nominates into it).
pub async fn selections(db: &Db, scope: &Scope) -> Result<Vec<SelectionView>, DbError> {
    let all: Vec<SelectionView> = db
        .all(&Sql::new(&format!(
            "SELECT {SELECTION_COLUMNS} FROM selections s JOIN units u ON u.id = s.unit_id ORDER BY s.year DESC, s.id DESC"
        )))
        .await?;
    Ok(all.into_iter().filter(|s| scope.reaches_or_is_above(&s.unit_path)).collect())
}

async fn selection_view(db: &Db, scope: &Scope, id: i64) -> Result<SelectionView, DbError> {
    let s: Option<SelectionView> = db
        .opt(&Sql::with(
            &format!("SELECT {SELECTION_COLUMNS} FROM selections s JOIN units u ON u.id = s.unit_id WHERE s.id = $1"),
            vec![id.into()],
        ))
        .await?;
    s.filter(|s| scope.reaches_or_is_above(&s.unit_path)).ok_or_else(|| DomainError::NotFound.into())
}

/// One selection with its nominations (nominees the caller can see: all when the caller reaches
/// the organising unit, else those they reach) and the caller's votes.
pub async fn selection(db: &Db, actor: &Actor, id: i64) -> Result<SelectionDetail, DbError> {
    let selection = selection_view(db, &actor.scope, id).await?;
    let mut sql = Sql::new(
        "SELECT n.id, n.person_id, p.name AS person_name, hu.name AS home_unit_name, n.reason, n.nominated_by, \
         CAST((SELECT COUNT(*) FROM selection_votes v WHERE v.nomination_id = n.id) AS BIGINT) AS votes, n.selected \
         FROM nominations n JOIN people p ON p.id = n.person_id JOIN units hu ON hu.id = p.home_unit_id WHERE n.selection_id = ",
    );
    sql.bind(id);
    // While nominations come in, each nominating unit sees its own; from the vote on, every voter
    // sees the one same ballot (the whole list is what is voted on and 公示).
    let nominating = selection.status == SelectionStatus::Nominating.as_str();
    if nominating && !actor.scope.reaches(&selection.unit_path) {
        sql.push(" AND ");
        push_person_scope(&mut sql, &actor.scope);
    }
    sql.push(" ORDER BY n.id");
    let mut nominations: Vec<NominationView> = db.all(&sql).await?;
    // Votes are secret until the result is fixed.
    if selection.status != SelectionStatus::Closed.as_str() {
        nominations.iter_mut().for_each(|n| n.votes = 0);
    }
    let my_votes: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT nomination_id FROM selection_votes WHERE selection_id = $1 AND voter_id = $2 ORDER BY nomination_id",
            vec![id.into(), actor.user_id.unwrap_or(0).into()],
        ))
        .await?;
    Ok(SelectionDetail { selection, nominations, my_votes: my_votes.into_iter().map(|v| v.0).collect() })
}

/// A nomination as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NominationInput {
    pub person_id: i64,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Nominates a cadre or member the actor reaches into a selection that is taking nominations.
pub async fn nominate(db: &Db, actor: &Actor, id: i64, input: &NominationInput) -> Result<i64, DbError> {
    actor.require("honour:selection:nominate")?;
    let reason = text("reason", &input.reason, 2000).map_err(|e| DbError::from(vec![e]))?;
    let s = selection_view(db, &actor.scope, id).await?;
    SelectionStatus::parse(&s.status).unwrap_or(SelectionStatus::Closed).nominate()?;
    let mut tx = db.begin().await?;
    let home = subject_in_tx(&mut tx, &actor.scope, input.person_id, "person_id").await?;
    let path = unit_path(&mut tx, home).await?;
    if !frontline_core::units::is_within(&path, &s.unit_path) {
        return Err(DomainError::invalid("person_id", "error.honour.outside").into());
    }
    let exists = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM nominations WHERE selection_id = $1 AND person_id = $2",
            vec![id.into(), input.person_id.into()],
        ))
        .await?;
    if exists > 0 {
        return Err(DomainError::Conflict("error.honour.nominated".into()).into());
    }
    let nomination = tx
        .insert(&Sql::with(
            "INSERT INTO nominations (selection_id, person_id, reason, nominated_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![id.into(), input.person_id.into(), reason.clone().into(), actor.name.clone().into(), Utc::now().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "selection.nominate",
            object_kind: "selection",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"nomination_id": nomination, "person_id": input.person_id, "reason": reason}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(nomination)
}

/// Casts the caller's votes in a selection that is voting: a set of nominations, at most `seats`,
/// once (a ballot is not changed after it is cast).
pub async fn vote(db: &Db, actor: &Actor, id: i64, nominations: &[i64]) -> Result<(), DbError> {
    actor.require("honour:selection:vote")?;
    let voter = actor.user_id.ok_or_else(|| DomainError::Forbidden("honour:selection:vote".into()))?;
    let s = selection_view(db, &actor.scope, id).await?;
    SelectionStatus::parse(&s.status).unwrap_or(SelectionStatus::Closed).vote()?;
    let mut chosen = nominations.to_vec();
    chosen.sort_unstable();
    chosen.dedup();
    if chosen.len() != nominations.len() {
        // A ballot naming someone twice is spoilt, not quietly counted once.
        return Err(DomainError::invalid("nominations", "error.honour.duplicate_vote").into());
    }
    if chosen.is_empty() {
        return Err(DomainError::invalid("nominations", "error.required").into());
    }
    if chosen.len() as i64 > s.seats {
        return Err(DomainError::invalid("nominations", "error.honour.too_many_votes").into());
    }
    let mut tx = db.begin().await?;
    let cast = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM selection_votes WHERE selection_id = $1 AND voter_id = $2",
            vec![id.into(), voter.into()],
        ))
        .await?;
    if cast > 0 {
        return Err(DomainError::Conflict("error.honour.voted".into()).into());
    }
    let mut check = Sql::new("SELECT COUNT(*) FROM nominations WHERE selection_id = ");
    check.bind(id).push(" AND id IN ").bind_list(chosen.iter().copied());
    if tx.count(&check).await? != chosen.len() as i64 {
        return Err(DomainError::invalid("nominations", "error.honour.unknown_nomination").into());
    }
    let now = Utc::now();
    for n in &chosen {
        tx.execute(&Sql::with(
            "INSERT INTO selection_votes (selection_id, nomination_id, voter_id, created_at) VALUES ($1, $2, $3, $4)",
            vec![id.into(), (*n).into(), voter.into(), now.into()],
        ))
        .await?;
    }
    // Who voted is audited; for whom is not (the ballot is secret).
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "selection.vote",
            object_kind: "selection",
            object_id: Some(id),
            unit_path: Some(&s.unit_path),
            before: serde_json::Value::Null,
            after: json!({"votes": chosen.len()}),
        },
    )
    .await?;
    tx.commit().await
}

/// Moves a selection to its next stage; closing fixes the result (most votes, ties to the earlier
/// nomination), marks those selected and writes their `selected` records.
pub async fn advance(db: &Db, actor: &Actor, id: i64) -> Result<String, DbError> {
    actor.require("honour:selection:edit")?;
    let s = selection_view(db, &actor.scope, id).await?;
    if !actor.scope.reaches(&s.unit_path) {
        return Err(DomainError::NotFound.into());
    }
    let before = SelectionStatus::parse(&s.status).unwrap_or(SelectionStatus::Closed);
    let after = before.advance()?;
    let mut tx = db.begin().await?;
    let changed = tx
        .execute(&Sql::with(
            "UPDATE selections SET status = $1, closed_at = $2 WHERE id = $3 AND status = $4",
            vec![
                after.as_str().into(),
                (after == SelectionStatus::Closed).then(Utc::now).into(),
                id.into(),
                before.as_str().into(),
            ],
        ))
        .await?;
    if changed == 0 {
        return Err(DomainError::Conflict("error.selection.closed".into()).into());
    }
    let mut selected = Vec::new();
    if after == SelectionStatus::Closed {
        let rows: Vec<(i64, i64, i64, i64)> = tx
            .all(&Sql::with(
                "SELECT n.id, n.person_id, p.home_unit_id, \
                 CAST((SELECT COUNT(*) FROM selection_votes v WHERE v.nomination_id = n.id) AS BIGINT) \
                 FROM nominations n JOIN people p ON p.id = n.person_id WHERE n.selection_id = $1 ORDER BY n.id",
                vec![id.into()],
            ))
            .await?;
        let tallies: Vec<Tally> = rows.iter().map(|r| Tally { nomination_id: r.0, votes: r.3 }).collect();
        selected = elect(&tallies, s.seats.max(0) as usize);
        for (nomination, person, home, _) in rows.iter().filter(|r| selected.contains(&r.0)) {
            tx.execute(&Sql::with(
                "UPDATE nominations SET selected = $1 WHERE id = $2",
                vec![true.into(), (*nomination).into()],
            ))
            .await?;
            records::append(
                &mut tx,
                NewRecord {
                    kind: RecordKind::Selected,
                    unit_id: *home,
                    person_id: Some(*person),
                    occurred_at: Utc::now(),
                    value: 1,
                    source_kind: "selection",
                    source_id: id,
                    note: Some(format!("{} {}", s.year, s.title)),
                },
            )
            .await?;
        }
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "selection.advance",
            object_kind: "selection",
            object_id: Some(id),
            unit_path: Some(&s.unit_path),
            before: json!({"status": before.as_str()}),
            after: json!({"status": after.as_str(), "selected": selected}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after.as_str().to_string())
}

// ---------------------------------------------------------------------------------------------
// Care

/// A care record as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CareInput {
    pub person_id: i64,
    /// `visit`, `health_check`, `leave`, `counselling_referral`, `counselling` or `birthday`.
    #[schema(value_type = frontline_core::honours::CareKind)]
    pub kind: String,
    pub given_on: NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
}

/// A care record.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CareView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub given_on: NaiveDate,
    pub note: Option<String>,
    pub created_by: String,
}

/// Records care given to a person the actor reaches (anyone working the frontline, residents
/// excepted: they are served, not cared for here).
pub async fn record_care(db: &Db, actor: &Actor, input: &CareInput) -> Result<i64, DbError> {
    actor.require("honour:care:edit")?;
    let mut p = Problems::new();
    let kind = CareKind::parse(&input.kind);
    if kind.is_none() {
        p.add("kind", "error.care.kind");
    }
    let note = match input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => p.check(text("note", n, 1000)),
        None => None,
    };
    if input.given_on > today_in_china(Utc::now()) {
        p.add("given_on", "error.note.future");
    }
    p.into_result()?;
    let Some(kind) = kind else {
        return Err(DomainError::invalid("kind", "error.care.kind").into());
    };
    let mut tx = db.begin().await?;
    let person = person_in_tx(&mut tx, &actor.scope, input.person_id)
        .await
        .map_err(|_| DomainError::invalid("person_id", "error.inspect.unknown_person"))?;
    if person.category == "resident" {
        return Err(DomainError::invalid("person_id", "error.care.resident").into());
    }
    let path = unit_path(&mut tx, person.home_unit_id).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO care_records (person_id, unit_id, kind, given_on, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                input.person_id.into(),
                person.home_unit_id.into(),
                kind.as_str().into(),
                input.given_on.into(),
                note.clone().into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::CaredFor,
            unit_id: person.home_unit_id,
            person_id: Some(input.person_id),
            occurred_at: start_of_china_day(input.given_on),
            value: 1,
            source_kind: "care_record",
            source_id: id,
            note: Some(kind.as_str().to_string()),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "care.create",
            object_kind: "care_record",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"person_id": input.person_id, "kind": kind.as_str(), "given_on": input.given_on, "note": note}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Care records of people the caller reaches, newest first.
pub async fn care_records(
    db: &Db,
    scope: &Scope,
    person: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<CareView>, DbError> {
    let mut filter = Sql::new(
        " FROM care_records c JOIN people p ON p.id = c.person_id JOIN units hu ON hu.id = p.home_unit_id WHERE ",
    );
    push_person_scope(&mut filter, scope);
    if let Some(person) = person {
        filter.push(" AND c.person_id = ").bind(person);
    }
    let (page, per_page) = crate::sql::page_bounds(page, per_page.or(Some(50)));
    db.page_of(
        "c.id, c.person_id, p.name AS person_name, c.unit_id, hu.name AS unit_name, c.kind, c.given_on, c.note, c.created_by",
        filter,
        "c.given_on DESC, c.id DESC",
        page,
        per_page,
    )
    .await
}

/// Someone the care page reminds about.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reminder {
    /// `birthday`, `streak` or `counselling`.
    pub kind: String,
    pub person_id: i64,
    pub person_name: String,
    pub unit_name: String,
    /// Days on duty in a row (streaks), days since the referral (counselling), 0 otherwise.
    pub days: i64,
}

/// The care reminders of a day for the people the caller reaches: birthdays of people on duty
/// that day (a shift or an active deployment), unbroken duty streaks of two weeks or more (shifts
/// stood, with no leave recorded since the streak began), and counselling referrals with no
/// session after them.
pub async fn reminders(db: &Db, scope: &Scope, day: NaiveDate) -> Result<Vec<Reminder>, DbError> {
    let mut out = Vec::new();
    let (start, end) = (start_of_china_day(day), start_of_china_day(day.succ_opt().unwrap_or(day)));
    // On duty today: a shift starting today, or an arrived deployment covering today.
    let mut sql = Sql::new(
        "SELECT DISTINCT p.id, p.name, hu.name, p.birthday FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE p.birthday IS NOT NULL AND (\
         EXISTS (SELECT 1 FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id WHERE a.person_id = p.id AND s.starts_at >= ",
    );
    sql.bind(start).push(" AND s.starts_at < ").bind(end);
    sql.push(") OR EXISTS (SELECT 1 FROM deployments d WHERE d.person_id = p.id AND d.arrived_at IS NOT NULL AND d.start_date <= ");
    sql.bind(day).push(" AND (d.end_date IS NULL OR d.end_date >= ").bind(day).push("))) AND (");
    // Theirs: people of the caller's units, and people deployed to serve in them that day.
    push_person_scope(&mut sql, scope);
    sql.push(
        " OR EXISTS (SELECT 1 FROM deployments d JOIN units tu ON tu.id = d.target_unit_id WHERE d.person_id = p.id \
         AND d.start_date <= ",
    );
    sql.bind(day).push(" AND (d.end_date IS NULL OR d.end_date >= ").bind(day).push(") AND ");
    push_scope(&mut sql, "tu.path", scope);
    sql.push("))");
    let on_duty: Vec<(i64, String, String, Option<NaiveDate>)> = db.all(&sql).await?;
    for (id, name, unit, birthday) in on_duty {
        if birthday.is_some_and(|b| birthday_on(b, day)) {
            out.push(Reminder {
                kind: ReminderKind::Birthday.as_str().into(),
                person_id: id,
                person_name: name,
                unit_name: unit,
                days: 0,
            });
        }
    }
    // Streaks: the days of shifts stood over the last five weeks, per person, from the ledger.
    let window = day - chrono::Days::new(35);
    let mut sql = Sql::new(
        "SELECT r.person_id, p.name, hu.name, r.occurred_at FROM records r JOIN people p ON p.id = r.person_id \
         JOIN units hu ON hu.id = p.home_unit_id WHERE r.kind = ",
    );
    sql.bind(RecordKind::ShiftAttended.as_str()).push(" AND r.occurred_at >= ").bind(start_of_china_day(window));
    sql.push(" AND r.occurred_at < ").bind(end).push(" AND ");
    push_person_scope(&mut sql, scope);
    sql.push(" ORDER BY r.person_id");
    let stood: Vec<(i64, String, String, DateTime<Utc>)> = db.all(&sql).await?;
    let leave: Vec<(i64, NaiveDate)> = db
        .all(&Sql::with(
            "SELECT person_id, given_on FROM care_records WHERE kind = $1 AND given_on >= $2 AND given_on <= $3",
            vec![CareKind::Leave.as_str().into(), window.into(), day.into()],
        ))
        .await?;
    let mut i = 0;
    while i < stood.len() {
        let person = stood[i].0;
        let mut days = Vec::new();
        let first = i;
        while i < stood.len() && stood[i].0 == person {
            days.push(today_in_china(stood[i].3));
            i += 1;
        }
        let run = streak(&days, day);
        let began = day - chrono::Days::new(u64::from(run));
        let rested = leave.iter().any(|(p, d)| *p == person && *d >= began);
        if run >= LONG_STREAK_DAYS && !rested {
            out.push(Reminder {
                kind: ReminderKind::Streak.as_str().into(),
                person_id: person,
                person_name: stood[first].1.clone(),
                unit_name: stood[first].2.clone(),
                days: i64::from(run),
            });
        }
    }
    // Counselling referrals with no session on or after them.
    let mut sql = Sql::new(
        "SELECT c.person_id, p.name, hu.name, c.given_on FROM care_records c JOIN people p ON p.id = c.person_id \
         JOIN units hu ON hu.id = p.home_unit_id WHERE c.kind = ",
    );
    sql.bind(CareKind::CounsellingReferral.as_str());
    sql.push(" AND c.given_on <= ").bind(day);
    sql.push(" AND NOT EXISTS (SELECT 1 FROM care_records s WHERE s.person_id = c.person_id AND s.kind = ")
        .bind(CareKind::Counselling.as_str())
        .push(" AND s.given_on >= c.given_on) AND ");
    push_person_scope(&mut sql, scope);
    let referred: Vec<(i64, String, String, NaiveDate)> = db.all(&sql).await?;
    for (id, name, unit, on) in referred {
        out.push(Reminder {
            kind: ReminderKind::Counselling.as_str().into(),
            person_id: id,
            person_name: name,
            unit_name: unit,
            days: (day - on).num_days(),
        });
    }
    Ok(out)
}
