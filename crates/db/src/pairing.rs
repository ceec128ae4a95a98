//! Pairing from the store (001.2): reads the two sides of a pairing from the unit tree (organs,
//! cadres, teams ↔ villages, enterprises, chambers), with their kinds, tree positions and
//! existing load, and turns an accepted proposal into unit pairs (结对共建) or links (驻企, 包村).

use chrono::{NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::pairing::Party;
use frontline_core::responsibility::{LinkKind, ValidLink};
use frontline_core::units::{UnitKind, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::responsibility::{insert_link, push_active_on};
use crate::units::{self, push_scope};
use crate::{Db, DbError, Sql};

/// The most parties one side may have (the 001.2 instance is 1,695 × 1,635).
pub const MAX_SIDE: i64 = 5_000;

/// Whether the left side is units (organs, teams) or people (cadres).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeftSide {
    Units,
    Cadres,
}

/// Units of `kind` in the subtree of `root`, in scope, as parties (kinds from their tags).
async fn unit_parties(
    db: &Db,
    scope: &Scope,
    root: i64,
    kind: UnitKind,
    capacity: u32,
    on: NaiveDate,
    field: &str,
) -> Result<Vec<Party>, DbError> {
    let root = units::get(db, scope, root).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT u.id, u.name, u.tags, u.path, (SELECT COUNT(*) FROM unit_pairs up WHERE up.left_unit_id = u.id AND ",
    );
    push_active_on(&mut sql, "up.start_date", "up.end_date", on);
    sql.push(") FROM units u WHERE u.kind = ").bind(kind.as_str()).push(" AND NOT u.closed AND u.path >= ").bind(lo);
    sql.push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY u.path LIMIT ").bind(MAX_SIDE + 1);
    parties(db.all(&sql).await?, capacity, field)
}

/// Rows of `(id, name, tags, path, load)` as parties, refused when there are too many.
fn parties(rows: Vec<(i64, String, String, String, i64)>, capacity: u32, field: &str) -> Result<Vec<Party>, DbError> {
    if rows.len() as i64 > MAX_SIDE {
        return Err(DomainError::invalid(field, "error.pairing.too_many").into());
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, tags, path, load)| Party {
            id,
            name,
            kinds: tags.split(',').filter(|t| !t.is_empty()).map(String::from).collect(),
            position: None,
            path: Some(path),
            capacity,
            load: load as u32,
        })
        .collect())
}

/// Cadres homed in the subtree of `root`, as parties (kinds from their home unit's tags).
async fn cadre_parties(db: &Db, scope: &Scope, root: i64, capacity: u32, on: NaiveDate) -> Result<Vec<Party>, DbError> {
    let root = units::get(db, scope, root).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT p.id, p.name, hu.tags, hu.path, (SELECT COUNT(*) FROM links l WHERE l.person_id = p.id AND \
         l.kind IN ('enterprise_contact', 'village_contact') AND ",
    );
    push_active_on(&mut sql, "l.start_date", "l.end_date", on);
    sql.push(") FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE p.category = 'cadre' AND hu.path >= ")
        .bind(lo);
    sql.push(" AND hu.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "hu.path", scope);
    sql.push(" ORDER BY p.id LIMIT ").bind(MAX_SIDE + 1);
    parties(db.all(&sql).await?, capacity, "left_root")
}

/// What to pair.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct PairingSides {
    pub left: LeftSide,
    pub left_root: i64,
    /// Unit kind of the left side when it is units (`department`, `party_branch` …); `""` for cadres.
    #[serde(default)]
    #[schema(schema_with = left_kinds)]
    pub left_kind: String,
    pub right_root: i64,
    /// Unit kind of the right side (`village`, `enterprise` …).
    #[schema(schema_with = right_kinds)]
    pub right_kind: String,
    /// How many right parties one left party may take.
    #[schema(minimum = 1, maximum = 1000)]
    pub capacity: u32,
}

fn left_kinds() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_or_blank(UnitKind::ALL.map(|k| k.as_str()))
}

fn right_kinds() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_schema(UnitKind::ALL.map(|k| k.as_str()))
}

fn unit_kind(field: &str, s: &str) -> Result<UnitKind, DomainError> {
    UnitKind::parse(s).ok_or_else(|| DomainError::invalid(field, "error.unit.bad_kind"))
}

/// Reads both sides; right parties already paired (a unit pair or a link in force) are left out.
pub async fn sides(
    db: &Db,
    scope: &Scope,
    s: &PairingSides,
    on: NaiveDate,
) -> Result<(Vec<Party>, Vec<Party>), DbError> {
    if !(1..=1000).contains(&s.capacity) {
        return Err(DomainError::invalid("capacity", "error.out_of_range").into());
    }
    let right_kind = unit_kind("right_kind", &s.right_kind)?;
    let left = match s.left {
        LeftSide::Units => {
            let k = unit_kind("left_kind", &s.left_kind)?;
            unit_parties(db, scope, s.left_root, k, s.capacity, on, "left_root").await?
        }
        LeftSide::Cadres => cadre_parties(db, scope, s.left_root, s.capacity, on).await?,
    };
    let mut right = unit_parties(db, scope, s.right_root, right_kind, 1, on, "right_root").await?;
    let taken: Vec<(i64,)> = if right.is_empty() {
        Vec::new()
    } else {
        let mut sql = Sql::new("SELECT right_unit_id FROM unit_pairs up WHERE ");
        push_active_on(&mut sql, "up.start_date", "up.end_date", on);
        sql.push(" UNION SELECT unit_id FROM links l WHERE l.kind IN ('enterprise_contact', 'village_contact') AND ");
        push_active_on(&mut sql, "l.start_date", "l.end_date", on);
        if s.left == LeftSide::Units {
            // Organs pair with villages regardless of the villages' 包村 links.
            sql = Sql::new("SELECT right_unit_id FROM unit_pairs up WHERE ");
            push_active_on(&mut sql, "up.start_date", "up.end_date", on);
        }
        db.all(&sql).await?
    };
    let taken: std::collections::HashSet<i64> = taken.into_iter().map(|(id,)| id).collect();
    right.retain(|p| !taken.contains(&p.id));
    Ok((left, right))
}

/// Writes an accepted proposal, all or nothing: unit pairs for units, links for cadres (驻企 for
/// enterprises, 包村 for villages).
pub async fn accept(
    db: &Db,
    actor: &Actor,
    s: &PairingSides,
    pairs: &[(i64, i64)],
    start: NaiveDate,
) -> Result<usize, DbError> {
    actor.require("duty:pairing:run")?;
    if pairs.is_empty() {
        return Err(DomainError::invalid("pairs", "error.pairing.nothing").into());
    }
    let (left, right) = sides(db, &actor.scope, s, start).await?;
    let left_ids: std::collections::HashSet<i64> = left.iter().map(|p| p.id).collect();
    let right_ids: std::collections::HashSet<i64> = right.iter().map(|p| p.id).collect();
    let mut seen = std::collections::HashSet::new();
    for (l, r) in pairs {
        if !left_ids.contains(l) || !right_ids.contains(r) || !seen.insert(*r) {
            return Err(DomainError::invalid("pairs", "error.pairing.stale").into());
        }
    }
    let mut tx = db.begin().await?;
    match s.left {
        LeftSide::Units => {
            for (l, r) in pairs {
                let id = tx
                    .insert(&Sql::with(
                        "INSERT INTO unit_pairs (kind, left_unit_id, right_unit_id, start_date, created_at) \
                         VALUES ('pairing', $1, $2, $3, $4) RETURNING id",
                        vec![(*l).into(), (*r).into(), start.into(), Utc::now().into()],
                    ))
                    .await?;
                let (path,): (String,) =
                    tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![(*r).into()])).await?;
                audit::append(
                    &mut tx,
                    actor,
                    Change {
                        action: "unit_pair.create",
                        object_kind: "unit_pair",
                        object_id: Some(id),
                        unit_path: Some(&path),
                        before: serde_json::Value::Null,
                        after: json!({"left_unit_id": l, "right_unit_id": r, "start_date": start}),
                    },
                )
                .await?;
            }
        }
        LeftSide::Cadres => {
            let kind = if s.right_kind == "village" { LinkKind::VillageContact } else { LinkKind::EnterpriseContact };
            for (l, r) in pairs {
                let link = ValidLink { kind, person_id: *l, unit_id: *r, start, end: None, note: None };
                insert_link(&mut tx, actor, &link).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(pairs.len())
}

/// A unit pair in force.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UnitPairView {
    pub id: i64,
    pub left_unit_id: i64,
    pub left_name: String,
    pub right_unit_id: i64,
    pub right_name: String,
    pub start_date: NaiveDate,
}

/// Pairs in force whose either side lies in the subtree of `unit`.
pub async fn pairs_in(
    db: &Db,
    scope: &Scope,
    unit: i64,
    on: NaiveDate,
    limit: i64,
) -> Result<Vec<UnitPairView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT up.id, up.left_unit_id, lu.name AS left_name, up.right_unit_id, ru.name AS right_name, up.start_date \
         FROM unit_pairs up JOIN units lu ON lu.id = up.left_unit_id JOIN units ru ON ru.id = up.right_unit_id WHERE \
         ((ru.path >= ",
    );
    sql.bind(lo.clone()).push(" AND ru.path < ").bind(hi.clone()).push(") OR (lu.path >= ").bind(lo);
    sql.push(" AND lu.path < ").bind(hi).push(")) AND (");
    push_scope(&mut sql, "ru.path", scope);
    sql.push(" OR ");
    push_scope(&mut sql, "lu.path", scope);
    sql.push(") AND ");
    push_active_on(&mut sql, "up.start_date", "up.end_date", on);
    sql.push(" ORDER BY ru.path LIMIT ").bind(limit);
    db.all(&sql).await
}
