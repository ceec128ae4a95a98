//! Static files (styles, scripts, the icon), embedded in the binary.
//!
//! A page names each file with a fingerprint of its bytes (`/static/app.css?v=3f2a…`), so the
//! browser keeps it for a year without asking again and a new release is fetched at once because
//! its address changes. Asked for without the current fingerprint, a file is served to be checked
//! again next time; either way its ETag (the fingerprint) lets a revalidation answer 304 with no
//! body. Each file is gzipped once, at the best level, and sent so to every browser that takes gzip
//! (the application's compression leaves an answer that is already encoded alone).

use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
}

const FILES: &[Asset] = &[
    Asset { name: "htmx.min.js", body: include_bytes!("../../static/htmx.min.js"), content_type: "text/javascript" },
    Asset { name: "app.js", body: include_bytes!("../../static/app.js"), content_type: "text/javascript" },
    Asset { name: "app.css", body: include_bytes!("../../static/app.css"), content_type: "text/css" },
    // A build of ECharts with only the charts and parts the dashboards draw
    // (`scripts/build-echarts.sh`), loaded only by the pages that draw charts.
    Asset {
        name: "echarts.min.js",
        body: include_bytes!("../../static/echarts.min.js"),
        content_type: "text/javascript",
    },
    Asset { name: "dashboard.js", body: include_bytes!("../../static/dashboard.js"), content_type: "text/javascript" },
    Asset { name: "icon.svg", body: include_bytes!("../../static/icon.svg"), content_type: "image/svg+xml" },
    Asset { name: "icon-192.png", body: include_bytes!("../../static/icon-192.png"), content_type: "image/png" },
    Asset { name: "icon-512.png", body: include_bytes!("../../static/icon-512.png"), content_type: "image/png" },
];

/// The fingerprint of each file, in the order of [`FILES`]: the first 12 hex digits of its SHA-256.
static FINGERPRINTS: LazyLock<Vec<String>> =
    LazyLock::new(|| FILES.iter().map(|f| hex::encode(&Sha256::digest(f.body)[..6])).collect());

/// Each file gzipped at the best level, in the order of [`FILES`] (`None` if that failed).
static GZIPPED: LazyLock<Vec<Option<Vec<u8>>>> = LazyLock::new(|| FILES.iter().map(|f| gzip(f.body)).collect());

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

fn find(name: &str) -> Option<(usize, &'static Asset, &'static str)> {
    let i = FILES.iter().position(|f| f.name == name)?;
    Some((i, &FILES[i], FINGERPRINTS[i].as_str()))
}

/// The address a page uses for a static file: with its fingerprint, so it can be kept for good.
pub fn url(name: &str) -> String {
    match find(name) {
        Some((_, _, print)) => format!("/static/{name}?v={print}"),
        None => format!("/static/{name}"),
    }
}

#[derive(serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>, Query(version): Query<Version>, headers: HeaderMap) -> Response {
    let Some((i, asset, print)) = find(&file) else { return StatusCode::NOT_FOUND.into_response() };
    let etag = format!("\"{print}\"");
    // The fingerprinted address never changes its bytes; any other is checked again each time.
    let cache = if version.v.as_deref() == Some(print) { "public, max-age=31536000, immutable" } else { "no-cache" };
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let takes_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|codings| codings.split(',').any(|c| c.trim().starts_with("gzip") && !c.contains("q=0")));
    let gzipped = GZIPPED[i].as_deref().filter(|_| takes_gzip);
    let mut response = match (unchanged, gzipped) {
        (true, _) => StatusCode::NOT_MODIFIED.into_response(),
        (false, Some(zipped)) => {
            ([(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))], zipped.to_vec()).into_response()
        }
        (false, None) => asset.body.into_response(),
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(tag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, tag);
    }
    if !unchanged {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    }
    response
}

/// The files the installed app keeps for good (its shell): the pages' styles and scripts and the
/// icons; ECharts stays out (the dashboards are not phone pages).
const SHELL: &[&str] = &["app.css", "app.js", "htmx.min.js", "icon.svg", "icon-192.png", "icon-512.png"];

/// `GET /sw.js`: the service worker (issue 27), at the root so that it may keep the pages, with
/// the shell's fingerprinted addresses written in; a new release is a new worker.
pub async fn service_worker() -> Response {
    let shell: Vec<String> = SHELL.iter().map(|f| url(f)).collect();
    let version = hex::encode(&Sha256::digest(shell.join(" ").as_bytes())[..6]);
    let body = include_str!("../../static/sw.js")
        .replace("__VERSION__", &version)
        .replace("__SHELL__", &serde_json::to_string(&shell).unwrap_or_else(|_| "[]".into()));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `GET /manifest.webmanifest`: what makes the phone pages an installable app (添加到主屏幕),
/// opening on today's work, in the reader's language.
pub async fn manifest(crate::auth::UiLang(lang): crate::auth::UiLang) -> Response {
    let body = serde_json::json!({
        "name": lang.t("app.install_name"),
        "short_name": lang.t("app.name"),
        "description": lang.t("app.install_description"),
        "lang": lang.code(),
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#c0392b",
        "icons": [
            {"src": url("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any maskable"},
            {"src": url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
            {"src": url("icon.svg"), "sizes": "any", "type": "image/svg+xml"}
        ]
    });
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/manifest+json")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `GET /favicon.ico`: browsers ask for it on their own; the icon is an SVG.
pub async fn favicon() -> Redirect {
    Redirect::permanent(&url("icon.svg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_carry_the_fingerprint_of_the_bytes() {
        let css = url("app.css");
        let print = hex::encode(&Sha256::digest(include_bytes!("../../static/app.css"))[..6]);
        assert_eq!(css, format!("/static/app.css?v={print}"));
        assert_ne!(url("app.js"), url("app.css").replace("app.css", "app.js"), "each file has its own print");
        assert_eq!(url("nothing.js"), "/static/nothing.js");
    }
}
