//! Indicators in `/api/v1` (OpenAPI tag `indicators`): schemes as data, live rankings of a subtree
//! with stars and laggards, the explanation of one score down to the records, the what-if preview,
//! published runs (公示) and star history, and the rectification plans of laggards (后进整转).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use frontline_db::Page;
use frontline_db::indicators::{
    self, Explanation, Period, Preview, Ranking, RankingQuery, RunDetail, RunView, SchemeInput, SchemeView, ScoreRow,
};
use frontline_db::laggards::{self, PlanDetail, PlanInput, PlanQuery, PlanView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::people::Created;
use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schemes", get(list_schemes).post(create_scheme))
        .route("/schemes/{id}", get(get_scheme).put(update_scheme))
        .route("/schemes/{id}/scores", get(scores))
        .route("/schemes/{id}/explain", get(explain))
        .route("/schemes/{id}/preview", post(preview))
        .route("/schemes/{id}/history", get(history))
        .route("/schemes/{id}/runs", post(publish))
        .route("/score-runs", get(list_runs))
        .route("/score-runs/{id}", get(get_run))
        .route("/laggard-plans", get(list_plans).post(create_plan))
        .route("/laggard-plans/{id}", get(get_plan))
        .route("/laggard-plans/{id}/steps", post(add_step))
        .route("/laggard-plans/{id}/decision", post(close_plan))
}

#[utoipa::path(get, path = "/api/v1/schemes", tag = "indicators",
    responses((status = 200, body = Vec<SchemeView>), (status = 401, body = ErrorBody)))]
pub async fn list_schemes(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<SchemeView>>, Response> {
    ctx.actor.require("judge:scheme:list").api(ctx.lang)?;
    indicators::schemes(&s.db, &ctx.actor.scope).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/schemes", tag = "indicators", request_body = SchemeInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_scheme(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<SchemeInput>,
) -> Result<Response, Response> {
    indicators::create_scheme(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/schemes/{id}", tag = "indicators", params(("id" = i64, Path)),
    responses((status = 200, body = SchemeView), (status = 404, body = ErrorBody)))]
pub async fn get_scheme(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<SchemeView>, Response> {
    ctx.actor.require("judge:scheme:list").api(ctx.lang)?;
    indicators::scheme(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(put, path = "/api/v1/schemes/{id}", tag = "indicators", params(("id" = i64, Path)), request_body = SchemeInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_scheme(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<SchemeInput>,
) -> Result<Response, Response> {
    indicators::update_scheme(&s.db, &ctx.actor, id, &b).await.api(ctx.lang)?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

async fn ranking(s: &AppState, ctx: &ApiCtx, id: i64, q: &RankingQuery) -> Result<Ranking, Response> {
    ctx.actor.require("judge:score:list").api(ctx.lang)?;
    let meta = indicators::scheme(&s.db, &ctx.actor.scope, id).await.api(ctx.lang)?;
    let compiled = meta.compiled().api(ctx.lang)?;
    let period = q.period().api(ctx.lang)?;
    let unit = match q.unit {
        Some(u) => u,
        None => indicators::default_unit(&s.db, &ctx.actor.scope, &meta).await.api(ctx.lang)?,
    };
    indicators::score(&s.db, &ctx.actor.scope, &meta, &compiled, unit, period).await.api(ctx.lang)
}

/// Scores, stars and laggards of every subject in a subtree over a period, ranked (one page), with
/// the units right under it rolled up.
#[utoipa::path(get, path = "/api/v1/schemes/{id}/scores", tag = "indicators", params(("id" = i64, Path), RankingQuery),
    responses((status = 200, body = Ranking), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn scores(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> Result<Json<Ranking>, Response> {
    let r = ranking(&s, &ctx, id, &q).await?;
    Ok(Json(r.named(q.name.as_deref()).paged(q.laggards.unwrap_or(false), q.page, q.per_page)))
}

/// One village's (`unit`) or one person's (`person`) score line by line, each line with the
/// measures it reads and the `/records` query listing them.
#[utoipa::path(get, path = "/api/v1/schemes/{id}/explain", tag = "indicators", params(("id" = i64, Path), RankingQuery),
    responses((status = 200, body = Explanation), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn explain(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> Result<Json<Explanation>, Response> {
    ctx.actor.require("judge:score:list").api(ctx.lang)?;
    let period = q.period().api(ctx.lang)?;
    indicators::explain(&s.db, &ctx.actor.scope, id, q.unit, q.person, q.within, period).await.api(ctx.lang).map(Json)
}

/// A changed definition to try.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewInput {
    pub unit_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// The ranking under a changed definition beside the current one; nothing is saved.
#[utoipa::path(post, path = "/api/v1/schemes/{id}/preview", tag = "indicators", params(("id" = i64, Path)), request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PreviewInput>,
) -> Result<Json<Preview>, Response> {
    ctx.actor.require("judge:score:list").api(ctx.lang)?;
    let period = Period::checked(b.from, b.to).api(ctx.lang)?;
    indicators::preview(&s.db, &ctx.actor.scope, id, b.unit_id, period, &b.definition).await.api(ctx.lang).map(Json)
}

/// Whose history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub unit: Option<i64>,
    pub person: Option<i64>,
}

/// A subject's published results under a scheme, oldest first: stars gained and lost.
#[utoipa::path(get, path = "/api/v1/schemes/{id}/history", tag = "indicators", params(("id" = i64, Path), HistoryQuery),
    responses((status = 200, body = Vec<ScoreRow>), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<ScoreRow>>, Response> {
    ctx.actor.require("judge:score:list").api(ctx.lang)?;
    indicators::scheme(&s.db, &ctx.actor.scope, id).await.api(ctx.lang)?;
    indicators::history(&s.db, &ctx.actor.scope, id, q.unit, q.person).await.api(ctx.lang).map(Json)
}

/// What to publish.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RunInput {
    pub unit_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Scores a subtree over a finished period and publishes the result (公示 for the scheme's days).
#[utoipa::path(post, path = "/api/v1/schemes/{id}/runs", tag = "indicators", params(("id" = i64, Path)), request_body = RunInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RunInput>,
) -> Result<Response, Response> {
    let period = Period::checked(b.from, b.to).api(ctx.lang)?;
    indicators::publish(&s.db, &ctx.actor, id, b.unit_id, period).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// Which runs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    pub scheme: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/score-runs", tag = "indicators", params(RunsQuery),
    responses((status = 200, body = Vec<RunView>), (status = 401, body = ErrorBody)))]
pub async fn list_runs(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> Result<Json<Vec<RunView>>, Response> {
    ctx.actor.require("judge:score:list").api(ctx.lang)?;
    indicators::runs(&s.db, &ctx.actor.scope, q.scheme).await.api(ctx.lang).map(Json)
}

/// A run's page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    pub laggards: Option<bool>,
    pub page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/score-runs/{id}", tag = "indicators", params(("id" = i64, Path), RunQuery),
    responses((status = 200, body = RunDetail), (status = 404, body = ErrorBody)))]
pub async fn get_run(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<RunQuery>,
) -> Result<Json<RunDetail>, Response> {
    ctx.actor.require("judge:score:list").api(ctx.lang)?;
    indicators::run(&s.db, &ctx.actor.scope, id, q.laggards.unwrap_or(false), q.page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/laggard-plans", tag = "indicators", params(PlanQuery),
    responses((status = 200, body = Page<PlanView>), (status = 401, body = ErrorBody)))]
pub async fn list_plans(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<Page<PlanView>>, Response> {
    ctx.actor.require("judge:laggard:list").api(ctx.lang)?;
    laggards::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/laggard-plans", tag = "indicators", request_body = PlanInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_plan(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<PlanInput>,
) -> Result<Response, Response> {
    laggards::create(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/laggard-plans/{id}", tag = "indicators", params(("id" = i64, Path)),
    responses((status = 200, body = PlanDetail), (status = 404, body = ErrorBody)))]
pub async fn get_plan(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Json<PlanDetail>, Response> {
    ctx.actor.require("judge:laggard:list").api(ctx.lang)?;
    laggards::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// A note of progress.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = LaggardStepInput)]
pub struct StepInput {
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/laggard-plans/{id}/steps", tag = "indicators", params(("id" = i64, Path)), request_body = StepInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_step(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<StepInput>,
) -> Result<Response, Response> {
    laggards::add_step(&s.db, &ctx.actor, id, &b.note).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// The judgement on a plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanDecision {
    pub converted: bool,
    #[schema(min_length = 1, max_length = 2000)]
    pub outcome: String,
}

#[utoipa::path(post, path = "/api/v1/laggard-plans/{id}/decision", tag = "indicators", params(("id" = i64, Path)), request_body = PlanDecision,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_plan(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PlanDecision>,
) -> Result<Response, Response> {
    laggards::close(&s.db, &ctx.actor, id, b.converted, &b.outcome).await.api(ctx.lang)?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
