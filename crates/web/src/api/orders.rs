//! Work orders in `/api/v1` (OpenAPI tag `orders`): categories, the counties' working calendars,
//! intake, the scoped lists, one order with its timeline, every lifecycle step, and the figures
//! (collected / solved / in progress and the three rates) per unit.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use frontline_db::Page;
use frontline_db::orders::{
    self, CalendarDay, CategoryInput, CategoryView, OrderDetail, OrderInput, OrderQuery, OrderView, StepInput,
    UnitOrderCounts,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::people::Created;
use super::work::{DayRange, Done};
use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use crate::offline::Sent;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/order-categories", get(list_categories).post(create_category))
        .route("/units/{id}/calendar", get(calendar).put(set_calendar_day))
        .route("/orders", get(list_orders).post(intake))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/steps", post(take_step))
        .route("/units/{id}/order-counts", get(order_counts))
}

#[utoipa::path(get, path = "/api/v1/order-categories", tag = "orders",
    responses((status = 200, body = Vec<CategoryView>), (status = 401, body = ErrorBody)))]
pub async fn list_categories(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<CategoryView>>, Response> {
    ctx.actor.require("order:request:list").api(ctx.lang)?;
    orders::categories(&s.db).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/order-categories", tag = "orders", request_body = CategoryInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<CategoryInput>,
) -> Result<Response, Response> {
    orders::create_category(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/units/{id}/calendar", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CalendarDay>), (status = 404, body = ErrorBody)))]
pub async fn calendar(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<CalendarDay>>, Response> {
    ctx.actor.require("order:request:list").api(ctx.lang)?;
    orders::calendar_days(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// One day of a county's calendar: a holiday (`working: false`) or a weekend worked (`true`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CalendarDayBody {
    pub day: NaiveDate,
    pub working: bool,
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
}

#[utoipa::path(put, path = "/api/v1/units/{id}/calendar", tag = "orders", params(("id" = i64, Path)), request_body = CalendarDayBody,
    responses((status = 200, body = Done), (status = 422, body = ErrorBody)))]
pub async fn set_calendar_day(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<CalendarDayBody>,
) -> Result<Json<Done>, Response> {
    orders::set_calendar_day(&s.db, &ctx.actor, id, b.day, b.working, &b.name).await.api(ctx.lang)?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = OrderInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn intake(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Sent(when): Sent,
    ApiJson(b): ApiJson<OrderInput>,
) -> Result<Response, Response> {
    orders::intake(&s.db, &ctx.actor, &b, when).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, body = Page<OrderView>), (status = 401, body = ErrorBody)))]
pub async fn list_orders(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Json<Page<OrderView>>, Response> {
    ctx.actor.require("order:request:list").api(ctx.lang)?;
    orders::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderDetail), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<OrderDetail>, Response> {
    ctx.actor.require("order:request:list").api(ctx.lang)?;
    let reveal = ctx.actor.can("order:request:handle") || ctx.actor.can("order:request:dispatch");
    orders::get(&s.db, &ctx.actor.scope, id, reveal).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/steps", tag = "orders", params(("id" = i64, Path)), request_body = StepInput,
    responses((status = 200, body = OrderDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take_step(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    Sent(when): Sent,
    ApiJson(b): ApiJson<StepInput>,
) -> Result<Json<OrderDetail>, Response> {
    orders::act(&s.db, &ctx.actor, id, &b, when).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/order-counts", tag = "orders", params(("id" = i64, Path), DayRange),
    responses((status = 200, body = Vec<UnitOrderCounts>), (status = 404, body = ErrorBody)))]
pub async fn order_counts(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<DayRange>,
) -> Result<Json<Vec<UnitOrderCounts>>, Response> {
    ctx.actor.require("order:request:list").api(ctx.lang)?;
    let (from, to) = q.bounds();
    orders::counts(&s.db, &ctx.actor.scope, id, from, to).await.api(ctx.lang).map(Json)
}
