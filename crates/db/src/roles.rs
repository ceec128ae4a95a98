//! Role posts of a village (红色八大员, 004.3): the catalogue, members' own claims, approval by
//! the secretary, the balance view with suggestions, and the 红色代办 errands logged against the
//! role's holders.

use chrono::{NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::roles::{Balance, ClaimStatus, DEFAULT_MAX, DEFAULT_MIN, RED_EIGHT, balance, matches_specialty};
use frontline_core::units::subtree_range;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::people::open_unit_in_scope;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A role post with its fill state.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RolePostView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub name: String,
    /// Keywords of suitable specialties, `|` separated.
    pub specialties: String,
    pub min_holders: i64,
    pub max_holders: i64,
    pub seq: i64,
    pub approved: i64,
    pub pending: i64,
    #[serde(skip)]
    pub unit_path: String,
}

impl RolePostView {
    pub fn balance(&self) -> Balance {
        balance(self.approved, self.min_holders, self.max_holders)
    }
}

const ROLE_COLUMNS: &str = "r.id, r.unit_id, u.name AS unit_name, r.name, r.specialties, r.min_holders, r.max_holders, r.seq, \
     (SELECT COUNT(*) FROM role_claims c WHERE c.role_post_id = r.id AND c.status = 'approved') AS approved, \
     (SELECT COUNT(*) FROM role_claims c WHERE c.role_post_id = r.id AND c.status = 'pending') AS pending, \
     u.path AS unit_path";
const ROLE_FROM: &str = " FROM role_posts r JOIN units u ON u.id = r.unit_id";

/// Role posts of the units in a subtree (or of all units in scope), in tree order, a page at a time.
pub async fn list(
    db: &Db,
    scope: &Scope,
    unit: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<RolePostView>, DbError> {
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    db.page_of(ROLE_COLUMNS, role_filter(db, scope, unit).await?, "u.path, r.seq, r.id", page, per_page).await
}

/// `FROM … WHERE …` of the role posts in scope, within a unit's subtree when one is given.
async fn role_filter(db: &Db, scope: &Scope, unit: Option<i64>) -> Result<Sql, DbError> {
    let mut sql = Sql::new(&format!("{ROLE_FROM} WHERE "));
    push_scope(&mut sql, "u.path", scope);
    if let Some(unit) = unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        sql.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    Ok(sql)
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<RolePostView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {ROLE_COLUMNS}{ROLE_FROM} WHERE r.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    db.one(&sql).await
}

async fn get_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> Result<RolePostView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {ROLE_COLUMNS}{ROLE_FROM} WHERE r.id = "));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    tx.one(&sql).await
}

/// Role posts of the units a person belongs to (home unit, current postings) and their
/// ancestors: what a member may claim, whatever their data scope.
pub async fn open_to(db: &Db, person_id: i64) -> Result<Vec<RolePostView>, DbError> {
    let paths: Vec<(String,)> = db
        .all(&Sql::with(
            "SELECT hu.path FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE p.id = $1 UNION \
             SELECT pu.path FROM postings ps JOIN units pu ON pu.id = ps.unit_id WHERE ps.person_id = $1 AND ps.end_date IS NULL",
            vec![person_id.into()],
        ))
        .await?;
    let mut ids: Vec<i64> = paths.iter().flat_map(|(p,)| frontline_core::units::path_ids(p)).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {ROLE_COLUMNS}{ROLE_FROM} WHERE r.unit_id IN "));
    sql.bind_list(ids).push(" ORDER BY u.path, r.seq, r.id");
    db.all(&sql).await
}

/// Gives a village the default catalogue (the eight roles), unless it has role posts already.
pub async fn create_defaults(db: &Db, actor: &Actor, unit_id: i64) -> Result<usize, DbError> {
    actor.require("duty:role:edit")?;
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    let existing =
        tx.count(&Sql::with("SELECT COUNT(*) FROM role_posts WHERE unit_id = $1", vec![unit_id.into()])).await?;
    if existing > 0 {
        return Err(DomainError::Conflict("error.role.catalogue_exists".into()).into());
    }
    for (seq, (name, keywords)) in RED_EIGHT.iter().enumerate() {
        tx.execute(&Sql::with(
            "INSERT INTO role_posts (unit_id, name, specialties, min_holders, max_holders, seq, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                unit_id.into(),
                (*name).into(),
                (*keywords).into(),
                DEFAULT_MIN.into(),
                DEFAULT_MAX.into(),
                (seq as i64 + 1).into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "role_post.defaults",
            object_kind: "unit",
            object_id: Some(unit_id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"roles": RED_EIGHT.iter().map(|r| r.0).collect::<Vec<_>>()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RED_EIGHT.len())
}

/// A role post as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RolePostInput {
    #[schema(min_length = 1, max_length = 20)]
    pub name: String,
    #[serde(default)]
    pub specialties: String,
    #[schema(minimum = 0, maximum = 99)]
    pub min_holders: i64,
    #[schema(minimum = 1, maximum = 99)]
    pub max_holders: i64,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 999)]
    pub seq: i64,
}

impl RolePostInput {
    fn validate(&self) -> Result<(String, String), DomainError> {
        let mut p = frontline_core::error::Problems::new();
        let name = p.check(frontline_core::error::text("name", &self.name, 20));
        let kw = p.check(frontline_core::error::optional_text("specialties", &self.specialties, 100));
        if let Err(DomainError::Invalid(errs)) =
            frontline_core::roles::validate_limits(self.min_holders, self.max_holders)
        {
            for e in errs {
                p.add(&e.field, &e.code);
            }
        }
        if !(0..=999).contains(&self.seq) {
            p.add("seq", "error.out_of_range");
        }
        p.into_result()?;
        Ok((name.unwrap_or_default(), kw.flatten().unwrap_or_default()))
    }
}

/// Adds a role post to a unit's catalogue.
pub async fn create(db: &Db, actor: &Actor, unit_id: i64, input: &RolePostInput) -> Result<RolePostView, DbError> {
    actor.require("duty:role:edit")?;
    let (name, keywords) = input.validate()?;
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO role_posts (unit_id, name, specialties, min_holders, max_holders, seq, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                unit_id.into(),
                name.clone().into(),
                keywords.clone().into(),
                input.min_holders.into(),
                input.max_holders.into(),
                input.seq.into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "role_post.create",
            object_kind: "role_post",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"name": name, "specialties": keywords, "min": input.min_holders, "max": input.max_holders}),
        },
    )
    .await?;
    let view = get_in_tx(&mut tx, &Scope::everything(), id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Changes a role post.
pub async fn update(db: &Db, actor: &Actor, id: i64, input: &RolePostInput) -> Result<RolePostView, DbError> {
    actor.require("duty:role:edit")?;
    let (name, keywords) = input.validate()?;
    let mut tx = db.begin().await?;
    let before = get_in_tx(&mut tx, &actor.scope, id).await?;
    tx.execute(&Sql::with(
        "UPDATE role_posts SET name = $1, specialties = $2, min_holders = $3, max_holders = $4, seq = $5 WHERE id = $6",
        vec![
            name.clone().into(),
            keywords.clone().into(),
            input.min_holders.into(),
            input.max_holders.into(),
            input.seq.into(),
            id.into(),
        ],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "role_post.update",
            object_kind: "role_post",
            object_id: Some(id),
            unit_path: Some(&before.unit_path),
            before: json!({"name": before.name, "specialties": before.specialties, "min": before.min_holders, "max": before.max_holders}),
            after: json!({"name": name, "specialties": keywords, "min": input.min_holders, "max": input.max_holders}),
        },
    )
    .await?;
    let view = get_in_tx(&mut tx, &Scope::everything(), id).await?;
    tx.commit().await?;
    Ok(view)
}

/// A claim of a role post.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ClaimView {
    pub id: i64,
    pub role_post_id: i64,
    pub role_name: String,
    pub unit_name: String,
    pub person_id: i64,
    pub person_name: String,
    pub specialties: Option<String>,
    pub status: String,
    pub claimed_at: chrono::DateTime<Utc>,
    pub reason: Option<String>,
    #[serde(skip)]
    pub unit_path: String,
}

const CLAIM_COLUMNS: &str = "c.id, c.role_post_id, r.name AS role_name, u.name AS unit_name, c.person_id, \
     p.name AS person_name, p.specialties, c.status, c.claimed_at, c.reason, u.path AS unit_path";
const CLAIM_FROM: &str = " FROM role_claims c JOIN role_posts r ON r.id = c.role_post_id JOIN units u ON u.id = r.unit_id \
     JOIN people p ON p.id = c.person_id";

/// Which claims to list, and which page.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClaimFilter<'a> {
    /// Claims of role posts in this unit's subtree.
    pub unit: Option<i64>,
    /// Claims made by this person.
    pub person: Option<i64>,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub status: Option<&'a str>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Claims of the role posts in a subtree, or of one person, newest first, a page at a time.
pub async fn claims(db: &Db, scope: &Scope, q: &ClaimFilter<'_>) -> Result<Page<ClaimView>, DbError> {
    let ClaimFilter { unit, person, status, page, per_page } = *q;
    let mut sql = Sql::new(&format!("{CLAIM_FROM} WHERE ("));
    push_scope(&mut sql, "u.path", scope);
    if let Some(me) = scope.person_id {
        sql.push(" OR c.person_id = ").bind(me);
    }
    sql.push(")");
    if let Some(unit) = unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        sql.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
    }
    if let Some(p) = person {
        sql.push(" AND c.person_id = ").bind(p);
    }
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        let status = ClaimStatus::parse(s).ok_or_else(|| DomainError::invalid("status", "error.out_of_range"))?;
        sql.push(" AND c.status = ").bind(status.as_str());
    }
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    db.page_of(CLAIM_COLUMNS, sql, "c.id DESC", page, per_page).await
}

async fn claim_in_tx(tx: &mut Tx, id: i64) -> Result<ClaimView, DbError> {
    tx.one(&Sql::with(&format!("SELECT {CLAIM_COLUMNS}{CLAIM_FROM} WHERE c.id = $1"), vec![id.into()])).await
}

/// The caller claims a role post of a unit they belong to (home unit or a current posting in the
/// role's village, or below it). One open claim per person per village.
pub async fn claim(db: &Db, actor: &Actor, role_post_id: i64) -> Result<ClaimView, DbError> {
    actor.require("duty:role:claim")?;
    let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("duty:role:claim".into()))?;
    let mut tx = db.begin().await?;
    // The role must be in the caller's own village: reachable by scope or by their own units.
    let role: RolePostView = tx
        .opt(&Sql::with(&format!("SELECT {ROLE_COLUMNS}{ROLE_FROM} WHERE r.id = $1"), vec![role_post_id.into()]))
        .await?
        .ok_or(DomainError::NotFound)?;
    let (lo, hi) = subtree_range(&role.unit_path);
    let belongs = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE p.id = $1 AND \
             ((hu.path >= $2 AND hu.path < $3) OR EXISTS (SELECT 1 FROM postings ps JOIN units pu ON pu.id = ps.unit_id \
             WHERE ps.person_id = p.id AND ps.end_date IS NULL AND pu.path >= $2 AND pu.path < $3))",
            vec![me.into(), lo.into(), hi.into()],
        ))
        .await?;
    if belongs == 0 {
        return Err(DomainError::NotFound.into());
    }
    let open = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM role_claims c JOIN role_posts r ON r.id = c.role_post_id WHERE c.person_id = $1 \
             AND r.unit_id = $2 AND c.status IN ('pending', 'approved')",
            vec![me.into(), role.unit_id.into()],
        ))
        .await?;
    if open > 0 {
        return Err(DomainError::Conflict("error.role.already_claimed".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO role_claims (role_post_id, person_id, status, claimed_at) VALUES ($1, $2, 'pending', $3) RETURNING id",
            vec![role_post_id.into(), me.into(), Utc::now().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "role_claim.create",
            object_kind: "role_claim",
            object_id: Some(id),
            unit_path: Some(&role.unit_path),
            before: serde_json::Value::Null,
            after: json!({"role_post_id": role_post_id, "person_id": me, "status": "pending"}),
        },
    )
    .await?;
    let view = claim_in_tx(&mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Approves or rejects a pending claim (the secretary), or withdraws one's own.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    claim_id: i64,
    to: ClaimStatus,
    reason: &str,
) -> Result<ClaimView, DbError> {
    let mut tx = db.begin().await?;
    let before = claim_in_tx(&mut tx, claim_id).await?;
    let own = actor.scope.person_id == Some(before.person_id);
    match to {
        ClaimStatus::Withdrawn if own => {}
        ClaimStatus::Approved | ClaimStatus::Rejected => {
            actor.require("duty:role:approve")?;
            if !actor.scope.reaches(&before.unit_path) {
                return Err(DomainError::NotFound.into());
            }
        }
        _ => return Err(DomainError::invalid("status", "error.role.bad_decision").into()),
    }
    if !actor.scope.reaches(&before.unit_path) && !own {
        return Err(DomainError::NotFound.into());
    }
    let allowed = match to {
        ClaimStatus::Withdrawn => before.status == "pending" || before.status == "approved",
        _ => before.status == "pending",
    };
    if !allowed {
        return Err(DomainError::Conflict("error.role.claim_closed".into()).into());
    }
    let reason =
        frontline_core::error::optional_text("reason", reason, 100).map_err(|e| DomainError::Invalid(vec![e]))?;
    if to == ClaimStatus::Rejected && reason.is_none() {
        return Err(DomainError::invalid("reason", "error.required").into());
    }
    tx.execute(&Sql::with(
        "UPDATE role_claims SET status = $1, decided_at = $2, decided_by = $3, reason = $4 WHERE id = $5",
        vec![to.as_str().into(), Utc::now().into(), actor.name.clone().into(), reason.clone().into(), claim_id.into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "role_claim.decide",
            object_kind: "role_claim",
            object_id: Some(claim_id),
            unit_path: Some(&before.unit_path),
            before: json!({"status": before.status}),
            after: json!({"status": to.as_str(), "reason": reason}),
        },
    )
    .await?;
    let view = claim_in_tx(&mut tx, claim_id).await?;
    tx.commit().await?;
    Ok(view)
}

/// A role out of balance, with people who could take it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Imbalance {
    pub role: RolePostView,
    /// `empty`, `short` or `crowded`.
    #[schema(value_type = String)]
    pub state: Balance,
    /// Members of the village without a role whose specialties suit this one (for empty or
    /// short roles), at most five.
    pub suggestions: Vec<Suggestion>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Suggestion {
    pub person_id: i64,
    pub name: String,
    pub specialties: Option<String>,
}

/// Roles that are empty, short or crowded in a subtree, with suggestions.
pub async fn imbalances(db: &Db, scope: &Scope, unit: i64, limit: usize) -> Result<Vec<Imbalance>, DbError> {
    let roles: Vec<RolePostView> =
        db.rows_of(ROLE_COLUMNS, role_filter(db, scope, Some(unit)).await?, "u.path, r.seq, r.id", 20_000).await?;
    let mut out = Vec::new();
    for role in roles {
        let state = role.balance();
        if state == Balance::Balanced {
            continue;
        }
        if out.len() >= limit {
            break;
        }
        let suggestions =
            if matches!(state, Balance::Empty | Balance::Short) { suggest(db, &role).await? } else { Vec::new() };
        out.push(Imbalance { role, state, suggestions });
    }
    Ok(out)
}

async fn suggest(db: &Db, role: &RolePostView) -> Result<Vec<Suggestion>, DbError> {
    let (lo, hi) = subtree_range(&role.unit_path);
    let people: Vec<Suggestion> = db
        .all(&Sql::with(
            "SELECT p.id AS person_id, p.name, p.specialties FROM people p JOIN units hu ON hu.id = p.home_unit_id \
             WHERE hu.path >= $1 AND hu.path < $2 AND p.party_status <> 'none' AND p.specialties IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM role_claims c JOIN role_posts r ON r.id = c.role_post_id WHERE c.person_id = p.id \
             AND r.unit_id = $3 AND c.status IN ('pending', 'approved')) ORDER BY p.id LIMIT 2000",
            vec![lo.into(), hi.into(), role.unit_id.into()],
        ))
        .await?;
    Ok(people.into_iter().filter(|p| matches_specialty(&role.specialties, p.specialties.as_deref())).take(5).collect())
}

/// An errand (红色代办) run by a holder of a role.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ErrandView {
    pub id: i64,
    pub role_post_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub what: String,
    pub done_on: NaiveDate,
}

/// Logs an errand against the approved holder who ran it.
pub async fn log_errand(
    db: &Db,
    actor: &Actor,
    role_post_id: i64,
    person_id: i64,
    what: &str,
    done_on: NaiveDate,
) -> Result<ErrandView, DbError> {
    let own = actor.scope.person_id == Some(person_id);
    actor.require(if own { "duty:role:claim" } else { "duty:role:approve" })?;
    let what = frontline_core::error::text("what", what, 200).map_err(|e| DomainError::Invalid(vec![e]))?;
    let mut tx = db.begin().await?;
    let role: RolePostView = tx
        .opt(&Sql::with(&format!("SELECT {ROLE_COLUMNS}{ROLE_FROM} WHERE r.id = $1"), vec![role_post_id.into()]))
        .await?
        .ok_or(DomainError::NotFound)?;
    if !own && !actor.scope.reaches(&role.unit_path) {
        return Err(DomainError::NotFound.into());
    }
    let holds = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM role_claims WHERE role_post_id = $1 AND person_id = $2 AND status = 'approved'",
            vec![role_post_id.into(), person_id.into()],
        ))
        .await?;
    if holds == 0 {
        // Someone logging their own errand read the role without their scope: they learn
        // nothing about a role they do not hold.
        return Err(if own {
            DomainError::NotFound
        } else {
            DomainError::invalid("person_id", "error.role.not_a_holder")
        }
        .into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO errands (role_post_id, person_id, what, done_on, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![role_post_id.into(), person_id.into(), what.clone().into(), done_on.into(), Utc::now().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "errand.create",
            object_kind: "errand",
            object_id: Some(id),
            unit_path: Some(&role.unit_path),
            before: serde_json::Value::Null,
            after: json!({"role_post_id": role_post_id, "person_id": person_id, "what": what, "done_on": done_on}),
        },
    )
    .await?;
    tx.commit().await?;
    let (name,): (String,) =
        db.one(&Sql::with("SELECT name FROM people WHERE id = $1", vec![person_id.into()])).await?;
    Ok(ErrandView { id, role_post_id, person_id, person_name: name, what, done_on })
}

/// Errands of a role post, newest first.
pub async fn errands(db: &Db, scope: &Scope, role_post_id: i64) -> Result<Vec<ErrandView>, DbError> {
    get(db, scope, role_post_id).await?;
    db.all(&Sql::with(
        "SELECT e.id, e.role_post_id, e.person_id, p.name AS person_name, e.what, e.done_on FROM errands e \
         JOIN people p ON p.id = e.person_id WHERE e.role_post_id = $1 ORDER BY e.done_on DESC, e.id DESC LIMIT 200",
        vec![role_post_id.into()],
    ))
    .await
}
