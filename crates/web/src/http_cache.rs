//! What makes pages light on a phone: answers compressed (gzip or brotli, as the browser asks),
//! and pages sent with an ETag of their bytes so that a page the browser already holds answers
//! 304 with no body. Pages are `private, no-cache` (kept by the browser, checked every time,
//! never by a proxy); logging out clears the browser's copy (`Clear-Site-Data`). API answers and
//! files keep their own caching headers (`no-store` by default, see [`crate::app`]).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// gzip and brotli for everything of some size but images and files that are compressed already
/// (Excel workbooks are zip files, PDFs compress their streams).
pub fn compression() -> CompressionLayer<impl Predicate> {
    let predicate = SizeAbove::new(256)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::const_new("application/vnd.openxmlformats"))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("text/event-stream"));
    // Level 4 of either: most of the saving for a fraction of the time of the best level, on
    // answers made for one request (static files come gzipped at the best level already).
    CompressionLayer::new().gzip(true).br(true).quality(CompressionLevel::Precise(4)).compress_when(predicate)
}

/// The cache header of pages.
const PAGE_CACHE: &str = "private, no-cache";

/// Gives each HTML page read with `GET` an ETag and answers 304 when the browser holds it.
pub async fn page_etag(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let held = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    let is_page = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::CACHE_CONTROL)
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
    if !is_page {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = format!("W/\"{}\"", hex::encode(&Sha256::digest(&bytes)[..10]));
    let Ok(tag_value) = HeaderValue::from_str(&tag) else { return Response::from_parts(parts, Body::from(bytes)) };
    parts.headers.insert(header::ETAG, tag_value);
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
    let unchanged = held
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == tag.trim_start_matches("W/")));
    if unchanged {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
