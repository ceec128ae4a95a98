//! Units: the tree, scoped lists and changes, and the import of national division codes.

use chrono::Utc;
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::divisions::Division;
use frontline_core::units::{UnitInput, UnitKind, check_move, child_path, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::sql::{like_contains, page_bounds};
use crate::{Db, DbError, Page, Sql, Tx};

/// Appends the condition "the unit whose path is in `column` is within `scope`".
pub fn push_scope(sql: &mut Sql, column: &str, scope: &Scope) {
    if scope.all {
        sql.push("TRUE");
        return;
    }
    if scope.subtrees.is_empty() && scope.units.is_empty() {
        sql.push("FALSE");
        return;
    }
    sql.push("(");
    let mut first = true;
    for root in &scope.subtrees {
        if !first {
            sql.push(" OR ");
        }
        first = false;
        let (lo, hi) = subtree_range(root);
        sql.push("(").push(column).push(" >= ").bind(lo).push(" AND ").push(column).push(" < ").bind(hi).push(")");
    }
    if !scope.units.is_empty() {
        if !first {
            sql.push(" OR ");
        }
        sql.push(column).push(" IN ").bind_list(scope.units.iter().cloned());
    }
    sql.push(")");
}

/// A unit as lists and pages show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UnitView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    pub depth: i64,
    pub kind: String,
    pub name: String,
    pub code: Option<String>,
    /// Comma-separated tag keys.
    pub tags: String,
    pub closed: bool,
    pub child_count: i64,
}

impl UnitView {
    pub fn kind(&self) -> Option<UnitKind> {
        UnitKind::parse(&self.kind)
    }

    pub fn tag_list(&self) -> Vec<&str> {
        self.tags.split(',').filter(|t| !t.is_empty()).collect()
    }
}

const VIEW_COLUMNS: &str = "u.id, u.parent_id, u.path, u.depth, u.kind, u.name, u.code, u.tags, u.closed, \
     (SELECT COUNT(*) FROM units c WHERE c.parent_id = u.id) AS child_count";

fn tags_text(tags: &[String]) -> String {
    if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) }
}

fn snapshot(u: &UnitView) -> serde_json::Value {
    json!({"name": u.name, "kind": u.kind, "code": u.code, "tags": u.tags, "parent_id": u.parent_id, "path": u.path, "closed": u.closed})
}

/// One unit, if it is within the scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<UnitView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {VIEW_COLUMNS} FROM units u WHERE u.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    db.one(&sql).await
}

async fn get_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> Result<UnitView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {VIEW_COLUMNS} FROM units u WHERE u.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    tx.one(&sql).await
}

/// A unit the scope reaches followed by its children in the scope: the rows of every "this unit
/// and each child" table of figures.
pub async fn with_children(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<UnitView>, DbError> {
    let root = get(db, scope, unit).await?;
    let children = children(db, scope, unit).await?;
    Ok(std::iter::once(root).chain(children).collect())
}

/// Appends ` AND <column>` lies in the subtree of `unit`, a unit the scope reaches (not found
/// otherwise): the filter every "in this unit and below" list uses.
pub async fn push_subtree_of(db: &Db, scope: &Scope, sql: &mut Sql, column: &str, unit: i64) -> Result<(), DbError> {
    let root = get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    sql.push(&format!(" AND {column} >= ")).bind(lo).push(&format!(" AND {column} < ")).bind(hi);
    Ok(())
}

/// The tops of the tree the scope reaches: the roots for an all-units scope, otherwise the
/// scope's own subtree roots and single units.
/// Whether `text` (a resident's address) names any village or community of the whole tree,
/// whoever's it is: a place named outside a caller's units is refused, never filed at home.
pub async fn names_a_village(db: &Db, text: &str) -> Result<bool, DbError> {
    let sql = Sql::with(
        "SELECT COUNT(*) FROM units u WHERE u.kind = 'village' AND $1 LIKE '%' || u.name || '%'",
        vec![text.to_string().into()],
    );
    Ok(db.count(&sql).await? > 0)
}

pub async fn roots(db: &Db, scope: &Scope) -> Result<Vec<UnitView>, DbError> {
    let mut sql = Sql::new(&format!("SELECT {VIEW_COLUMNS} FROM units u WHERE "));
    if scope.all {
        sql.push("u.parent_id IS NULL");
    } else {
        let paths: Vec<String> = scope.subtrees.iter().chain(scope.units.iter()).cloned().collect();
        if paths.is_empty() {
            return Ok(vec![]);
        }
        sql.push("u.path IN ").bind_list(paths);
    }
    sql.push(" ORDER BY u.path");
    db.all(&sql).await
}

/// The children of a unit, when the unit itself is within the scope; open ones first, by code
/// then name.
pub async fn children(db: &Db, scope: &Scope, parent_id: i64) -> Result<Vec<UnitView>, DbError> {
    get(db, scope, parent_id).await?;
    let mut sql = Sql::new(&format!("SELECT {VIEW_COLUMNS} FROM units u WHERE u.parent_id = "));
    sql.bind(parent_id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY u.closed, u.code, u.id LIMIT 2000");
    db.all(&sql).await
}

/// Filters for the unit list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Only units in the subtree of this unit (itself included).
    pub under: Option<i64>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub include_closed: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list(db: &Db, scope: &Scope, q: &UnitQuery) -> Result<Page<UnitView>, DbError> {
    let (page, per) = page_bounds(q.page, q.per_page);
    db.page_of(VIEW_COLUMNS, filter(db, scope, q).await?, "u.path", page, per).await
}

/// Up to `limit` units matching the query, in tree order, without counting them.
pub async fn list_all(db: &Db, scope: &Scope, q: &UnitQuery, limit: i64) -> Result<Vec<UnitView>, DbError> {
    db.rows_of(VIEW_COLUMNS, filter(db, scope, q).await?, "u.path", limit).await
}

/// `FROM units u WHERE …` for a query within a scope.
async fn filter(db: &Db, scope: &Scope, q: &UnitQuery) -> Result<Sql, DbError> {
    let mut filter = Sql::new(" FROM units u WHERE ");
    push_scope(&mut filter, "u.path", scope);
    if let Some(under) = q.under {
        let root = get(db, scope, under).await?;
        let (lo, hi) = subtree_range(&root.path);
        filter.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    if let Some(name) = q.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filter.push(" AND u.name LIKE ").bind(like_contains(name)).push(" ESCAPE '\\'");
    }
    if let Some(kind) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND u.kind = ").bind(kind);
    }
    if let Some(tag) = q.tag.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND u.tags LIKE ").bind(like_contains(&format!(",{tag},"))).push(" ESCAPE '\\'");
    }
    if !q.include_closed.unwrap_or(false) {
        filter.push(" AND u.closed = FALSE");
    }
    Ok(filter)
}

/// How many units lie in the subtree at `path` (the root included).
pub async fn count_subtree(db: &Db, path: &str) -> Result<i64, DbError> {
    let (lo, hi) = subtree_range(path);
    db.count(&Sql::with("SELECT COUNT(*) FROM units WHERE path >= $1 AND path < $2", vec![lo.into(), hi.into()])).await
}

/// The chain of ancestors of a unit, root first, the unit itself last.
pub async fn ancestors(db: &Db, unit: &UnitView) -> Result<Vec<UnitView>, DbError> {
    let ids = frontline_core::units::path_ids(&unit.path);
    let mut sql = Sql::new(&format!("SELECT {VIEW_COLUMNS} FROM units u WHERE u.id IN "));
    sql.bind_list(ids).push(" ORDER BY u.depth");
    db.all(&sql).await
}

/// Creates a unit under `parent_id` (or a root, which needs an all-units scope).
pub async fn create(db: &Db, actor: &Actor, parent_id: Option<i64>, input: &UnitInput) -> Result<UnitView, DbError> {
    actor.require("units:unit:add")?;
    let mut tx = db.begin().await?;
    let parent = match parent_id {
        Some(pid) => Some(get_in_tx(&mut tx, &actor.scope, pid).await?),
        None if actor.scope.all => None,
        None => return Err(DomainError::Forbidden("units:unit:add".into()).into()),
    };
    if parent.as_ref().is_some_and(|p| p.closed) {
        return Err(DomainError::Conflict("error.unit.parent_closed".into()).into());
    }
    let valid = input.validate(parent.as_ref().and_then(UnitView::kind))?;
    let now = Utc::now();
    let depth = parent.as_ref().map_or(0, |p| p.depth + 1);
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO units (parent_id, path, depth, kind, name, code, tags, closed, created_at, updated_at) \
             VALUES ($1, '', $2, $3, $4, $5, $6, FALSE, $7, $7) RETURNING id",
            vec![
                parent.as_ref().map(|p| p.id).into(),
                depth.into(),
                valid.kind.as_str().into(),
                valid.name.clone().into(),
                valid.code.clone().into(),
                tags_text(&valid.tags).into(),
                now.into(),
            ],
        ))
        .await
        .map_err(|e| e.on_unique("error.unit.duplicate_code"))?;
    let path = child_path(parent.as_ref().map(|p| p.path.as_str()), id);
    tx.execute(&Sql::with("UPDATE units SET path = $1 WHERE id = $2", vec![path.clone().into(), id.into()])).await?;
    let created = get_in_tx(&mut tx, &Scope::everything(), id).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "unit.create",
            object_kind: "unit",
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

/// Renames a unit, changes its kind, code or tags.
pub async fn update(db: &Db, actor: &Actor, id: i64, input: &UnitInput) -> Result<UnitView, DbError> {
    actor.require("units:unit:edit")?;
    let mut tx = db.begin().await?;
    let before = get_in_tx(&mut tx, &actor.scope, id).await?;
    let parent_kind = match before.parent_id {
        Some(pid) => get_in_tx(&mut tx, &Scope::everything(), pid).await?.kind(),
        None => None,
    };
    let valid = input.validate(parent_kind)?;
    tx.execute(&Sql::with(
        "UPDATE units SET name = $1, kind = $2, code = $3, tags = $4, updated_at = $5 WHERE id = $6",
        vec![
            valid.name.into(),
            valid.kind.as_str().into(),
            valid.code.into(),
            tags_text(&valid.tags).into(),
            Utc::now().into(),
            id.into(),
        ],
    ))
    .await
    .map_err(|e| e.on_unique("error.unit.duplicate_code"))?;
    let after = get_in_tx(&mut tx, &Scope::everything(), id).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "unit.update",
            object_kind: "unit",
            object_id: Some(id),
            unit_path: Some(&after.path),
            before: snapshot(&before),
            after: snapshot(&after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Moves a unit (with its whole subtree) under another parent; both must be in scope.
pub async fn move_to(db: &Db, actor: &Actor, id: i64, new_parent_id: i64) -> Result<UnitView, DbError> {
    actor.require("units:unit:edit")?;
    let mut tx = db.begin().await?;
    let unit = get_in_tx(&mut tx, &actor.scope, id).await?;
    let parent = get_in_tx(&mut tx, &actor.scope, new_parent_id).await?;
    check_move(&unit.path, &parent.path)?;
    if parent.closed {
        return Err(DomainError::Conflict("error.unit.parent_closed".into()).into());
    }
    if let (Some(k), Some(pk)) = (unit.kind(), parent.kind())
        && !k.may_sit_under(pk)
    {
        return Err(DomainError::invalid("parent_id", "error.unit.kind_not_allowed_here").into());
    }
    let new_path = child_path(Some(&parent.path), id);
    let (lo, hi) = subtree_range(&unit.path);
    let depth_shift = parent.depth + 1 - unit.depth;
    tx.execute(&Sql::with(
        "UPDATE units SET path = $1 || substr(path, CAST($2 AS INTEGER)), depth = depth + $3 WHERE path >= $4 AND path < $5",
        vec![new_path.clone().into(), (unit.path.len() as i64 + 1).into(), depth_shift.into(), lo.into(), hi.into()],
    ))
    .await?;
    tx.execute(&Sql::with(
        "UPDATE units SET parent_id = $1, updated_at = $2 WHERE id = $3",
        vec![parent.id.into(), Utc::now().into(), id.into()],
    ))
    .await?;
    let after = get_in_tx(&mut tx, &Scope::everything(), id).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "unit.move",
            object_kind: "unit",
            object_id: Some(id),
            unit_path: Some(&new_path),
            before: snapshot(&unit),
            after: snapshot(&after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Closes a unit (it stays in history, but takes no new children or people). A unit with open
/// children cannot be closed: close or move them first.
pub async fn close(db: &Db, actor: &Actor, id: i64) -> Result<UnitView, DbError> {
    actor.require("units:unit:remove")?;
    let mut tx = db.begin().await?;
    let unit = get_in_tx(&mut tx, &actor.scope, id).await?;
    if unit.closed {
        return Err(DomainError::Conflict("error.unit.already_closed".into()).into());
    }
    let open_children = tx
        .count(&Sql::with("SELECT COUNT(*) FROM units WHERE parent_id = $1 AND closed = FALSE", vec![id.into()]))
        .await?;
    if open_children > 0 {
        return Err(DomainError::Conflict("error.unit.has_open_children".into()).into());
    }
    tx.execute(&Sql::with(
        "UPDATE units SET closed = TRUE, updated_at = $1 WHERE id = $2",
        vec![Utc::now().into(), id.into()],
    ))
    .await?;
    let after = get_in_tx(&mut tx, &Scope::everything(), id).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "unit.close",
            object_kind: "unit",
            object_id: Some(id),
            unit_path: Some(&after.path),
            before: snapshot(&unit),
            after: snapshot(&after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// What an import of divisions did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    pub created: usize,
    pub existing: usize,
}

/// Imports divisions (parents before children), creating only those whose code is not there yet,
/// in one transaction with one audit entry. Importing the same place twice changes nothing.
pub async fn import_divisions(db: &Db, actor: &Actor, divisions: &[&Division]) -> Result<ImportStats, DbError> {
    actor.require("units:unit:add")?;
    if !actor.scope.all {
        return Err(DomainError::Forbidden("units:unit:add".into()).into());
    }
    let mut tx = db.begin().await?;
    if tx.is_postgres() {
        tx.execute(&Sql::new("LOCK TABLE units IN EXCLUSIVE MODE")).await?;
    }
    // Known codes with their ids, paths and depths.
    let mut known: std::collections::HashMap<String, (i64, String, i64)> = std::collections::HashMap::new();
    let rows: Vec<(String, i64, String, i64)> =
        tx.all(&Sql::new("SELECT code, id, path, depth FROM units WHERE code IS NOT NULL")).await?;
    for (code, id, path, depth) in rows {
        known.insert(code, (id, path, depth));
    }
    let (max_id,): (Option<i64>,) = tx.one(&Sql::new("SELECT MAX(id) FROM units")).await?;
    let mut next_id = max_id.unwrap_or(0);
    let now = Utc::now();
    let mut existing = 0usize;
    let mut batch: Vec<(i64, Option<i64>, String, i64, &Division)> = Vec::new();
    let mut created = 0usize;
    for d in divisions {
        if known.contains_key(&d.code) {
            existing += 1;
            continue;
        }
        let parent = d.parent_code.as_ref().and_then(|c| known.get(c)).cloned();
        next_id += 1;
        let path = child_path(parent.as_ref().map(|p| p.1.as_str()), next_id);
        let depth = parent.as_ref().map_or(0, |p| p.2 + 1);
        known.insert(d.code.clone(), (next_id, path.clone(), depth));
        batch.push((next_id, parent.map(|p| p.0), path, depth, d));
        if batch.len() >= 90 {
            created += insert_batch(&mut tx, &batch, now).await?;
            batch.clear();
        }
    }
    created += insert_batch(&mut tx, &batch, now).await?;
    if created > 0 {
        tx.sync_id_sequence("units").await?;
    }
    let stats = ImportStats { created, existing };
    if created > 0 {
        // Parents come first, so the first division is the top of what was imported.
        let root = divisions.first().map(|d| d.code.clone());
        audit::append(
            &mut tx,
            actor,
            Change {
                action: "unit.import_divisions",
                object_kind: "unit",
                object_id: None,
                unit_path: None,
                before: serde_json::Value::Null,
                after: json!({"created": created, "existing": existing, "first_code": root}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    // A large load changes the table's statistics enough to mislead the query planner.
    if created > 10_000 {
        let mut tx = db.begin().await?;
        tx.execute(&Sql::new("ANALYZE units")).await?;
        tx.commit().await?;
    }
    Ok(stats)
}

async fn insert_batch(
    tx: &mut Tx,
    batch: &[(i64, Option<i64>, String, i64, &Division)],
    now: chrono::DateTime<Utc>,
) -> Result<usize, DbError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new(
        "INSERT INTO units (id, parent_id, path, depth, kind, name, code, tags, closed, created_at, updated_at) VALUES ",
    );
    for (i, (id, parent, path, depth, d)) in batch.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(*id)
            .push(", ")
            .bind(*parent)
            .push(", ")
            .bind(path.clone())
            .push(", ")
            .bind(*depth)
            .push(", ")
            .bind(d.kind.as_str())
            .push(", ")
            .bind(d.name.clone())
            .push(", ")
            .bind(d.code.clone())
            .push(", '', FALSE, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
    }
    tx.execute(&sql).await?;
    Ok(batch.len())
}

/// Looks up units by code (for imports), within the scope.
pub async fn by_codes(db: &Db, scope: &Scope, codes: &[String]) -> Result<Vec<UnitView>, DbError> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let mut sql = Sql::new(&format!("SELECT {VIEW_COLUMNS} FROM units u WHERE u.code IN "));
        sql.bind_list(chunk.iter().cloned()).push(" AND ");
        push_scope(&mut sql, "u.path", scope);
        out.extend(db.all::<UnitView>(&sql).await?);
    }
    Ok(out)
}
