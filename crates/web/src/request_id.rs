//! A request id for every request: made here (never taken from the client, so a log line cannot
//! be forged into another request's), returned in `X-Request-Id`, carried by a tracing span
//! around the request (so every log line of the request, an internal error's included, names
//! it), and readable by the error renderer, which writes it into error answers: a user who
//! reports "系统内部错误" can quote the id an administrator finds in the log.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The header that carries the id back.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being answered, if there is one (not in jobs or commands).
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// Sixteen hex digits, random.
fn new_id() -> String {
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The middleware: gives the request its id and span, logs its answer (a server error as a
/// warning, everything else at debug level) and adds the header.
pub async fn layer(req: Request, next: Next) -> Response {
    let id = new_id();
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let started = std::time::Instant::now();
    let mut resp = REQUEST_ID.scope(id.clone(), next.run(req)).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, ms, "answered");
        } else {
            tracing::debug!(status, ms, "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(HEADER, v);
    }
    resp
}
