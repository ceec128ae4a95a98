//! System pages: users, roles and the audit log.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use frontline_core::access::{DataScope, PERMISSIONS};
use frontline_db::access::{self, RoleInput, RoleView, UserView};
use frontline_db::audit::{self, AuditQuery, AuditView};
use serde::Deserialize;

use super::{Chrome, FormData, Pager, UiResult, refresh, render};
use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::services::{self, UserInput};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(users_page).post(create_user))
        .route("/users/new", get(new_user_form))
        .route("/users/{id}/disable", post(disable))
        .route("/users/{id}/second-factor/reset", post(reset_second_factor))
        .route("/users/{id}/enable", post(enable))
        .route("/users/{id}/password", post(password))
        .route("/roles", get(roles_page).post(create_role))
        .route("/roles/new", get(new_role_form))
        .route("/roles/{id}", post(update_role))
        .route("/roles/{id}/edit", get(edit_role_form))
        .route("/audit", get(audit_page))
        .route("/account", get(account_page))
        .route("/account/password", post(change_own_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: Tr,
    c: Chrome,
    rows: Vec<UserView>,
    pager: Pager,
    can_add: bool,
    can_edit: bool,
}

async fn users_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PageQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("system:user:list").map_err(|e| AppError::from(e).into_html(lang))?;
    let page = access::list_users(&state.db, &ctx.actor.scope, q.page, q.per_page)
        .await
        .map_err(|e| AppError::from(e).into_html(lang))?;
    let tpl = UsersPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/users"),
        pager: Pager::new("/users", &[], &page),
        rows: page.items,
        can_add: ctx.actor.can("system:user:add"),
        can_edit: ctx.actor.can("system:user:edit"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct UserForm {
    t: Tr,
    roles: Vec<RoleView>,
}

async fn new_user_form(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("system:user:add").map_err(|e| AppError::from(e).into_html(lang))?;
    let roles = access::list_roles(&state.db).await.map_err(|e| AppError::from(e).into_html(lang))?;
    render(&UserForm { t: Tr(lang), roles }, lang)
}

async fn create_user(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let result: Result<i64, AppError> = async {
        let input = UserInput {
            username: form.get("username"),
            display_name: form.get("display_name"),
            password: form.get("password"),
            person_id: form.opt_id("person_id")?,
            role_ids: form.all("role_ids").iter().filter_map(|s| s.parse().ok()).collect(),
        };
        services::create_user(&state.db, &ctx.actor, &input).await
    }
    .await;
    result.map_err(|e| e.into_html(lang))?;
    Ok(refresh())
}

async fn disable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    access::set_disabled(&state.db, &ctx.actor, id, true).await.map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    Ok(refresh())
}

/// Resets the second factor of an account whose phone is lost (audited).
async fn reset_second_factor(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    frontline_db::second_factor::reset(&state.db, &ctx.actor, id)
        .await
        .map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    Ok(refresh())
}

async fn enable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    access::set_disabled(&state.db, &ctx.actor, id, false).await.map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    Ok(refresh())
}

async fn password(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    services::change_password(&state.db, &ctx.actor, id, &form.get("username"), &form.get("password"))
        .await
        .map_err(|e| e.into_html(ctx.lang))?;
    Ok(refresh())
}

/// A role row with its labels.
pub struct RoleRow {
    pub r: RoleView,
    pub scope_label: String,
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    t: Tr,
    c: Chrome,
    rows: Vec<RoleRow>,
    can_add: bool,
    can_edit: bool,
}

async fn roles_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("system:role:list").map_err(|e| AppError::from(e).into_html(lang))?;
    let roles = access::list_roles(&state.db).await.map_err(|e| AppError::from(e).into_html(lang))?;
    let tpl = RolesPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/roles"),
        rows: roles
            .into_iter()
            .map(|r| RoleRow { scope_label: lang.code_label("scope", &r.data_scope).to_string(), r })
            .collect(),
        can_add: ctx.actor.can("system:role:add"),
        can_edit: ctx.actor.can("system:role:edit"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "role_form.html")]
struct RoleForm {
    t: Tr,
    title_key: &'static str,
    action: String,
    editing: bool,
    role_key: String,
    name: String,
    data_scope: String,
    units: String,
    scopes: Vec<(String, String)>,
    permissions: Vec<&'static str>,
    selected: Vec<String>,
    requires_second_factor: bool,
}

impl RoleForm {
    fn has(&self, permission: &str) -> bool {
        self.selected.iter().any(|s| s == permission)
    }
}

fn scope_choices(lang: crate::i18n::Lang) -> Vec<(String, String)> {
    DataScope::ALL.iter().map(|s| (s.as_str().to_string(), lang.code_label("scope", s.as_str()).to_string())).collect()
}

async fn new_role_form(ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("system:role:add").map_err(|e| AppError::from(e).into_html(lang))?;
    render(
        &RoleForm {
            t: Tr(lang),
            title_key: "role.add",
            action: "/roles".into(),
            editing: false,
            role_key: String::new(),
            name: String::new(),
            data_scope: "own_unit_and_below".into(),
            units: String::new(),
            scopes: scope_choices(lang),
            permissions: PERMISSIONS.to_vec(),
            selected: vec![],
            requires_second_factor: false,
        },
        lang,
    )
}

async fn edit_role_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("system:role:edit").map_err(|e| fail(e.into()))?;
    let roles = access::list_roles(&state.db).await.map_err(|e| fail(e.into()))?;
    let role =
        roles.into_iter().find(|r| r.id == id).ok_or_else(|| fail(frontline_core::DomainError::NotFound.into()))?;
    let mut units = Vec::new();
    for uid in access::role_units(&state.db, id).await.map_err(|e| fail(e.into()))? {
        units.push(format!("#{uid}"));
    }
    render(
        &RoleForm {
            t: Tr(lang),
            title_key: "role.edit",
            action: format!("/roles/{id}"),
            editing: true,
            role_key: role.role_key,
            name: role.name,
            data_scope: role.data_scope,
            units: units.join(", "),
            scopes: scope_choices(lang),
            permissions: PERMISSIONS.to_vec(),
            selected: role.permissions.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect(),
            requires_second_factor: role.requires_second_factor,
        },
        lang,
    )
}

/// The role a form describes; listed units are typed as division codes or `#id`.
async fn role_input(state: &AppState, ctx: &Ctx, form: &FormData) -> Result<RoleInput, AppError> {
    let mut unit_ids = Vec::new();
    for r in form.get("units").split([',', '，', ' ']).filter(|s| !s.trim().is_empty()) {
        unit_ids.push(super::units::resolve_unit_ref(&state.db, &ctx.actor.scope, r, "unit_ids").await?.id);
    }
    Ok(RoleInput {
        role_key: form.get("role_key"),
        name: form.get("name"),
        data_scope: form.get("data_scope"),
        permissions: form.all("permissions"),
        unit_ids,
        requires_second_factor: form.get("requires_second_factor") == "true",
    })
}

async fn create_role(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let input = role_input(&state, &ctx, &FormData::parse(&body)).await.map_err(|e| e.into_html(lang))?;
    access::create_role(&state.db, &ctx.actor, &input).await.map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(refresh())
}

async fn update_role(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let input = role_input(&state, &ctx, &FormData::parse(&body)).await.map_err(|e| e.into_html(lang))?;
    access::update_role(&state.db, &ctx.actor, id, &input).await.map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(refresh())
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: Tr,
    c: Chrome,
    rows: Vec<AuditView>,
    pager: Pager,
    q_action: String,
    q_actor: String,
    /// Only security events, with their daily summary above.
    security: bool,
    summary: Vec<audit::SecurityDay>,
}

async fn audit_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AuditQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("system:audit:list").map_err(|e| AppError::from(e).into_html(lang))?;
    let page = audit::list(&state.db, &ctx.actor.scope, &q).await.map_err(|e| AppError::from(e).into_html(lang))?;
    let summary = if q.security {
        audit::security_summary(&state.db, &ctx.actor.scope, 30).await.map_err(|e| AppError::from(e).into_html(lang))?
    } else {
        Vec::new()
    };
    let pairs = [
        ("action", q.action.clone().unwrap_or_default()),
        ("actor", q.actor.clone().unwrap_or_default()),
        ("security", if q.security { "true".to_string() } else { String::new() }),
    ];
    let tpl = AuditPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/audit"),
        pager: Pager::new("/audit", &pairs, &page),
        rows: page.items,
        q_action: q.action.unwrap_or_default(),
        q_actor: q.actor.unwrap_or_default(),
        security: q.security,
        summary,
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Tr,
    c: Chrome,
    permissions: Vec<String>,
    all_units: bool,
    reaches: Vec<String>,
    tokens: Vec<access::TokenView>,
    /// When the password must next be changed, where passwords age.
    password_expires: Option<chrono::DateTime<chrono::Utc>>,
}

/// 个人中心: who I am, what I may do and where, and my password.
async fn account_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let mut reaches = Vec::new();
    let roots =
        frontline_db::units::roots(&state.db, &ctx.actor.scope).await.map_err(|e| AppError::from(e).into_html(lang))?;
    if !ctx.actor.scope.all {
        reaches.extend(roots.into_iter().map(|u| u.name));
    }
    let tokens = access::my_tokens(&state.db, &ctx.actor).await.map_err(|e| AppError::from(e).into_html(lang))?;
    let password_expires = match ctx.actor.user_id {
        Some(me) => frontline_db::security::password_expires_at(&state.db, me)
            .await
            .map_err(|e| AppError::from(e).into_html(lang))?,
        None => None,
    };
    let tpl = AccountPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/account"),
        permissions: ctx.actor.permissions.clone(),
        all_units: ctx.actor.scope.all,
        reaches,
        tokens,
        password_expires,
    };
    render(&tpl, lang)
}

async fn change_own_password(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    services::change_own_password(
        &state.db,
        &ctx.actor,
        &form.get("current_password"),
        &form.get("new_password"),
        &form.get("repeat_password"),
    )
    .await
    .map_err(|e| e.into_html(ctx.lang))?;
    Ok(super::redirect("/login"))
}

#[derive(Template)]
#[template(path = "token_created.html")]
struct TokenCreated {
    t: Tr,
    token: String,
}

/// Issues an API token for the logged-in user and shows its secret once.
async fn create_token(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let user_id = ctx.actor.user_id.ok_or_else(|| AppError::Unauthorized.into_html(lang))?;
    let token = services::issue_token(&state.db, &ctx.actor, user_id, &form.get("name"))
        .await
        .map_err(|e| e.into_html(lang))?;
    render(&TokenCreated { t: Tr(lang), token }, lang)
}

async fn revoke_token(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    access::revoke_my_token(&state.db, &ctx.actor, id).await.map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    Ok(refresh())
}
