//! People, postings, posts and tenures.
//!
//! A person is visible to a caller when their home unit is in the caller's scope, or one of their
//! current postings is, or they are the caller. Phones are masked in every list; only details
//! read by someone who may edit the person show the full number.

use chrono::{NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::people::{PostKind, PostingKind, ValidPerson, mask_phone};
use frontline_core::progress::{Progress, Stage};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::sql::{like_contains, page_bounds};
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A person as lists and pages show them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub party_status: String,
    pub rank: String,
    pub specialties: Option<String>,
    pub birthday: Option<NaiveDate>,
    /// Masked (`138****5678`) unless the caller may edit this person and asked for a detail.
    pub phone: Option<String>,
    pub home_unit_id: i64,
    pub home_unit_name: String,
    #[serde(skip)]
    pub home_unit_path: String,
}

const PERSON_COLUMNS: &str = "p.id, p.name, p.category, p.party_status, p.rank, p.specialties, p.birthday, p.phone, \
     p.home_unit_id, hu.name AS home_unit_name, hu.path AS home_unit_path";

/// Appends "person `p` is visible within `scope`".
pub fn push_person_scope(sql: &mut Sql, scope: &Scope) {
    if scope.all {
        sql.push("TRUE");
        return;
    }
    sql.push("(");
    push_scope(sql, "hu.path", scope);
    sql.push(
        " OR EXISTS (SELECT 1 FROM postings ps JOIN units pu ON pu.id = ps.unit_id \
         WHERE ps.person_id = p.id AND ps.end_date IS NULL AND ",
    );
    push_scope(sql, "pu.path", scope);
    sql.push(")");
    if let Some(me) = scope.person_id {
        sql.push(" OR p.id = ").bind(me);
    }
    sql.push(")");
}

fn snapshot(p: &PersonView) -> serde_json::Value {
    json!({"name": p.name, "category": p.category, "party_status": p.party_status, "rank": p.rank,
           "specialties": p.specialties, "birthday": p.birthday, "phone": p.phone.as_deref().map(mask_phone),
           "home_unit_id": p.home_unit_id})
}

pub(crate) async fn person_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> Result<PersonView, DbError> {
    let mut sql = Sql::new(&format!(
        "SELECT {PERSON_COLUMNS} FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE p.id = "
    ));
    sql.bind(id).push(" AND ");
    push_person_scope(&mut sql, scope);
    tx.one(&sql).await
}

/// One person within the scope. The phone is unmasked only if `reveal_phone` (the caller may edit
/// people) and the caller reaches the person's home unit: a unit hosting someone on a posting
/// sees the masked number.
pub async fn get(db: &Db, scope: &Scope, id: i64, reveal_phone: bool) -> Result<PersonView, DbError> {
    let mut sql = Sql::new(&format!(
        "SELECT {PERSON_COLUMNS} FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE p.id = "
    ));
    sql.bind(id).push(" AND ");
    push_person_scope(&mut sql, scope);
    let mut p: PersonView = db.one(&sql).await?;
    if !(reveal_phone && scope.reaches(&p.home_unit_path)) {
        p.phone = p.phone.as_deref().map(mask_phone);
    }
    Ok(p)
}

/// Filters for the people list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    /// Only people whose home unit lies in the subtree of this unit.
    pub unit: Option<i64>,
    pub name: Option<String>,
    pub category: Option<String>,
    pub party_status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// People visible to the scope, phones masked.
pub async fn list(db: &Db, scope: &Scope, q: &PersonQuery) -> Result<Page<PersonView>, DbError> {
    let (page, per) = page_bounds(q.page, q.per_page);
    let mut p: Page<PersonView> =
        db.page_of(PERSON_COLUMNS, person_filter(db, scope, q).await?, "p.id", page, per).await?;
    mask_phones(&mut p.items);
    Ok(p)
}

/// Up to `limit` people matching the query, phones masked, without counting them (exports).
pub async fn list_all(db: &Db, scope: &Scope, q: &PersonQuery, limit: i64) -> Result<Vec<PersonView>, DbError> {
    let mut items = db.rows_of(PERSON_COLUMNS, person_filter(db, scope, q).await?, "p.id", limit).await?;
    mask_phones(&mut items);
    Ok(items)
}

fn mask_phones(items: &mut [PersonView]) {
    for item in items {
        item.phone = item.phone.as_deref().map(mask_phone);
    }
}

/// `FROM people p JOIN units hu … WHERE …` for a query within a scope.
async fn person_filter(db: &Db, scope: &Scope, q: &PersonQuery) -> Result<Sql, DbError> {
    let mut filter = Sql::new(" FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE ");
    push_person_scope(&mut filter, scope);
    if let Some(unit) = q.unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = frontline_core::units::subtree_range(&root.path);
        filter.push(" AND hu.path >= ").bind(lo).push(" AND hu.path < ").bind(hi);
    }
    if let Some(name) = q.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filter.push(" AND p.name LIKE ").bind(like_contains(name)).push(" ESCAPE '\\'");
    }
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND p.category = ").bind(c);
    }
    if let Some(s) = q.party_status.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND p.party_status = ").bind(s);
    }
    Ok(filter)
}

fn person_values(p: &ValidPerson) -> Vec<crate::Value> {
    vec![
        p.name.clone().into(),
        p.category.as_str().into(),
        p.party_status.as_str().into(),
        p.rank.as_str().into(),
        p.specialties.clone().into(),
        p.birthday.into(),
        p.phone.clone().into(),
    ]
}

pub(crate) async fn open_unit_in_scope(tx: &mut Tx, scope: &Scope, unit_id: i64) -> Result<String, DbError> {
    let mut sql = Sql::new("SELECT path, closed FROM units u WHERE u.id = ");
    sql.bind(unit_id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let (path, closed): (String, bool) =
        tx.opt(&sql).await?.ok_or_else(|| DomainError::invalid("home_unit_id", "error.person.unknown_unit"))?;
    if closed {
        return Err(DomainError::invalid("home_unit_id", "error.unit.parent_closed").into());
    }
    Ok(path)
}

/// Creates a person in a home unit within the caller's scope.
pub async fn create(db: &Db, actor: &Actor, home_unit_id: i64, p: &ValidPerson) -> Result<PersonView, DbError> {
    actor.require("people:person:add")?;
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, home_unit_id).await?;
    // The roster import's rule: the same name and phone in the same home unit is the same person.
    let mut same = Sql::new("SELECT COUNT(*) FROM people WHERE home_unit_id = ");
    same.bind(home_unit_id).push(" AND name = ").bind(p.name.clone());
    match &p.phone {
        Some(phone) => same.push(" AND phone = ").bind(phone.clone()),
        None => same.push(" AND phone IS NULL"),
    };
    if tx.count(&same).await? > 0 {
        return Err(DomainError::Conflict("error.person.duplicate".into()).into());
    }
    let now = Utc::now();
    let mut values = person_values(p);
    values.extend([home_unit_id.into(), now.into()]);
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO people (name, category, party_status, rank, specialties, birthday, phone, home_unit_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            values,
        ))
        .await?;
    let created = person_in_tx(&mut tx, &Scope::everything(), id).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "person.create",
            object_kind: "person",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: snapshot(&created),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Edits a person. Only those who reach the person's home unit may (a unit that hosts someone on
/// a posting sees them but does not own their record); moving them to another home unit needs
/// that unit in scope too.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    home_unit_id: i64,
    p: &ValidPerson,
) -> Result<PersonView, DbError> {
    actor.require("people:person:edit")?;
    let mut tx = db.begin().await?;
    let before = person_in_tx(&mut tx, &actor.scope, id).await?;
    if !actor.scope.reaches(&before.home_unit_path) {
        return Err(DomainError::Forbidden("people:person:edit".into()).into());
    }
    let path = open_unit_in_scope(&mut tx, &actor.scope, home_unit_id).await?;
    let mut values = person_values(p);
    values.extend([home_unit_id.into(), Utc::now().into(), id.into()]);
    tx.execute(&Sql::with(
        "UPDATE people SET name = $1, category = $2, party_status = $3, rank = $4, specialties = $5, birthday = $6, \
         phone = $7, home_unit_id = $8, updated_at = $9 WHERE id = $10",
        values,
    ))
    .await?;
    let after = person_in_tx(&mut tx, &Scope::everything(), id).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "person.update",
            object_kind: "person",
            object_id: Some(id),
            unit_path: Some(&path),
            before: snapshot(&before),
            after: snapshot(&after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A whole roster: each row a home unit and a person. All rows are written, or none.
pub async fn import(
    db: &Db,
    actor: &Actor,
    rows: &[(i64, ValidPerson)],
    source: &str,
    progress: &Progress,
) -> Result<usize, DbError> {
    actor.require("people:person:import")?;
    progress.begin(Stage::Writing, rows.len() as u64);
    let mut tx = db.begin().await?;
    let now = Utc::now();
    let mut unit_paths: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for (unit_id, _) in rows {
        if !unit_paths.contains_key(unit_id) {
            let path = open_unit_in_scope(&mut tx, &actor.scope, *unit_id).await?;
            unit_paths.insert(*unit_id, path);
        }
    }
    let columns = [
        "name",
        "category",
        "party_status",
        "rank",
        "specialties",
        "birthday",
        "phone",
        "home_unit_id",
        "created_at",
        "updated_at",
    ];
    for chunk in rows.chunks(2_000) {
        let values = chunk
            .iter()
            .map(|(unit_id, p)| {
                let mut row = person_values(p);
                row.extend([crate::Value::from(*unit_id), now.into(), now.into()]);
                row
            })
            .collect();
        tx.insert_rows("people", &columns, values).await?;
        progress.advance(chunk.len() as u64);
    }
    let common_root = unit_paths.values().min().cloned();
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "person.import",
            object_kind: "person",
            object_id: None,
            unit_path: if unit_paths.len() == 1 { common_root.as_deref() } else { None },
            before: serde_json::Value::Null,
            // Who came in, as written: name, home unit, category, 政治面貌, rank and the masked phone.
            after: json!({"rows": rows.len(), "source": source, "units": unit_paths.len(),
                          "columns": ["name", "home_unit_id", "category", "party_status", "rank", "phone"],
                          "people": rows.iter().map(|(unit_id, p)| json!([p.name, unit_id, p.category.as_str(),
                              p.party_status.as_str(), p.rank.as_str(), p.phone.as_deref().map(mask_phone)])).collect::<Vec<_>>()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// A posting of a person to a unit (下沉/驻村/包村/互派互挂).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PostingView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// The other side of a 互派互挂 outside this install, in words (the unit is the one here).
    pub partner_place: Option<String>,
}

pub async fn postings_of(db: &Db, scope: &Scope, person_id: i64) -> Result<Vec<PostingView>, DbError> {
    get(db, scope, person_id, false).await?;
    db.all(&Sql::with(
        "SELECT ps.id, ps.person_id, p.name AS person_name, ps.unit_id, u.name AS unit_name, ps.kind, ps.start_date, ps.end_date, \
         ps.partner_place \
         FROM postings ps JOIN people p ON p.id = ps.person_id JOIN units u ON u.id = ps.unit_id \
         WHERE ps.person_id = $1 ORDER BY ps.end_date IS NOT NULL, ps.start_date DESC",
        vec![person_id.into()],
    ))
    .await
}

/// Posts a person to a unit; both the person and the unit must be in the caller's scope.
pub async fn add_posting(
    db: &Db,
    actor: &Actor,
    person_id: i64,
    unit_id: i64,
    kind: PostingKind,
    start: NaiveDate,
    partner_place: Option<&str>,
) -> Result<i64, DbError> {
    actor.require("people:person:edit")?;
    // The other side of a 互派互挂 outside this install, named in words; only a secondment has one.
    let partner_place = match partner_place.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(_) if kind != PostingKind::Secondment => {
            return Err(DomainError::invalid("partner_place", "error.posting.partner_only_secondment").into());
        }
        Some(place) => {
            Some(frontline_core::error::text("partner_place", place, 60).map_err(|e| DomainError::Invalid(vec![e]))?)
        }
    };
    let mut tx = db.begin().await?;
    person_in_tx(&mut tx, &actor.scope, person_id).await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    // The same person posted to the same unit in the same way twice at once is one posting.
    let same = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM postings WHERE person_id = $1 AND unit_id = $2 AND kind = $3 \
             AND (end_date IS NULL OR end_date > $4) AND COALESCE(partner_place, '') = $5",
            vec![
                person_id.into(),
                unit_id.into(),
                kind.as_str().into(),
                start.into(),
                partner_place.clone().unwrap_or_default().into(),
            ],
        ))
        .await?;
    if same > 0 {
        return Err(DomainError::Conflict("error.posting.duplicate".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO postings (person_id, unit_id, kind, start_date, partner_place) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![person_id.into(), unit_id.into(), kind.as_str().into(), start.into(), partner_place.clone().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "posting.create",
            object_kind: "posting",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"person_id": person_id, "unit_id": unit_id, "kind": kind.as_str(), "start_date": start,
                          "partner_place": partner_place}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A post in a unit with its current holder.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PostView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub title: String,
    pub seq: i64,
    pub holder_id: Option<i64>,
    pub holder_name: Option<String>,
    pub since: Option<NaiveDate>,
    /// The holder acts (主持工作) after the post's holder left, pending a new appointment.
    pub acting: bool,
    /// A holder appointed from a later day (a dated change not yet in force), and that day.
    pub next_holder_id: Option<i64>,
    pub next_holder_name: Option<String>,
    pub next_since: Option<NaiveDate>,
    #[serde(skip)]
    pub unit_path: String,
}

const POST_COLUMNS: &str = "po.id, po.unit_id, u.name AS unit_name, po.kind, po.title, po.seq, t.person_id AS holder_id, \
     hp.name AS holder_name, t.start_date AS since, COALESCE(t.acting, FALSE) AS acting, \
     n.person_id AS next_holder_id, np.name AS next_holder_name, n.start_date AS next_since, u.path AS unit_path";

/// The posts with their holder on `on` (the tenure in force that day) and the holder appointed
/// from a later day, if any. A holder "since" tomorrow is not today's holder.
fn posts_on(on: NaiveDate) -> Sql {
    let mut sql = Sql::new(
        " FROM posts po JOIN units u ON u.id = po.unit_id LEFT JOIN tenures t ON t.post_id = po.id AND t.start_date <= ",
    );
    sql.bind(on).push(" AND (t.end_date IS NULL OR t.end_date > ").bind(on).push(") ");
    sql.push("LEFT JOIN people hp ON hp.id = t.person_id LEFT JOIN tenures n ON n.post_id = po.id AND n.end_date IS NULL AND n.start_date > ");
    sql.bind(on).push(" LEFT JOIN people np ON np.id = n.person_id");
    sql
}

/// Today in China, the day a post's "current" holder is read for.
fn today() -> NaiveDate {
    frontline_core::time::today_in_china(Utc::now())
}

/// `SELECT` of one post as of today, in scope.
fn one_post(scope: &Scope, id: i64) -> Sql {
    let mut sql = posts_on(today());
    sql.text = format!("SELECT {POST_COLUMNS}{}", sql.text);
    sql.push(" WHERE po.id = ").bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql
}

/// The open (latest) tenure of a post — the one a change of holder ends — as holder and start.
pub(crate) async fn open_tenure(tx: &mut Tx, post_id: i64) -> Result<Option<(i64, NaiveDate)>, DbError> {
    tx.opt(&Sql::with(
        "SELECT person_id, start_date FROM tenures WHERE post_id = $1 AND end_date IS NULL ORDER BY start_date DESC, id DESC",
        vec![post_id.into()],
    ))
    .await
}

/// Filters for the post list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostQuery {
    /// Only posts in units in the subtree of this unit.
    pub unit: Option<i64>,
    pub kind: Option<String>,
    /// Only posts without a holder.
    pub vacant: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list_posts(db: &Db, scope: &Scope, q: &PostQuery) -> Result<Page<PostView>, DbError> {
    let (page, per) = page_bounds(q.page, q.per_page);
    let mut filter = posts_on(today());
    filter.push(" WHERE ");
    push_scope(&mut filter, "u.path", scope);
    if let Some(unit) = q.unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = frontline_core::units::subtree_range(&root.path);
        filter.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    if let Some(k) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND po.kind = ").bind(k);
    }
    if q.vacant == Some(true) {
        filter.push(" AND t.id IS NULL");
    }
    db.page_of(POST_COLUMNS, filter, "u.path, po.seq, po.id", page, per).await
}

/// A post with its holder today (and one appointed from a later day).
pub async fn get_post(db: &Db, scope: &Scope, id: i64) -> Result<PostView, DbError> {
    db.one(&one_post(scope, id)).await
}

pub(crate) async fn post_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> Result<PostView, DbError> {
    tx.one(&one_post(scope, id)).await
}

/// Creates a post in a unit.
pub async fn create_post(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    kind: PostKind,
    title: &str,
    seq: i64,
) -> Result<PostView, DbError> {
    actor.require("people:post:add")?;
    let title = frontline_core::error::text("title", title, 32).map_err(|e| DomainError::Invalid(vec![e]))?;
    if !(0..=999).contains(&seq) {
        return Err(DomainError::invalid("seq", "error.out_of_range").into());
    }
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await.map_err(|e| match e {
        DbError::Domain(DomainError::Invalid(_)) => {
            DbError::Domain(DomainError::invalid("unit_id", "error.person.unknown_unit"))
        }
        other => other,
    })?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO posts (unit_id, kind, title, seq, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![unit_id.into(), kind.as_str().into(), title.clone().into(), seq.into(), Utc::now().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "post.create",
            object_kind: "post",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"unit_id": unit_id, "kind": kind.as_str(), "title": title, "seq": seq}),
        },
    )
    .await?;
    let created = post_in_tx(&mut tx, &Scope::everything(), id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Puts a person in a post from `start`; the previous holder's tenure ends that day.
pub async fn assign_holder(
    db: &Db,
    actor: &Actor,
    post_id: i64,
    person_id: i64,
    start: NaiveDate,
) -> Result<PostView, DbError> {
    actor.require("people:post:edit")?;
    let mut tx = db.begin().await?;
    let before = post_in_tx(&mut tx, &actor.scope, post_id).await?;
    person_in_tx(&mut tx, &actor.scope, person_id)
        .await
        .map_err(|_| DomainError::invalid("person_id", "error.post.unknown_person"))?;
    let open = open_tenure(&mut tx, post_id).await?;
    if open.is_some_and(|(holder, _)| holder == person_id) {
        return Err(DomainError::Conflict("error.post.already_holder".into()).into());
    }
    if open.is_some_and(|(_, since)| start < since) {
        return Err(DomainError::invalid("start_date", "error.post.start_before_current").into());
    }
    tx.execute(&Sql::with(
        "UPDATE tenures SET end_date = $1, end_reason = 'replaced' WHERE post_id = $2 AND end_date IS NULL",
        vec![start.into(), post_id.into()],
    ))
    .await?;
    tx.execute(&Sql::with(
        "INSERT INTO tenures (post_id, person_id, start_date) VALUES ($1, $2, $3)",
        vec![post_id.into(), person_id.into(), start.into()],
    ))
    .await?;
    crate::access::follow_post(&mut tx, actor, &before, open.map(|(h, _)| h), Some(person_id), start).await?;
    finish_post_change(tx, actor, "post.assign", &before, |_| {
        (
            json!({"holder_id": open.map(|(h, _)| h), "since": open.map(|(_, s)| s)}),
            json!({"holder_id": person_id, "since": start}),
        )
    })
    .await
}

/// Ends the current holder's tenure with a reason; the post is vacant afterwards.
pub async fn vacate(db: &Db, actor: &Actor, post_id: i64, end: NaiveDate, reason: &str) -> Result<PostView, DbError> {
    actor.require("people:post:edit")?;
    let reason = frontline_core::error::text("reason", reason, 100).map_err(|e| DomainError::Invalid(vec![e]))?;
    let mut tx = db.begin().await?;
    let before = post_in_tx(&mut tx, &actor.scope, post_id).await?;
    let open = open_tenure(&mut tx, post_id).await?;
    match open {
        None => return Err(DomainError::Conflict("error.post.already_vacant".into()).into()),
        Some((_, s)) if end < s => return Err(DomainError::invalid("end_date", "error.post.end_before_start").into()),
        Some(_) => {}
    }
    tx.execute(&Sql::with(
        "UPDATE tenures SET end_date = $1, end_reason = $2 WHERE post_id = $3 AND end_date IS NULL",
        vec![end.into(), reason.clone().into(), post_id.into()],
    ))
    .await?;
    crate::access::follow_post(&mut tx, actor, &before, open.map(|(h, _)| h), None, end).await?;
    finish_post_change(tx, actor, "post.vacate", &before, |_| {
        (
            json!({"holder_id": open.map(|(h, _)| h), "since": open.map(|(_, s)| s)}),
            json!({"holder_id": null, "reason": reason, "end_date": end}),
        )
    })
    .await
}

/// A past or current tenure of a post.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TenureView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub acting: bool,
}

pub async fn tenures(db: &Db, scope: &Scope, post_id: i64) -> Result<Vec<TenureView>, DbError> {
    get_post(db, scope, post_id).await?;
    db.all(&Sql::with(
        "SELECT t.id, t.person_id, p.name AS person_name, t.start_date, t.end_date, t.end_reason, t.acting \
         FROM tenures t JOIN people p ON p.id = t.person_id WHERE t.post_id = $1 ORDER BY t.start_date DESC, t.id DESC",
        vec![post_id.into()],
    ))
    .await
}

/// Posts a person holds now.
pub async fn posts_held(db: &Db, scope: &Scope, person_id: i64) -> Result<Vec<PostView>, DbError> {
    let mut sql = posts_on(today());
    sql.text = format!("SELECT {POST_COLUMNS}{}", sql.text);
    sql.push(" WHERE t.person_id = ").bind(person_id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY u.path, po.seq");
    db.all(&sql).await
}

/// Whether a person with this name and phone already has this home unit (duplicate imports).
/// The name and phone of everyone whose home is one of `units` (an import's check for people
/// already there), read in chunks of units.
pub async fn names_and_phones_in(
    db: &Db,
    units: &[i64],
) -> Result<std::collections::HashSet<(i64, String, Option<String>)>, DbError> {
    let mut out = std::collections::HashSet::new();
    for chunk in units.chunks(500) {
        let mut sql = Sql::new("SELECT home_unit_id, name, phone FROM people WHERE home_unit_id IN ");
        sql.bind_list(chunk.iter().copied());
        out.extend(db.all::<(i64, String, Option<String>)>(&sql).await?);
    }
    Ok(out)
}

/// Ends a current posting on a day (the person leaves that unit). The person must be in scope.
pub async fn end_posting(db: &Db, actor: &Actor, posting_id: i64, end: NaiveDate) -> Result<(), DbError> {
    actor.require("people:person:edit")?;
    let mut tx = db.begin().await?;
    let row: Option<(i64, i64, NaiveDate, Option<NaiveDate>, String)> = tx
        .opt(&Sql::with(
            "SELECT ps.person_id, ps.unit_id, ps.start_date, ps.end_date, u.path FROM postings ps JOIN units u ON u.id = ps.unit_id \
             WHERE ps.id = $1",
            vec![posting_id.into()],
        ))
        .await?;
    let (person_id, unit_id, start, ended, path) = row.ok_or(DomainError::NotFound)?;
    person_in_tx(&mut tx, &actor.scope, person_id).await?;
    if ended.is_some() {
        return Err(DomainError::Conflict("error.posting.already_ended".into()).into());
    }
    if end < start {
        return Err(DomainError::invalid("end_date", "error.post.end_before_start").into());
    }
    tx.execute(&Sql::with("UPDATE postings SET end_date = $1 WHERE id = $2", vec![end.into(), posting_id.into()]))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "posting.end",
            object_kind: "posting",
            object_id: Some(posting_id),
            unit_path: Some(&path),
            before: json!({"person_id": person_id, "unit_id": unit_id, "end_date": null}),
            after: json!({"person_id": person_id, "unit_id": unit_id, "end_date": end}),
        },
    )
    .await?;
    tx.commit().await
}

/// Renames a post or changes its place in the succession order.
pub async fn update_post(db: &Db, actor: &Actor, post_id: i64, title: &str, seq: i64) -> Result<PostView, DbError> {
    actor.require("people:post:edit")?;
    let title = frontline_core::error::text("title", title, 32).map_err(|e| DomainError::Invalid(vec![e]))?;
    if !(0..=999).contains(&seq) {
        return Err(DomainError::invalid("seq", "error.out_of_range").into());
    }
    let mut tx = db.begin().await?;
    let before = post_in_tx(&mut tx, &actor.scope, post_id).await?;
    tx.execute(&Sql::with(
        "UPDATE posts SET title = $1, seq = $2 WHERE id = $3",
        vec![title.clone().into(), seq.into(), post_id.into()],
    ))
    .await?;
    finish_post_change(tx, actor, "post.update", &before, |after| {
        (json!({"title": before.title, "seq": before.seq}), json!({"title": after.title, "seq": after.seq}))
    })
    .await
}

/// Reads a post back after a change, appends the audit entry the change describes (`describe`
/// gets the post as it is now and gives the before and after states) and commits.
async fn finish_post_change(
    mut tx: Tx,
    actor: &Actor,
    action: &str,
    before: &PostView,
    describe: impl FnOnce(&PostView) -> (serde_json::Value, serde_json::Value),
) -> Result<PostView, DbError> {
    let after = post_in_tx(&mut tx, &Scope::everything(), before.id).await?;
    let (before_state, after_state) = describe(&after);
    audit::append(
        &mut tx,
        actor,
        Change {
            action,
            object_kind: "post",
            object_id: Some(before.id),
            unit_path: Some(&before.unit_path),
            before: before_state,
            after: after_state,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
