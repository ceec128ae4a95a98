//! Dashboards in `/api/v1` (OpenAPI tag `dashboards`): the figures of a unit's subtree over a
//! period, and a grid worker's own day — the same data the dashboard pages draw.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use frontline_core::DomainError;
use frontline_core::time::today_in_china;
use frontline_db::dashboard::{self, Dashboard, Today};

use super::{ApiQuery, ApiResult};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use crate::services::figures;
use crate::ui::dashboard::DashboardQuery;

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(get_dashboard)).route("/today", get(get_today))
}

#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboards", params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_dashboard(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Response, Response> {
    ctx.actor.require("report:dashboard:view").api(ctx.lang)?;
    let now = Utc::now();
    let span = q.span(today_in_china(now)).api(ctx.lang)?;
    let unit = match q.unit {
        Some(u) => u,
        None => frontline_db::units::roots(&s.db, &ctx.actor.scope)
            .await
            .api(ctx.lang)?
            .first()
            .map(|u| u.id)
            .ok_or(DomainError::NotFound)
            .api(ctx.lang)?,
    };
    let d = figures::dashboard(&s.dashboards, &s.db, &ctx.actor.scope, unit, span.from, span.to).await.api(ctx.lang)?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], d.json.clone()).into_response())
}

#[utoipa::path(get, path = "/api/v1/today", tag = "dashboards",
    responses((status = 200, body = Today), (status = 400, body = ErrorBody)))]
pub async fn get_today(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Today>, Response> {
    ctx.actor.require("work:task:sign").api(ctx.lang)?;
    let now = Utc::now();
    // An account with no person record has no work of its own: its day is empty, as on the page.
    match ctx.actor.scope.person_id {
        Some(me) => dashboard::today(&s.db, me, now).await.api(ctx.lang).map(Json),
        None => Ok(Json(Today { day: frontline_core::time::today_in_china(now), ..Default::default() })),
    }
}
