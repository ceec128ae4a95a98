//! Responsibility links, the accountability chain of a unit on any day, the gap report
//! ("1+1+1" and 包村) and the coverage check of grids, groups and functional lines (000.2, 000.3,
//! 003.2, 003.4).

use chrono::{NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::responsibility::{LinkKind, ValidLink, chain_rank, missing_links};
use frontline_core::units::{UnitKind, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::people::{open_unit_in_scope, person_in_tx};
use crate::sql::page_bounds;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A link as lists show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LinkView {
    pub id: i64,
    pub kind: String,
    pub person_id: i64,
    pub person_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_kind: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub note: Option<String>,
    #[serde(skip)]
    pub unit_path: String,
}

const LINK_COLUMNS: &str = "l.id, l.kind, l.person_id, p.name AS person_name, l.unit_id, u.name AS unit_name, \
     u.kind AS unit_kind, l.start_date, l.end_date, l.note, u.path AS unit_path";
const LINK_FROM: &str = " FROM links l JOIN units u ON u.id = l.unit_id JOIN people p ON p.id = l.person_id";

/// Appends "the period in `start`/`end` covers `day`".
pub fn push_active_on(sql: &mut Sql, start: &str, end: &str, day: NaiveDate) {
    sql.push(start).push(" <= ").bind(day).push(" AND (").push(end).push(" IS NULL OR ").push(end).push(" > ");
    sql.bind(day).push(")");
}

/// Filters for the link list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// Only links to units in the subtree of this unit.
    pub unit: Option<i64>,
    pub person: Option<i64>,
    pub kind: Option<String>,
    /// Only links in force on this day (`YYYY-MM-DD`).
    pub on: Option<NaiveDate>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list_links(db: &Db, scope: &Scope, q: &LinkQuery) -> Result<Page<LinkView>, DbError> {
    let (page, per) = page_bounds(q.page, q.per_page);
    let mut filter = Sql::new(LINK_FROM);
    filter.push(" WHERE ");
    push_scope(&mut filter, "u.path", scope);
    if let Some(unit) = q.unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        filter.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    if let Some(p) = q.person {
        filter.push(" AND l.person_id = ").bind(p);
    }
    if let Some(k) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND l.kind = ").bind(k);
    }
    if let Some(day) = q.on {
        filter.push(" AND ");
        push_active_on(&mut filter, "l.start_date", "l.end_date", day);
    }
    db.page_of(LINK_COLUMNS, filter, "u.path, l.kind, l.start_date DESC, l.id", page, per).await
}

pub async fn get_link(db: &Db, scope: &Scope, id: i64) -> Result<LinkView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {LINK_COLUMNS}{LINK_FROM} WHERE l.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    db.one(&sql).await
}

async fn link_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> Result<LinkView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {LINK_COLUMNS}{LINK_FROM} WHERE l.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    tx.one(&sql).await
}

/// Writes a link inside a transaction (checks the unit's kind, scope and overlaps) and audits it.
pub(crate) async fn insert_link(tx: &mut Tx, actor: &Actor, link: &ValidLink) -> Result<i64, DbError> {
    let path = open_unit_in_scope(tx, &actor.scope, link.unit_id).await.map_err(|e| match e {
        DbError::Domain(DomainError::Invalid(_)) => {
            DbError::Domain(DomainError::invalid("unit_id", "error.link.unknown_unit"))
        }
        other => other,
    })?;
    let (kind,): (String,) =
        tx.one(&Sql::with("SELECT kind FROM units WHERE id = $1", vec![link.unit_id.into()])).await?;
    if !UnitKind::parse(&kind).is_some_and(|k| link.kind.fits(k)) {
        return Err(DomainError::invalid("unit_id", "error.link.wrong_unit_kind").into());
    }
    let person = person_in_tx(tx, &actor.scope, link.person_id)
        .await
        .map_err(|_| DomainError::invalid("person_id", "error.post.unknown_person"))?;
    if link.kind.for_members() && person.party_status == "none" {
        return Err(DomainError::invalid("person_id", "error.link.members_only").into());
    }
    let mut overlap = Sql::new("SELECT COUNT(*) FROM links WHERE kind = ");
    overlap.bind(link.kind.as_str()).push(" AND person_id = ").bind(link.person_id);
    overlap.push(" AND unit_id = ").bind(link.unit_id).push(" AND (end_date IS NULL OR end_date > ").bind(link.start);
    overlap.push(")");
    if let Some(end) = link.end {
        overlap.push(" AND start_date < ").bind(end);
    }
    if tx.count(&overlap).await? > 0 {
        return Err(DomainError::Conflict("error.link.overlaps".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO links (kind, person_id, unit_id, start_date, end_date, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                link.kind.as_str().into(),
                link.person_id.into(),
                link.unit_id.into(),
                link.start.into(),
                link.end.into(),
                link.note.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        tx,
        actor,
        Change {
            action: "link.create",
            object_kind: "link",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"kind": link.kind.as_str(), "person_id": link.person_id, "unit_id": link.unit_id,
                          "start_date": link.start, "end_date": link.end, "note": link.note}),
        },
    )
    .await?;
    Ok(id)
}

/// Creates a responsibility link.
pub async fn create_link(db: &Db, actor: &Actor, link: &ValidLink) -> Result<LinkView, DbError> {
    actor.require("duty:link:add")?;
    let mut tx = db.begin().await?;
    let id = insert_link(&mut tx, actor, link).await?;
    let view = link_in_tx(&mut tx, &Scope::everything(), id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Ends a link on a day (the day it no longer holds).
pub async fn end_link(db: &Db, actor: &Actor, id: i64, end: NaiveDate) -> Result<LinkView, DbError> {
    actor.require("duty:link:edit")?;
    let mut tx = db.begin().await?;
    let before = link_in_tx(&mut tx, &actor.scope, id).await?;
    if before.end_date.is_some() {
        return Err(DomainError::Conflict("error.link.already_ended".into()).into());
    }
    if end <= before.start_date {
        return Err(DomainError::invalid("end_date", "error.post.end_before_start").into());
    }
    tx.execute(&Sql::with("UPDATE links SET end_date = $1 WHERE id = $2", vec![end.into(), id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "link.end",
            object_kind: "link",
            object_id: Some(id),
            unit_path: Some(&before.unit_path),
            before: json!({"end_date": null}),
            after: json!({"end_date": end}),
        },
    )
    .await?;
    let after = link_in_tx(&mut tx, &Scope::everything(), id).await?;
    tx.commit().await?;
    Ok(after)
}

/// One person answering for one level of the chain.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ChainPerson {
    pub unit_id: i64,
    /// A link kind (`village_contact` …) or a post kind (`secretary` …).
    pub role: String,
    /// The post's title, for post holders.
    pub title: Option<String>,
    pub person_id: i64,
    pub person_name: String,
    pub since: NaiveDate,
    /// Acting holder (主持工作) of the post.
    pub acting: bool,
}

/// One level of the chain: a unit and the people who answer for it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChainLevel {
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_kind: String,
    pub people: Vec<ChainPerson>,
}

/// Post kinds that answer for their unit in the chain.
const LEAD_POSTS: [&str; 7] = [
    "secretary",
    "first_secretary",
    "township_secretary",
    "township_head",
    "director",
    "grid_worker",
    "department_head",
];

/// Who answers for a unit on a day, level by level from the unit up to its county: the people
/// linked to each level, and the holders of its leading posts (posts of the unit itself or of the
/// party organisations directly under it; of the county, the first leader). Shows names and roles
/// only, so someone scoped to a village may see who above answers for it.
pub async fn chain(db: &Db, scope: &Scope, unit_id: i64, on: NaiveDate) -> Result<Vec<ChainLevel>, DbError> {
    let unit = units::get(db, scope, unit_id).await?;
    let mut levels = units::ancestors(db, &unit).await?;
    levels.reverse();
    if let Some(county) = levels.iter().position(|u| u.kind == "county") {
        levels.truncate(county + 1);
    }
    let ids: Vec<i64> = levels.iter().map(|u| u.id).collect();
    let mut sql = Sql::new(
        "SELECT l.unit_id, l.kind AS role, CAST(NULL AS TEXT) AS title, l.person_id, p.name AS person_name, l.start_date AS since, \
         FALSE AS acting FROM links l JOIN people p ON p.id = l.person_id WHERE l.unit_id IN ",
    );
    sql.bind_list(ids.iter().copied()).push(" AND ");
    push_active_on(&mut sql, "l.start_date", "l.end_date", on);
    let mut people: Vec<ChainPerson> = db.all(&sql).await?;
    let mut sql = Sql::new("SELECT CASE WHEN po.unit_id IN ");
    sql.bind_list(ids.iter().copied());
    sql.push(
        " THEN po.unit_id ELSE pu.parent_id END AS unit_id, po.kind AS role, po.title, t.person_id, \
         p.name AS person_name, t.start_date AS since, t.acting FROM posts po JOIN units pu ON pu.id = po.unit_id \
         JOIN tenures t ON t.post_id = po.id JOIN people p ON p.id = t.person_id WHERE (po.unit_id IN ",
    );
    sql.bind_list(ids.iter().copied()).push(" OR (pu.parent_id IN ").bind_list(ids.iter().copied());
    sql.push(" AND pu.kind IN ('party_committee', 'party_general_branch', 'party_branch'))) AND (po.kind IN ");
    sql.bind_list(LEAD_POSTS.iter().map(|s| s.to_string()));
    sql.push(" OR (po.kind = 'county_leader' AND po.seq = 1)) AND ");
    push_active_on(&mut sql, "t.start_date", "t.end_date", on);
    people.extend(db.all::<ChainPerson>(&sql).await?);
    people.sort_by(|a, b| {
        (chain_rank(&a.role), a.role.as_str(), a.person_id).cmp(&(chain_rank(&b.role), b.role.as_str(), b.person_id))
    });
    Ok(levels
        .into_iter()
        .map(|u| ChainLevel {
            unit_id: u.id,
            people: people.iter().filter(|p| p.unit_id == u.id).cloned().collect(),
            unit_name: u.name,
            unit_kind: u.kind,
        })
        .collect())
}

/// A unit lacking required links.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gap {
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_kind: String,
    pub parent_name: Option<String>,
    /// Link kinds missing.
    pub missing: Vec<String>,
}

/// The gap report of a subtree on a day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GapReport {
    pub townships: i64,
    pub villages: i64,
    pub gaps: Vec<Gap>,
}

#[derive(Clone, sqlx::FromRow)]
struct GapRow {
    id: i64,
    name: String,
    kind: String,
    parent_name: Option<String>,
    link_kind: Option<String>,
}

/// Every township without its "1+1+1" and every village without a 包村 leader, in a subtree.
pub async fn gaps(db: &Db, scope: &Scope, root_id: i64, on: NaiveDate) -> Result<GapReport, DbError> {
    let root = units::get(db, scope, root_id).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT u.id, u.name, u.kind, pu.name AS parent_name, l.kind AS link_kind FROM units u \
         LEFT JOIN units pu ON pu.id = u.parent_id \
         LEFT JOIN links l ON l.unit_id = u.id AND ",
    );
    push_active_on(&mut sql, "l.start_date", "l.end_date", on);
    sql.push(" WHERE u.kind IN ('township', 'village') AND NOT u.closed AND u.path >= ").bind(lo);
    sql.push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY u.path");
    let rows: Vec<GapRow> = db.all(&sql).await?;
    let mut report = GapReport { townships: 0, villages: 0, gaps: Vec::new() };
    let mut k = 0;
    while k < rows.len() {
        let GapRow { id, name, kind, parent_name: parent, .. } = rows[k].clone();
        let mut present = Vec::new();
        while k < rows.len() && rows[k].id == id {
            if let Some(l) = rows[k].link_kind.as_deref().and_then(LinkKind::parse) {
                present.push(l);
            }
            k += 1;
        }
        let unit_kind = UnitKind::parse(&kind).unwrap_or(UnitKind::Village);
        match unit_kind {
            UnitKind::Township => report.townships += 1,
            _ => report.villages += 1,
        }
        let missing = missing_links(unit_kind, &present);
        if !missing.is_empty() {
            report.gaps.push(Gap {
                unit_id: id,
                unit_name: name,
                unit_kind: kind,
                parent_name: parent,
                missing: missing.iter().map(|m| m.as_str().to_string()).collect(),
            });
        }
    }
    Ok(report)
}

/// Coverage of one kind of unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageCount {
    /// `grid`, `functional_grid`, `village_group`, `household_group`, `party_group` or `household`.
    pub kind: String,
    pub total: i64,
    pub covered: i64,
}

/// A grid, group or line without a party member.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Uncovered {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub parent_name: Option<String>,
}

/// The coverage check of a subtree (组组有党员干部、格格有党员带头、线线有党员抓落实).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub counts: Vec<CoverageCount>,
    /// The first `limit` units without a party member, in tree order.
    pub uncovered: Vec<Uncovered>,
    pub uncovered_total: i64,
}

/// Lists every grid, functional line, village group, household group and grid party group in a
/// subtree that has no party member in it — homed there, posted there, linked to it or holding a
/// post in it — and counts households linked to a 党员中心户.
pub async fn coverage(db: &Db, scope: &Scope, root_id: i64, on: NaiveDate, limit: usize) -> Result<Coverage, DbError> {
    let root = units::get(db, scope, root_id).await?;
    let (lo, hi) = subtree_range(&root.path);
    // Counts per kind first (one row per kind), then only the uncovered rows the page lists:
    // returning every grid of a prefecture to count it in Rust cost four times as much.
    let kind_expr = "CASE WHEN u.kind = 'grid' AND u.tags LIKE '%,functional,%' THEN 'functional_grid' ELSE u.kind END";
    let push_where = |sql: &mut Sql| {
        sql.push(
            " FROM units u WHERE u.kind IN ('grid', 'village_group', 'household_group', 'party_group') AND NOT u.closed \
             AND u.path >= ",
        );
        sql.bind(lo.clone()).push(" AND u.path < ").bind(hi.clone()).push(" AND ");
        push_scope(sql, "u.path", scope);
    };
    let mut sql = Sql::new(&format!("SELECT {kind_expr} AS kind, COUNT(*) AS total, SUM(CASE WHEN "));
    push_covered(&mut sql, on);
    sql.push(" THEN 1 ELSE 0 END) AS covered");
    push_where(&mut sql);
    sql.push(" GROUP BY 1");
    let rows: Vec<(String, i64, i64)> = db.all(&sql).await?;
    let order = ["grid", "functional_grid", "village_group", "household_group", "party_group"];
    let mut counts: Vec<CoverageCount> = order
        .iter()
        .map(|k| {
            let (total, covered) = rows.iter().find(|r| r.0 == *k).map(|r| (r.1, r.2)).unwrap_or((0, 0));
            CoverageCount { kind: k.to_string(), total, covered }
        })
        .collect();
    let uncovered_total = counts.iter().map(|c| c.total - c.covered).sum();
    let mut sql = Sql::new(&format!(
        "SELECT u.id, u.name, {kind_expr} AS kind, (SELECT pu.name FROM units pu WHERE pu.id = u.parent_id) AS parent_name"
    ));
    push_where(&mut sql);
    sql.push(" AND NOT ");
    push_covered(&mut sql, on);
    sql.push(" ORDER BY u.path LIMIT ").bind(limit as i64);
    let uncovered: Vec<Uncovered> = db.all(&sql).await?;
    // Households, and those linked to a 党员中心户 (联户 links from a member) on the day.
    let mut sql = Sql::new(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM links l WHERE l.unit_id = u.id \
         AND l.kind = 'household_contact' AND ",
    );
    push_active_on(&mut sql, "l.start_date", "l.end_date", on);
    sql.push(") THEN 1 ELSE 0 END), 0) FROM units u WHERE u.kind = 'household' AND NOT u.closed AND u.path >= ");
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let (households, linked): (i64, i64) = db.one(&sql).await?;
    counts.push(CoverageCount { kind: "household".into(), total: households, covered: linked });
    Ok(Coverage { counts, uncovered, uncovered_total })
}

/// Appends "unit `u` has a party member": homed there, or posted there, holding a post in it, or
/// linked to it on `on` (postings, tenures and links are dated; the home unit has no history, so a
/// past day counts today's homes).
fn push_covered(sql: &mut Sql, on: NaiveDate) {
    let member = "p.party_status <> 'none'";
    sql.push(&format!(
        "(EXISTS (SELECT 1 FROM people p WHERE p.home_unit_id = u.id AND {member}) \
         OR EXISTS (SELECT 1 FROM postings ps JOIN people p ON p.id = ps.person_id WHERE ps.unit_id = u.id AND {member} AND "
    ));
    push_active_on(sql, "ps.start_date", "ps.end_date", on);
    sql.push(&format!(
        ") OR EXISTS (SELECT 1 FROM posts po JOIN tenures t ON t.post_id = po.id \
         JOIN people p ON p.id = t.person_id WHERE po.unit_id = u.id AND {member} AND "
    ));
    push_active_on(sql, "t.start_date", "t.end_date", on);
    sql.push(&format!(
        ") OR EXISTS (SELECT 1 FROM links l JOIN people p ON p.id = l.person_id WHERE l.unit_id = u.id AND {member} AND "
    ));
    push_active_on(sql, "l.start_date", "l.end_date", on);
    sql.push("))");
}

/// A person a form may offer: cadres and village cadres homed in a subtree, leaders first.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonChoice {
    pub id: i64,
    pub name: String,
    pub unit_name: String,
}

pub async fn cadres_under(db: &Db, scope: &Scope, root_path: &str, limit: i64) -> Result<Vec<PersonChoice>, DbError> {
    let (lo, hi) = subtree_range(root_path);
    let mut sql = Sql::new(
        "SELECT p.id, p.name, hu.name AS unit_name FROM people p JOIN units hu ON hu.id = p.home_unit_id \
         WHERE p.category IN ('cadre', 'village_cadre') AND hu.path >= ",
    );
    sql.bind(lo).push(" AND hu.path < ").bind(hi).push(" AND ");
    crate::people::push_person_scope(&mut sql, scope);
    sql.push(
        " ORDER BY CASE p.rank WHEN 'county_level' THEN 0 WHEN 'section_level' THEN 1 WHEN 'village' THEN 2 ELSE 3 END, \
         hu.path, p.id LIMIT ",
    );
    sql.bind(limit);
    db.all(&sql).await
}

/// Who answered for a unit on a day: the holder of its secretary post (书记, or 党委书记 for a
/// township), whether the post sits in the unit itself or in its party organisation (a village's
/// posts sit in its branch); for a grid, its grid worker. Findings name this person, trace-backs
/// end at them, and notices about a unit go to them.
pub(crate) async fn responsible_holder(
    tx: &mut Tx,
    unit_id: i64,
    on: NaiveDate,
) -> Result<Option<(i64, i64)>, DbError> {
    let mut sql = Sql::new(
        "SELECT t.person_id, p.id FROM posts p JOIN units pu ON pu.id = p.unit_id JOIN tenures t ON t.post_id = p.id \
         WHERE (p.unit_id = ",
    );
    sql.bind(unit_id).push(" OR (pu.parent_id = ").bind(unit_id);
    sql.push(
        " AND pu.kind IN ('party_branch', 'party_committee', 'party_general_branch'))) \
         AND p.kind IN ('secretary', 'township_secretary', 'grid_worker') AND ",
    );
    push_active_on(&mut sql, "t.start_date", "t.end_date", on);
    sql.push(" ORDER BY CASE p.kind WHEN 'secretary' THEN 0 WHEN 'township_secretary' THEN 1 ELSE 2 END, p.seq, t.id LIMIT 1");
    tx.opt(&sql).await
}
