//! The login step for a password that must be changed (issue 29, 身份鉴别): one an administrator
//! set or generated, or one past the install's age. After the password (and the second factor,
//! where the account has one) the login waits here, good for nothing else, until its holder
//! chooses a new password; then it goes on (`auth::advance`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use frontline_db::access::{self, SessionStage};

use super::{FormData, UiResult, render};
use crate::auth::{self, UiLang};
use crate::i18n::Tr;
use crate::{AppError, AppState, services};

pub fn router() -> Router<AppState> {
    Router::new().route(auth::CHANGE_PASSWORD_PATH, get(change_page).post(change))
}

#[derive(Template)]
#[template(path = "login_password.html")]
struct ChangePage {
    t: Tr,
    csrf: String,
    /// The message key saying why the password must be changed.
    reason: &'static str,
}

/// Asks for the new password, saying why; without a login waiting for one, back to the login.
async fn change_page(State(state): State<AppState>, UiLang(lang): UiLang, headers: HeaderMap) -> UiResult {
    let fail = |e: AppError| e.into_html(lang);
    let Some((user_id, csrf, _)) =
        auth::waiting_session(&state, &headers, SessionStage::ChangePassword).await.map_err(fail)?
    else {
        return Ok(Redirect::to("/login").into_response());
    };
    let due =
        frontline_db::security::change_due(&state.db, user_id, chrono::Utc::now()).await.map_err(|e| fail(e.into()))?;
    let reason = due.map_or("password_change.reason.expired", |r| r.message_key());
    render(&ChangePage { t: Tr(lang), csrf, reason }, lang)
}

/// Takes the new password; once it is set, the login goes on to its next step.
async fn change(State(state): State<AppState>, UiLang(lang): UiLang, request: axum::extract::Request) -> UiResult {
    let fail = |e: AppError| e.into_html(lang);
    let (parts, body) = request.into_parts();
    let (user_id, hash) = auth::waiting_post(&state, &parts, SessionStage::ChangePassword).await.map_err(fail)?;
    let ip = auth::client_ip(&parts);
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| fail(AppError::BadRequest("error.bad_request", String::new())))?;
    let form = FormData::parse(&body);
    let actor = access::load_actor(&state.db, user_id, &ip).await.map_err(|e| fail(e.into()))?;
    services::choose_own_password(&state.db, &actor, &form.get("new_password"), &form.get("repeat_password"))
        .await
        .map_err(fail)?;
    // Setting the password ended every session of the account, the waiting one too.
    auth::advance(&state, Some(&hash), user_id, &ip, true).await.map_err(fail)
}
