//! What lets a phone work without signal (issue 27): a change queued on the phone is sent with an
//! `Idempotency-Key` header (and `X-Device-Time`, the moment it was done there) and may be sent
//! again and again until an answer comes back. [`layer`] answers the first request with a key as
//! usual and keeps the answer; a later request with the same key from the same account gets the
//! kept answer (marked `Idempotent-Replayed: true`) and writes nothing. [`Sent`] gives handlers
//! the time the change was made.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use frontline_core::DomainError;
use frontline_core::time::Timing;
use frontline_db::offline::{self, KeptAnswer, Seen};

use crate::auth::{self, SESSION_COOKIE};
use crate::{AppError, AppState};

/// The header naming a change, chosen by the phone (a UUID): the same key, the same change.
pub const KEY_HEADER: &str = "idempotency-key";
/// The moment the change was made on the phone (RFC 3339).
pub const DEVICE_TIME_HEADER: &str = "x-device-time";
/// Set on an answer that is the kept answer of an earlier request.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Headers of an answer that the page acts on, kept with it (never cookies).
const KEPT_HEADERS: &[&str] =
    &["content-type", "location", "hx-refresh", "hx-redirect", "hx-trigger", "hx-retarget", "hx-reswap"];

/// The largest answer kept for replays (answers to changes are a few KB).
const KEEP_AT_MOST: usize = 4 * 1024 * 1024;

/// The middleware (outermost of the application's own layers, inside compression).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let key = req.headers().get(KEY_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).map(str::to_string);
    let Some(key) = key.filter(|_| !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let api = parts.uri.path().starts_with("/api/");
    let lang = if api { auth::api_lang(&parts) } else { auth::ui_lang(&parts) };
    let refuse = |e: AppError| if api { e.into_json(lang) } else { e.into_html(lang) };
    if key.is_empty() || key.len() > 100 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return refuse(DomainError::invalid("Idempotency-Key", "error.offline.bad_key").into());
    }
    // Nobody logged in: the handler answers that, and nothing is kept.
    let Some(user_id) = caller(&parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let seen = match offline::see(&state.db, user_id, &key, &method, &path, Utc::now()).await {
        Ok(seen) => seen,
        Err(e) => return refuse(e.into()),
    };
    match seen {
        Seen::First => {}
        Seen::Answered(kept) => return replay(kept),
        Seen::Unanswered => return refuse(DomainError::Conflict("error.offline.unanswered".into()).into()),
        Seen::OtherRequest => {
            return refuse(DomainError::invalid("Idempotency-Key", "error.offline.key_reused").into());
        }
    }
    let resp = next.run(Request::from_parts(parts, body)).await;
    let status = resp.status();
    // Refused for who is asking (logged out, no permission, the form's token from another
    // session, too many requests) or failed on the server: nothing was written, so the phone may
    // try the same change again once that is put right.
    let retryable = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS)
        || status.is_server_error();
    if retryable {
        let _ = offline::release(&state.db, user_id, &key).await;
        return resp;
    }
    let (head, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, KEEP_AT_MOST).await {
        Ok(b) => b,
        // The change may have been written: the key stays taken without an answer, so a retry is
        // told so (`error.offline.unanswered`) rather than written twice.
        Err(_) => return refuse(AppError::Internal("the answer to a change could not be kept".into())),
    };
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            head.headers.get(*name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.to_string()))
        })
        .collect();
    let kept = KeptAnswer {
        status: i64::from(status.as_u16()),
        headers: serde_json::to_string(&headers).unwrap_or_default(),
        body: bytes.to_vec(),
    };
    if let Err(e) = offline::answered(&state.db, user_id, &key, &kept).await {
        tracing::warn!(error = %e, "the answer to a change with an idempotency key could not be kept");
    }
    Response::from_parts(head, Body::from(bytes))
}

/// The account a request comes from, by its session cookie or API token.
async fn caller(parts: &Parts, state: &AppState) -> Option<i64> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer {
        Some(token) => frontline_db::access::token_user(&state.db, &auth::secret_hash(token)).await.ok().flatten(),
        None => {
            let secret = auth::cookie(parts, SESSION_COOKIE)?;
            let idle = state.config.idle();
            frontline_db::access::session(&state.db, &auth::secret_hash(&secret), idle)
                .await
                .ok()
                .flatten()
                .map(|s| s.user_id)
        }
    }
}

/// The kept answer, sent again.
fn replay(kept: KeptAnswer) -> Response {
    let status = u16::try_from(kept.status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut resp = (status, kept.body).into_response();
    let headers: Vec<(String, String)> = serde_json::from_str(&kept.headers).unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    resp
}

/// When the change being handled was made: now, or the moment the phone says (`X-Device-Time`)
/// for a change it queued offline. The time is judged by [`Timing::trusted`].
pub struct Sent(pub Timing);

impl<S: Send + Sync> FromRequestParts<S> for Sent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let device = parts
            .headers
            .get(DEVICE_TIME_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc3339(v.trim()).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(Sent(Timing { received: Utc::now(), device }))
    }
}
