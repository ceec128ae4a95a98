//! `/api/v1/units`: the unit tree.

use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, extract::State};
use frontline_core::units::UnitInput;
use frontline_db::Page;
use frontline_db::units::{self, UnitQuery, UnitView};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/units", get(list).post(create))
        .route("/units/{id}", get(get_one).put(update))
        .route("/units/{id}/children", get(children))
        .route("/units/{id}/move", post(move_unit))
        .route("/units/{id}/close", post(close))
}

/// A unit to create or the new state of one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitBody {
    /// The parent; omitted for a root (administrators only).
    pub parent_id: Option<i64>,
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// One of `county`, `township`, `village`, `village_group`, `grid`, `household`, `department`,
    /// `party_committee`, `party_general_branch`, `party_branch`, `party_group`,
    /// `temporary_party_branch`, `enterprise`, `checkpoint` (and `province`, `prefecture`).
    #[schema(schema_with = crate::api::unit_kinds)]
    pub kind: String,
    #[serde(default)]
    #[schema(pattern = r"^\s*([A-Za-z0-9-]{1,20})?\s*$")]
    pub code: String,
    /// Any of the known tags (`weak`, `disorderly`, `poor`, `industry`, `border`, `key` …).
    #[serde(default)]
    #[schema(schema_with = crate::api::unit_tags)]
    pub tags: Vec<String>,
}

impl UnitBody {
    fn input(self) -> UnitInput {
        UnitInput { name: self.name, kind: self.kind, code: self.code, tags: self.tags }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveBody {
    pub parent_id: i64,
}

#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(UnitQuery),
    responses((status = 200, body = Page<UnitView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<Json<Page<UnitView>>, Response> {
    ctx.actor.require("units:unit:list").api(ctx.lang)?;
    units::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = UnitBody,
    responses((status = 201, body = UnitView), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<UnitBody>,
) -> Result<Response, Response> {
    let parent = b.parent_id;
    units::create(&s.db, &ctx.actor, parent, &b.input()).await.api(ctx.lang).map(created)
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)),
    responses((status = 200, body = UnitView), (status = 404, body = ErrorBody)))]
pub async fn get_one(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Json<UnitView>, Response> {
    ctx.actor.require("units:unit:list").api(ctx.lang)?;
    units::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)), request_body = UnitBody,
    responses((status = 200, body = UnitView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<UnitBody>,
) -> Result<Json<UnitView>, Response> {
    units::update(&s.db, &ctx.actor, id, &b.input()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/children", tag = "units", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<UnitView>), (status = 404, body = ErrorBody)))]
pub async fn children(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<UnitView>>, Response> {
    ctx.actor.require("units:unit:list").api(ctx.lang)?;
    units::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang)?;
    units::children(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/move", tag = "units", params(("id" = i64, Path)), request_body = MoveBody,
    responses((status = 200, body = UnitView), (status = 409, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn move_unit(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<MoveBody>,
) -> Result<Json<UnitView>, Response> {
    units::move_to(&s.db, &ctx.actor, id, b.parent_id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/close", tag = "units", params(("id" = i64, Path)),
    responses((status = 200, body = UnitView), (status = 409, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn close(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    units::close(&s.db, &ctx.actor, id).await.api(ctx.lang).map(|u| Json(u).into_response())
}
