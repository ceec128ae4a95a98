//! The axum application: the UI (askama templates + htmx) and the `/api/v1` JSON API.
//!
//! UI handlers and API handlers call the same functions (`services` and the repositories of
//! `frontline-db`); each area of the domain has a module under `ui` and under `api` with a
//! `router()`. Handlers translate; they compute nothing the domain computes.

// Handlers return `Result<Response, Response>`: both sides are what axum sends, so boxing the
// error side would only add an allocation on every error path.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod background;
pub mod error;
pub mod http_cache;
pub mod i18n;
pub mod offline;
pub mod open311;
pub mod request_id;
pub mod security_events;
pub mod services;
pub mod ui;

use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use frontline_db::Db;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::AppError;

/// Settings the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Session lifetime in hours, however busy.
    pub session_hours: i64,
    /// Minutes a session may go unused before it ends (等保: a timeout for idle sessions).
    pub idle_minutes: i64,
    /// Unknown API tokens one address may send in a minute before it gets 429 for more of them
    /// (valid tokens from that address keep working).
    pub token_guesses_per_minute: u32,
}

impl Config {
    /// How long a session may go unused.
    pub fn idle(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.idle_minutes.max(1))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            session_hours: 12,
            idle_minutes: 30,
            token_guesses_per_minute: auth::LOGIN_ATTEMPTS_PER_MINUTE,
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Config,
    /// Login attempts per client address (shared by every clone of the state).
    pub login_throttle: std::sync::Arc<auth::LoginThrottle>,
    /// Unknown API tokens per client address: guessing tokens is limited like guessing passwords.
    pub token_throttle: std::sync::Arc<auth::LoginThrottle>,
    /// Permission denials written to the audit log, per account and route: one a minute.
    pub denial_throttle: std::sync::Arc<auth::LoginThrottle>,
    /// Long exports and imports running beside the requests.
    pub jobs: std::sync::Arc<background::Board>,
    /// The application itself, for exports that render list pages as their user sees them; set
    /// once by [`app`].
    pub pages: std::sync::Arc<std::sync::OnceLock<Router>>,
    /// Dashboards computed recently, shared by their readers until the store is written.
    pub dashboards: std::sync::Arc<services::figures::Memo<std::sync::Arc<services::figures::SharedDashboard>>>,
    /// Accounts resolved into actors (permissions and scope), kept while the store is not written.
    pub actors: std::sync::Arc<services::figures::Memo<frontline_core::access::Actor>>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        let token_guesses = config.token_guesses_per_minute;
        AppState {
            db,
            config,
            login_throttle: Default::default(),
            token_throttle: std::sync::Arc::new(auth::LoginThrottle::with_limit(token_guesses)),
            denial_throttle: std::sync::Arc::new(auth::LoginThrottle::with_limit(1)),
            jobs: Default::default(),
            pages: Default::default(),
            dashboards: Default::default(),
            actors: std::sync::Arc::new(services::figures::Memo::with_capacity(20_000)),
        }
    }
}

/// Today in China (UTC+8): the day every "today", "on" and default date of a page or API call means.
pub fn today() -> chrono::NaiveDate {
    frontline_core::time::today_in_china(chrono::Utc::now())
}

/// The whole application: UI, API, static files, health check, with security headers on every
/// response, a 20 MiB body limit (roster files), and a request id and tracing span around each
/// request ([`request_id`]).
pub fn app(state: AppState) -> Router {
    let pages = state.pages.clone();
    let csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
               frame-ancestors 'none'; form-action 'self'; base-uri 'self'";
    let router = Router::new()
        .merge(ui::router())
        .nest("/api/v1", api::router())
        .merge(open311::router())
        .route("/healthz", axum::routing::get(healthz))
        .layer(axum::middleware::from_fn_with_state(state.clone(), offline::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security_events::layer))
        .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)))
        .layer(axum::middleware::from_fn(http_cache::page_etag))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ))
        .layer(http_cache::compression())
        .layer(axum::middleware::from_fn(request_id::layer))
        .with_state(state);
    let _ = pages.set(router.clone());
    router
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Result<&'static str, AppError> {
    frontline_db::access::user_count(&state.db).await?;
    Ok("ok")
}

/// Serves the application on a bound listener until Ctrl-C.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
