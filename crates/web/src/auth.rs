//! Logging in and knowing who is asking: password hashing (argon2), sessions kept in the
//! database behind an HttpOnly cookie, CSRF tokens, bearer tokens for API clients, and the
//! extractors that turn a request into an [`Actor`] and a language.
//!
//! CSRF rule: every state-changing request authenticated by the session cookie must carry the
//! session's token in the `X-CSRF-Token` header (htmx sends it from `hx-headers` on the page
//! body). Requests with a bearer token carry no cookie and need none.

use std::net::SocketAddr;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::Utc;
use frontline_core::access::Actor;
use frontline_db::access;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::i18n::Lang;
use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "ft_session";
pub const LANG_COOKIE: &str = "ft_lang";
pub const LOGIN_CSRF_COOKIE: &str = "ft_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A random secret, URL-safe.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A generated password for a new account that always passes the password rule
/// ([`frontline_core::access::validate_password`]): a random secret holds no digit about once in
/// 1,700 draws, or may contain a short username, so draws that break the rule are drawn again
/// (no fixed part, which a username could contain every time).
pub fn generated_password(username: &str) -> String {
    loop {
        let candidate = random_token();
        if frontline_core::access::validate_password(&candidate, username).is_ok() {
            return candidate;
        }
    }
}

#[cfg(test)]
mod generated_password_tests {
    use super::generated_password;

    #[test]
    fn a_generated_password_always_passes_the_rule() {
        for username in ["chief", "a", "F", "1", "-", "ft"] {
            for _ in 0..2_000 {
                let p = generated_password(username);
                assert!(frontline_core::access::validate_password(&p, username).is_ok(), "{p} for {username}");
            }
        }
    }
}

/// The stored form of a session or token secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of nothing anyone knows, verified when the username is unknown so that a wrong
/// username takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("dummy-password-never-used-1").unwrap_or_default());

/// Checks a login; counts failures and locks the account after too many. Unknown users, wrong
/// passwords and disabled accounts all get the same answer.
pub async fn check_login(state: &AppState, username: &str, password: &str, ip: &str) -> Result<i64, AppError> {
    if !state.login_throttle.allow(ip) {
        return Err(AppError::TooManyAttempts);
    }
    let failed = || AppError::Domain(frontline_core::DomainError::Conflict("error.login.failed".into()));
    let Some(c) = access::credentials(&state.db, username.trim()).await? else {
        verify_password(password, &DUMMY_HASH);
        access::record_unknown_login(&state.db, username.trim(), ip).await?;
        return Err(failed());
    };
    if c.locked_until.is_some_and(|t| t > Utc::now()) {
        return Err(AppError::Domain(frontline_core::DomainError::Conflict("error.login.locked".into())));
    }
    if c.disabled || !verify_password(password, &c.password_hash) {
        let locked = access::record_failed_login(&state.db, c.id, ip).await?;
        if locked {
            return Err(AppError::Domain(frontline_core::DomainError::Conflict("error.login.locked".into())));
        }
        return Err(failed());
    }
    access::record_successful_login(&state.db, c.id).await?;
    Ok(c.id)
}

/// Login attempts allowed from one client address per minute, on top of each account's lockout:
/// it stops one address from trying passwords across many accounts.
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 30;

/// Counts login attempts per client address in one-minute windows.
#[derive(Debug)]
pub struct LoginThrottle {
    windows: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u32)>>,
    /// Attempts allowed per address and minute.
    limit: u32,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::with_limit(LOGIN_ATTEMPTS_PER_MINUTE)
    }
}

impl LoginThrottle {
    /// A throttle that allows `limit` attempts per address and minute.
    pub fn with_limit(limit: u32) -> LoginThrottle {
        LoginThrottle { windows: Default::default(), limit }
    }

    /// Records an attempt from `ip`; false once the address is past the limit in this window.
    pub fn allow(&self, ip: &str) -> bool {
        let now = std::time::Instant::now();
        let minute = std::time::Duration::from_secs(60);
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < minute);
        }
        let window = windows.entry(ip.to_string()).or_insert((now, 0));
        if now.duration_since(window.0) >= minute {
            *window = (now, 0);
        }
        window.1 += 1;
        window.1 <= self.limit
    }

    /// Whether `ip` is past the limit in its current window, without counting an attempt.
    pub fn exceeded(&self, ip: &str) -> bool {
        let windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        windows
            .get(ip)
            .is_some_and(|(start, n)| start.elapsed() < std::time::Duration::from_secs(60) && *n >= self.limit)
    }
}

/// Starts a fresh session (a new id every login, so a planted cookie is worthless) and returns
/// the `Set-Cookie` value. A session waiting for the second factor lasts five minutes.
pub async fn start_session(
    state: &AppState,
    user_id: i64,
    ip: &str,
    stage: access::SessionStage,
) -> Result<String, AppError> {
    let secret = random_token();
    let csrf = random_token();
    let ttl = match stage {
        access::SessionStage::Done => chrono::Duration::hours(state.config.session_hours),
        access::SessionStage::SecondFactor | access::SessionStage::Enrol | access::SessionStage::ChangePassword => {
            chrono::Duration::minutes(SECOND_FACTOR_MINUTES)
        }
    };
    access::create_session(&state.db, &secret_hash(&secret), user_id, &csrf, ip, ttl, stage).await?;
    Ok(cookie_header(state, SESSION_COOKIE, &secret, ttl.num_seconds()))
}

/// Minutes a login may wait between the password and the second factor (or its setting up, or
/// the change of a password that must be changed).
pub const SECOND_FACTOR_MINUTES: i64 = 5;

/// Where a login goes after the step it has passed: the second factor, if the account has one
/// and it was not given yet; then the change of a password that must be changed; then the setting
/// up of a factor the account's role asks for; then in. Returns the stage its session starts at
/// and the page it opens.
pub async fn next_step(
    state: &AppState,
    user_id: i64,
    factor_given: bool,
) -> Result<(access::SessionStage, &'static str), AppError> {
    use access::SessionStage;
    let has_factor = frontline_db::second_factor::enabled(&state.db, user_id).await?;
    if has_factor && !factor_given {
        return Ok((SessionStage::SecondFactor, "/login/second-factor"));
    }
    if frontline_db::security::change_due(&state.db, user_id, Utc::now()).await?.is_some() {
        return Ok((SessionStage::ChangePassword, CHANGE_PASSWORD_PATH));
    }
    if !has_factor && frontline_db::second_factor::required(&state.db, user_id).await? {
        return Ok((SessionStage::Enrol, ENROL_PATH));
    }
    Ok((SessionStage::Done, "/"))
}

/// The page where a login whose password must be changed chooses a new one.
pub const CHANGE_PASSWORD_PATH: &str = "/login/password";

/// A login waiting at `stage` (for its second factor, or a new password): its user, its CSRF
/// token and the hash of its secret.
pub async fn waiting_session(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    stage: access::SessionStage,
) -> Result<Option<(i64, String, String)>, AppError> {
    let Some(secret) = cookie_in(headers, SESSION_COOKIE) else { return Ok(None) };
    let hash = secret_hash(&secret);
    let waiting = access::session_at(&state.db, &hash, stage, state.config.idle()).await?;
    Ok(waiting.map(|s| (s.user_id, s.csrf_token, hash)))
}

/// The waiting login a form posted from a login step belongs to, once its CSRF header matches.
pub async fn waiting_post(
    state: &AppState,
    parts: &Parts,
    stage: access::SessionStage,
) -> Result<(i64, String), AppError> {
    let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if sent.is_empty() {
        return Err(AppError::Csrf);
    }
    let (user_id, csrf, hash) = waiting_session(state, &parts.headers, stage).await?.ok_or(AppError::Unauthorized)?;
    if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
        return Err(AppError::Csrf);
    }
    Ok((user_id, hash))
}

/// Moves a login on from the step it passed: its waiting session ends and one at the next step
/// starts under a new id. Answers with the redirect there, carrying the new cookie.
pub async fn advance(
    state: &AppState,
    waiting_hash: Option<&str>,
    user_id: i64,
    ip: &str,
    factor_given: bool,
) -> Result<Response, AppError> {
    if let Some(hash) = waiting_hash {
        access::delete_session(&state.db, hash).await?;
    }
    let (stage, next) = next_step(state, user_id, factor_given).await?;
    let cookie = start_session(state, user_id, ip, stage).await?;
    let mut r = crate::ui::redirect(next);
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Checks the second factor given after the password (a code of the account's app, or a recovery
/// code); a wrong one counts as a failed login (the account locks after too many).
pub async fn check_second_factor(state: &AppState, user_id: i64, code: &str, ip: &str) -> Result<(), AppError> {
    if !state.login_throttle.allow(ip) {
        return Err(AppError::TooManyAttempts);
    }
    if frontline_db::second_factor::check(&state.db, user_id, code, Utc::now()).await? {
        access::record_successful_login(&state.db, user_id).await?;
        return Ok(());
    }
    let code = if access::record_failed_login(&state.db, user_id, ip).await? {
        "error.login.locked"
    } else {
        "error.second_factor.wrong_code"
    };
    Err(AppError::Domain(frontline_core::DomainError::Conflict(code.into())))
}

/// A `Set-Cookie` value with the flags every cookie here carries.
pub fn cookie_header(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// A cookie's value from the request.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

/// A cookie's value from a request's headers.
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The caller's address, where the server knows it.
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The UI language: the `ft_lang` cookie, else Chinese.
pub fn ui_lang(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE).and_then(|v| Lang::parse(&v)).unwrap_or_default()
}

/// The API language: `Accept-Language` if it asks for English, else Chinese.
pub fn api_lang(parts: &Parts) -> Lang {
    parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(Lang::parse)
        .unwrap_or_default()
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The page where an account whose role asks for a second factor sets it up: the only one its
/// session opens until then.
pub const ENROL_PATH: &str = "/me/second-factor";

async fn from_session(parts: &Parts, state: &AppState) -> Result<(Actor, String), AppError> {
    let secret = cookie(parts, SESSION_COOKIE).ok_or(AppError::Unauthorized)?;
    let hash = secret_hash(&secret);
    let idle = state.config.idle();
    let session = match access::session(&state.db, &hash, idle).await? {
        Some(s) => Some(s),
        None if parts.uri.path() == ENROL_PATH || parts.uri.path() == "/logout" => {
            access::session_at(&state.db, &hash, access::SessionStage::Enrol, idle).await?
        }
        None => None,
    };
    let access::LiveSession { user_id, csrf_token: csrf, last_seen } = session.ok_or(AppError::Unauthorized)?;
    // Used now: its idle time starts again (written at most once a minute).
    let now = Utc::now();
    if now - last_seen > chrono::Duration::minutes(1) {
        access::touch_session(&state.db, &hash, now).await?;
    }
    if changes_state(&parts.method) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
            return Err(AppError::Csrf);
        }
    }
    let actor = state
        .actors
        .get_or_compute(format!("user:{user_id}"), || async {
            access::load_actor(&state.db, user_id, "").await.map_err(AppError::from)
        })
        .await?;
    Ok((Actor { ip: client_ip(parts), ..actor }, csrf))
}

/// The actor an API token stands for. Every request resolves one, so the answer is kept while
/// the store is not written (a revoked token, a changed role or posting is a write). The limiter
/// holds back the guesser, not the office: an address that has sent
/// [`Config::token_guesses_per_minute`](crate::Config) unknown tokens this minute gets 429 for further unknown tokens,
/// while valid tokens from the same address (a county office behind one NAT) keep working.
async fn token_actor(state: &AppState, token: &str, ip: String) -> Result<Actor, AppError> {
    let hash = secret_hash(token);
    let actor = state
        .actors
        .get_or_compute(format!("token:{hash}"), || async {
            match access::token_user(&state.db, &hash).await? {
                Some(uid) => access::load_actor(&state.db, uid, "").await.map_err(AppError::from),
                None => Err(AppError::Unauthorized),
            }
        })
        .await;
    if matches!(actor, Err(AppError::Unauthorized)) && !state.token_throttle.allow(&ip) {
        return Err(AppError::TooManyAttempts);
    }
    Ok(Actor { ip, ..actor? })
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in UI request: who, in which language, with which CSRF token for the page.
pub struct Ctx {
    pub actor: Actor,
    pub lang: Lang,
    pub csrf: String,
    /// Unread notifications of the user's person (shown beside their name).
    pub unread: i64,
}

/// Why a UI request was refused: pages redirect to the login, htmx calls get a fragment.
pub struct UiRejection(Response);

impl IntoResponse for UiRejection {
    fn into_response(self) -> Response {
        self.0
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = UiRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = ui_lang(parts);
        match from_session(parts, state).await {
            Ok((actor, csrf)) => {
                if let Some(slot) = parts.extensions.get::<crate::security_events::ActorSlot>() {
                    slot.fill(&actor);
                }
                let unread = match actor.scope.person_id {
                    Some(person) => frontline_db::succession::unread_count(&state.db, person).await.unwrap_or(0),
                    None => 0,
                };
                Ok(Ctx { actor, lang, csrf, unread })
            }
            Err(AppError::Unauthorized) if parts.method == Method::GET && !parts.headers.contains_key("hx-request") => {
                Err(UiRejection(Redirect::to("/login").into_response()))
            }
            Err(e) => Err(UiRejection(e.into_html(lang))),
        }
    }
}

/// An API request: who, and in which language to answer.
pub struct ApiCtx {
    pub actor: Actor,
    pub lang: Lang,
}

/// API errors as JSON in the caller's language.
pub struct ApiRejection(Response);

impl IntoResponse for ApiRejection {
    fn into_response(self) -> Response {
        self.0
    }
}

impl FromRequestParts<AppState> for ApiCtx {
    type Rejection = ApiRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = api_lang(parts);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_string);
        let result = match bearer {
            Some(token) => token_actor(state, &token, client_ip(parts)).await,
            None => from_session(parts, state).await.map(|(a, _)| a),
        };
        if let (Ok(actor), Some(slot)) = (&result, parts.extensions.get::<crate::security_events::ActorSlot>()) {
            slot.fill(actor);
        }
        result.map(|actor| ApiCtx { actor, lang }).map_err(|e| ApiRejection(e.into_json(lang)))
    }
}

/// The language of a request that may not be logged in (login page, public errors).
pub struct UiLang(pub Lang);

impl FromRequestParts<AppState> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(UiLang(ui_lang(parts)))
    }
}

/// The language and address of an API request that may not be logged in.
pub struct ApiLang(pub Lang, pub String);

impl FromRequestParts<AppState> for ApiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ApiLang(api_lang(parts), client_ip(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stopped_past_the_limit_and_others_are_not() {
        let t = LoginThrottle::default();
        for _ in 0..LOGIN_ATTEMPTS_PER_MINUTE {
            assert!(t.allow("10.0.0.1"));
        }
        assert!(!t.allow("10.0.0.1"));
        assert!(t.allow("10.0.0.2"));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("Qiyuan-2026-spring").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("Qiyuan-2026-spring", &h));
        assert!(!verify_password("qiyuan-2026-spring", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(secret_hash(&a).len(), 64);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
