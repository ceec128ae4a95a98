//! Supervision in `/api/v1` (OpenAPI tag `supervision`): inspection teams and rounds with the
//! re-checkable draw, the team's targets and visits, findings and their rectification, notices,
//! accountability actions with their reviews and tolerance requests, the trace-back, the counts
//! per unit, and the burden view.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use frontline_db::Page;
use frontline_db::accountability::{self, ActionCounts, ActionDetail, ActionInput, ActionQuery, ActionView, Trace};
use frontline_db::burden::{self, BurdenReport};
use frontline_db::inspections::{
    self, DrawCheck, FindingDetail, FindingQuery, FindingView, HolderView, NoticeInput, NoticeView, RoundDetail,
    RoundInput, RoundView, SupervisionCounts, TargetView, TeamInput, TeamView, VisitInput, VisitView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::people::Created;
use super::work::DayRange;
use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use crate::offline::Sent;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inspection-teams", get(list_teams).post(create_team))
        .route("/inspection-rounds", get(list_rounds).post(create_round))
        .route("/inspection-rounds/{id}", get(get_round))
        .route("/inspection-rounds/{id}/draw", get(recheck_draw))
        .route("/inspection-targets/mine", get(my_targets))
        .route("/inspection-targets/{id}/holders", get(target_holders))
        .route("/inspection-visits", get(list_visits).post(log_visit))
        .route("/findings", get(list_findings))
        .route("/findings/{id}", get(get_finding))
        .route("/findings/{id}/rectifications", post(rectify))
        .route("/findings/{id}/decision", post(decide))
        .route("/notices", get(list_notices).post(issue_notice))
        .route("/units/{id}/supervision-counts", get(supervision_counts))
        .route("/accountability-actions", get(list_actions).post(create_action))
        .route("/accountability-actions/{id}", get(get_action))
        .route("/accountability-actions/{id}/reviews", post(open_review))
        .route("/accountability-reviews/{id}/decision", post(decide_review))
        .route("/units/{id}/accountability-counts", get(accountability_counts))
        .route("/trace", get(trace))
        .route("/units/{id}/burden", get(burden_view))
}

/// A page number and size.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub unit: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/inspection-teams", tag = "supervision",
    responses((status = 200, body = Vec<TeamView>), (status = 401, body = ErrorBody)))]
pub async fn list_teams(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<TeamView>>, Response> {
    ctx.actor.require("inspect:round:list").or_else(|_| ctx.actor.require("inspect:visit:log")).api(ctx.lang)?;
    inspections::teams(&s.db, &ctx.actor.scope).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/inspection-teams", tag = "supervision", request_body = TeamInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_team(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<TeamInput>,
) -> Result<Response, Response> {
    inspections::create_team(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/inspection-rounds", tag = "supervision", params(Paging),
    responses((status = 200, body = Page<RoundView>), (status = 401, body = ErrorBody)))]
pub async fn list_rounds(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<Paging>,
) -> Result<Json<Page<RoundView>>, Response> {
    ctx.actor.require("inspect:round:list").api(ctx.lang)?;
    inspections::rounds(&s.db, &ctx.actor.scope, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/inspection-rounds", tag = "supervision", request_body = RoundInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_round(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<RoundInput>,
) -> Result<Response, Response> {
    inspections::create_round(&s.db, &ctx.actor, &b, rand::random())
        .await
        .api(ctx.lang)
        .map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/inspection-rounds/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = RoundDetail), (status = 404, body = ErrorBody)))]
pub async fn get_round(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<RoundDetail>, Response> {
    inspections::round(&s.db, &ctx.actor, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/inspection-rounds/{id}/draw", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = DrawCheck), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn recheck_draw(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<DrawCheck>, Response> {
    inspections::recheck(&s.db, &ctx.actor, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/inspection-targets/mine", tag = "supervision",
    responses((status = 200, body = Vec<TargetView>), (status = 401, body = ErrorBody)))]
pub async fn my_targets(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<TargetView>>, Response> {
    inspections::my_targets(&s.db, &ctx.actor).await.api(ctx.lang).map(Json)
}

/// A target and the cadres the team expects to find on post there.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetHolders {
    pub target: TargetView,
    pub holders: Vec<HolderView>,
}

#[utoipa::path(get, path = "/api/v1/inspection-targets/{id}/holders", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = TargetHolders), (status = 404, body = ErrorBody)))]
pub async fn target_holders(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<TargetHolders>, Response> {
    let (target, holders) = inspections::target_holders(&s.db, &ctx.actor, id).await.api(ctx.lang)?;
    Ok(Json(TargetHolders { target, holders }))
}

#[utoipa::path(get, path = "/api/v1/inspection-visits", tag = "supervision", params(Paging),
    responses((status = 200, body = Page<VisitView>), (status = 401, body = ErrorBody)))]
pub async fn list_visits(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<Paging>,
) -> Result<Json<Page<VisitView>>, Response> {
    ctx.actor.require("inspect:round:list").api(ctx.lang)?;
    inspections::visits(&s.db, &ctx.actor.scope, q.unit, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/inspection-visits", tag = "supervision", request_body = VisitInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_visit(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Sent(when): Sent,
    ApiJson(b): ApiJson<VisitInput>,
) -> Result<Response, Response> {
    inspections::log_visit(&s.db, &ctx.actor, &b, None, when).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/findings", tag = "supervision", params(FindingQuery),
    responses((status = 200, body = Page<FindingView>), (status = 401, body = ErrorBody)))]
pub async fn list_findings(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<FindingQuery>,
) -> Result<Json<Page<FindingView>>, Response> {
    ctx.actor.require("inspect:finding:list").api(ctx.lang)?;
    inspections::findings(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = FindingDetail), (status = 404, body = ErrorBody)))]
pub async fn get_finding(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<FindingDetail>, Response> {
    ctx.actor.require("inspect:finding:list").api(ctx.lang)?;
    inspections::finding(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// What the unit did about a finding, and its evidence.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RectificationBody {
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    #[schema(min_length = 1, max_length = 1000)]
    pub evidence: String,
    /// A photo of what was done, uploaded first (`POST /attachments`) by the same account.
    #[serde(default)]
    pub attachment_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/rectifications", tag = "supervision", params(("id" = i64, Path)), request_body = RectificationBody,
    responses((status = 200, body = FindingDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rectify(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    Sent(when): Sent,
    ApiJson(b): ApiJson<RectificationBody>,
) -> Result<Json<FindingDetail>, Response> {
    let photo = b.attachment_id.map(frontline_db::evidence::PhotoEvidence::Uploaded);
    inspections::submit_rectification(&s.db, &ctx.actor, id, &b.text, &b.evidence, photo.as_ref(), when)
        .await
        .api(ctx.lang)
        .map(Json)
}

/// The team's decision on the rectification handed in: accept (销号) or return with a reason.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionBody {
    pub accept: bool,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/decision", tag = "supervision", params(("id" = i64, Path)), request_body = DecisionBody,
    responses((status = 200, body = FindingDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<FindingDetail>, Response> {
    inspections::decide_rectification(&s.db, &ctx.actor, id, b.accept, &b.note).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/notices", tag = "supervision", params(Paging),
    responses((status = 200, body = Page<NoticeView>), (status = 401, body = ErrorBody)))]
pub async fn list_notices(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<Paging>,
) -> Result<Json<Page<NoticeView>>, Response> {
    ctx.actor.require("inspect:finding:list").api(ctx.lang)?;
    inspections::notices(&s.db, &ctx.actor.scope, q.unit, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/notices", tag = "supervision", request_body = NoticeInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn issue_notice(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<NoticeInput>,
) -> Result<Response, Response> {
    inspections::issue_notice(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/units/{id}/supervision-counts", tag = "supervision", params(("id" = i64, Path), DayRange),
    responses((status = 200, body = Vec<SupervisionCounts>), (status = 404, body = ErrorBody)))]
pub async fn supervision_counts(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<DayRange>,
) -> Result<Json<Vec<SupervisionCounts>>, Response> {
    ctx.actor.require("inspect:finding:list").api(ctx.lang)?;
    let (from, to) = q.bounds();
    inspections::counts(&s.db, &ctx.actor.scope, id, from, to).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/accountability-actions", tag = "supervision", params(ActionQuery),
    responses((status = 200, body = Page<ActionView>), (status = 401, body = ErrorBody)))]
pub async fn list_actions(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<ActionQuery>,
) -> Result<Json<Page<ActionView>>, Response> {
    ctx.actor.require("account:action:list").api(ctx.lang)?;
    accountability::actions(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/accountability-actions", tag = "supervision", request_body = ActionInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_action(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<ActionInput>,
) -> Result<Response, Response> {
    accountability::create_action(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/accountability-actions/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = ActionDetail), (status = 404, body = ErrorBody)))]
pub async fn get_action(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<ActionDetail>, Response> {
    ctx.actor.require("account:action:list").api(ctx.lang)?;
    accountability::action(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// A decided item to open on an action: `review` (问责会审) or `tolerance` (容错纠错).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewBody {
    #[schema(value_type = frontline_core::accountability::ReviewKind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 2000)]
    pub request: String,
}

#[utoipa::path(post, path = "/api/v1/accountability-actions/{id}/reviews", tag = "supervision", params(("id" = i64, Path)), request_body = ReviewBody,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_review(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<ReviewBody>,
) -> Result<Response, Response> {
    accountability::open_review(&s.db, &ctx.actor, id, &b.kind, &b.request)
        .await
        .api(ctx.lang)
        .map(|id| created(Created { id }))
}

/// The decision on a review or tolerance request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewDecisionBody {
    pub approve: bool,
    #[schema(min_length = 1, max_length = 1000)]
    pub decision: String,
}

#[utoipa::path(post, path = "/api/v1/accountability-reviews/{id}/decision", tag = "supervision", params(("id" = i64, Path)), request_body = ReviewDecisionBody,
    responses((status = 200, body = ActionDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_review(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<ReviewDecisionBody>,
) -> Result<Json<ActionDetail>, Response> {
    accountability::decide_review(&s.db, &ctx.actor, id, b.approve, &b.decision).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/accountability-counts", tag = "supervision", params(("id" = i64, Path), DayRange),
    responses((status = 200, body = Vec<ActionCounts>), (status = 404, body = ErrorBody)))]
pub async fn accountability_counts(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<DayRange>,
) -> Result<Json<Vec<ActionCounts>>, Response> {
    ctx.actor.require("account:action:list").api(ctx.lang)?;
    let (from, to) = q.bounds();
    accountability::counts(&s.db, &ctx.actor.scope, id, from, to).await.api(ctx.lang).map(Json)
}

/// What to trace back from: `record`, `finding` or `order`, and its id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    #[param(value_type = frontline_core::accountability::SourceKind)]
    pub source_kind: String,
    pub source_id: i64,
}

#[utoipa::path(get, path = "/api/v1/trace", tag = "supervision", params(TraceQuery),
    responses((status = 200, body = Trace), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn trace(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> Result<Json<Trace>, Response> {
    ctx.actor.require("account:action:list").api(ctx.lang)?;
    accountability::trace(&s.db, &ctx.actor.scope, &q.source_kind, q.source_id).await.api(ctx.lang).map(Json)
}

/// The day the burden view ends on (today if absent).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BurdenQuery {
    pub to: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/burden", tag = "supervision", params(("id" = i64, Path), BurdenQuery),
    responses((status = 200, body = BurdenReport), (status = 404, body = ErrorBody)))]
pub async fn burden_view(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<BurdenQuery>,
) -> Result<Json<BurdenReport>, Response> {
    ctx.actor.require("inspect:burden:list").api(ctx.lang)?;
    burden::report(&s.db, &ctx.actor.scope, id, q.to).await.api(ctx.lang).map(Json)
}
