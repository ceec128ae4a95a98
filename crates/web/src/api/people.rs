//! `/api/v1/people` and `/api/v1/posts`: people, postings, roster import and export, posts and
//! their holders.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use frontline_core::DomainError;
use frontline_core::people::{PersonInput, PostKind, PostingKind};
use frontline_core::time::required_date;
use frontline_db::Page;
use frontline_db::people::{self, PersonQuery, PersonView, PostQuery, PostView, PostingView, TenureView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiId, ApiJson, ApiQuery, ApiResult, created};
use crate::auth::ApiCtx;
use crate::error::ErrorBody;
use crate::services::{self, ImportOutcome, ImportReport};
use crate::ui::people::xlsx_response;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people", get(list).post(create))
        .route("/people/export", get(export))
        .route("/people/template", get(template))
        .route("/people/import", post(import))
        .route("/people/{id}", get(get_person).put(update))
        .route("/people/{id}/postings", get(postings).post(add_posting))
        .route("/posts", get(list_posts).post(create_post))
        .route("/posts/{id}", get(get_post).put(update_post))
        .route("/postings/{id}/end", post(end_posting))
        .route("/posts/{id}/tenures", get(tenures))
        .route("/posts/{id}/assign", post(assign))
        .route("/posts/{id}/vacate", post(vacate))
}

/// A person to create, or the new state of one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonBody {
    pub home_unit_id: i64,
    #[schema(min_length = 1, max_length = 32)]
    pub name: String,
    /// `cadre`, `village_cadre`, `member`, `grid_worker`, `volunteer` or `resident`.
    #[schema(value_type = frontline_core::people::PersonCategory)]
    pub category: String,
    /// `member`, `probationary` or `none` (default).
    #[serde(default)]
    #[schema(schema_with = crate::api::party_statuses)]
    pub party_status: String,
    /// `county_level`, `section_level`, `staff`, `village` or `none` (default).
    #[serde(default)]
    #[schema(schema_with = crate::api::ranks)]
    pub rank: String,
    #[serde(default)]
    pub specialties: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(schema_with = crate::api::optional_date)]
    pub birthday: String,
    /// A mainland mobile number (11 digits starting with 1), or blank.
    #[serde(default)]
    #[schema(pattern = r"^[ \t\n\r]*[ -]*(1([ -]*[0-9]){10})?[ -]*[ \t\n\r]*$")]
    pub phone: String,
}

impl PersonBody {
    fn input(&self) -> PersonInput {
        PersonInput {
            name: self.name.clone(),
            category: self.category.clone(),
            party_status: self.party_status.clone(),
            rank: self.rank.clone(),
            specialties: self.specialties.clone(),
            birthday: self.birthday.clone(),
            phone: self.phone.clone(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PersonQuery),
    responses((status = 200, description = "People in scope; phones masked", body = Page<PersonView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<PersonQuery>,
) -> Result<Json<Page<PersonView>>, Response> {
    ctx.actor.require("people:person:list").api(ctx.lang)?;
    people::list(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = PersonBody,
    responses((status = 201, body = PersonView), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<Response, Response> {
    services::create_person(&s.db, &ctx.actor, b.home_unit_id, &b.input()).await.api(ctx.lang).map(created)
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, description = "The phone is shown in full only to callers who may edit people", body = PersonView), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<PersonView>, Response> {
    ctx.actor.require("people:person:list").api(ctx.lang)?;
    let reveal = ctx.actor.can("people:person:edit");
    people::get(&s.db, &ctx.actor.scope, id, reveal).await.api(ctx.lang).map(Json)
}

#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)), request_body = PersonBody,
    responses((status = 200, body = PersonView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<Json<PersonView>, Response> {
    services::update_person(&s.db, &ctx.actor, id, b.home_unit_id, &b.input()).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/people/{id}/postings", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PostingView>), (status = 404, body = ErrorBody)))]
pub async fn postings(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<PostingView>>, Response> {
    ctx.actor.require("people:person:list").api(ctx.lang)?;
    people::postings_of(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

/// A posting to add: 下沉 (`sent`), 驻村 (`stationed`), 包村 (`village_contact`), 互派互挂 (`secondment`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PostingBody {
    pub unit_id: i64,
    #[schema(value_type = frontline_core::people::PostingKind)]
    pub kind: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start_date: String,
    /// For a secondment (互派互挂) with a place outside this system: that place in words (at most
    /// 60 characters); `unit_id` is then the unit here that takes part.
    #[serde(default)]
    pub partner_place: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/people/{id}/postings", tag = "people", params(("id" = i64, Path)), request_body = PostingBody,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_posting(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PostingBody>,
) -> Result<Response, Response> {
    let kind = PostingKind::parse(&b.kind)
        .ok_or(AppError::Domain(DomainError::invalid("kind", "error.invalid")))
        .api(ctx.lang)?;
    let start = required_date("start_date", &b.start_date).api(ctx.lang)?;
    people::add_posting(&s.db, &ctx.actor, id, b.unit_id, kind, start, b.partner_place.as_deref())
        .await
        .api(ctx.lang)
        .map(|id| created(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/people/export", tag = "people", params(PersonQuery),
    responses((status = 200, description = "An Excel workbook of the list as filtered, phones masked", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn export(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<PersonQuery>,
) -> Result<Response, Response> {
    let bytes = services::export_people(&s.db, &ctx.actor, ctx.lang, &q).await.api(ctx.lang)?;
    Ok(xlsx_response(bytes, "people.xlsx"))
}

#[utoipa::path(get, path = "/api/v1/people/template", tag = "people",
    responses((status = 200, description = "The roster import template with drop-down lists", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn template(State(s): State<AppState>, ctx: ApiCtx) -> Result<Response, Response> {
    let bytes = services::roster_template(&s.db, &ctx.actor, ctx.lang).await.api(ctx.lang)?;
    Ok(xlsx_response(bytes, "roster-template.xlsx"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

#[utoipa::path(post, path = "/api/v1/people/import", tag = "people",
    request_body(content = Vec<u8>, description = "The filled-in template (.xlsx), or the same columns as UTF-8 CSV sent as text/csv",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 201, body = Imported), (status = 422, description = "Rejected whole; nothing written", body = ImportReport)))]
pub async fn import(
    State(s): State<AppState>,
    ctx: ApiCtx,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    if body.is_empty() {
        return Err(AppError::Domain(DomainError::invalid("file", "error.required")).into_json(ctx.lang));
    }
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let format = services::RosterFormat::of(None, content_type);
    match services::import_roster(&s.db, &ctx.actor, ctx.lang, &body, format, &Default::default())
        .await
        .api(ctx.lang)?
    {
        ImportOutcome::Imported(n) => Ok(created(Imported { imported: n })),
        ImportOutcome::Rejected(r) => {
            Err(axum::response::IntoResponse::into_response((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Json(r))))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/posts", tag = "people", params(PostQuery),
    responses((status = 200, body = Page<PostView>)))]
pub async fn list_posts(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiQuery(q): ApiQuery<PostQuery>,
) -> Result<Json<Page<PostView>>, Response> {
    ctx.actor.require("people:post:list").api(ctx.lang)?;
    people::list_posts(&s.db, &ctx.actor.scope, &q).await.api(ctx.lang).map(Json)
}

/// A post to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PostBody {
    pub unit_id: i64,
    /// `secretary`, `deputy_secretary`, `committee_member`, `director`, `grid_worker`,
    /// `first_secretary`, `township_secretary`, `township_head`, `county_leader`,
    /// `department_head`, `staff`.
    #[schema(value_type = frontline_core::people::PostKind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 32)]
    pub title: String,
    /// Order in the unit (and for succession).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 999)]
    pub seq: i64,
}

#[utoipa::path(post, path = "/api/v1/posts", tag = "people", request_body = PostBody,
    responses((status = 201, body = PostView), (status = 422, body = ErrorBody)))]
pub async fn create_post(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(b): ApiJson<PostBody>,
) -> Result<Response, Response> {
    let kind = PostKind::parse(&b.kind)
        .ok_or(AppError::Domain(DomainError::invalid("kind", "error.invalid")))
        .api(ctx.lang)?;
    people::create_post(&s.db, &ctx.actor, b.unit_id, kind, &b.title, b.seq).await.api(ctx.lang).map(created)
}

#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 404, body = ErrorBody)))]
pub async fn get_post(State(s): State<AppState>, ctx: ApiCtx, ApiId(id): ApiId) -> Result<Json<PostView>, Response> {
    ctx.actor.require("people:post:list").api(ctx.lang)?;
    people::get_post(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[utoipa::path(get, path = "/api/v1/posts/{id}/tenures", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TenureView>), (status = 404, body = ErrorBody)))]
pub async fn tenures(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
) -> Result<Json<Vec<TenureView>>, Response> {
    ctx.actor.require("people:post:list").api(ctx.lang)?;
    people::tenures(&s.db, &ctx.actor.scope, id).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignBody {
    pub person_id: i64,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start_date: String,
}

#[utoipa::path(post, path = "/api/v1/posts/{id}/assign", tag = "people", params(("id" = i64, Path)), request_body = AssignBody,
    responses((status = 200, body = PostView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<PostView>, Response> {
    let start = required_date("start_date", &b.start_date).api(ctx.lang)?;
    people::assign_holder(&s.db, &ctx.actor, id, b.person_id, start).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VacateBody {
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub end_date: String,
    #[schema(min_length = 1, max_length = 100)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/posts/{id}/vacate", tag = "people", params(("id" = i64, Path)), request_body = VacateBody,
    responses((status = 200, body = PostView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn vacate(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<VacateBody>,
) -> Result<Json<PostView>, Response> {
    let end = required_date("end_date", &b.end_date).api(ctx.lang)?;
    people::vacate(&s.db, &ctx.actor, id, end, &b.reason).await.api(ctx.lang).map(Json)
}

/// A post's new title and place in the succession order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PostUpdate {
    #[schema(min_length = 1, max_length = 32)]
    pub title: String,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 999)]
    pub seq: i64,
}

#[utoipa::path(put, path = "/api/v1/posts/{id}", tag = "people", params(("id" = i64, Path)), request_body = PostUpdate,
    responses((status = 200, body = PostView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_post(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PostUpdate>,
) -> Result<Json<PostView>, Response> {
    people::update_post(&s.db, &ctx.actor, id, &b.title, b.seq).await.api(ctx.lang).map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PostingEnd)]
pub struct EndBody {
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub end_date: String,
}

#[utoipa::path(post, path = "/api/v1/postings/{id}/end", tag = "people", params(("id" = i64, Path)), request_body = EndBody,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_posting(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<EndBody>,
) -> Result<Response, Response> {
    let end = required_date("end_date", &b.end_date).api(ctx.lang)?;
    people::end_posting(&s.db, &ctx.actor, id, end).await.api(ctx.lang)?;
    Ok(axum::response::IntoResponse::into_response(axum::http::StatusCode::NO_CONTENT))
}
