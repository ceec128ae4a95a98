//! Pages of the bulletin archive (通报): the weekly, monthly and quarterly bulletins the user
//! receives, each readable as a page (printable), a PDF or an Excel workbook.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use frontline_core::bulletins::Cadence;
use frontline_core::indicators::Standing;
use frontline_db::bulletins::{self, Bulletin, BulletinView};

use super::{Chrome, UiResult, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::services::bulletin::{Masthead, figure_text, masthead, title};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bulletins", get(bulletins_page))
        .route("/bulletins/{id}", get(bulletin_page))
        .route("/bulletins/{id}/pdf", get(bulletin_pdf))
        .route("/bulletins/{id}/xlsx", get(bulletin_xlsx))
}

fn fail(lang: Lang) -> impl Fn(AppError) -> axum::response::Response {
    move |e: AppError| e.into_html(lang)
}

fn allowed(ctx: &Ctx) -> Result<(), axum::response::Response> {
    ctx.actor.require("report:bulletin:list").map_err(|e| fail(ctx.lang)(e.into()))
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    cadence: Option<String>,
}

#[derive(Template)]
#[template(path = "bulletins.html")]
struct BulletinsPage {
    t: Tr,
    c: Chrome,
    items: Vec<(BulletinView, String)>,
    cadence: String,
    cadences: Vec<(String, String)>,
}

async fn bulletins_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> UiResult {
    allowed(&ctx)?;
    let lang = ctx.lang;
    let items =
        bulletins::list(&state.db, &ctx.actor.scope, q.cadence.as_deref()).await.map_err(|e| fail(lang)(e.into()))?;
    let tpl = BulletinsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/bulletins"),
        items: items
            .into_iter()
            .map(|b| {
                let t = title(&b, lang);
                (b, t)
            })
            .collect(),
        cadence: q.cadence.unwrap_or_default(),
        cadences: Cadence::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), lang.code_label("bulletin.cadence", c.as_str()).to_string()))
            .collect(),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "bulletin.html")]
struct BulletinPage {
    t: Tr,
    c: Chrome,
    b: Bulletin,
    title: String,
    figures: Vec<(String, String, String, String)>,
    masthead: Masthead,
}

async fn bulletin_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    allowed(&ctx)?;
    let lang = ctx.lang;
    let b = bulletins::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(lang)(e.into()))?;
    let figures = b
        .content
        .figures
        .iter()
        .map(|f| {
            let (now, before, delta) = figure_text(f);
            (lang.t(&f.key).to_string(), now, before, delta)
        })
        .collect();
    let tpl = BulletinPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/bulletins"),
        title: title(&b.bulletin, lang),
        figures,
        masthead: masthead(&b, lang),
        b,
    };
    render(&tpl, lang)
}

async fn bulletin_pdf(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    allowed(&ctx)?;
    let b = bulletins::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(ctx.lang)(e.into()))?;
    crate::services::bulletin::pdf_response(&b, ctx.lang).map_err(fail(ctx.lang))
}

async fn bulletin_xlsx(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    allowed(&ctx)?;
    let b = bulletins::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(ctx.lang)(e.into()))?;
    crate::services::bulletin::xlsx_response(&b, ctx.lang).map_err(fail(ctx.lang))
}
