//! Users, roles, sessions and API tokens, and the resolution of a user into an [`Actor`].
//!
//! Password hashing happens in the web layer (argon2); this module stores and compares only
//! hashes. Session and token secrets are stored as SHA-256 hashes, so a copy of the database
//! does not hand out live sessions.

use chrono::{DateTime, Duration, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, DataScope, LOCKOUT_MINUTES, MAX_FAILED_LOGINS, RoleScope, Scope, resolve_scope};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::sql::page_bounds;
use crate::units::push_scope;
use crate::{Db, DbError, Page, Sql, Tx};

/// What login needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
}

pub async fn credentials(db: &Db, username: &str) -> Result<Option<Credentials>, DbError> {
    db.opt(&Sql::with(
        "SELECT id, username, password_hash, failed_logins, locked_until, disabled FROM users WHERE username = $1",
        vec![username.into()],
    ))
    .await
}

/// Counts a failed login; the account locks for a while after too many in a row.
pub async fn record_failed_login(db: &Db, user_id: i64, ip: &str) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    let (failed,): (i64,) =
        tx.one(&Sql::with("SELECT failed_logins FROM users WHERE id = $1", vec![user_id.into()])).await?;
    let failed = failed + 1;
    let locked = failed >= MAX_FAILED_LOGINS;
    let until = if locked { Some(Utc::now() + Duration::minutes(LOCKOUT_MINUTES)) } else { None };
    tx.execute(&Sql::with(
        "UPDATE users SET failed_logins = $1, locked_until = COALESCE($2, locked_until) WHERE id = $3",
        vec![(if locked { 0 } else { failed }).into(), until.into(), user_id.into()],
    ))
    .await?;
    // Every failed login is a security event (等保 安全审计), the lockout it leads to another.
    login_event(&mut tx, ip, "login.failed", Some(user_id), json!({"failed_in_a_row": failed})).await?;
    if locked {
        login_event(&mut tx, ip, "user.locked", Some(user_id), json!({"locked_until": until})).await?;
    }
    tx.commit().await?;
    Ok(locked)
}

/// Writes a login's security event, by the login itself from the caller's address.
async fn login_event(
    tx: &mut Tx,
    ip: &str,
    action: &str,
    user_id: Option<i64>,
    after: serde_json::Value,
) -> Result<(), DbError> {
    let actor = Actor { ip: ip.to_string(), ..Actor::system("login") };
    let change = Change {
        action,
        object_kind: "user",
        object_id: user_id,
        unit_path: None,
        before: serde_json::Value::Null,
        after,
    };
    audit::append(tx, &actor, change).await?;
    Ok(())
}

/// Notes a login tried with a username no account has (the name as typed, cut to 64 characters).
pub async fn record_unknown_login(db: &Db, username: &str, ip: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    let typed = json!({"unknown_username": username.chars().take(64).collect::<String>()});
    login_event(&mut tx, ip, "login.failed", None, typed).await?;
    tx.commit().await
}

pub async fn record_successful_login(db: &Db, user_id: i64) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
        vec![user_id.into()],
    ))
    .await?;
    tx.commit().await
}

/// How far a session is: logged in, or waiting for the second factor after the password (of no
/// use for anything but giving the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    Done,
    SecondFactor,
    /// An account whose role asks for a second factor it has not set up: good only for setting
    /// it up (`/me/second-factor`).
    Enrol,
    /// An account whose password must be changed first (set by someone else, or past its age):
    /// good only for choosing a new one (`/login/password`).
    ChangePassword,
}

impl SessionStage {
    fn as_str(self) -> &'static str {
        match self {
            SessionStage::Done => "done",
            SessionStage::SecondFactor => "second_factor",
            SessionStage::Enrol => "enrol",
            SessionStage::ChangePassword => "change_password",
        }
    }
}

/// Stores a new session; the id is the hash of the secret in the cookie.
pub async fn create_session(
    db: &Db,
    session_hash: &str,
    user_id: i64,
    csrf_token: &str,
    ip: &str,
    ttl: Duration,
    stage: SessionStage,
) -> Result<(), DbError> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    // Old, expired sessions of everyone are swept here, where sessions are written anyway.
    tx.execute(&Sql::with("DELETE FROM sessions WHERE expires_at < $1", vec![now.into()])).await?;
    tx.execute(&Sql::with(
        "INSERT INTO sessions (id, user_id, csrf_token, ip, created_at, expires_at, stage) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            session_hash.into(),
            user_id.into(),
            csrf_token.into(),
            ip.into(),
            now.into(),
            (now + ttl).into(),
            stage.as_str().into(),
        ],
    ))
    .await?;
    tx.commit().await
}

/// A live session as a request finds it: its user, its CSRF token, and when it was last used.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveSession {
    pub user_id: i64,
    pub csrf_token: String,
    pub last_seen: DateTime<Utc>,
}

/// A live session at `stage`: not past its lifetime, not idle longer than `idle`, of an account
/// not disabled.
pub async fn session_at(
    db: &Db,
    session_hash: &str,
    stage: SessionStage,
    idle: Duration,
) -> Result<Option<LiveSession>, DbError> {
    let now = Utc::now();
    db.opt(&Sql::with(
        "SELECT s.user_id, s.csrf_token, COALESCE(s.last_seen_at, s.created_at) AS last_seen FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.expires_at > $2 AND u.disabled = FALSE \
         AND s.stage = $3 AND COALESCE(s.last_seen_at, s.created_at) > $4",
        vec![session_hash.into(), now.into(), stage.as_str().into(), (now - idle).into()],
    ))
    .await
}

/// A live, logged-in session (see [`session_at`]).
pub async fn session(db: &Db, session_hash: &str, idle: Duration) -> Result<Option<LiveSession>, DbError> {
    session_at(db, session_hash, SessionStage::Done, idle).await
}

/// Notes that a session was used now (its idle time starts again).
pub async fn touch_session(db: &Db, session_hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "UPDATE sessions SET last_seen_at = $1 WHERE id = $2",
        vec![now.into(), session_hash.into()],
    ))
    .await?;
    tx.commit().await
}

pub async fn delete_session(db: &Db, session_hash: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with("DELETE FROM sessions WHERE id = $1", vec![session_hash.into()])).await?;
    tx.commit().await
}

/// Stores a new API token (its hash) for a user.
pub async fn create_token(db: &Db, actor: &Actor, user_id: i64, name: &str, token_hash: &str) -> Result<i64, DbError> {
    let name = frontline_core::error::text("name", name, 64).map_err(|e| DomainError::Invalid(vec![e]))?;
    let mut tx = db.begin().await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            vec![user_id.into(), name.clone().into(), token_hash.into(), Utc::now().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "token.create",
            object_kind: "api_token",
            object_id: Some(id),
            unit_path: None,
            before: serde_json::Value::Null,
            after: json!({"user_id": user_id, "name": name}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The user a live token belongs to.
pub async fn token_user(db: &Db, token_hash: &str) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> = db
        .opt(&Sql::with(
            "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked = FALSE AND u.disabled = FALSE",
            vec![token_hash.into()],
        ))
        .await?;
    Ok(row.map(|r| r.0))
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct RoleRow {
    id: i64,
    data_scope: String,
    permissions: String,
}

/// Resolves a user into an actor: display name, permissions (union over roles) and scope (union
/// over roles and over the units the user's person is attached to).
pub async fn load_actor(db: &Db, user_id: i64, ip: &str) -> Result<Actor, DbError> {
    let (username, display_name, person_id): (String, String, Option<i64>) = db
        .one(&Sql::with("SELECT username, display_name, person_id FROM users WHERE id = $1", vec![user_id.into()]))
        .await?;
    let roles: Vec<RoleRow> = db
        .all(&Sql::with(
            "SELECT r.id, r.data_scope, r.permissions FROM roles r JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1 \
             AND (ur.post_id IS NULL OR EXISTS (SELECT 1 FROM tenures t WHERE t.post_id = ur.post_id AND t.person_id = $2 \
             AND t.start_date <= $3 AND (t.end_date IS NULL OR t.end_date > $3)))",
            // A role that comes with a post counts only on the days its person holds the post.
            vec![user_id.into(), person_id.into(), frontline_core::time::today_in_china(Utc::now()).into()],
        ))
        .await?;
    let mut permissions: Vec<String> = Vec::new();
    let mut role_scopes = Vec::new();
    for r in &roles {
        permissions.extend(r.permissions.split(',').filter(|p| !p.is_empty()).map(str::to_string));
        let data_scope = DataScope::parse(&r.data_scope).unwrap_or(DataScope::SelfOnly);
        // Only a role scoped to listed units has units listed (every request resolves its actor).
        let listed: Vec<(String,)> = if data_scope == DataScope::Listed {
            db.all(&Sql::with(
                "SELECT u.path FROM role_units ru JOIN units u ON u.id = ru.unit_id WHERE ru.role_id = $1",
                vec![r.id.into()],
            ))
            .await?
        } else {
            Vec::new()
        };
        role_scopes.push(RoleScope { data_scope, listed_paths: listed.into_iter().map(|(p,)| p).collect() });
    }
    permissions.sort();
    permissions.dedup();
    let attached = match person_id {
        Some(pid) => attached_unit_paths(db, pid).await?,
        None => vec![],
    };
    Ok(Actor {
        user_id: Some(user_id),
        name: if display_name.is_empty() { username } else { format!("{display_name} ({username})") },
        ip: ip.to_string(),
        scope: resolve_scope(&role_scopes, &attached, person_id),
        permissions,
    })
}

/// Paths of a person's home unit and the units of their current postings.
pub async fn attached_unit_paths(db: &Db, person_id: i64) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = db
        .all(&Sql::with(
            "SELECT u.path FROM people p JOIN units u ON u.id = p.home_unit_id WHERE p.id = $1 \
             UNION SELECT u.path FROM postings ps JOIN units u ON u.id = ps.unit_id WHERE ps.person_id = $1 AND ps.end_date IS NULL",
            vec![person_id.into()],
        ))
        .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// A role as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RoleView {
    pub id: i64,
    pub role_key: String,
    pub name: String,
    pub data_scope: String,
    /// Comma-separated permission patterns.
    pub permissions: String,
    /// Kinds of post (comma-separated) whose holder the role comes with, for as long as they hold it.
    pub post_kinds: String,
    /// Whether the role's accounts must have a second factor.
    pub requires_second_factor: bool,
}

const ROLE_COLUMNS: &str = "id, role_key, name, data_scope, permissions, post_kinds, requires_second_factor";

/// Roles, with their listed units.
pub async fn list_roles(db: &Db) -> Result<Vec<RoleView>, DbError> {
    db.all(&Sql::new(&format!("SELECT {ROLE_COLUMNS} FROM roles ORDER BY id"))).await
}

pub async fn role_units(db: &Db, role_id: i64) -> Result<Vec<i64>, DbError> {
    let rows: Vec<(i64,)> = db
        .all(&Sql::with("SELECT unit_id FROM role_units WHERE role_id = $1 ORDER BY unit_id", vec![role_id.into()]))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A role as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RoleInput {
    #[schema(pattern = r"^[A-Za-z0-9_.-]{3,32}$")]
    pub role_key: String,
    #[schema(min_length = 1, max_length = 32)]
    pub name: String,
    #[schema(schema_with = data_scopes)]
    pub data_scope: String,
    /// Permissions by name (`people:person:list` …, `*:*:*` for all); a pattern with `*` parts
    /// that covers known permissions is also taken.
    #[serde(default)]
    #[schema(schema_with = permission_names)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub unit_ids: Vec<i64>,
    /// Whether the role's accounts must have a second factor (they set it up at their next login).
    #[serde(default)]
    pub requires_second_factor: bool,
}

/// The permissions a role can be given, by name.
pub fn permission_names() -> utoipa::openapi::schema::Array {
    let names = frontline_core::access::PERMISSIONS.iter().copied().chain(["*:*:*"]);
    utoipa::openapi::schema::ArrayBuilder::new().items(frontline_core::codes::codes_schema(names)).build()
}

/// Checks a role against what the actor may grant: no permission the actor lacks, no scope wider
/// than the actor's own. This is what stops a township admin from minting a county-wide role.
async fn validate_role(
    tx: &mut Tx,
    actor: &Actor,
    input: &RoleInput,
) -> Result<(String, String, DataScope, Vec<String>), DbError> {
    let mut p = frontline_core::error::Problems::new();
    let key = p.check(frontline_core::access::validate_username(&input.role_key).map_err(|mut e| {
        e.field = "role_key".into();
        e.code = "error.role.bad_key".into();
        e
    }));
    let name = p.check(frontline_core::error::text("name", &input.name, 32));
    let scope = DataScope::parse(&input.data_scope);
    if scope.is_none() {
        p.add("data_scope", "error.role.bad_scope");
    }
    let mut perms = Vec::new();
    for perm in &input.permissions {
        match frontline_core::access::validate_permission(perm) {
            Ok(v) if actor.can(&v) || actor.can("*:*:*") => perms.push(v),
            Ok(_) => p.add("permissions", "error.role.permission_not_yours"),
            Err(e) => p.add(&e.field, &e.code),
        }
    }
    if scope == Some(DataScope::All) && !actor.scope.all {
        p.add("data_scope", "error.role.scope_not_yours");
    }
    if scope == Some(DataScope::Listed) && input.unit_ids.is_empty() {
        p.add("unit_ids", "error.role.listed_needs_units");
    }
    for uid in &input.unit_ids {
        let mut sql = Sql::new("SELECT COUNT(*) FROM units u WHERE u.id = ");
        sql.bind(*uid).push(" AND ");
        push_scope(&mut sql, "u.path", &actor.scope);
        if tx.count(&sql).await? == 0 {
            p.add("unit_ids", "error.role.unit_not_yours");
        }
    }
    p.into_result()?;
    perms.sort();
    perms.dedup();
    match (key, name, scope) {
        (Some(k), Some(n), Some(s)) => Ok((k, n, s, perms)),
        _ => Err(DomainError::invalid("role_key", "error.invalid").into()),
    }
}

pub async fn create_role(db: &Db, actor: &Actor, input: &RoleInput) -> Result<i64, DbError> {
    actor.require("system:role:add")?;
    let mut tx = db.begin().await?;
    let (key, name, scope, perms) = validate_role(&mut tx, actor, input).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO roles (role_key, name, data_scope, permissions, requires_second_factor, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vec![
                key.clone().into(),
                name.clone().into(),
                scope.as_str().into(),
                perms.join(",").into(),
                input.requires_second_factor.into(),
                Utc::now().into(),
            ],
        ))
        .await
        .map_err(|e| e.on_unique("error.role.duplicate_key"))?;
    set_role_units(&mut tx, id, &input.unit_ids).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "role.create",
            object_kind: "role",
            object_id: Some(id),
            unit_path: None,
            before: serde_json::Value::Null,
            after: json!({"role_key": key, "name": name, "data_scope": scope.as_str(), "permissions": perms,
                "unit_ids": input.unit_ids, "requires_second_factor": input.requires_second_factor}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A user as listed: never the hash.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    /// Comma-separated role names.
    pub roles: Option<String>,
    /// Whether the account has its second factor on.
    pub second_factor: bool,
    /// Whether its holder must change the password at the next login (someone else set it).
    pub must_change_password: bool,
}

/// Users whose person is visible to the scope; accounts without a person only to an all-units scope.
pub async fn list_users(
    db: &Db,
    scope: &Scope,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<UserView>, DbError> {
    let (page, per) = page_bounds(page, per_page);
    let mut filter = Sql::new(
        " FROM users us LEFT JOIN people p ON p.id = us.person_id LEFT JOIN units hu ON hu.id = p.home_unit_id WHERE ",
    );
    if scope.all {
        filter.push("TRUE");
    } else {
        filter.push("p.id IS NOT NULL AND ");
        crate::people::push_person_scope(&mut filter, scope);
    }
    let columns = format!(
        "us.id, us.username, us.display_name, us.person_id, p.name AS person_name, us.disabled, us.locked_until, \
         (SELECT {} FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = us.id) AS roles, \
         (us.totp_secret IS NOT NULL) AS second_factor, us.must_change_password",
        if db.is_postgres() { "string_agg(r.name, ',')" } else { "group_concat(r.name, ',')" }
    );
    db.page_of(&columns, filter, "us.id", page, per).await
}

/// A new account as typed; the password arrives already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub person_id: Option<i64>,
    pub role_ids: Vec<i64>,
    /// Whether its holder must change the password at the first login: true whenever someone
    /// other than the holder chose or generated it (only the demo's shared logins are not).
    pub must_change_password: bool,
}

/// Creates an account. The actor must see the person, and may only hand out roles whose
/// permissions they hold themselves and whose scope is no wider than theirs.
pub async fn create_user(db: &Db, actor: &Actor, u: &NewUser) -> Result<i64, DbError> {
    actor.require("system:user:add")?;
    let username = frontline_core::access::validate_username(&u.username).map_err(|e| DomainError::Invalid(vec![e]))?;
    let display_name =
        frontline_core::error::text("display_name", &u.display_name, 32).map_err(|e| DomainError::Invalid(vec![e]))?;
    let separated = crate::security::separation_of_duties(db).await?;
    let mut tx = db.begin().await?;
    if let Some(pid) = u.person_id {
        let mut sql = Sql::new("SELECT COUNT(*) FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE p.id = ");
        sql.bind(pid).push(" AND ");
        crate::people::push_person_scope(&mut sql, &actor.scope);
        if tx.count(&sql).await? == 0 {
            return Err(DomainError::invalid("person_id", "error.post.unknown_person").into());
        }
    } else if !actor.scope.all {
        return Err(DomainError::invalid("person_id", "error.user.person_required").into());
    }
    for rid in &u.role_ids {
        let role: Option<RoleRow> = tx
            .opt(&Sql::with("SELECT id, data_scope, permissions FROM roles WHERE id = $1", vec![(*rid).into()]))
            .await?;
        let Some(role) = role else { return Err(DomainError::invalid("role_ids", "error.user.unknown_role").into()) };
        let too_wide = (role.data_scope == "all" && !actor.scope.all)
            || role.permissions.split(',').filter(|p| !p.is_empty()).any(|p| !actor.can(p) && !actor.can("*:*:*"));
        if too_wide {
            return Err(DomainError::invalid("role_ids", "error.role.permission_not_yours").into());
        }
        if separated && role.permissions.split(',').any(|p| p == "*:*:*") {
            return Err(DomainError::invalid("role_ids", "error.role.superuser_retired").into());
        }
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO users (username, display_name, password_hash, person_id, created_at, password_changed_at, \
             must_change_password) VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
            vec![
                username.clone().into(),
                display_name.clone().into(),
                u.password_hash.clone().into(),
                u.person_id.into(),
                Utc::now().into(),
                u.must_change_password.into(),
            ],
        ))
        .await
        .map_err(|e| e.on_unique("error.user.duplicate_username"))?;
    for rid in &u.role_ids {
        // A role that comes with a post the person holds today is tied to that post.
        let through: Option<i64> = match u.person_id {
            Some(person) => {
                let row: Option<(Option<i64>,)> = tx.opt(&Sql::with(
                    "SELECT MIN(t.post_id) FROM tenures t JOIN posts po ON po.id = t.post_id JOIN roles r ON r.id = $1 \
                     WHERE t.person_id = $2 AND t.start_date <= $3 AND (t.end_date IS NULL OR t.end_date > $3) \
                     AND r.post_kinds <> '' AND (',' || r.post_kinds || ',') LIKE ('%,' || po.kind || ',%')",
                    vec![(*rid).into(), person.into(), frontline_core::time::today_in_china(Utc::now()).into()],
                ))
                .await?;
                row.and_then(|(p,)| p)
            }
            None => None,
        };
        tx.execute(&Sql::with(
            "INSERT INTO user_roles (user_id, role_id, post_id) VALUES ($1, $2, $3)",
            vec![id.into(), (*rid).into(), through.into()],
        ))
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "user.create",
            object_kind: "user",
            object_id: Some(id),
            unit_path: None,
            before: serde_json::Value::Null,
            after: json!({"username": username, "display_name": display_name, "person_id": u.person_id, "role_ids": u.role_ids}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces a user's password hash (by an admin, or the user themselves) and ends their sessions.
pub async fn set_password(db: &Db, actor: &Actor, user_id: i64, password_hash: &str) -> Result<(), DbError> {
    if actor.user_id != Some(user_id) {
        actor.require("system:user:edit")?;
        ensure_user_manageable(db, actor, user_id).await?;
    }
    // A password someone else set is changed by its holder at the next login.
    let set_by_another = actor.user_id != Some(user_id);
    let now = Utc::now();
    let mut tx = db.begin().await?;
    crate::security::remember_replaced_password(&mut tx, user_id, now).await?;
    let n = tx
        .execute(&Sql::with(
            "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, password_changed_at = $2, \
             must_change_password = $3 WHERE id = $4",
            vec![password_hash.into(), now.into(), set_by_another.into(), user_id.into()],
        ))
        .await?;
    if n == 0 {
        return Err(DomainError::NotFound.into());
    }
    tx.execute(&Sql::with("DELETE FROM sessions WHERE user_id = $1", vec![user_id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "user.password",
            object_kind: "user",
            object_id: Some(user_id),
            unit_path: None,
            before: serde_json::Value::Null,
            after: json!({"password": "changed", "must_change_password": set_by_another}),
        },
    )
    .await?;
    tx.commit().await
}

/// Whether the actor may manage an account (its password, its second factor, whether it is
/// enabled): it must see the account's person, and hold every power the account holds, so that no
/// administrator can take over an account above its own (三员分立: the system administrator cannot
/// reset the auditor's password and log in as the auditor). Refused as not permitted.
pub(crate) async fn ensure_user_manageable(db: &Db, actor: &Actor, user_id: i64) -> Result<(), DbError> {
    ensure_user_visible(db, actor, user_id).await?;
    let held: Vec<(String,)> = db
        .all(&Sql::with(
            "SELECT r.permissions FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1",
            vec![user_id.into()],
        ))
        .await?;
    let above = held
        .iter()
        .flat_map(|(perms,)| perms.split(','))
        .filter(|p| !p.is_empty())
        .any(|p| !actor.can(p) && !actor.can("*:*:*"));
    if above {
        return Err(DomainError::Forbidden("system:user:edit".into()).into());
    }
    Ok(())
}

pub(crate) async fn ensure_user_visible(db: &Db, actor: &Actor, user_id: i64) -> Result<(), DbError> {
    if actor.scope.all {
        return Ok(());
    }
    let mut sql = Sql::new(
        "SELECT COUNT(*) FROM users us JOIN people p ON p.id = us.person_id JOIN units hu ON hu.id = p.home_unit_id WHERE us.id = ",
    );
    sql.bind(user_id).push(" AND ");
    crate::people::push_person_scope(&mut sql, &actor.scope);
    if db.count(&sql).await? == 0 {
        return Err(DomainError::NotFound.into());
    }
    Ok(())
}

/// Disables or re-enables an account (and clears a lockout); disabling ends its sessions.
pub async fn set_disabled(db: &Db, actor: &Actor, user_id: i64, disabled: bool) -> Result<(), DbError> {
    actor.require("system:user:edit")?;
    ensure_user_manageable(db, actor, user_id).await?;
    if actor.user_id == Some(user_id) && disabled {
        return Err(DomainError::Conflict("error.user.cannot_disable_self".into()).into());
    }
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "UPDATE users SET disabled = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
        vec![disabled.into(), user_id.into()],
    ))
    .await?;
    if disabled {
        tx.execute(&Sql::with("DELETE FROM sessions WHERE user_id = $1", vec![user_id.into()])).await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: if disabled { "user.disable" } else { "user.enable" },
            object_kind: "user",
            object_id: Some(user_id),
            unit_path: None,
            before: json!({"disabled": !disabled}),
            after: json!({"disabled": disabled}),
        },
    )
    .await?;
    tx.commit().await
}

/// How many accounts exist (a real install starts with none and no default password).
pub async fn user_count(db: &Db) -> Result<i64, DbError> {
    db.count(&Sql::new("SELECT COUNT(*) FROM users")).await
}

pub async fn role_id_by_key(db: &Db, key: &str) -> Result<Option<i64>, DbError> {
    let r: Option<(i64,)> = db.opt(&Sql::with("SELECT id FROM roles WHERE role_key = $1", vec![key.into()])).await?;
    Ok(r.map(|r| r.0))
}

/// The kinds of post a built-in role comes with (its holder's access): a village secretary's with
/// the 书记 post, a township secretary's with the 党委书记 post, a grid worker's with the 网格员 post.
fn builtin_post_kinds(role_key: &str) -> &'static str {
    match role_key {
        "village_secretary" => "secretary",
        "township_secretary" => "township_secretary",
        "grid_worker" => "grid_worker",
        _ => "",
    }
}

/// Whether a role's comma-separated `post_kinds` names a kind of post.
fn comes_with(post_kinds: &str, kind: &str) -> bool {
    post_kinds.split(',').any(|k| !k.is_empty() && k == kind)
}

/// Access that follows a post (issue 23 B.8): the roles that come with the post's kind are given to
/// the accounts of `arriving` (the new or acting holder), tied to the post, so they count from the
/// tenure's first day. Those `leaving` held through the post end with their tenure (the tie makes
/// `load_actor` stop counting them). Both are written to the audit log in the change's transaction.
pub(crate) async fn follow_post(
    tx: &mut Tx,
    actor: &Actor,
    post: &crate::people::PostView,
    leaving: Option<i64>,
    arriving: Option<i64>,
    on: chrono::NaiveDate,
) -> Result<(), DbError> {
    let roles: Vec<(i64, String, String)> =
        tx.all(&Sql::new("SELECT id, role_key, post_kinds FROM roles WHERE post_kinds <> ''")).await?;
    let roles: Vec<(i64, String)> =
        roles.into_iter().filter(|(_, _, kinds)| comes_with(kinds, &post.kind)).map(|(id, key, _)| (id, key)).collect();
    if roles.is_empty() {
        return Ok(());
    }
    let mut ends = Vec::new();
    if let Some(person) = leaving {
        let held: Vec<(i64, String)> = tx
            .all(&Sql::with(
                "SELECT ur.user_id, r.role_key FROM user_roles ur JOIN users us ON us.id = ur.user_id \
                 JOIN roles r ON r.id = ur.role_id WHERE us.person_id = $1 AND ur.post_id = $2 ORDER BY ur.user_id",
                vec![person.into(), post.id.into()],
            ))
            .await?;
        ends.extend(held.into_iter().map(|(user, role)| json!({"user_id": user, "role": role})));
    }
    let mut begins = Vec::new();
    if let Some(person) = arriving {
        let users: Vec<(i64,)> = tx
            .all(&Sql::with(
                "SELECT id FROM users WHERE person_id = $1 AND disabled = FALSE ORDER BY id",
                vec![person.into()],
            ))
            .await?;
        for (user,) in users {
            for (role, key) in &roles {
                let held: Option<(Option<i64>,)> = tx
                    .opt(&Sql::with(
                        "SELECT post_id FROM user_roles WHERE user_id = $1 AND role_id = $2",
                        vec![user.into(), (*role).into()],
                    ))
                    .await?;
                match held {
                    // Given outright by an administrator: it stays so.
                    Some((None,)) => continue,
                    Some((Some(_),)) => {
                        tx.execute(&Sql::with(
                            "UPDATE user_roles SET post_id = $1 WHERE user_id = $2 AND role_id = $3",
                            vec![post.id.into(), user.into(), (*role).into()],
                        ))
                        .await?;
                    }
                    None => {
                        tx.execute(&Sql::with(
                            "INSERT INTO user_roles (user_id, role_id, post_id) VALUES ($1, $2, $3)",
                            vec![user.into(), (*role).into(), post.id.into()],
                        ))
                        .await?;
                    }
                }
                begins.push(json!({"user_id": user, "role": key}));
            }
        }
    }
    if ends.is_empty() && begins.is_empty() {
        return Ok(());
    }
    audit::append(
        tx,
        actor,
        Change {
            action: "post.access",
            object_kind: "post",
            object_id: Some(post.id),
            unit_path: Some(&post.unit_path),
            before: json!({"ends": ends, "on": on}),
            after: json!({"begins": begins, "on": on}),
        },
    )
    .await?;
    Ok(())
}

/// The name the built-in all-powerful role is created with (it was 系统管理员 before the three
/// administrators came; an install that kept that name has it renamed once).
const SUPERUSER_NAME: &str = "超级管理员";
const FORMER_SUPERUSER_NAME: &str = "系统管理员";

/// The system administrator's powers: accounts and roles, and the unit tree to place them in;
/// no people, no business data, no audit log, no security settings.
const SYSTEM_ADMIN_PERMISSIONS: &str = "units:unit:list,system:user:list,system:user:add,system:user:edit,system:role:list,system:role:add,system:role:edit";

/// The built-in administrators' roles: each signs in with a second factor on a new install.
pub const ADMINISTRATORS: [&str; 4] = ["admin", "system_admin", "security_admin", "audit_admin"];

/// The built-in roles every install starts with, after RuoYi's: an administrator, the county
/// organisation department, a township secretary, a village secretary, a grid worker, an inspection
/// team member (督导组成员) and a party member. Created
/// once; an install may edit them afterwards.
pub async fn ensure_builtin_roles(db: &Db) -> Result<(), DbError> {
    let read_people = "units:unit:list,people:person:list,people:post:list";
    let manage = "units:unit:list,units:unit:add,units:unit:edit,units:unit:remove,people:person:list,people:person:add,\
people:person:edit,people:person:import,people:person:export,people:post:list,people:post:add,people:post:edit";
    let duties = "duty:*:*,work:*:*,order:*:*";
    let supervise = "inspect:*:*,account:*:*,judge:*:*,honour:*:*,report:*:*";
    let answer = "inspect:finding:list,inspect:finding:rectify,inspect:burden:list,judge:scheme:list,judge:score:list,\
judge:laggard:list,judge:laggard:report,judge:weak:list,judge:weak:report,honour:commend:list,honour:deed:list,honour:deed:edit,honour:selection:list,\
honour:selection:nominate,honour:care:list,honour:care:edit,report:bulletin:list,report:dashboard:view";
    let field = "duty:link:list,duty:role:list,duty:role:claim,duty:deploy:list,work:task:list,work:task:sign,\
work:roster:list,work:roster:check,work:survey:list,work:survey:fill,work:meeting:list,work:life:list,\
work:life:checkin,order:request:list,order:request:intake";
    let builtin: [(&str, &str, &str, String); 10] = [
        ("admin", SUPERUSER_NAME, "all", "*:*:*".to_string()),
        // 三员分立 (等保 level 3): accounts and roles, without business data or the audit log;
        // security settings, without accounts; the audit log and security events, changing nothing.
        ("system_admin", "系统管理员", "all", SYSTEM_ADMIN_PERMISSIONS.to_string()),
        ("security_admin", "安全管理员", "all", "system:security:list,system:security:edit".to_string()),
        ("audit_admin", "安全审计员", "all", "system:audit:list,system:security:list".to_string()),
        (
            "county_org",
            "县委组织部",
            "listed",
            format!(
                "{manage},{duties},{supervise},system:user:list,system:user:add,system:user:edit,system:role:list,system:role:add,system:role:edit,system:audit:list,system:setting:edit"
            ),
        ),
        (
            "township_secretary",
            "乡镇党委书记",
            "own_unit_and_below",
            format!("{manage},{duties},{supervise},system:user:list,system:user:add,system:audit:list"),
        ),
        ("village_secretary", "村党组织书记", "own_unit_and_below", format!("{manage},{duties},{answer}")),
        ("grid_worker", "网格员", "own_unit", format!("{read_people},{field}")),
        (
            "inspection_team",
            "督导组成员",
            "listed",
            format!(
                "{read_people},inspect:round:list,inspect:visit:log,inspect:finding:list,inspect:finding:decide,inspect:notice:edit"
            ),
        ),
        (
            "member",
            "党员",
            "self_only",
            "duty:role:list,duty:role:claim,work:task:list,work:task:sign,work:roster:check,work:meeting:list,\
work:life:checkin"
                .to_string(),
        ),
    ];
    let mut tx = db.begin().await?;
    for (key, name, scope, perms) in builtin {
        let exists = tx.count(&Sql::with("SELECT COUNT(*) FROM roles WHERE role_key = $1", vec![key.into()])).await?;
        if exists == 0 {
            let post_kinds = builtin_post_kinds(key);
            let id = tx
                .insert(&Sql::with(
                    "INSERT INTO roles (role_key, name, data_scope, permissions, post_kinds, requires_second_factor, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    vec![
                        key.into(),
                        name.into(),
                        scope.into(),
                        perms.clone().into(),
                        post_kinds.into(),
                        // Administrators sign in with a second factor on every new install.
                        ADMINISTRATORS.contains(&key).into(),
                        Utc::now().into(),
                    ],
                ))
                .await?;
            audit::append(
                &mut tx,
                &Actor::system("setup"),
                Change {
                    action: "role.create",
                    object_kind: "role",
                    object_id: Some(id),
                    unit_path: None,
                    before: serde_json::Value::Null,
                    after: json!({"role_key": key, "data_scope": scope, "permissions": perms}),
                },
            )
            .await?;
        } else if key == "admin" {
            // The all-powerful role gives its old name to the system administrator of the three.
            let renamed = tx
                .execute(&Sql::with(
                    "UPDATE roles SET name = $1 WHERE role_key = 'admin' AND name = $2",
                    vec![SUPERUSER_NAME.into(), FORMER_SUPERUSER_NAME.into()],
                ))
                .await?;
            if renamed > 0 {
                let (admin_id,): (i64,) = tx.one(&Sql::new("SELECT id FROM roles WHERE role_key = 'admin'")).await?;
                audit::append(
                    &mut tx,
                    &Actor::system("setup"),
                    Change {
                        action: "role.upgrade",
                        object_kind: "role",
                        object_id: Some(admin_id),
                        unit_path: None,
                        before: json!({"role_key": "admin", "name": FORMER_SUPERUSER_NAME}),
                        after: json!({"role_key": "admin", "name": SUPERUSER_NAME}),
                    },
                )
                .await?;
            }
        } else {
            // An install made before an area's permissions existed gets them once; a role that
            // already names any permission of the area is left as its administrator set it.
            let (id, current): (i64, String) =
                tx.one(&Sql::with("SELECT id, permissions FROM roles WHERE role_key = $1", vec![key.into()])).await?;
            let added: Vec<&str> = ["duty:", "work:", "order:", "inspect:", "account:", "judge:", "honour:", "report:"]
                .iter()
                .filter(|area| !current.contains(*area))
                .flat_map(|area| perms.split(',').filter(move |p| p.starts_with(area)))
                .collect();
            if !current.contains("*:*:*") && !added.is_empty() {
                let updated = format!("{current},{}", added.join(","));
                tx.execute(&Sql::with(
                    "UPDATE roles SET permissions = $1 WHERE id = $2",
                    vec![updated.clone().into(), id.into()],
                ))
                .await?;
                audit::append(
                    &mut tx,
                    &Actor::system("setup"),
                    Change {
                        action: "role.upgrade",
                        object_kind: "role",
                        object_id: Some(id),
                        unit_path: None,
                        before: json!({"permissions": current}),
                        after: json!({"permissions": updated}),
                    },
                )
                .await?;
            }
        }
    }
    tx.commit().await
}

/// Changes a role's name, scope, permissions and listed units (its key stays). The actor must be
/// able to grant both the role as it is and the role as it will be, so nobody can take over or
/// widen a role above their own rank.
pub async fn update_role(db: &Db, actor: &Actor, role_id: i64, input: &RoleInput) -> Result<(), DbError> {
    actor.require("system:role:edit")?;
    let mut tx = db.begin().await?;
    let before: Option<RoleView> =
        tx.opt(&Sql::with(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE id = $1"), vec![role_id.into()])).await?;
    let before = before.ok_or(DomainError::NotFound)?;
    let current_too_wide = (before.data_scope == "all" && !actor.scope.all)
        || before.permissions.split(',').filter(|p| !p.is_empty()).any(|p| !actor.can(p) && !actor.can("*:*:*"));
    if current_too_wide {
        return Err(DomainError::Forbidden("system:role:edit".into()).into());
    }
    // The administrator role always holds everything: no one can lock everyone out by editing it.
    if before.role_key == "admin" {
        return Err(DomainError::Conflict("error.role.admin_fixed".into()).into());
    }
    let input = RoleInput { role_key: before.role_key.clone(), ..input.clone() };
    let (_, name, scope, perms) = validate_role(&mut tx, actor, &input).await?;
    let before_units: Vec<(i64,)> = tx
        .all(&Sql::with("SELECT unit_id FROM role_units WHERE role_id = $1 ORDER BY unit_id", vec![role_id.into()]))
        .await?;
    tx.execute(&Sql::with(
        "UPDATE roles SET name = $1, data_scope = $2, permissions = $3, requires_second_factor = $4 WHERE id = $5",
        vec![
            name.clone().into(),
            scope.as_str().into(),
            perms.join(",").into(),
            input.requires_second_factor.into(),
            role_id.into(),
        ],
    ))
    .await?;
    set_role_units(&mut tx, role_id, &input.unit_ids).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "role.update",
            object_kind: "role",
            object_id: Some(role_id),
            unit_path: None,
            before: json!({"name": before.name, "data_scope": before.data_scope, "permissions": before.permissions,
                           "unit_ids": before_units.iter().map(|u| u.0).collect::<Vec<_>>(),
                           "requires_second_factor": before.requires_second_factor}),
            after: json!({"name": name, "data_scope": scope.as_str(), "permissions": perms, "unit_ids": input.unit_ids,
                          "requires_second_factor": input.requires_second_factor}),
        },
    )
    .await?;
    tx.commit().await
}

/// The login name and password hash of an account, by id.
pub async fn credentials_by_id(db: &Db, user_id: i64) -> Result<Credentials, DbError> {
    db.one(&Sql::with(
        "SELECT id, username, password_hash, failed_logins, locked_until, disabled FROM users WHERE id = $1",
        vec![user_id.into()],
    ))
    .await
}

/// Replaces the listed units of a role.
async fn set_role_units(tx: &mut Tx, role_id: i64, unit_ids: &[i64]) -> Result<(), DbError> {
    tx.execute(&Sql::with("DELETE FROM role_units WHERE role_id = $1", vec![role_id.into()])).await?;
    let rows = unit_ids.iter().map(|u| vec![role_id.into(), (*u).into()]).collect();
    tx.insert_rows("role_units", &["role_id", "unit_id"], rows).await?;
    Ok(())
}

/// An API token as its owner sees it: never the secret.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

/// The caller's own API tokens.
pub async fn my_tokens(db: &Db, actor: &Actor) -> Result<Vec<TokenView>, DbError> {
    let user_id = actor.user_id.ok_or(DomainError::NotFound)?;
    db.all(&Sql::with(
        "SELECT id, name, created_at, revoked FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
        vec![user_id.into()],
    ))
    .await
}

/// Revokes one of the caller's own tokens.
pub async fn revoke_my_token(db: &Db, actor: &Actor, token_id: i64) -> Result<(), DbError> {
    let user_id = actor.user_id.ok_or(DomainError::NotFound)?;
    let mut tx = db.begin().await?;
    let n = tx
        .execute(&Sql::with(
            "UPDATE api_tokens SET revoked = TRUE WHERE id = $1 AND user_id = $2 AND revoked = FALSE",
            vec![token_id.into(), user_id.into()],
        ))
        .await?;
    if n == 0 {
        return Err(DomainError::NotFound.into());
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "token.revoke",
            object_kind: "api_token",
            object_id: Some(token_id),
            unit_path: None,
            before: json!({"revoked": false}),
            after: json!({"revoked": true}),
        },
    )
    .await?;
    tx.commit().await
}

/// The data scopes a role may have, in the API document.
pub fn data_scopes() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_schema(frontline_core::access::DataScope::ALL.map(|d| d.as_str()))
}
