//! 安全设置, the security administrator's page (issue 29): the password policy (age, history),
//! with the session limits this server runs with beside it. The use cases are
//! `services::security`.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use frontline_core::security::PasswordPolicy;

use super::{Chrome, FormData, UiResult, change, render};
use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::services::security::{self, SecuritySettings};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/security", get(settings_page))
        .route("/security/password-policy", post(set_password_policy))
        .route("/security/audit-sm3", post(use_sm3_for_audit))
        .route("/security/audit-retention", post(set_audit_retention))
        .route("/security/self-check", get(self_check_page))
}

#[derive(Template)]
#[template(path = "security.html")]
struct SettingsPage {
    t: Tr,
    c: Chrome,
    s: SecuritySettings,
    can_edit: bool,
}

async fn settings_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let s = security::settings(&state.db, &ctx.actor, &state.config).await.map_err(|e| e.into_html(lang))?;
    let can_edit = ctx.actor.can("system:security:edit");
    render(&SettingsPage { t: Tr(lang), c: Chrome::new(&ctx, "/security"), s, can_edit }, lang)
}

/// A whole number typed in a field of the form, or the field's error.
fn number(form: &FormData, key: &str) -> Result<u32, AppError> {
    form.get(key)
        .trim()
        .parse()
        .map_err(|_| AppError::Domain(frontline_core::DomainError::invalid(key, "error.not_a_number")))
}

async fn set_password_policy(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let policy =
            PasswordPolicy { max_age_days: number(&form, "max_age_days")?, history: number(&form, "history")? };
        security::set_password_policy(&state.db, &ctx.actor, &state.config, policy).await?;
        Ok(())
    })
    .await
}

async fn use_sm3_for_audit(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    change(ctx.lang, async {
        security::use_sm3_for_audit(&state.db, &ctx.actor, &state.config).await?;
        Ok(())
    })
    .await
}

async fn set_audit_retention(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let retention = security::AuditRetention { keep_days: number(&form, "keep_days")? };
        security::set_audit_retention(&state.db, &ctx.actor, &state.config, retention).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "security_self_check.html")]
struct SelfCheckPage {
    t: Tr,
    c: Chrome,
    checks: Vec<frontline_core::security::Check>,
}

/// 自检: how the install stands against each level-3 item, and what the operator must still do.
async fn self_check_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let checks = security::self_check(&state.db, &ctx.actor, &state.config).await.map_err(|e| e.into_html(lang))?;
    render(&SelfCheckPage { t: Tr(lang), c: Chrome::new(&ctx, "/security"), checks }, lang)
}
