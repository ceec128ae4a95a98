//! Who answers for what, in `/api/v1`: responsibility links, the chain of a unit on a day, the
//! gap report and coverage check, succession, role posts and claims, pairing, deployments and
//! their planners, mentoring triples, and the caller's notifications.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::deployment::Purpose;
use frontline_core::responsibility::LinkInput;
use frontline_core::roles::ClaimStatus;
use frontline_core::succession::RemovalReason;
use frontline_core::time::{parse_date, required_date};
use frontline_db::Page;
use frontline_db::deployment::{self, ArrivalCount, DeploymentQuery, DeploymentView, MentorshipView, NewDeployment};
use frontline_db::people::TenureView;
use frontline_db::responsibility::{self, ChainLevel, Coverage, GapReport, LinkQuery, LinkView};
use frontline_db::roles::{self, ClaimFilter, ClaimView, ErrandView, Imbalance, RolePostInput, RolePostView};
use frontline_db::succession::{self, Notification, SuccessionOutcome, SuccessionPreview};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::people::Created;
use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use crate::services::duty::{self as svc, PairingRequest, PlanRow, ProposalView};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/links", get(list_links).post(create_link))
        .route("/links/{id}/end", post(end_link))
        .route("/units/{id}/chain", get(chain))
        .route("/units/{id}/gaps", get(gaps))
        .route("/units/{id}/coverage", get(coverage))
        .route("/posts/{id}/succession", get(succession_preview))
        .route("/posts/{id}/remove", post(remove_holder))
        .route("/posts/{id}/holder", get(holder_on))
        .route("/role-posts", get(role_posts))
        .route("/units/{id}/role-posts", post(create_role_post))
        .route("/units/{id}/role-posts/defaults", post(default_role_posts))
        .route("/units/{id}/role-balance", get(role_balance))
        .route("/role-posts/{id}", axum::routing::put(update_role_post))
        .route("/role-posts/{id}/claim", post(claim_role))
        .route("/role-posts/{id}/errands", get(errands).post(log_errand))
        .route("/role-claims", get(role_claims))
        .route("/role-claims/{id}/decide", post(decide_claim))
        .route("/pairing/propose", post(propose_pairing))
        .route("/pairing/accept", post(accept_pairing))
        .route("/deployments", get(list_deployments).post(create_deployment))
        .route("/deployments/{id}/arrive", post(arrive))
        .route("/deployments/{id}/end", post(end_deployment))
        .route("/units/{id}/arrivals", get(arrivals))
        .route("/units/{id}/plan/thirds", get(plan_thirds))
        .route("/units/{id}/plan/villages", get(plan_villages))
        .route("/units/{id}/mentorships", get(mentorships).post(create_mentorship))
        .route("/mentorships/{id}/end", post(end_mentorship))
        .route("/me/notifications", get(my_notifications))
}

/// A day to ask about (`YYYY-MM-DD`, today when absent).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnDay {
    pub on: Option<NaiveDate>,
}

impl OnDay {
    fn day(&self) -> NaiveDate {
        self.on.unwrap_or_else(crate::today)
    }
}

#[utoipa::path(get, path = "/api/v1/links", tag = "duty", params(LinkQuery),
    responses((status = 200, body = Page<LinkView>), (status = 401, body = ErrorBody)))]
pub async fn list_links(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Json<Page<LinkView>>, Response> {
    ctx.actor.require("duty:link:list").api(ctx.lang)?;
    responsibility::list_links(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

/// A responsibility link: `county_responsible` (包保责任人), `supervisor` (监督督导责任人),
/// `first_responsible` (第一责任人), `township_contact` (包镇), `village_contact` (包村),
/// `group_contact` (包组), `enterprise_contact` (驻企), `household_contact` (联户),
/// `checkpoint_lead` (包卡点).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkBody {
    #[schema(value_type = frontline_core::responsibility::LinkKind)]
    pub kind: String,
    pub person_id: i64,
    pub unit_id: i64,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start_date: String,
    #[serde(default)]
    #[schema(schema_with = crate::api::optional_date)]
    pub end_date: String,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/links", tag = "duty", request_body = LinkBody,
    responses((status = 201, body = LinkView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_link(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<Response, Response> {
    let input = LinkInput {
        kind: b.kind,
        person_id: b.person_id,
        unit_id: b.unit_id,
        start_date: b.start_date,
        end_date: b.end_date,
        note: b.note,
    };
    let link = input.validate().map_err(AppError::from).api(ctx.lang)?;
    responsibility::create_link(&s.db, &ctx.actor, &link).await.api(ctx.lang).map(created)
}

/// The day something ends (`YYYY-MM-DD`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EndBody {
    #[schema(format = Date)]
    pub end_date: String,
}

#[utoipa::path(post, path = "/api/v1/links/{id}/end", tag = "duty", params(("id" = i64, Path)), request_body = EndBody,
    responses((status = 200, body = LinkView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn end_link(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<EndBody>,
) -> Result<Json<LinkView>, Response> {
    let end = required_date("end_date", &b.end_date).api(ctx.lang)?;
    responsibility::end_link(&s.db, &ctx.actor, id, end).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/chain", tag = "duty", params(("id" = i64, Path), OnDay),
    responses((status = 200, description = "Who answers for the unit on the day, level by level up to the county", body = Vec<ChainLevel>), (status = 404, body = ErrorBody)))]
pub async fn chain(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<OnDay>,
) -> Result<Json<Vec<ChainLevel>>, Response> {
    ctx.actor.require("duty:link:list").api(ctx.lang)?;
    responsibility::chain(&s.db, &ctx.actor.scope, id, q.day()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/gaps", tag = "duty", params(("id" = i64, Path), OnDay),
    responses((status = 200, description = "Townships without their 1+1+1 and villages without a 包村 leader", body = GapReport), (status = 404, body = ErrorBody)))]
pub async fn gaps(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<OnDay>,
) -> Result<Json<GapReport>, Response> {
    ctx.actor.require("duty:link:list").api(ctx.lang)?;
    responsibility::gaps(&s.db, &ctx.actor.scope, id, q.day()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/coverage", tag = "duty", params(("id" = i64, Path), OnDay),
    responses((status = 200, description = "Grids, lines and groups without a party member (first 500 listed)", body = Coverage), (status = 404, body = ErrorBody)))]
pub async fn coverage(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<OnDay>,
) -> Result<Json<Coverage>, Response> {
    ctx.actor.require("duty:link:list").api(ctx.lang)?;
    responsibility::coverage(&s.db, &ctx.actor.scope, id, q.day(), 500).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/posts/{id}/succession", tag = "duty", params(("id" = i64, Path), OnDay),
    responses((status = 200, description = "Who would act if the holder left, with warnings, and the duties that would move", body = SuccessionPreview), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn succession_preview(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<OnDay>,
) -> Result<Json<SuccessionPreview>, Response> {
    ctx.actor.require("people:post:list").api(ctx.lang)?;
    succession::preview(&s.db, &ctx.actor.scope, id, q.day()).await.api(ctx.lang).map(Json)
}

/// Removing a post's holder: `reason` is `dismissed`, `ill`, `transferred`, `resigned`,
/// `retired`, `suspended` or `deceased`; `successor_id` overrides the engine's choice.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RemoveBody {
    #[schema(value_type = frontline_core::succession::RemovalReason)]
    pub reason: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    #[serde(default)]
    pub successor_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/posts/{id}/remove", tag = "duty", params(("id" = i64, Path)), request_body = RemoveBody,
    responses((status = 200, body = SuccessionOutcome), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_holder(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RemoveBody>,
) -> Result<Json<SuccessionOutcome>, Response> {
    let reason = RemovalReason::parse(&b.reason)
        .ok_or(AppError::Domain(DomainError::invalid("reason", "error.succession.bad_reason")))
        .api(ctx.lang)?;
    let on = required_date("date", &b.date).api(ctx.lang)?;
    succession::remove_holder(&s.db, &ctx.actor, id, reason, on, b.successor_id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/posts/{id}/holder", tag = "duty", params(("id" = i64, Path), OnDay),
    responses((status = 200, description = "Who held (or acted in) the post on the day; null if nobody", body = Option<TenureView>), (status = 404, body = ErrorBody)))]
pub async fn holder_on(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<OnDay>,
) -> Result<Json<Option<TenureView>>, Response> {
    ctx.actor.require("people:post:list").api(ctx.lang)?;
    succession::holder_on(&s.db, &ctx.actor.scope, id, q.day()).await.api(ctx.lang).map(Json)
}

/// Which role posts to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RolePostQuery {
    /// Role posts of units in the subtree of this unit.
    pub unit: Option<i64>,
    /// Only the role posts the caller may claim (their own village's), all on one page.
    pub mine: Option<bool>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page (1–200, default 20).
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/role-posts", tag = "duty", params(RolePostQuery),
    responses((status = 200, body = Page<RolePostView>), (status = 401, body = ErrorBody)))]
pub async fn role_posts(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<RolePostQuery>,
) -> Result<Json<Page<RolePostView>>, Response> {
    ctx.actor.require("duty:role:list").api(ctx.lang)?;
    if q.mine == Some(true) {
        let me = ctx.actor.scope.person_id.ok_or(AppError::Domain(DomainError::NotFound)).api(ctx.lang)?;
        let items = roles::open_to(&s.db, me).await.api(ctx.lang)?;
        let total = items.len() as i64;
        return Ok(Json(Page { items, total, page: 1, per_page: total.max(1) }));
    }
    roles::list(&s.db, &ctx.actor.scope, q.unit, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/role-posts", tag = "duty", params(("id" = i64, Path)), request_body = RolePostInput,
    responses((status = 201, body = RolePostView), (status = 422, body = ErrorBody)))]
pub async fn create_role_post(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RolePostInput>,
) -> Result<Response, Response> {
    roles::create(&s.db, &ctx.actor, id, &b).await.api(ctx.lang).map(created)
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CreatedCount {
    pub created: usize,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/role-posts/defaults", tag = "duty", params(("id" = i64, Path)),
    responses((status = 201, description = "The eight roles of 红色八大员", body = CreatedCount), (status = 409, body = ErrorBody)))]
pub async fn default_role_posts(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Response, Response> {
    roles::create_defaults(&s.db, &ctx.actor, id).await.api(ctx.lang).map(|n| created(CreatedCount { created: n }))
}

#[utoipa::path(put, path = "/api/v1/role-posts/{id}", tag = "duty", params(("id" = i64, Path)), request_body = RolePostInput,
    responses((status = 200, body = RolePostView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_role_post(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RolePostInput>,
) -> Result<Json<RolePostView>, Response> {
    roles::update(&s.db, &ctx.actor, id, &b).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/role-balance", tag = "duty", params(("id" = i64, Path)),
    responses((status = 200, description = "Roles empty, short or crowded, with suggestions", body = Vec<Imbalance>), (status = 404, body = ErrorBody)))]
pub async fn role_balance(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<Imbalance>>, Response> {
    ctx.actor.require("duty:role:list").api(ctx.lang)?;
    roles::imbalances(&s.db, &ctx.actor.scope, id, 200).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/role-posts/{id}/claim", tag = "duty", params(("id" = i64, Path)),
    responses((status = 201, description = "The caller's own claim, pending approval", body = ClaimView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn claim_role(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    roles::claim(&s.db, &ctx.actor, id).await.api(ctx.lang).map(created)
}

/// Which claims to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    pub unit: Option<i64>,
    pub person: Option<i64>,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    #[param(value_type = Option<frontline_core::roles::ClaimStatus>)]
    pub status: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page (1–200, default 20).
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/role-claims", tag = "duty", params(ClaimQuery),
    responses((status = 200, body = Page<ClaimView>)))]
pub async fn role_claims(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<ClaimQuery>,
) -> Result<Json<Page<ClaimView>>, Response> {
    ctx.actor.require("duty:role:list").api(ctx.lang)?;
    let filter =
        ClaimFilter { unit: q.unit, person: q.person, status: q.status.as_deref(), page: q.page, per_page: q.per_page };
    roles::claims(&s.db, &ctx.actor.scope, &filter).await.api(ctx.lang).map(Json)
}

/// A decision on a claim: `approved`, `rejected` (with a reason) or `withdrawn` (one's own).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecideBody {
    #[schema(schema_with = crate::api::claim_decisions)]
    pub status: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/role-claims/{id}/decide", tag = "duty", params(("id" = i64, Path)), request_body = DecideBody,
    responses((status = 200, body = ClaimView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_claim(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<DecideBody>,
) -> Result<Json<ClaimView>, Response> {
    let to = ClaimStatus::parse(&b.status)
        .ok_or(AppError::Domain(DomainError::invalid("status", "error.role.bad_decision")))
        .api(ctx.lang)?;
    roles::decide(&s.db, &ctx.actor, id, to, &b.reason).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/role-posts/{id}/errands", tag = "duty", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ErrandView>), (status = 404, body = ErrorBody)))]
pub async fn errands(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<ErrandView>>, Response> {
    ctx.actor.require("duty:role:list").api(ctx.lang)?;
    roles::errands(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// A 红色代办 errand run by an approved holder of the role.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ErrandBody {
    pub person_id: i64,
    #[schema(min_length = 1, max_length = 200)]
    pub what: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub done_on: String,
}

#[utoipa::path(post, path = "/api/v1/role-posts/{id}/errands", tag = "duty", params(("id" = i64, Path)), request_body = ErrandBody,
    responses((status = 201, body = ErrandView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn log_errand(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<ErrandBody>,
) -> Result<Response, Response> {
    let on = required_date("done_on", &b.done_on).api(ctx.lang)?;
    roles::log_errand(&s.db, &ctx.actor, id, b.person_id, &b.what, on).await.api(ctx.lang).map(created)
}

#[utoipa::path(post, path = "/api/v1/pairing/propose", tag = "duty", request_body = PairingRequest,
    responses((status = 200, description = "The optimal pairing, with the reason for anyone left unpaired", body = ProposalView), (status = 422, body = ErrorBody)))]
pub async fn propose_pairing(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<PairingRequest>,
) -> Result<Json<ProposalView>, Response> {
    svc::propose_pairing(&s.db, &ctx.actor, &b, crate::today()).await.api(ctx.lang).map(Json)
}

/// An accepted proposal: the sides it was made for and the pairs to write.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptBody {
    #[serde(flatten)]
    pub sides: frontline_db::pairing::PairingSides,
    #[schema(schema_with = crate::api::id_pairs)]
    pub pairs: Vec<(i64, i64)>,
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    pub start_date: String,
}

#[utoipa::path(post, path = "/api/v1/pairing/accept", tag = "duty", request_body = AcceptBody,
    responses((status = 201, description = "Pairs written: unit pairs for units, links for cadres", body = CreatedCount), (status = 422, body = ErrorBody)))]
pub async fn accept_pairing(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<AcceptBody>,
) -> Result<Response, Response> {
    let start = parse_date("start_date", &b.start_date).api(ctx.lang)?.unwrap_or_else(crate::today);
    frontline_db::pairing::accept(&s.db, &ctx.actor, &b.sides, &b.pairs, start)
        .await
        .api(ctx.lang)
        .map(|n| created(CreatedCount { created: n }))
}

#[utoipa::path(get, path = "/api/v1/deployments", tag = "duty", params(DeploymentQuery),
    responses((status = 200, body = Page<DeploymentView>)))]
pub async fn list_deployments(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<DeploymentQuery>,
) -> Result<Json<Page<DeploymentView>>, Response> {
    ctx.actor.require("duty:deploy:list").api(ctx.lang)?;
    deployment::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

/// A deployment: `purpose` is `village` (驻村), `checkpoint` (卡点), `enterprise` (驻企),
/// `support` (支援) or `front` (生产一线).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeploymentBody {
    pub person_id: i64,
    pub target_unit_id: i64,
    #[schema(value_type = frontline_core::deployment::Purpose)]
    pub purpose: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[serde(default)]
    #[schema(schema_with = crate::api::optional_date)]
    pub end_date: String,
}

impl DeploymentBody {
    fn parse(&self) -> Result<NewDeployment, AppError> {
        let purpose = Purpose::parse(&self.purpose)
            .ok_or(AppError::Domain(DomainError::invalid("purpose", "error.deploy.bad_purpose")))?;
        Ok(NewDeployment {
            person_id: self.person_id,
            target_unit_id: self.target_unit_id,
            purpose,
            start: required_date("start_date", &self.start_date)?,
            end: parse_date("end_date", &self.end_date)?,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/deployments", tag = "duty", request_body = DeploymentBody,
    responses((status = 201, body = DeploymentView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_deployment(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<DeploymentBody>,
) -> Result<Response, Response> {
    let d = b.parse().api(ctx.lang)?;
    deployment::create(&s.db, &ctx.actor, &d).await.api(ctx.lang).map(created)
}

#[utoipa::path(post, path = "/api/v1/deployments/{id}/arrive", tag = "duty", params(("id" = i64, Path)),
    responses((status = 200, description = "Arrival checked in now", body = DeploymentView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn arrive(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<DeploymentView>, Response> {
    deployment::check_in(&s.db, &ctx.actor, id, Utc::now()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/deployments/{id}/end", tag = "duty", params(("id" = i64, Path)), request_body = EndBody,
    responses((status = 200, body = DeploymentView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn end_deployment(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<EndBody>,
) -> Result<Json<DeploymentView>, Response> {
    let end = required_date("end_date", &b.end_date).api(ctx.lang)?;
    deployment::end(&s.db, &ctx.actor, id, end).await.api(ctx.lang).map(Json)
}

/// The day to count arrivals by.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByDay {
    pub by: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/arrivals", tag = "duty", params(("id" = i64, Path), ByDay),
    responses((status = 200, description = "Deployments from or to the subtree, and how many arrived by the day", body = ArrivalCount), (status = 404, body = ErrorBody)))]
pub async fn arrivals(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<ByDay>,
) -> Result<Json<ArrivalCount>, Response> {
    ctx.actor.require("duty:deploy:list").api(ctx.lang)?;
    let by = q.by.unwrap_or_else(crate::today);
    deployment::arrivals(&s.db, &ctx.actor.scope, id, by).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/plan/thirds", tag = "duty", params(("id" = i64, Path)),
    responses((status = 200, description = "The unit's cadres split into the three thirds, each with the rule that placed them", body = Vec<PlanRow>), (status = 404, body = ErrorBody)))]
pub async fn plan_thirds(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<PlanRow>>, Response> {
    svc::plan_thirds(&s.db, &ctx.actor, id, crate::today()).await.api(ctx.lang).map(Json)
}

/// The share of staff to send.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PercentQuery {
    /// 1–100, default 30.
    #[param(minimum = 1, maximum = 100)]
    pub percent: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/plan/villages", tag = "duty", params(("id" = i64, Path), PercentQuery),
    responses((status = 200, description = "Who of the unit's cadres would go to villages, and why", body = Vec<PlanRow>), (status = 404, body = ErrorBody)))]
pub async fn plan_villages(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<PercentQuery>,
) -> Result<Json<Vec<PlanRow>>, Response> {
    svc::plan_villages(&s.db, &ctx.actor, id, q.percent.unwrap_or(30), crate::today()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/mentorships", tag = "duty", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MentorshipView>), (status = 404, body = ErrorBody)))]
pub async fn mentorships(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<MentorshipView>>, Response> {
    ctx.actor.require("duty:deploy:list").api(ctx.lang)?;
    deployment::mentorships(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// A mentoring triple (青蓝结对).
#[derive(Debug, Deserialize, ToSchema)]
pub struct MentorshipBody {
    pub leader_id: i64,
    pub middle_id: i64,
    pub young_id: i64,
    #[schema(format = Date)]
    pub start_date: String,
    #[serde(default)]
    #[schema(schema_with = crate::api::optional_date)]
    pub end_date: String,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/mentorships", tag = "duty", params(("id" = i64, Path)), request_body = MentorshipBody,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_mentorship(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<MentorshipBody>,
) -> Result<Response, Response> {
    let start = required_date("start_date", &b.start_date).api(ctx.lang)?;
    let end = parse_date("end_date", &b.end_date).api(ctx.lang)?;
    deployment::create_mentorship(&s.db, &ctx.actor, id, [b.leader_id, b.middle_id, b.young_id], start, end)
        .await
        .api(ctx.lang)
        .map(|id| created(Created { id }))
}

#[utoipa::path(post, path = "/api/v1/mentorships/{id}/end", tag = "duty", params(("id" = i64, Path)), request_body = EndBody,
    responses((status = 200, body = MentorshipView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn end_mentorship(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<EndBody>,
) -> Result<Json<MentorshipView>, Response> {
    let end = required_date("end_date", &b.end_date).api(ctx.lang)?;
    deployment::end_mentorship(&s.db, &ctx.actor, id, end).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "duty",
    responses((status = 200, description = "The caller's latest notifications (succession and the like)", body = Vec<Notification>)))]
pub async fn my_notifications(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<Notification>>, Response> {
    match ctx.actor.scope.person_id {
        Some(me) => succession::notifications_of(&s.db, me, 50).await.api(ctx.lang).map(Json),
        None => Ok(Json(Vec::new())),
    }
}
