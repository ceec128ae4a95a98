//! Exports of any list page and the progress of long work, in the browser. Every list table gets
//! an Excel button (`static/app.js`); it starts an export job that renders the list page after
//! page as the user sees it and reads the table back into a workbook. Long work answers at once
//! with a progress bar that htmx refreshes until the outcome is there: a download link, or an
//! import's report. Short work finishes within the first wait and answers with its outcome
//! directly.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use frontline_core::DomainError;
use frontline_core::progress::Stage;
use serde::Deserialize;
use tower::ServiceExt;

use super::{UiResult, render};
use crate::auth::Ctx;
use crate::background::{Job, Outcome};
use crate::i18n::{Lang, Tr};
use crate::services::RowProblem;
use crate::services::list_export::{Table, exportable, page_address, page_count, page_title, read_table};
use crate::{AppError, AppState};

/// The most pages (of up to 200 rows) one export reads.
const MAX_PAGES: u64 = 1_000;
/// How long a request waits for its job before answering with a progress bar.
const FIRST_WAIT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/export", get(start_export))
        .route("/jobs/{id}", get(job_state))
        .route("/jobs/{id}/file", get(job_file))
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    /// The list page as the user sees it: path and query.
    from: String,
    /// The id of the table on that page.
    table: String,
}

#[derive(Template)]
#[template(path = "job.html")]
pub struct JobView {
    t: Tr,
    id: String,
    /// `running`, `file`, `imported`, `rejected` or `failed`.
    state: &'static str,
    stage: &'static str,
    done: u64,
    total: u64,
    percent: u64,
    file_name: String,
    rows: usize,
    message: String,
    problems: Vec<RowProblem>,
}

/// Answers with the job's state: a progress bar (refreshed by htmx) or its outcome. A rejected
/// import answers 422, a failed job 500, as the direct answers did.
pub fn job_response(id: &str, job: &Job, lang: Lang) -> UiResult {
    let (stage, done, total) = job.progress.snapshot();
    let outcome = job.outcome();
    let status = match &outcome {
        Some(Outcome::Rejected(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        Some(Outcome::Failed { status, .. }) => {
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        _ => StatusCode::OK,
    };
    let mut view = JobView {
        t: Tr(lang),
        id: id.to_string(),
        state: "running",
        stage: match stage {
            Stage::Reading => "job.reading",
            Stage::Checking => "job.checking",
            Stage::Writing => "job.writing",
        },
        done,
        total,
        percent: job.progress.percent(),
        file_name: String::new(),
        rows: 0,
        message: String::new(),
        problems: Vec::new(),
    };
    match outcome {
        None => {}
        Some(Outcome::File { name, rows, .. }) => (view.state, view.file_name, view.rows) = ("file", name, rows),
        Some(Outcome::Imported(n)) => (view.state, view.rows) = ("imported", n),
        Some(Outcome::Rejected(r)) => (view.state, view.message, view.problems) = ("rejected", r.message, r.problems),
        Some(Outcome::Failed { message, .. }) => (view.state, view.message) = ("failed", message),
    }
    render(&view, lang).map(|r| (status, r).into_response())
}

/// Waits a little for a job, so short work answers with its outcome at once.
pub async fn wait_briefly(job: &Job) {
    let started = std::time::Instant::now();
    while job.outcome().is_none() && started.elapsed() < FIRST_WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ExportQuery>,
    req: Request<Body>,
) -> UiResult {
    let lang = ctx.lang;
    let bad = |field: &str| AppError::Domain(DomainError::invalid(field, "error.export.bad_page")).into_html(lang);
    if !exportable(&q.from) {
        return Err(bad("from"));
    }
    if q.table.is_empty() || !q.table.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(bad("table"));
    }
    let Some(pages) = state.pages.get().cloned() else { return Err(bad("from")) };
    let Some((id, job)) = state.jobs.start(ctx.actor.user_id) else {
        return Err(AppError::BadRequest("error.job.too_many", String::new()).into_html(lang));
    };
    // The pages are rendered as this user: their session cookie and language go along.
    let cookie = req.headers().get(header::COOKIE).cloned();
    let work = job.clone();
    tokio::spawn(async move {
        let outcome = export(pages, &work, &q.from, &q.table, cookie, lang).await;
        work.finish(outcome);
    });
    wait_briefly(&job).await;
    job_response(&id, &job, lang)
}

/// Renders one page of the list as the user.
async fn render_page(pages: &Router, path: &str, cookie: &Option<header::HeaderValue>) -> Result<String, StatusCode> {
    let mut req = Request::builder().uri(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c.clone());
    }
    let req = req.body(Body::empty()).map_err(|_| StatusCode::BAD_REQUEST)?;
    let resp = pages.clone().oneshot(req).await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    if resp.status() != StatusCode::OK {
        return Err(resp.status());
    }
    let body = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

async fn export(
    pages: Router,
    job: &Arc<Job>,
    from: &str,
    table_id: &str,
    cookie: Option<header::HeaderValue>,
    lang: Lang,
) -> Outcome {
    // What the page or the list does not allow is the user's to change (422); a workbook that
    // cannot be written is a fault (500).
    let failed = |key: &str| Outcome::Failed {
        status: if key == "error.export.write" { 500 } else { 422 },
        message: lang.t(key).to_string(),
    };
    job.progress.begin(Stage::Reading, 1);
    let first = match render_page(&pages, &page_address(from, 1), &cookie).await {
        Ok(html) => html,
        Err(StatusCode::FORBIDDEN) => {
            return Outcome::Failed { status: 403, message: lang.t("error.forbidden").to_string() };
        }
        Err(_) => return failed("error.export.bad_page"),
    };
    let Some(mut table) = read_table(&first, table_id) else { return failed("error.export.no_table") };
    let title = page_title(&first);
    let count = page_count(&first);
    if count > MAX_PAGES {
        return failed("error.export.too_long");
    }
    job.progress.begin(Stage::Reading, count);
    job.progress.advance(1);
    for page in 2..=count {
        let more = match render_page(&pages, &page_address(from, page), &cookie).await {
            Ok(html) => read_table(&html, table_id).unwrap_or_default(),
            Err(_) => return failed("error.export.bad_page"),
        };
        table.rows.extend(more.rows);
        job.progress.advance(1);
    }
    job.progress.begin(Stage::Writing, 1);
    let Table { headers, rows } = table;
    let sheet = sheet_name(&title);
    let bytes = match frontline_reports::export_table(&sheet, &headers, &rows) {
        Ok(b) => b,
        Err(_) => return failed("error.export.write"),
    };
    job.progress.advance(1);
    Outcome::File { name: format!("{sheet}.xlsx"), bytes, rows: rows.len() }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let clean: String = title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if clean.trim().is_empty() { "Sheet1".to_string() } else { clean }
}

async fn job_state(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> UiResult {
    let lang = ctx.lang;
    let job = state
        .jobs
        .get(&id, ctx.actor.user_id)
        .ok_or_else(|| AppError::Domain(DomainError::NotFound).into_html(lang))?;
    job_response(&id, &job, lang)
}

async fn job_file(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> UiResult {
    let lang = ctx.lang;
    let not_found = || AppError::Domain(DomainError::NotFound).into_html(lang);
    let job = state.jobs.get(&id, ctx.actor.user_id).ok_or_else(not_found)?;
    match job.outcome() {
        Some(Outcome::File { name, bytes, .. }) => Ok(super::people::xlsx_response(bytes, &name)),
        _ => Err(not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_ones_excel_accepts() {
        assert_eq!(sheet_name("工单办理"), "工单办理");
        assert_eq!(sheet_name("a/b:c"), "abc");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }
}
