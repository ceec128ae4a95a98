//! Organisational life in `/api/v1` (003.3, 三会一课 and 主题党日): the install's rules, meetings
//! of party organisations with their attendance, a member's check-in by the meeting's code, and
//! compliance of a part of the tree over a period.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use frontline_core::life::{Rule, last_quarter};
use frontline_core::time::today_in_china;
use frontline_db::Page;
use frontline_db::life::{
    self, AllianceInput, AllianceView, AttendanceInput, CheckIn, Compliance, LifeMeetingInput, LifeMeetingRow,
    LifeMeetingView, MeetingQuery, RuleInput, TemporaryInput, TemporaryView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::people::Created;
use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/life-rules", get(list_rules).put(set_rule))
        .route("/units/{id}/life-meetings", get(list_meetings).post(record_meeting))
        .route("/life-meetings/{id}", get(get_meeting))
        .route("/life-meetings/{id}/attendance", post(mark_attendance))
        .route(
            "/life-meetings/{id}/photos",
            post(add_photo).layer(axum::extract::DefaultBodyLimit::max(6 * 1024 * 1024)),
        )
        .route("/me/life-check-in", post(check_in))
        .route("/units/{id}/life-compliance", get(compliance))
        .route("/units/{id}/temporary-orgs", get(list_temporaries).post(make_temporary))
        .route("/units/{id}/alliances", get(list_alliances).post(create_alliance))
        .route("/alliances/{id}/members", post(join_alliance))
}

/// A new random code for a meeting's QR code.
pub fn new_check_in_code() -> String {
    use rand::RngCore;
    let mut b = [0u8; 12];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[utoipa::path(get, path = "/api/v1/life-rules", tag = "work",
    responses((status = 200, body = Vec<Rule>), (status = 403, body = ErrorBody)))]
pub async fn list_rules(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<Rule>>, Response> {
    ctx.actor.require("work:life:list").api(ctx.lang)?;
    life::rules(&s.db).await.api(ctx.lang).map(Json)
}

#[utoipa::path(put, path = "/api/v1/life-rules", tag = "work", request_body = RuleInput,
    responses((status = 200, body = Rule), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_rule(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<RuleInput>,
) -> Result<Json<Rule>, Response> {
    life::set_rule(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/life-meetings", tag = "work", params(("id" = i64, Path), MeetingQuery),
    responses((status = 200, body = Page<LifeMeetingRow>), (status = 404, body = ErrorBody)))]
pub async fn list_meetings(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<MeetingQuery>,
) -> Result<Json<Page<LifeMeetingRow>>, Response> {
    ctx.actor.require("work:life:list").api(ctx.lang)?;
    life::meetings(&s.db, &ctx.actor.scope, id, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/life-meetings", tag = "work", params(("id" = i64, Path)),
    request_body = LifeMeetingInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_meeting(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<LifeMeetingInput>,
) -> Result<Response, Response> {
    life::record_meeting(&s.db, &ctx.actor, id, &b, &new_check_in_code())
        .await
        .api(ctx.lang)
        .map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/life-meetings/{id}", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = LifeMeetingView), (status = 404, body = ErrorBody)))]
pub async fn get_meeting(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<LifeMeetingView>, Response> {
    ctx.actor.require("work:life:list").api(ctx.lang)?;
    let show_code = ctx.actor.can("work:life:record");
    life::meeting(&s.db, &ctx.actor.scope, id, show_code).await.api(ctx.lang).map(Json)
}

/// Whether a change was made (false: it was already so).
#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    pub changed: bool,
}

#[utoipa::path(post, path = "/api/v1/life-meetings/{id}/attendance", tag = "work", params(("id" = i64, Path)),
    request_body = AttendanceInput,
    responses((status = 200, body = Changed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mark_attendance(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<AttendanceInput>,
) -> Result<Json<Changed>, Response> {
    life::mark(&s.db, &ctx.actor, id, &b).await.api(ctx.lang).map(|changed| Json(Changed { changed }))
}

/// Adds a photo to a meeting (the body is the image, with its `Content-Type`; at most 20 a
/// meeting); answers its id. As every photo: EXIF removed, content hash kept; the place only when
/// the query sends `latitude` and `longitude`.
#[utoipa::path(post, path = "/api/v1/life-meetings/{id}/photos", tag = "work", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_photo(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(place): ApiQuery<super::work::PhotoPlace>,
    crate::offline::Sent(when): crate::offline::Sent,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let upload = frontline_db::evidence::Upload {
        content_type: content_type.to_string(),
        data: body.to_vec(),
        place: place.latitude.zip(place.longitude),
    };
    life::add_photo(&s.db, &ctx.actor, id, &upload, when).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// The code read from a meeting's QR code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckInBody {
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
}

#[utoipa::path(post, path = "/api/v1/me/life-check-in", tag = "work", request_body = CheckInBody,
    responses((status = 200, body = CheckIn), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<CheckInBody>,
) -> Result<Json<CheckIn>, Response> {
    life::check_in(&s.db, &ctx.actor, &b.code).await.api(ctx.lang).map(Json)
}

/// A period (`YYYY-MM-DD`, both days included; the last full quarter when absent) and a page of
/// the organisations behind.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompliancePeriod {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl CompliancePeriod {
    /// The dates asked for, the missing end filled from the last full quarter.
    pub fn bounds(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (from, to) = last_quarter(today);
        (self.from.unwrap_or(from), self.to.unwrap_or(to))
    }
}

#[utoipa::path(get, path = "/api/v1/units/{id}/life-compliance", tag = "work", params(("id" = i64, Path), CompliancePeriod),
    responses((status = 200, body = Compliance), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn compliance(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<CompliancePeriod>,
) -> Result<Json<Compliance>, Response> {
    ctx.actor.require("work:life:list").api(ctx.lang)?;
    let today = today_in_china(Utc::now());
    let (from, to) = q.bounds(today);
    life::compliance(&s.db, &ctx.actor.scope, id, from, to, today, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/temporary-orgs", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TemporaryView>), (status = 404, body = ErrorBody)))]
pub async fn list_temporaries(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<TemporaryView>>, Response> {
    ctx.actor.require("work:life:list").api(ctx.lang)?;
    life::temporaries(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/temporary-orgs", tag = "work", params(("id" = i64, Path)),
    request_body = TemporaryInput,
    responses((status = 200, body = Changed), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn make_temporary(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<TemporaryInput>,
) -> Result<Json<Changed>, Response> {
    life::make_temporary(&s.db, &ctx.actor, id, &b).await.api(ctx.lang)?;
    Ok(Json(Changed { changed: true }))
}

#[utoipa::path(get, path = "/api/v1/units/{id}/alliances", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AllianceView>), (status = 404, body = ErrorBody)))]
pub async fn list_alliances(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<AllianceView>>, Response> {
    ctx.actor.require("work:life:list").api(ctx.lang)?;
    life::alliances(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/alliances", tag = "work", params(("id" = i64, Path)),
    request_body = AllianceInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_alliance(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<AllianceInput>,
) -> Result<Response, Response> {
    life::create_alliance(&s.db, &ctx.actor, id, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// Units joining an alliance.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MembersBody {
    #[schema(min_items = 1, max_items = 200)]
    pub members: Vec<i64>,
}

/// How many units joined (those already members are not counted).
#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub added: usize,
}

#[utoipa::path(post, path = "/api/v1/alliances/{id}/members", tag = "work", params(("id" = i64, Path)),
    request_body = MembersBody,
    responses((status = 200, body = Joined), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn join_alliance(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<MembersBody>,
) -> Result<Json<Joined>, Response> {
    life::join_alliance(&s.db, &ctx.actor, id, &b.members).await.api(ctx.lang).map(|added| Json(Joined { added }))
}
