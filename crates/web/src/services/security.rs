//! The security settings as the page and the API both show and change them (issue 29): the
//! password policy kept in the store, and the session limits this server was started with.

use frontline_core::access::Actor;
use frontline_core::security::PasswordPolicy;
use frontline_db::Db;
use serde::Serialize;

use crate::{AppError, Config};

/// The install's security settings as they stand.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecuritySettings {
    pub password_policy: PasswordPolicy,
    /// Minutes a session may go unused (`frontline serve --idle-minutes`).
    pub idle_minutes: i64,
    /// Hours a session lasts however busy.
    pub session_hours: i64,
    /// Whether the administrator is split into three (三员分立; `frontline admin split`).
    pub separation_of_duties: bool,
    /// The audit chain's hash from its newest entry on: `sha256`, or `sm3` (国密) once chosen.
    pub audit_hash: String,
    /// Days the audit log keeps its entries (0: forever; else at least 183).
    pub audit_keep_days: u32,
}

/// How long the audit log keeps its entries, as typed.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditRetention {
    /// 0 keeps every entry; otherwise 183 (six months) to 3650.
    pub keep_days: u32,
}

/// The settings, for whoever may read them (the security administrator; the auditor reads them
/// too, changing nothing).
pub async fn settings(db: &Db, actor: &Actor, config: &Config) -> Result<SecuritySettings, AppError> {
    actor.require("system:security:list")?;
    Ok(SecuritySettings {
        password_policy: frontline_db::security::password_policy(db).await?,
        idle_minutes: config.idle_minutes,
        session_hours: config.session_hours,
        separation_of_duties: frontline_db::security::separation_of_duties(db).await?,
        audit_hash: if frontline_db::audit::uses_sm3(db).await? { "sm3" } else { "sha256" }.to_string(),
        audit_keep_days: frontline_db::security::audit_retention(db).await?,
    })
}

/// Sets how long the audit log keeps its entries; answers with the settings as they now stand.
pub async fn set_audit_retention(
    db: &Db,
    actor: &Actor,
    config: &Config,
    retention: AuditRetention,
) -> Result<SecuritySettings, AppError> {
    frontline_db::security::set_audit_retention(db, actor, retention.keep_days).await?;
    settings(db, actor, config).await
}

/// Turns the audit chain to SM3 (no way back); answers with the settings as they now stand.
pub async fn use_sm3_for_audit(db: &Db, actor: &Actor, config: &Config) -> Result<SecuritySettings, AppError> {
    frontline_db::security::use_sm3_for_audit(db, actor).await?;
    settings(db, actor, config).await
}

/// Sets the password policy; answers with the settings as they now stand.
pub async fn set_password_policy(
    db: &Db,
    actor: &Actor,
    config: &Config,
    policy: PasswordPolicy,
) -> Result<SecuritySettings, AppError> {
    frontline_db::security::set_password_policy(db, actor, policy).await?;
    settings(db, actor, config).await
}

/// 自检: each level-3 item this product covers, judged from the install's settings, and the items
/// its operator must see to outside it.
pub async fn self_check(
    db: &Db,
    actor: &Actor,
    config: &Config,
) -> Result<Vec<frontline_core::security::Check>, AppError> {
    let s = settings(db, actor, config).await?;
    let roles = frontline_db::access::list_roles(db).await?;
    let administrators_without_factor = roles
        .iter()
        .filter(|r| frontline_db::access::ADMINISTRATORS.contains(&r.role_key.as_str()) && !r.requires_second_factor)
        .count();
    let facts = frontline_core::security::InstallFacts {
        password_policy: s.password_policy,
        idle_minutes: s.idle_minutes,
        session_hours: s.session_hours,
        secure_cookies: config.secure_cookies,
        separation_of_duties: s.separation_of_duties,
        administrators_without_factor,
        audit_sm3: s.audit_hash == "sm3",
        audit_keep_days: s.audit_keep_days,
        seal_key_loaded: frontline_db::seal::current_key_id().is_some(),
    };
    Ok(frontline_core::security::self_check(&facts))
}
