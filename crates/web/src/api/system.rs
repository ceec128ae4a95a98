//! `/api/v1/auth`, `/api/v1/me`, `/api/v1/users`, `/api/v1/roles`, `/api/v1/audit`.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use frontline_db::Page;
use frontline_db::access::{self, RoleInput, RoleView, UserView};
use frontline_db::audit::{self, AuditQuery, AuditView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::auth::{ApiCtx, ApiLang, check_login};
use crate::error::ErrorBody;
use crate::services::todo::{self, TodoItem};
use crate::services::{self, UserInput};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/token", post(token))
        .route("/me", get(me))
        .route("/me/todo", get(my_todo))
        .route("/me/password", post(change_password))
        .route("/me/tokens", get(my_tokens))
        .route("/me/tokens/{id}/revoke", post(revoke_token))
        .route("/users", get(users).post(create_user))
        .route("/roles", get(roles).post(create_role))
        .route("/roles/{id}", axum::routing::put(update_role))
        .route("/security", get(security_settings))
        .route("/security/password-policy", axum::routing::put(set_password_policy))
        .route("/security/audit-sm3", post(use_sm3_for_audit))
        .route("/security/audit-retention", axum::routing::put(set_audit_retention))
        .route("/security/self-check", get(self_check))
        .route("/audit", get(audit))
        .route("/audit/security-summary", get(security_summary))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
    /// What the token is for, e.g. the name of the integrating system.
    pub name: String,
    /// For an account with a second factor: a code of its authenticator app, or a recovery code.
    #[serde(default)]
    #[schema(max_length = 20)]
    pub code: String,
    /// For an account whose password must be changed first (set by an administrator, or past its
    /// age): the new password, which replaces it before the token is issued.
    #[serde(default)]
    #[schema(max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Shown once; send as `Authorization: Bearer <token>`.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "system", request_body = TokenRequest, security(()),
    responses((status = 201, body = TokenResponse), (status = 409, description = "Wrong credentials, a second factor needed or wrong, locked, or a new password needed first", body = ErrorBody), (status = 422, description = "The new password breaks the rules or was used lately", body = ErrorBody)))]
pub async fn token(
    State(s): State<AppState>,
    ApiLang(lang, ip): ApiLang,
    ApiJson(b): ApiJson<TokenRequest>,
) -> Result<Response, Response> {
    let user_id = check_login(&s, &b.username, &b.password, &ip).await.api(lang)?;
    let has_factor = frontline_db::second_factor::enabled(&s.db, user_id).await.api(lang)?;
    if !has_factor && frontline_db::second_factor::required(&s.db, user_id).await.api(lang)? {
        let enrol = frontline_core::DomainError::Conflict("error.second_factor.enrol_first".into());
        return Err(crate::AppError::Domain(enrol)).api(lang);
    }
    if has_factor {
        if b.code.trim().is_empty() {
            let needed = frontline_core::DomainError::Conflict("error.second_factor.needed".into());
            return Err(crate::AppError::Domain(needed)).api(lang);
        }
        crate::auth::check_second_factor(&s, user_id, &b.code, &ip).await.api(lang)?;
    }
    let actor = access::load_actor(&s.db, user_id, &ip).await.api(lang)?;
    if frontline_db::security::change_due(&s.db, user_id, chrono::Utc::now()).await.api(lang)?.is_some() {
        if b.new_password.is_empty() {
            let due = frontline_core::DomainError::Conflict("error.password.change_due".into());
            return Err(crate::AppError::Domain(due)).api(lang);
        }
        services::choose_own_password(&s.db, &actor, &b.new_password, &b.new_password).await.api(lang)?;
    }
    let token = services::issue_token(&s.db, &actor, user_id, &b.name).await.api(lang)?;
    Ok(created(TokenResponse { token }))
}

/// 待办: what waits on the caller, each count with the page that lists it.
#[utoipa::path(get, path = "/api/v1/me/todo", tag = "system", responses((status = 200, body = Vec<TodoItem>)))]
pub async fn my_todo(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<TodoItem>>, Response> {
    todo::todo(&s.db, &ctx.actor, chrono::Utc::now()).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: Option<i64>,
    pub name: String,
    pub permissions: Vec<String>,
    /// True when the caller's scope is every unit.
    pub all_units: bool,
    /// Paths of the subtrees the caller reaches.
    pub subtrees: Vec<String>,
    /// Paths of single units the caller reaches.
    pub units: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "system", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ctx: ApiCtx) -> Json<Me> {
    Json(Me {
        user_id: ctx.actor.user_id,
        name: ctx.actor.name.clone(),
        permissions: ctx.actor.permissions.clone(),
        all_units: ctx.actor.scope.all,
        subtrees: ctx.actor.scope.subtrees.clone(),
        units: ctx.actor.scope.units.clone(),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "system", params(PageParams), responses((status = 200, body = Page<UserView>)))]
pub async fn users(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<PageParams>,
) -> Result<Json<Page<UserView>>, Response> {
    ctx.actor.require("system:user:list").api(ctx.lang)?;
    access::list_users(&s.db, &ctx.actor.scope, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedId {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "system", request_body = UserInput,
    responses((status = 201, body = CreatedId), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<UserInput>,
) -> Result<Response, Response> {
    services::create_user(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(CreatedId { id }))
}

#[utoipa::path(get, path = "/api/v1/roles", tag = "system", responses((status = 200, body = Vec<RoleView>)))]
pub async fn roles(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<RoleView>>, Response> {
    ctx.actor.require("system:role:list").api(ctx.lang)?;
    access::list_roles(&s.db).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/roles", tag = "system", request_body = RoleInput,
    responses((status = 201, body = CreatedId), (status = 422, body = ErrorBody)))]
pub async fn create_role(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<RoleInput>,
) -> Result<Response, Response> {
    access::create_role(&s.db, &ctx.actor, &b)
        .await
        .map_err(AppError::from)
        .api(ctx.lang)
        .map(|id| created(CreatedId { id }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub object_kind: Option<String>,
    /// Only the security events (failed logins, lockouts, denials, exports, account and security
    /// setting changes).
    #[serde(default)]
    pub security: bool,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "system", params(AuditParams), responses((status = 200, body = Page<AuditView>)))]
pub async fn audit(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> Result<Json<Page<AuditView>>, Response> {
    ctx.actor.require("system:audit:list").api(ctx.lang)?;
    let q = AuditQuery {
        action: q.action,
        actor: q.actor,
        object_kind: q.object_kind,
        security: q.security,
        page: q.page,
        per_page: q.per_page,
    };
    audit::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// How many days back (1 to 366; 30 if not given).
    pub days: Option<i64>,
}

/// The daily summary of security events for the audit administrator: per China day and kind.
#[utoipa::path(get, path = "/api/v1/audit/security-summary", tag = "system", params(SummaryParams),
    responses((status = 200, body = Vec<audit::SecurityDay>), (status = 403, body = ErrorBody)))]
pub async fn security_summary(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<SummaryParams>,
) -> Result<Json<Vec<audit::SecurityDay>>, Response> {
    ctx.actor.require("system:audit:list").api(ctx.lang)?;
    audit::security_summary(&s.db, &ctx.actor.scope, q.days.unwrap_or(30)).await.api(ctx.lang).map(Json)
}

/// A role as changed: everything but its key, which is fixed once the role exists.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    #[schema(min_length = 1, max_length = 32)]
    pub name: String,
    #[schema(schema_with = frontline_db::access::data_scopes)]
    pub data_scope: String,
    #[serde(default)]
    #[schema(schema_with = frontline_db::access::permission_names)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub unit_ids: Vec<i64>,
    /// Whether the role's accounts must have a second factor.
    #[serde(default)]
    pub requires_second_factor: bool,
}

#[utoipa::path(put, path = "/api/v1/roles/{id}", tag = "system", params(("id" = i64, Path)), request_body = RoleChange,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_role(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RoleChange>,
) -> Result<Response, Response> {
    let b = RoleInput {
        role_key: String::new(),
        name: b.name,
        data_scope: b.data_scope,
        permissions: b.permissions,
        unit_ids: b.unit_ids,
        requires_second_factor: b.requires_second_factor,
    };
    access::update_role(&s.db, &ctx.actor, id, &b).await.map_err(AppError::from).api(ctx.lang)?;
    Ok(axum::response::IntoResponse::into_response(axum::http::StatusCode::NO_CONTENT))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "system", request_body = PasswordChange,
    responses((status = 204, description = "Changed; the account's browser sessions end, API tokens stay valid"),
              (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<PasswordChange>,
) -> Result<Response, Response> {
    services::change_own_password(&s.db, &ctx.actor, &b.current_password, &b.new_password, &b.new_password)
        .await
        .api(ctx.lang)?;
    Ok(axum::response::IntoResponse::into_response(axum::http::StatusCode::NO_CONTENT))
}

#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "system", responses((status = 200, body = Vec<access::TokenView>)))]
pub async fn my_tokens(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<access::TokenView>>, Response> {
    access::my_tokens(&s.db, &ctx.actor).await.map_err(AppError::from).api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/me/tokens/{id}/revoke", tag = "system", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    access::revoke_my_token(&s.db, &ctx.actor, id).await.map_err(AppError::from).api(ctx.lang)?;
    Ok(axum::response::IntoResponse::into_response(axum::http::StatusCode::NO_CONTENT))
}

#[utoipa::path(get, path = "/api/v1/security", tag = "system",
    responses((status = 200, body = services::security::SecuritySettings), (status = 403, body = ErrorBody)))]
pub async fn security_settings(
    State(s): State<AppState>,
    ctx: ApiCtx,
) -> Result<Json<services::security::SecuritySettings>, Response> {
    services::security::settings(&s.db, &ctx.actor, &s.config).await.api(ctx.lang).map(Json)
}

/// Sets how long a password lasts and how many earlier ones may not come back.
#[utoipa::path(put, path = "/api/v1/security/password-policy", tag = "system",
    request_body = frontline_core::security::PasswordPolicy,
    responses((status = 200, body = services::security::SecuritySettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_password_policy(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(policy): ApiJson<frontline_core::security::PasswordPolicy>,
) -> Result<Json<services::security::SecuritySettings>, Response> {
    services::security::set_password_policy(&s.db, &ctx.actor, &s.config, policy).await.api(ctx.lang).map(Json)
}

/// Turns the audit chain to SM3 (国密): the entry recording it and every entry after are hashed
/// with SM3, the entries before keep SHA-256; there is no way back.
#[utoipa::path(post, path = "/api/v1/security/audit-sm3", tag = "system",
    responses((status = 200, body = services::security::SecuritySettings), (status = 403, body = ErrorBody)))]
pub async fn use_sm3_for_audit(
    State(s): State<AppState>,
    ctx: ApiCtx,
) -> Result<Json<services::security::SecuritySettings>, Response> {
    services::security::use_sm3_for_audit(&s.db, &ctx.actor, &s.config).await.api(ctx.lang).map(Json)
}

/// Sets how long the audit log keeps its entries (0: forever; else six months to ten years).
#[utoipa::path(put, path = "/api/v1/security/audit-retention", tag = "system",
    request_body = services::security::AuditRetention,
    responses((status = 200, body = services::security::SecuritySettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_audit_retention(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(r): ApiJson<services::security::AuditRetention>,
) -> Result<Json<services::security::SecuritySettings>, Response> {
    services::security::set_audit_retention(&s.db, &ctx.actor, &s.config, r).await.api(ctx.lang).map(Json)
}

/// 自检: each level-3 item the product covers judged from the settings (`met`, `not_set`), and the
/// ones the operator must see to (`operator`).
#[utoipa::path(get, path = "/api/v1/security/self-check", tag = "system",
    responses((status = 200, body = Vec<frontline_core::security::Check>), (status = 403, body = ErrorBody)))]
pub async fn self_check(
    State(s): State<AppState>,
    ctx: ApiCtx,
) -> Result<Json<Vec<frontline_core::security::Check>>, Response> {
    services::security::self_check(&s.db, &ctx.actor, &s.config).await.api(ctx.lang).map(Json)
}
