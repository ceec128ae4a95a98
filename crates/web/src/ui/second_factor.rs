//! The second factor in the browser (issue 29): the step after the password for an account that
//! has one (`/login/second-factor`), and the page where a user turns theirs on or off
//! (`/me/second-factor`: a QR code for the authenticator app, a first code to confirm, the ten
//! recovery codes shown once). The rules are `frontline_db::second_factor`.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use frontline_db::access::{self, SessionStage};
use frontline_db::second_factor::{self, SecondFactor};

use super::{Chrome, FormData, UiResult, render};
use crate::auth::{self, Ctx, UiLang};
use crate::i18n::Tr;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/second-factor", get(code_page).post(give_code))
        .route("/me/second-factor", get(my_factor).post(turn_on))
        .route("/me/second-factor/off", post(turn_off))
}

#[derive(Template)]
#[template(path = "login_second_factor.html")]
struct CodePage {
    t: Tr,
    csrf: String,
}

/// Asks for the code after the password; without a login waiting for one, back to the login.
async fn code_page(State(state): State<AppState>, UiLang(lang): UiLang, headers: HeaderMap) -> UiResult {
    match auth::waiting_session(&state, &headers, SessionStage::SecondFactor).await.map_err(|e| e.into_html(lang))? {
        Some((_, csrf, _)) => render(&CodePage { t: Tr(lang), csrf }, lang),
        None => Ok(Redirect::to("/login").into_response()),
    }
}

/// Takes the code: right, the waiting login becomes a session (under a new id); wrong, it counts
/// as a failed login.
async fn give_code(State(state): State<AppState>, UiLang(lang): UiLang, request: axum::extract::Request) -> UiResult {
    let fail = |e: AppError| e.into_html(lang);
    let (parts, body) = request.into_parts();
    let (user_id, hash) = auth::waiting_post(&state, &parts, SessionStage::SecondFactor).await.map_err(fail)?;
    let ip = auth::client_ip(&parts);
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| fail(AppError::BadRequest("error.bad_request", String::new())))?;
    let form = FormData::parse(&body);
    auth::check_second_factor(&state, user_id, &form.get("code"), &ip).await.map_err(fail)?;
    auth::advance(&state, Some(&hash), user_id, &ip, true).await.map_err(fail)
}

#[derive(Template)]
#[template(path = "me_second_factor.html")]
struct FactorPage {
    t: Tr,
    c: Chrome,
    status: SecondFactor,
    /// Whether a role of the user's asks for it (it cannot be turned off, and must be set up).
    required: bool,
    /// While it is off: the QR code of the secret offered, and the secret as text.
    qr: Option<String>,
    secret: Option<String>,
}

/// The user's second factor: on, since when and how many recovery codes are left; or off, with a
/// secret offered to scan.
async fn my_factor(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    let me = ctx.actor.user_id.ok_or_else(|| fail(AppError::Unauthorized))?;
    let status = second_factor::status(&state.db, me).await.map_err(|e| fail(e.into()))?;
    let required = second_factor::required(&state.db, me).await.map_err(|e| fail(e.into()))?;
    let (qr, secret) = if status.enabled {
        (None, None)
    } else {
        let secret = match second_factor::offered(&state.db, &ctx.actor).await.map_err(|e| fail(e.into()))? {
            Some(s) => s,
            None => second_factor::offer(&state.db, &ctx.actor).await.map_err(|e| fail(e.into()))?,
        };
        let account = ctx.actor.name.clone();
        let uri = frontline_core::second_factor::otpauth_uri(lang.t("app.name"), &account, &secret);
        let svg = qrcode::QrCode::new(uri.as_bytes())
            .map_err(|e| fail(AppError::Internal(e.to_string())))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        (Some(svg), Some(frontline_core::second_factor::base32(&secret)))
    };
    render(&FactorPage { t: Tr(lang), c: Chrome::new(&ctx, "/me"), status, required, qr, secret }, lang)
}

#[derive(Template)]
#[template(path = "me_recovery_codes.html")]
struct RecoveryCodes {
    t: Tr,
    codes: Vec<String>,
}

/// Turns the second factor on with the first code from the app; answers with the recovery codes.
/// A session that waited for it (a role asks for one) gives way to a logged-in session under a
/// new id, with the full lifetime.
async fn turn_on(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    let form = FormData::parse(&body);
    let codes = second_factor::confirm(&state.db, &ctx.actor, &form.get("code"), Utc::now())
        .await
        .map_err(|e| fail(e.into()))?;
    let mut r = render(&RecoveryCodes { t: Tr(lang), codes }, lang)?;
    let Some(secret) = auth::cookie_in(&headers, auth::SESSION_COOKIE) else { return Ok(r) };
    let hash = auth::secret_hash(&secret);
    let idle = state.config.idle();
    let enrolling =
        access::session_at(&state.db, &hash, SessionStage::Enrol, idle).await.map_err(|e| fail(e.into()))?;
    if let (Some(_), Some(user_id)) = (enrolling, ctx.actor.user_id) {
        access::delete_session(&state.db, &hash).await.map_err(|e| fail(e.into()))?;
        let cookie = auth::start_session(&state, user_id, &ctx.actor.ip, SessionStage::Done).await.map_err(fail)?;
        if let Ok(v) = cookie.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(r)
}

/// Turns it off, with a current code as proof.
async fn turn_off(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    match second_factor::turn_off(&state.db, &ctx.actor, &form.get("code"), Utc::now()).await {
        Ok(()) => super::refresh(),
        Err(e) => AppError::from(e).into_html(lang),
    }
}
