//! Weak or lax party organisations in `/api/v1` (003.5, 软弱涣散): the install's criteria, the
//! yearly screening of a part of the tree, cases with their reasons, the organisation
//! department's decision, the rectification plan and "1+1" pairing, progress reports and 销号.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Datelike, Utc};
use frontline_core::time::today_in_china;
use frontline_core::weak::CriterionRule;
use frontline_db::weak::{self, CaseList, CasePlanInput, CaseQuery, CaseView, CriterionInput, Pairing, Screening};
use serde::Deserialize;
use utoipa::ToSchema;

use super::life::Changed;
use super::{ApiId, ApiJson, ApiQuery, ApiResult};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/weak-criteria", get(list_criteria).put(set_criterion))
        .route("/units/{id}/weak-screenings", post(screen))
        .route("/units/{id}/weak-cases", get(list_cases))
        .route("/units/{id}/weak-pairings", post(pair))
        .route("/weak-cases/{id}", get(get_case))
        .route("/weak-cases/{id}/decision", post(decide))
        .route("/weak-cases/{id}/plan", post(plan))
        .route("/weak-cases/{id}/reports", post(report))
        .route("/weak-cases/{id}/clear", post(clear))
}

#[utoipa::path(get, path = "/api/v1/weak-criteria", tag = "indicators",
    responses((status = 200, body = Vec<CriterionRule>), (status = 403, body = ErrorBody)))]
pub async fn list_criteria(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<CriterionRule>>, Response> {
    ctx.actor.require("judge:weak:list").api(ctx.lang)?;
    weak::criteria(&s.db).await.api(ctx.lang).map(Json)
}

#[utoipa::path(put, path = "/api/v1/weak-criteria", tag = "indicators", request_body = CriterionInput,
    responses((status = 200, body = CriterionRule), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_criterion(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<CriterionInput>,
) -> Result<Json<CriterionRule>, Response> {
    weak::set_criterion(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(Json)
}

/// The year to screen or pair (the current year when absent).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct YearBody {
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/weak-screenings", tag = "indicators", params(("id" = i64, Path)),
    request_body = YearBody,
    responses((status = 200, body = Screening), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn screen(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<YearBody>,
) -> Result<Json<Screening>, Response> {
    let today = today_in_china(Utc::now());
    weak::screen(&s.db, &ctx.actor, id, b.year.unwrap_or(today.year()), today).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/weak-cases", tag = "indicators", params(("id" = i64, Path), CaseQuery),
    responses((status = 200, body = CaseList), (status = 404, body = ErrorBody)))]
pub async fn list_cases(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> Result<Json<CaseList>, Response> {
    ctx.actor.require("judge:weak:list").api(ctx.lang)?;
    weak::cases(&s.db, &ctx.actor.scope, id, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/weak-pairings", tag = "indicators", params(("id" = i64, Path)),
    request_body = YearBody,
    responses((status = 200, body = Vec<Pairing>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pair(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<YearBody>,
) -> Result<Json<Vec<Pairing>>, Response> {
    let today = today_in_china(Utc::now());
    weak::pair(&s.db, &ctx.actor, id, b.year.unwrap_or(today.year()), today).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/weak-cases/{id}", tag = "indicators", params(("id" = i64, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)))]
pub async fn get_case(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Json<CaseView>, Response> {
    ctx.actor.require("judge:weak:list").api(ctx.lang)?;
    weak::case(&s.db, &ctx.actor.scope, id, today_in_china(Utc::now())).await.api(ctx.lang).map(Json)
}

/// Confirm a candidate as an organisation to rectify (整顿对象), or dismiss it (a note required).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CaseDecisionBody {
    pub confirm: bool,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/weak-cases/{id}/decision", tag = "indicators", params(("id" = i64, Path)),
    request_body = CaseDecisionBody,
    responses((status = 200, body = Changed), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<CaseDecisionBody>,
) -> Result<Json<Changed>, Response> {
    weak::decide(&s.db, &ctx.actor, id, b.confirm, &b.note).await.api(ctx.lang)?;
    Ok(Json(Changed { changed: true }))
}

#[utoipa::path(post, path = "/api/v1/weak-cases/{id}/plan", tag = "indicators", params(("id" = i64, Path)),
    request_body = CasePlanInput,
    responses((status = 200, body = Changed), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn plan(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<CasePlanInput>,
) -> Result<Json<Changed>, Response> {
    weak::plan(&s.db, &ctx.actor, id, &b, today_in_china(Utc::now())).await.api(ctx.lang)?;
    Ok(Json(Changed { changed: true }))
}

/// A progress report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportBody {
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/weak-cases/{id}/reports", tag = "indicators", params(("id" = i64, Path)),
    request_body = ReportBody,
    responses((status = 200, body = Changed), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<ReportBody>,
) -> Result<Json<Changed>, Response> {
    weak::report(&s.db, &ctx.actor, id, &b.note, today_in_china(Utc::now())).await.api(ctx.lang)?;
    Ok(Json(Changed { changed: true }))
}

#[utoipa::path(post, path = "/api/v1/weak-cases/{id}/clear", tag = "indicators", params(("id" = i64, Path)),
    responses((status = 200, body = Changed), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn clear(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Json<Changed>, Response> {
    weak::clear(&s.db, &ctx.actor, id, today_in_china(Utc::now())).await.api(ctx.lang)?;
    Ok(Json(Changed { changed: true }))
}
