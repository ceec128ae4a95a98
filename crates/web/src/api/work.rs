//! Daily frontline work in `/api/v1`: task lists and their instances (sign-off, verification,
//! commitment letters, photos, rates), the records ledger, checkpoint rosters (settings, duty
//! lists, planning, shifts, check-in and check-out, streaks), household surveys, meetings and
//! training.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use frontline_core::tasks::{TaskItemInput, TaskListInput};
use frontline_core::time::today_in_china;
use frontline_db::Page;
use frontline_db::evidence;
use frontline_db::meetings::{self, CoverageRow, MeetingInput, MeetingView, TopicView, TrainingInput, TrainingView};
use frontline_db::records::{self, RecordQuery, RecordView};
use frontline_db::roster::{
    self, AwayInput, CheckpointInput, CheckpointView, DutyPersonInput, MyShift, PlanInput, PlanOutcome, ShiftView,
    Streak,
};
use frontline_db::surveys::{self, Compilation, FormView, HouseholdView, ResponseView, RiskRow};
use frontline_db::tasks::{self, InstanceDetail, InstanceQuery, InstanceView, TaskListView, Tick, UnitRates};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::people::Created;
use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use crate::offline::Sent;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/task-lists", get(list_task_lists))
        .route("/units/{id}/task-lists", post(create_task_list))
        .route("/task-lists/{id}/active", post(set_list_active))
        .route("/task-lists/{id}/commitment", post(sign_commitment))
        .route("/tasks", get(list_tasks))
        .route("/me/tasks", get(my_tasks))
        .route("/tasks/{id}", get(get_task))
        .route("/tasks/{id}/submit", post(submit_task))
        .route("/tasks/{id}/decide", post(decide_task))
        .route("/tasks/verify", post(verify_tasks))
        .route("/attachments", post(upload).layer(DefaultBodyLimit::max(6 * 1024 * 1024)))
        .route("/units/{id}/task-rates", get(task_rates))
        .route("/records", get(list_records))
        .route("/units/{id}/checkpoints", get(list_checkpoints))
        .route("/checkpoints/{id}", put(configure_checkpoint))
        .route("/checkpoints/{id}/people", post(add_duty_person))
        .route("/duty-away", post(mark_away))
        .route("/units/{id}/roster", post(plan_roster))
        .route("/units/{id}/shifts", get(list_shifts))
        .route("/units/{id}/duty-streaks", get(duty_streaks))
        .route("/me/shifts", get(my_shifts))
        .route("/shift-assignments/{id}/check-in", post(check_in))
        .route("/shift-assignments/{id}/check-out", post(check_out))
        .route("/survey-forms", get(list_forms))
        .route("/units/{id}/survey-forms", post(create_form))
        .route("/me/households", get(my_households))
        .route("/households/{id}/responses", get(household_responses).post(file_response))
        .route("/units/{id}/survey-compilation", get(survey_compilation))
        .route("/units/{id}/risk-list", get(risk_list))
        .route("/units/{id}/meetings", get(list_meetings).post(create_meeting))
        .route("/topics", get(list_topics))
        .route("/topics/{id}/answer", post(answer_topic))
        .route("/units/{id}/trainings", get(list_trainings).post(create_training))
        .route("/units/{id}/training-coverage", get(training_coverage))
}

/// A task list: who does it (post kinds), how often (`daily`, `weekly`, `monthly`, `once`), by
/// when (`HH:MM`, China time), an optional campaign with its commitment letter, and the items.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TaskListBody {
    #[schema(min_length = 1, max_length = 60)]
    pub title: String,
    #[schema(schema_with = crate::api::post_kind_names)]
    pub post_kinds: Vec<String>,
    #[schema(value_type = frontline_core::tasks::Period)]
    pub period: String,
    #[schema(pattern = r"^\s*([01][0-9]|2[0-3]):[0-5][0-9]\s*$")]
    pub due_time: String,
    #[serde(default)]
    pub campaign: String,
    #[serde(default)]
    pub commitment: String,
    #[schema(min_items = 1)]
    pub items: Vec<TaskItemBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TaskItemBody {
    #[schema(min_length = 1, max_length = 200)]
    pub text: String,
    #[serde(default)]
    pub needs_note: bool,
    #[serde(default)]
    pub needs_photo: bool,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitFilter {
    pub unit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/task-lists", tag = "work", params(UnitFilter),
    responses((status = 200, body = Vec<TaskListView>), (status = 401, body = ErrorBody)))]
pub async fn list_task_lists(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<UnitFilter>,
) -> Result<Json<Vec<TaskListView>>, Response> {
    ctx.actor.require("work:task:list").api(ctx.lang)?;
    tasks::lists(&s.db, &ctx.actor.scope, q.unit).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/task-lists", tag = "work", params(("id" = i64, Path)), request_body = TaskListBody,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_task_list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(unit): ApiId,
    ApiJson(b): ApiJson<TaskListBody>,
) -> Result<Response, Response> {
    let input = TaskListInput {
        title: b.title,
        post_kinds: b.post_kinds,
        period: b.period,
        due_time: b.due_time,
        campaign: b.campaign,
        commitment: b.commitment,
        items: b
            .items
            .into_iter()
            .map(|i| TaskItemInput { text: i.text, needs_note: i.needs_note, needs_photo: i.needs_photo })
            .collect(),
    };
    let list = input.validate().map_err(AppError::from).api(ctx.lang)?;
    tasks::create_list(&s.db, &ctx.actor, unit, &list).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActiveBody {
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

#[utoipa::path(post, path = "/api/v1/task-lists/{id}/active", tag = "work", params(("id" = i64, Path)), request_body = ActiveBody,
    responses((status = 200, body = Done), (status = 404, body = ErrorBody)))]
pub async fn set_list_active(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<ActiveBody>,
) -> Result<Json<Done>, Response> {
    tasks::set_active(&s.db, &ctx.actor, id, b.active).await.api(ctx.lang)?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(post, path = "/api/v1/task-lists/{id}/commitment", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Done), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign_commitment(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Json<Done>, Response> {
    tasks::sign_commitment(&s.db, &ctx.actor, id).await.api(ctx.lang)?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(get, path = "/api/v1/tasks", tag = "work", params(InstanceQuery),
    responses((status = 200, body = Page<InstanceView>), (status = 401, body = ErrorBody)))]
pub async fn list_tasks(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<InstanceQuery>,
) -> Result<Json<Page<InstanceView>>, Response> {
    ctx.actor.require("work:task:list").api(ctx.lang)?;
    tasks::instances(&s.db, &ctx.actor.scope, &q, Utc::now()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/me/tasks", tag = "work",
    responses((status = 200, body = Vec<InstanceView>), (status = 401, body = ErrorBody)))]
pub async fn my_tasks(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<InstanceView>>, Response> {
    ctx.actor.require("work:task:list").api(ctx.lang)?;
    let Some(me) = ctx.actor.scope.person_id else { return Ok(Json(Vec::new())) };
    tasks::mine(&s.db, me, today_in_china(Utc::now())).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = InstanceDetail), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<InstanceDetail>, Response> {
    ctx.actor.require("work:task:list").api(ctx.lang)?;
    tasks::instance(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// Every item ticked, each with its note and photo (an id from `POST /attachments`) where the
/// list asks for them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubmitBody {
    pub items: Vec<Tick>,
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/submit", tag = "work", params(("id" = i64, Path)), request_body = SubmitBody,
    responses((status = 200, body = InstanceView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit_task(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Sent(when): Sent,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<SubmitBody>,
) -> Result<Json<InstanceView>, Response> {
    tasks::submit(&s.db, &ctx.actor, id, &b.items, Vec::new(), when).await.api(ctx.lang).map(Json)
}

/// `verify`, or `return` with a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = TaskDecision)]
pub struct DecideBody {
    #[schema(schema_with = crate::api::task_decisions)]
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/decide", tag = "work", params(("id" = i64, Path)), request_body = DecideBody,
    responses((status = 200, body = InstanceView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_task(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<DecideBody>,
) -> Result<Json<InstanceView>, Response> {
    let approve = match b.decision.as_str() {
        "verify" => true,
        "return" => false,
        _ => {
            return Err(AppError::from(frontline_core::DomainError::invalid("decision", "error.task.decision"))
                .into_json(ctx.lang));
        }
    };
    tasks::decide(&s.db, &ctx.actor, id, approve, &b.reason).await.api(ctx.lang).map(Json)
}

/// The lists to verify together (批量核验): at most 200, each handed in and within the caller's units.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyBody {
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<i64>,
}

/// How many lists were verified.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verified {
    pub verified: usize,
}

/// Verifies several handed-in lists at once, all or none: one list that may not be verified
/// (not handed in, or outside the caller's units) leaves every other one as it was.
#[utoipa::path(post, path = "/api/v1/tasks/verify", tag = "work", request_body = VerifyBody,
    responses((status = 200, body = Verified), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn verify_tasks(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<VerifyBody>,
) -> Result<Json<Verified>, Response> {
    tasks::verify_many(&s.db, &ctx.actor, &b.ids).await.api(ctx.lang).map(|verified| Json(Verified { verified }))
}

/// Where a photo was taken, sent only where its taker chose to (never required).
#[derive(Debug, Default, Deserialize)]
pub struct PhotoPlace {
    /// Degrees north, −90 to 90.
    pub latitude: Option<f64>,
    /// Degrees east, −180 to 180.
    pub longitude: Option<f64>,
}

/// Uploads a photo (the body is the image, with its `Content-Type`); answers its id. What the
/// file says beyond the picture (EXIF: where it was taken, the phone) is removed; the place is
/// kept only when the query sends it as `latitude` (−90 to 90) and `longitude` (−180 to 180),
/// never required. (The two are described here, not as parameters: schemathesis 4.32 fails
/// internally on number query parameters beside a binary body.)
#[utoipa::path(post, path = "/api/v1/attachments", tag = "work",
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(place): ApiQuery<PhotoPlace>,
    Sent(when): Sent,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let place = place.latitude.zip(place.longitude);
    evidence::attach(&s.db, &ctx.actor, content_type, body.to_vec(), place, when)
        .await
        .api(ctx.lang)
        .map(|id| created(Created { id }))
}

/// A period of days (`YYYY-MM-DD`); the last seven days when absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DayRange {
    pub fn bounds(&self) -> (NaiveDate, NaiveDate) {
        let today = today_in_china(Utc::now());
        let to = self.to.unwrap_or(today);
        (self.from.unwrap_or(to - chrono::Duration::days(6)), to)
    }
}

#[utoipa::path(get, path = "/api/v1/units/{id}/task-rates", tag = "work", params(("id" = i64, Path), DayRange),
    responses((status = 200, body = Vec<UnitRates>), (status = 404, body = ErrorBody)))]
pub async fn task_rates(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<DayRange>,
) -> Result<Json<Vec<UnitRates>>, Response> {
    ctx.actor.require("work:task:list").api(ctx.lang)?;
    let (from, to) = q.bounds();
    tasks::rates(&s.db, &ctx.actor.scope, id, from, to, Utc::now()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/records", tag = "work", params(RecordQuery),
    responses((status = 200, body = Page<RecordView>), (status = 401, body = ErrorBody)))]
pub async fn list_records(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<RecordQuery>,
) -> Result<Json<Page<RecordView>>, Response> {
    ctx.actor.require("work:task:list").api(ctx.lang)?;
    records::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/checkpoints", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CheckpointView>), (status = 404, body = ErrorBody)))]
pub async fn list_checkpoints(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<CheckpointView>>, Response> {
    ctx.actor.require("work:roster:list").api(ctx.lang)?;
    roster::checkpoints(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(put, path = "/api/v1/checkpoints/{id}", tag = "work", params(("id" = i64, Path)), request_body = CheckpointInput,
    responses((status = 200, body = Done), (status = 422, body = ErrorBody)))]
pub async fn configure_checkpoint(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<CheckpointInput>,
) -> Result<Json<Done>, Response> {
    roster::configure(&s.db, &ctx.actor, id, &b).await.api(ctx.lang)?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/people", tag = "work", params(("id" = i64, Path)), request_body = DutyPersonInput,
    responses((status = 200, body = Done), (status = 422, body = ErrorBody)))]
pub async fn add_duty_person(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<DutyPersonInput>,
) -> Result<Json<Done>, Response> {
    roster::add_person(&s.db, &ctx.actor, id, &b).await.api(ctx.lang)?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(post, path = "/api/v1/units/{id}/roster", tag = "work", params(("id" = i64, Path)), request_body = PlanInput,
    responses((status = 200, body = PlanOutcome), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn plan_roster(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PlanInput>,
) -> Result<Json<PlanOutcome>, Response> {
    roster::plan(&s.db, &ctx.actor, id, &b).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/shifts", tag = "work", params(("id" = i64, Path), DayRange),
    responses((status = 200, body = Vec<ShiftView>), (status = 404, body = ErrorBody)))]
pub async fn list_shifts(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<DayRange>,
) -> Result<Json<Vec<ShiftView>>, Response> {
    ctx.actor.require("work:roster:list").api(ctx.lang)?;
    let today = today_in_china(Utc::now());
    let from = q.from.unwrap_or(today);
    let to = q.to.unwrap_or(from + chrono::Duration::days(6));
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8);
    roster::shifts(&s.db, &ctx.actor.scope, id, at(from), at(to + chrono::Duration::days(1)))
        .await
        .api(ctx.lang)
        .map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/duty-streaks", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Streak>), (status = 404, body = ErrorBody)))]
pub async fn duty_streaks(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<Streak>>, Response> {
    ctx.actor.require("work:roster:list").api(ctx.lang)?;
    roster::streaks(&s.db, &ctx.actor.scope, id, Utc::now()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/me/shifts", tag = "work",
    responses((status = 200, body = Vec<MyShift>), (status = 401, body = ErrorBody)))]
pub async fn my_shifts(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<MyShift>>, Response> {
    let Some(me) = ctx.actor.scope.person_id else { return Ok(Json(Vec::new())) };
    roster::my_shifts(&s.db, me, Utc::now() - chrono::Duration::hours(12)).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckedIn {
    pub late_minutes: i64,
}

#[utoipa::path(post, path = "/api/v1/shift-assignments/{id}/check-in", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = CheckedIn), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn check_in(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Sent(when): Sent,
    ApiId(id): ApiId,
) -> Result<Json<CheckedIn>, Response> {
    roster::check_in(&s.db, &ctx.actor, id, when)
        .await
        .api(ctx.lang)
        .map(|late_minutes| Json(CheckedIn { late_minutes }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HandoverBody {
    #[serde(default)]
    pub handover: String,
}

#[utoipa::path(post, path = "/api/v1/shift-assignments/{id}/check-out", tag = "work", params(("id" = i64, Path)), request_body = HandoverBody,
    responses((status = 200, body = Done), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn check_out(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Sent(when): Sent,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<HandoverBody>,
) -> Result<Json<Done>, Response> {
    roster::check_out(&s.db, &ctx.actor, id, &b.handover, when).await.api(ctx.lang)?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(get, path = "/api/v1/survey-forms", tag = "work",
    responses((status = 200, body = Vec<FormView>), (status = 401, body = ErrorBody)))]
pub async fn list_forms(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<Vec<FormView>>, Response> {
    ctx.actor.require("work:survey:list").api(ctx.lang)?;
    surveys::forms(&s.db, &ctx.actor).await.api(ctx.lang).map(Json)
}

/// A survey form: its title and its fields, each `{key, label, type, required, options,
/// risk_values, risk_below}` with `type` one of `text`, `number`, `choice`, `multi`, `yes_no`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FormBody {
    #[schema(min_length = 1, max_length = 60)]
    pub title: String,
    #[schema(value_type = Vec<Object>, min_items = 1, max_items = 60)]
    pub fields: serde_json::Value,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/survey-forms", tag = "work", params(("id" = i64, Path)), request_body = FormBody,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_form(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(unit): ApiId,
    ApiJson(b): ApiJson<FormBody>,
) -> Result<Response, Response> {
    surveys::create_form(&s.db, &ctx.actor, unit, &b.title, &b.fields.to_string())
        .await
        .api(ctx.lang)
        .map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/me/households", tag = "work", params(UnitFilter),
    responses((status = 200, body = Vec<HouseholdView>), (status = 401, body = ErrorBody)))]
pub async fn my_households(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<UnitFilter>,
) -> Result<Json<Vec<HouseholdView>>, Response> {
    ctx.actor.require("work:survey:list").api(ctx.lang)?;
    surveys::households(&s.db, &ctx.actor, q.unit).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/households/{id}/responses", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ResponseView>), (status = 404, body = ErrorBody)))]
pub async fn household_responses(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<ResponseView>>, Response> {
    surveys::responses(&s.db, &ctx.actor, id).await.api(ctx.lang).map(Json)
}

/// A filled form: the form, the day (`YYYY-MM-DD`, within the last month) and the answers keyed
/// by field.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResponseBody {
    pub form_id: i64,
    #[schema(format = Date)]
    pub filled_on: String,
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, serde_json::Value>,
}

#[utoipa::path(post, path = "/api/v1/households/{id}/responses", tag = "work", params(("id" = i64, Path)), request_body = ResponseBody,
    responses((status = 201, body = ResponseView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn file_response(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Sent(when): Sent,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<ResponseBody>,
) -> Result<Response, Response> {
    let day = frontline_core::time::required_date("filled_on", &b.filled_on).api(ctx.lang)?;
    surveys::file(&s.db, &ctx.actor, id, b.form_id, day, &b.answers, when).await.api(ctx.lang).map(created)
}

/// A day (`YYYY-MM-DD`, today in China when absent).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnDay {
    pub on: Option<NaiveDate>,
}

impl OnDay {
    fn day(&self) -> NaiveDate {
        self.on.unwrap_or_else(|| today_in_china(Utc::now()))
    }
}

#[utoipa::path(get, path = "/api/v1/units/{id}/survey-compilation", tag = "work", params(("id" = i64, Path), OnDay),
    responses((status = 200, body = Compilation), (status = 404, body = ErrorBody)))]
pub async fn survey_compilation(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<OnDay>,
) -> Result<Json<Compilation>, Response> {
    surveys::compilation(&s.db, &ctx.actor, id, q.day()).await.api(ctx.lang).map(Json)
}

/// A day (`YYYY-MM-DD`, today in China when absent) and a page of the risk list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskQuery {
    pub on: Option<NaiveDate>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page (1–200, default 20).
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/risk-list", tag = "work", params(("id" = i64, Path), RiskQuery),
    responses((status = 200, body = Page<RiskRow>), (status = 404, body = ErrorBody)))]
pub async fn risk_list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<RiskQuery>,
) -> Result<Json<Page<RiskRow>>, Response> {
    let day = q.on.unwrap_or_else(|| today_in_china(Utc::now()));
    surveys::risk_list(&s.db, &ctx.actor, id, day, q.page, q.per_page).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/meetings", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MeetingView>), (status = 404, body = ErrorBody)))]
pub async fn list_meetings(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<MeetingView>>, Response> {
    ctx.actor.require("work:meeting:list").api(ctx.lang)?;
    meetings::meetings(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/units/{id}/meetings", tag = "work", params(("id" = i64, Path)), request_body = MeetingInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn create_meeting(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<MeetingInput>,
) -> Result<Response, Response> {
    meetings::create_meeting(&s.db, &ctx.actor, id, &b).await.api(ctx.lang).map(|id| created(Created { id }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopicFilter {
    pub unit: Option<i64>,
    pub owner: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/topics", tag = "work", params(TopicFilter),
    responses((status = 200, body = Vec<TopicView>), (status = 401, body = ErrorBody)))]
pub async fn list_topics(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<TopicFilter>,
) -> Result<Json<Vec<TopicView>>, Response> {
    ctx.actor.require("work:meeting:list").api(ctx.lang)?;
    meetings::topics(&s.db, &ctx.actor.scope, q.unit, q.owner).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    pub answer: String,
}

#[utoipa::path(post, path = "/api/v1/topics/{id}/answer", tag = "work", params(("id" = i64, Path)), request_body = AnswerBody,
    responses((status = 200, body = TopicView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer_topic(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<AnswerBody>,
) -> Result<Json<TopicView>, Response> {
    meetings::answer(&s.db, &ctx.actor, id, &b.answer).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/units/{id}/trainings", tag = "work", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TrainingView>), (status = 404, body = ErrorBody)))]
pub async fn list_trainings(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<TrainingView>>, Response> {
    ctx.actor.require("work:meeting:list").api(ctx.lang)?;
    meetings::trainings(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingCreated {
    pub id: i64,
    pub attendees: i64,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/trainings", tag = "work", params(("id" = i64, Path)), request_body = TrainingInput,
    responses((status = 201, body = TrainingCreated), (status = 422, body = ErrorBody)))]
pub async fn create_training(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<TrainingInput>,
) -> Result<Response, Response> {
    meetings::create_training(&s.db, &ctx.actor, id, &b)
        .await
        .api(ctx.lang)
        .map(|(id, attendees)| created(TrainingCreated { id, attendees }))
}

#[utoipa::path(get, path = "/api/v1/units/{id}/training-coverage", tag = "work", params(("id" = i64, Path), DayRange),
    responses((status = 200, body = Vec<CoverageRow>), (status = 404, body = ErrorBody)))]
pub async fn training_coverage(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<DayRange>,
) -> Result<Json<Vec<CoverageRow>>, Response> {
    ctx.actor.require("work:meeting:list").api(ctx.lang)?;
    let to = q.to.unwrap_or_else(|| today_in_china(Utc::now()));
    let from = q.from.unwrap_or(to - chrono::Duration::days(364));
    meetings::coverage(&s.db, &ctx.actor.scope, id, from, to).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwayMarked {
    pub days: u64,
}

/// Days a person cannot stand duty; the roster planner leaves them free on those days.
#[utoipa::path(post, path = "/api/v1/duty-away", tag = "work", request_body = AwayInput,
    responses((status = 200, body = AwayMarked), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mark_away(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<AwayInput>,
) -> Result<Json<AwayMarked>, Response> {
    roster::mark_away(&s.db, &ctx.actor, &b).await.api(ctx.lang).map(|days| Json(AwayMarked { days }))
}
