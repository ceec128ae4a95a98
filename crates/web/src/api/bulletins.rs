//! Bulletins in `/api/v1` (OpenAPI tag `bulletins`): the archive of weekly, monthly and quarterly
//! bulletins the caller receives, each as JSON, a PDF and an Excel workbook.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use frontline_db::bulletins::{self, Bulletin, BulletinView};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiId, ApiQuery, ApiResult};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use crate::services::bulletin;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bulletins", get(list_bulletins))
        .route("/bulletins/{id}", get(get_bulletin))
        .route("/bulletins/{id}/pdf", get(bulletin_pdf))
        .route("/bulletins/{id}/xlsx", get(bulletin_xlsx))
}

/// Filters for the archive.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulletinQuery {
    /// `weekly`, `monthly` or `quarterly`.
    pub cadence: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/bulletins", tag = "bulletins", params(BulletinQuery),
    responses((status = 200, body = Vec<BulletinView>)))]
pub async fn list_bulletins(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<BulletinQuery>,
) -> Result<Json<Vec<BulletinView>>, Response> {
    ctx.actor.require("report:bulletin:list").api(ctx.lang)?;
    bulletins::list(&s.db, &ctx.actor.scope, q.cadence.as_deref()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/bulletins/{id}", tag = "bulletins", params(("id" = i64, Path)),
    responses((status = 200, body = Bulletin), (status = 404, body = ErrorBody)))]
pub async fn get_bulletin(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Bulletin>, Response> {
    ctx.actor.require("report:bulletin:list").api(ctx.lang)?;
    bulletins::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/bulletins/{id}/pdf", tag = "bulletins", params(("id" = i64, Path)),
    responses((status = 200, description = "The bulletin as a PDF", content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
pub async fn bulletin_pdf(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    ctx.actor.require("report:bulletin:list").api(ctx.lang)?;
    let b = bulletins::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang)?;
    bulletin::pdf_response(&b, ctx.lang).api(ctx.lang)
}

#[utoipa::path(get, path = "/api/v1/bulletins/{id}/xlsx", tag = "bulletins", params(("id" = i64, Path)),
    responses((status = 200, description = "The bulletin as an Excel workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
pub async fn bulletin_xlsx(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    ctx.actor.require("report:bulletin:list").api(ctx.lang)?;
    let b = bulletins::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang)?;
    bulletin::xlsx_response(&b, ctx.lang).api(ctx.lang)
}
