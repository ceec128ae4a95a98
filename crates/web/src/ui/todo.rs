//! 待办 (the to-do centre), `/todo`: what waits on the user, each count a link to the page that
//! lists it. The phone's 待办 tab opens it; a village secretary lands on it.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::{Chrome, UiResult, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::services::todo::{self, TodoItem};

pub fn router() -> Router<AppState> {
    Router::new().route("/todo", get(todo_page))
}

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoPage {
    t: Tr,
    c: Chrome,
    items: Vec<TodoItem>,
    can_dashboard: bool,
}

async fn todo_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let items = todo::todo(&state.db, &ctx.actor, chrono::Utc::now()).await.map_err(|e| e.into_html(lang))?;
    let tpl = TodoPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/todo"),
        items,
        can_dashboard: ctx.actor.can("report:dashboard:view"),
    };
    render(&tpl, lang)
}
