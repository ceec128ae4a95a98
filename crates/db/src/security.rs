//! The install's security settings in the store (issue 29, 等保 2.0 level 3): the password
//! policy the security administrator sets, and what it asks of one account — whether its
//! password must be changed at this login, and the hashes of its last passwords (none may come
//! back). The rules are `frontline_core::security`; hashing stays in `web::auth`.

use chrono::{DateTime, Utc};
use frontline_core::DomainError;
use frontline_core::access::Actor;
use frontline_core::security::{self, ChangeReason, PasswordPolicy};
use serde_json::json;

use crate::audit::{self, Change};
use crate::{Db, DbError, Sql, Tx};

const MAX_AGE_DAYS: &str = "password.max_age_days";
const HISTORY: &str = "password.history";

/// The password policy in force: the settings stored, the defaults where none is.
pub async fn password_policy(db: &Db) -> Result<PasswordPolicy, DbError> {
    let rows: Vec<(String, String)> = db
        .all(&Sql::with(
            "SELECT setting_key, setting_value FROM security_settings WHERE setting_key IN ($1, $2)",
            vec![MAX_AGE_DAYS.into(), HISTORY.into()],
        ))
        .await?;
    let mut policy = PasswordPolicy::default();
    for (key, value) in rows {
        // A value this release cannot read keeps the default (and the self-check page shows it).
        let Ok(n) = value.parse::<u32>() else { continue };
        match key.as_str() {
            MAX_AGE_DAYS => policy.max_age_days = n,
            HISTORY => policy.history = n,
            _ => {}
        }
    }
    Ok(policy)
}

/// Sets the password policy (the security administrator's), audited with its values before and
/// after.
pub async fn set_password_policy(db: &Db, actor: &Actor, policy: PasswordPolicy) -> Result<(), DbError> {
    actor.require("system:security:edit")?;
    let policy = policy.validate().map_err(DomainError::Invalid)?;
    let before = password_policy(db).await?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    for (key, value) in [(MAX_AGE_DAYS, policy.max_age_days), (HISTORY, policy.history)] {
        put_setting(&mut tx, key, value.to_string(), now).await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "security.password_policy",
            object_kind: "security_settings",
            object_id: None,
            unit_path: None,
            before: json!(before),
            after: json!(policy),
        },
    )
    .await?;
    tx.commit().await
}

/// An account's password as the policy sees it: when it was set, and whether by someone else.
#[derive(Debug, Clone, sqlx::FromRow)]
struct PasswordAge {
    password_changed_at: Option<DateTime<Utc>>,
    must_change_password: bool,
}

/// Whether the account must change its password before it may do anything else, and why.
pub async fn change_due(db: &Db, user_id: i64, now: DateTime<Utc>) -> Result<Option<ChangeReason>, DbError> {
    let age: PasswordAge = db
        .opt(&Sql::with(
            "SELECT password_changed_at, must_change_password FROM users WHERE id = $1",
            vec![user_id.into()],
        ))
        .await?
        .ok_or(DomainError::NotFound)?;
    let policy = password_policy(db).await?;
    Ok(security::change_due(policy, age.password_changed_at, age.must_change_password, now))
}

/// When the account's password must next be changed, where passwords age.
pub async fn password_expires_at(db: &Db, user_id: i64) -> Result<Option<DateTime<Utc>>, DbError> {
    let (changed_at,): (Option<DateTime<Utc>>,) = db
        .opt(&Sql::with("SELECT password_changed_at FROM users WHERE id = $1", vec![user_id.into()]))
        .await?
        .ok_or(DomainError::NotFound)?;
    let policy = password_policy(db).await?;
    Ok(changed_at.and_then(|at| policy.expires_at(at)))
}

/// The hashes a new password of the account may not match: the one in use and the ones it
/// replaced, newest first, `policy.history` in all.
pub async fn recent_password_hashes(db: &Db, user_id: i64) -> Result<Vec<String>, DbError> {
    let policy = password_policy(db).await?;
    let (current,): (String,) = db
        .opt(&Sql::with("SELECT password_hash FROM users WHERE id = $1", vec![user_id.into()]))
        .await?
        .ok_or(DomainError::NotFound)?;
    let earlier: Vec<(String,)> = db
        .all(&Sql::with(
            "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY replaced_at DESC LIMIT $2",
            vec![user_id.into(), i64::from(policy.history.saturating_sub(1)).into()],
        ))
        .await?;
    Ok(std::iter::once(current).chain(earlier.into_iter().map(|(h,)| h)).collect())
}

/// Inside a password change: keeps the hash being replaced in the account's history (the
/// longest history an install may ask for, no more).
pub(crate) async fn remember_replaced_password(tx: &mut Tx, user_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    tx.execute(&Sql::with(
        "INSERT INTO password_history (user_id, password_hash, replaced_at) \
         SELECT id, password_hash, $1 FROM users WHERE id = $2",
        vec![now.into(), user_id.into()],
    ))
    .await?;
    let kept: Vec<(DateTime<Utc>,)> = tx
        .all(&Sql::with(
            "SELECT replaced_at FROM password_history WHERE user_id = $1 ORDER BY replaced_at DESC LIMIT 1 OFFSET $2",
            vec![user_id.into(), i64::from(security::HISTORY_LIMIT).into()],
        ))
        .await?;
    if let Some((oldest_kept,)) = kept.first() {
        tx.execute(&Sql::with(
            "DELETE FROM password_history WHERE user_id = $1 AND replaced_at <= $2",
            vec![user_id.into(), (*oldest_kept).into()],
        ))
        .await?;
    }
    Ok(())
}

const SEPARATION: &str = "separation_of_duties";

/// Whether the install has split its administrator into three (三员分立): then no account may be
/// given the all-powerful role, and the system, security and audit administrators each hold
/// their own part.
pub async fn separation_of_duties(db: &Db) -> Result<bool, DbError> {
    Ok(setting(db, SEPARATION).await?.is_some_and(|v| v == "on"))
}

/// Sets whether the administrator is split, audited (the operator's command or the demo).
pub async fn set_separation_of_duties(db: &Db, actor: &Actor, on: bool) -> Result<(), DbError> {
    let before = separation_of_duties(db).await?;
    let mut tx = db.begin().await?;
    write_separation(&mut tx, actor, before, on).await?;
    tx.commit().await
}

async fn write_separation(tx: &mut Tx, actor: &Actor, before: bool, on: bool) -> Result<(), DbError> {
    put_setting(tx, SEPARATION, if on { "on" } else { "off" }, Utc::now()).await?;
    audit::append(
        tx,
        actor,
        Change {
            action: "security.separation_of_duties",
            object_kind: "security_settings",
            object_id: None,
            unit_path: None,
            before: json!({"separation_of_duties": before}),
            after: json!({"separation_of_duties": on}),
        },
    )
    .await?;
    Ok(())
}

/// A new install (no account yet, nothing chosen) splits its administrator from the start.
/// Returns whether it did.
pub async fn settle_new_install(db: &Db) -> Result<bool, DbError> {
    let chosen = db
        .count(&Sql::with("SELECT COUNT(*) FROM security_settings WHERE setting_key = $1", vec![SEPARATION.into()]))
        .await?;
    if chosen > 0 || crate::access::user_count(db).await? > 0 {
        return Ok(false);
    }
    set_separation_of_duties(db, &Actor::system("setup"), true).await?;
    Ok(true)
}

/// Splits the administrator of an existing install (`frontline admin split`): the separation is
/// turned on, and every account that held the all-powerful role holds the system administrator's
/// instead (the operator then makes the security and audit administrators, each for another
/// person). Returns the usernames moved.
pub async fn split_administrators(db: &Db, actor: &Actor) -> Result<Vec<String>, DbError> {
    let before = separation_of_duties(db).await?;
    let mut tx = db.begin().await?;
    let moved: Vec<(i64, String)> = tx
        .all(&Sql::new(
            "SELECT u.id, u.username FROM users u JOIN user_roles ur ON ur.user_id = u.id \
             JOIN roles r ON r.id = ur.role_id WHERE r.role_key = 'admin' ORDER BY u.username",
        ))
        .await?;
    let (system_admin,): (i64,) = tx.one(&Sql::new("SELECT id FROM roles WHERE role_key = 'system_admin'")).await?;
    for (user_id, username) in &moved {
        tx.execute(&Sql::with(
            "DELETE FROM user_roles WHERE user_id = $1 AND role_id IN (SELECT id FROM roles WHERE role_key = 'admin')",
            vec![(*user_id).into()],
        ))
        .await?;
        tx.execute(&Sql::with(
            "INSERT INTO user_roles (user_id, role_id, post_id) SELECT $1, $2, NULL WHERE NOT EXISTS \
             (SELECT 1 FROM user_roles WHERE user_id = $1 AND role_id = $2)",
            vec![(*user_id).into(), system_admin.into()],
        ))
        .await?;
        // Its sessions end: the powers it logged in with are gone.
        tx.execute(&Sql::with("DELETE FROM sessions WHERE user_id = $1", vec![(*user_id).into()])).await?;
        audit::append(
            &mut tx,
            actor,
            Change {
                action: "user.roles",
                object_kind: "user",
                object_id: Some(*user_id),
                unit_path: None,
                before: json!({"username": username, "roles": ["admin"]}),
                after: json!({"username": username, "roles": ["system_admin"]}),
            },
        )
        .await?;
    }
    write_separation(&mut tx, actor, before, true).await?;
    tx.commit().await?;
    Ok(moved.into_iter().map(|(_, name)| name).collect())
}

/// Turns the audit chain to SM3 (国密, GB/T 39786): the entry that records the switch is the first
/// hashed with SM3, and every entry after it follows (`audit::append`); the entries before keep
/// SHA-256 and verify as they are. There is no way back. Answers whether the chain was turned now
/// (false: it already was).
pub async fn use_sm3_for_audit(db: &Db, actor: &Actor) -> Result<bool, DbError> {
    actor.require("system:security:edit")?;
    if audit::uses_sm3(db).await? {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    put_setting(&mut tx, AUDIT_HASH, "sm3", Utc::now()).await?;
    audit::append_at_least(
        &mut tx,
        actor,
        Change {
            action: "security.audit_hash",
            object_kind: "security_settings",
            object_id: None,
            unit_path: None,
            before: json!({"audit_hash": "sha256"}),
            after: json!({"audit_hash": "sm3"}),
        },
        frontline_core::audit::SM3_VERSION,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

const AUDIT_HASH: &str = "audit.hash";

/// Writes a security event the web layer saw (a permission denied, a file exported) to the audit
/// log: who, from where, and what was asked.
pub async fn record_event(db: &Db, actor: &Actor, action: &str, detail: serde_json::Value) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action,
            object_kind: "request",
            object_id: None,
            unit_path: None,
            before: serde_json::Value::Null,
            after: detail,
        },
    )
    .await?;
    tx.commit().await
}

const AUDIT_KEEP_DAYS: &str = "audit.keep_days";

/// How many days the audit log keeps its entries (0: forever, the default).
pub async fn audit_retention(db: &Db) -> Result<u32, DbError> {
    Ok(setting(db, AUDIT_KEEP_DAYS).await?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Sets how long the audit log keeps its entries: 0 (forever) or six months to ten years; the
/// jobs loop prunes what is older.
pub async fn set_audit_retention(db: &Db, actor: &Actor, keep_days: u32) -> Result<(), DbError> {
    actor.require("system:security:edit")?;
    let keep_days = frontline_core::audit::validate_retention(keep_days).map_err(|e| DomainError::Invalid(vec![e]))?;
    let before = audit_retention(db).await?;
    let mut tx = db.begin().await?;
    put_setting(&mut tx, AUDIT_KEEP_DAYS, keep_days.to_string(), Utc::now()).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "security.audit_retention",
            object_kind: "security_settings",
            object_id: None,
            unit_path: None,
            before: json!({"keep_days": before}),
            after: json!({"keep_days": keep_days}),
        },
    )
    .await?;
    tx.commit().await
}

/// One setting's stored value, if it was ever set.
async fn setting(db: &Db, key: &str) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = db
        .opt(&Sql::with("SELECT setting_value FROM security_settings WHERE setting_key = $1", vec![key.into()]))
        .await?;
    Ok(row.map(|(v,)| v))
}

/// Writes one setting (inserted, or replacing the value there).
async fn put_setting(
    tx: &mut Tx,
    key: &str,
    value: impl Into<crate::Value>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(&Sql::with(
        "INSERT INTO security_settings (setting_key, setting_value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (setting_key) DO UPDATE SET setting_value = excluded.setting_value, updated_at = excluded.updated_at",
        vec![key.into(), value.into(), now.into()],
    ))
    .await?;
    Ok(())
}
