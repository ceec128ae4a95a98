//! Appraisals and incentives in `/api/v1` (OpenAPI tag `appraisals`): leaders' 询/察/听 notes and
//! mass evaluations, record corrections, appraisals and the 鉴定书 PDF, the talent pool, the
//! candidacy list, the frontline share of the promoted, 五述五评 reviews, commendations, typical
//! deeds, selections with nominations and votes, care records and reminders.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate, Utc};
use frontline_core::time::today_in_china;
use frontline_db::Page;
use frontline_db::appraisals::{
    self, AppraisalDetail, AppraisalInput, AppraisalQuery, AppraisalView, CandidateQuery, CandidateView,
    ConclusionInput, FrontlineReport, NoteInput, RatingInput, ReviewDetail, ReviewInput, ReviewQuery, ReviewView,
    TierInput, TierQuery, TierView,
};
use frontline_db::honours::{
    self, CareInput, CareView, CommendationInput, CommendationQuery, CommendationView, DeedInput, DeedQuery, DeedView,
    NominationInput, Reminder, SelectionDetail, SelectionInput, SelectionView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::people::Created;
use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::ErrorBody;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger-notes", post(add_note))
        .route("/records/{id}/correction", post(correct))
        .route("/appraisals", get(list_appraisals).post(create_appraisal))
        .route("/appraisals/{id}", get(get_appraisal))
        .route("/appraisals/{id}/conclusion", post(conclude))
        .route("/appraisals/{id}/certificate.pdf", get(certificate_pdf))
        .route("/talent", get(list_talent).post(add_talent))
        .route("/talent/{id}/removal", post(remove_talent))
        .route("/candidates", get(candidates))
        .route("/frontline-share", get(frontline_share))
        .route("/reviews", get(list_reviews).post(open_review))
        .route("/reviews/{id}", get(get_review))
        .route("/reviews/{id}/ratings", post(rate_review))
        .route("/reviews/{id}/close", post(close_review))
        .route("/commendations", get(list_commendations).post(commend))
        .route("/deeds", get(list_deeds).post(write_deed))
        .route("/deeds/{id}", get(get_deed))
        .route("/deeds/{id}/publish", post(publish_deed))
        .route("/selections", get(list_selections).post(open_selection))
        .route("/selections/{id}", get(get_selection))
        .route("/selections/{id}/nominations", post(nominate))
        .route("/selections/{id}/votes", post(vote))
        .route("/selections/{id}/advance", post(advance_selection))
        .route("/care", get(list_care).post(record_care))
        .route("/care/reminders", get(care_reminders))
}

fn no_content() -> Response {
    axum::http::StatusCode::NO_CONTENT.into_response()
}

#[utoipa::path(post, path = "/api/v1/ledger-notes", tag = "appraisals", request_body = NoteInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<NoteInput>,
) -> Result<Response, Response> {
    appraisals::add_note(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// Why a record is corrected.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CorrectionInput {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/records/{id}/correction", tag = "appraisals", params(("id" = i64, Path)), request_body = CorrectionInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn correct(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<CorrectionInput>,
) -> Result<Response, Response> {
    appraisals::correct(&s.db, &ctx.actor, id, &b.reason).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/appraisals", tag = "appraisals", params(AppraisalQuery),
    responses((status = 200, body = Page<AppraisalView>)))]
pub async fn list_appraisals(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<AppraisalQuery>,
) -> Result<Json<Page<AppraisalView>>, Response> {
    ctx.actor.require("judge:appraisal:list").api(ctx.lang)?;
    appraisals::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/appraisals", tag = "appraisals", request_body = AppraisalInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_appraisal(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<AppraisalInput>,
) -> Result<Response, Response> {
    appraisals::create(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/appraisals/{id}", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 200, body = AppraisalDetail), (status = 404, body = ErrorBody)))]
pub async fn get_appraisal(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<AppraisalDetail>, Response> {
    ctx.actor.require("judge:appraisal:list").api(ctx.lang)?;
    appraisals::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/appraisals/{id}/conclusion", tag = "appraisals", params(("id" = i64, Path)), request_body = ConclusionInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn conclude(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<ConclusionInput>,
) -> Result<Response, Response> {
    appraisals::conclude(&s.db, &ctx.actor, id, &b).await.api(ctx.lang)?;
    Ok(no_content())
}

#[utoipa::path(get, path = "/api/v1/appraisals/{id}/certificate.pdf", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 200, description = "The 鉴定书 as a PDF", content_type = "application/pdf"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn certificate_pdf(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    ctx.actor.require("judge:appraisal:list").api(ctx.lang)?;
    let detail = appraisals::get(&s.db, &ctx.actor.scope, id).await.api(ctx.lang)?;
    crate::services::certificate::pdf_response(&detail, ctx.lang).api(ctx.lang)
}

#[utoipa::path(get, path = "/api/v1/talent", tag = "appraisals", params(TierQuery), responses((status = 200, body = Page<TierView>)))]
pub async fn list_talent(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<TierQuery>,
) -> Result<Json<Page<TierView>>, Response> {
    ctx.actor.require("judge:appraisal:list").api(ctx.lang)?;
    appraisals::tiers(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/talent", tag = "appraisals", request_body = TierInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_talent(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<TierInput>,
) -> Result<Response, Response> {
    appraisals::add_tier(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// Why a person leaves a tier.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RemovalInput {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/talent/{id}/removal", tag = "appraisals", params(("id" = i64, Path)), request_body = RemovalInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove_talent(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RemovalInput>,
) -> Result<Response, Response> {
    appraisals::remove_tier(&s.db, &ctx.actor, id, &b.reason).await.api(ctx.lang)?;
    Ok(no_content())
}

#[utoipa::path(get, path = "/api/v1/candidates", tag = "appraisals", params(CandidateQuery),
    responses((status = 200, body = Page<CandidateView>)))]
pub async fn candidates(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<CandidateQuery>,
) -> Result<Json<Page<CandidateView>>, Response> {
    ctx.actor.require("judge:appraisal:list").api(ctx.lang)?;
    appraisals::candidates(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

/// A period (both days included); the current year when left out.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl PeriodQuery {
    /// The period asked for, or this year so far.
    pub fn or_this_year(&self) -> (NaiveDate, NaiveDate) {
        let today = today_in_china(Utc::now());
        let start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        (self.from.unwrap_or(start), self.to.unwrap_or(today))
    }
}

#[utoipa::path(get, path = "/api/v1/frontline-share", tag = "appraisals", params(PeriodQuery),
    responses((status = 200, body = FrontlineReport), (status = 422, body = ErrorBody)))]
pub async fn frontline_share(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<FrontlineReport>, Response> {
    ctx.actor.require("judge:appraisal:list").api(ctx.lang)?;
    let (from, to) = q.or_this_year();
    appraisals::frontline_share(&s.db, &ctx.actor.scope, from, to).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/reviews", tag = "appraisals", params(ReviewQuery), responses((status = 200, body = Page<ReviewView>)))]
pub async fn list_reviews(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> Result<Json<Page<ReviewView>>, Response> {
    ctx.actor.require("judge:review:list").api(ctx.lang)?;
    appraisals::reviews(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/reviews", tag = "appraisals", request_body = ReviewInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_review(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<ReviewInput>,
) -> Result<Response, Response> {
    appraisals::open_review(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 200, body = ReviewDetail), (status = 404, body = ErrorBody)))]
pub async fn get_review(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<ReviewDetail>, Response> {
    // Listing reviews or being the one reviewed: decided by the use case.
    appraisals::review(&s.db, &ctx.actor, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/ratings", tag = "appraisals", params(("id" = i64, Path)), request_body = RatingInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate_review(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RatingInput>,
) -> Result<Response, Response> {
    appraisals::rate(&s.db, &ctx.actor, id, &b).await.api(ctx.lang)?;
    Ok(no_content())
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/close", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_review(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    appraisals::close_review(&s.db, &ctx.actor, id).await.api(ctx.lang)?;
    Ok(no_content())
}

#[utoipa::path(get, path = "/api/v1/commendations", tag = "appraisals", params(CommendationQuery),
    responses((status = 200, body = Page<CommendationView>)))]
pub async fn list_commendations(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<CommendationQuery>,
) -> Result<Json<Page<CommendationView>>, Response> {
    ctx.actor.require("honour:commend:list").api(ctx.lang)?;
    honours::commendations(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/commendations", tag = "appraisals", request_body = CommendationInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn commend(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<CommendationInput>,
) -> Result<Response, Response> {
    honours::commend(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/deeds", tag = "appraisals", params(DeedQuery), responses((status = 200, body = Page<DeedView>)))]
pub async fn list_deeds(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<DeedQuery>,
) -> Result<Json<Page<DeedView>>, Response> {
    match ctx.actor.scope.person_id.filter(|_| !ctx.actor.can("honour:deed:list")) {
        // Without the list permission, a person reads what their county has published.
        Some(me) => honours::published_deeds_for(&s.db, me, q.page, q.per_page).await.api(ctx.lang).map(Json),
        None => {
            ctx.actor.require("honour:deed:list").api(ctx.lang)?;
            honours::deeds(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
        }
    }
}

#[utoipa::path(post, path = "/api/v1/deeds", tag = "appraisals", request_body = DeedInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn write_deed(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<DeedInput>,
) -> Result<Response, Response> {
    honours::write_deed(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/deeds/{id}", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 200, body = DeedView), (status = 404, body = ErrorBody)))]
pub async fn get_deed(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Json<DeedView>, Response> {
    match ctx.actor.scope.person_id.filter(|_| !ctx.actor.can("honour:deed:list")) {
        Some(me) => honours::published_deed_for(&s.db, me, id).await.api(ctx.lang).map(Json),
        None => {
            ctx.actor.require("honour:deed:list").api(ctx.lang)?;
            honours::deed(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
        }
    }
}

#[utoipa::path(post, path = "/api/v1/deeds/{id}/publish", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_deed(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Response, Response> {
    honours::publish_deed(&s.db, &ctx.actor, id).await.api(ctx.lang)?;
    Ok(no_content())
}

#[utoipa::path(get, path = "/api/v1/selections", tag = "appraisals", responses((status = 200, body = Vec<SelectionView>)))]
pub async fn list_selections(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<SelectionView>>, Response> {
    ctx.actor.require("honour:selection:list").api(ctx.lang)?;
    honours::selections(&s.db, &ctx.actor.scope).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/selections", tag = "appraisals", request_body = SelectionInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_selection(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<SelectionInput>,
) -> Result<Response, Response> {
    honours::open_selection(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/selections/{id}", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 200, body = SelectionDetail), (status = 404, body = ErrorBody)))]
pub async fn get_selection(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<SelectionDetail>, Response> {
    ctx.actor.require("honour:selection:list").api(ctx.lang)?;
    honours::selection(&s.db, &ctx.actor, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/selections/{id}/nominations", tag = "appraisals", params(("id" = i64, Path)), request_body = NominationInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn nominate(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<NominationInput>,
) -> Result<Response, Response> {
    honours::nominate(&s.db, &ctx.actor, id, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// A ballot: the nominations voted for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Ballot {
    #[schema(min_items = 1)]
    pub nominations: Vec<i64>,
}

#[utoipa::path(post, path = "/api/v1/selections/{id}/votes", tag = "appraisals", params(("id" = i64, Path)), request_body = Ballot,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn vote(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<Ballot>,
) -> Result<Response, Response> {
    honours::vote(&s.db, &ctx.actor, id, &b.nominations).await.api(ctx.lang)?;
    Ok(no_content())
}

/// The stage a selection moved to.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Stage {
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/selections/{id}/advance", tag = "appraisals", params(("id" = i64, Path)),
    responses((status = 200, body = Stage), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn advance_selection(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Stage>, Response> {
    honours::advance(&s.db, &ctx.actor, id).await.api(ctx.lang).map(|status| Json(Stage { status }))
}

/// Filters for care records.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CareQuery {
    pub person: Option<i64>,
    pub page: Option<i64>,
    /// Rows per page (1–200, default 50).
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/care", tag = "appraisals", params(CareQuery), responses((status = 200, body = Page<CareView>)))]
pub async fn list_care(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<CareQuery>,
) -> Result<Json<Page<CareView>>, Response> {
    ctx.actor.require("honour:care:list").api(ctx.lang)?;
    honours::care_records(&s.db, &ctx.actor.scope, q.person, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/care", tag = "appraisals", request_body = CareInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn record_care(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<CareInput>,
) -> Result<Response, Response> {
    honours::record_care(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

/// The day reminded about; today when left out.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    pub day: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/v1/care/reminders", tag = "appraisals", params(DayQuery), responses((status = 200, body = Vec<Reminder>)))]
pub async fn care_reminders(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<Vec<Reminder>>, Response> {
    ctx.actor.require("honour:care:list").api(ctx.lang)?;
    let day = q.day.unwrap_or_else(|| today_in_china(Utc::now()));
    honours::reminders(&s.db, &ctx.actor.scope, day).await.api(ctx.lang).map(Json)
}
