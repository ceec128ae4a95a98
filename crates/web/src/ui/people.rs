//! People and post pages: lists beside the unit tree, details with postings and posts held,
//! dialogs to add and edit, roster import with its row-by-row report, Excel export.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use frontline_core::DomainError;
use frontline_core::people::{PartyStatus, PersonCategory, PersonInput, PostKind, PostingKind, Rank};
use frontline_core::time::parse_date;
use frontline_db::people::{self, PersonQuery, PersonView, PostQuery, PostView, PostingView, TenureView};
use frontline_db::units::{self, UnitView};
use serde::Deserialize;

use super::units::{TreePanel, resolve_unit_ref};
use super::{Chrome, FormData, Pager, UiResult, refresh, render};
use crate::auth::Ctx;
use crate::background::Outcome;
use crate::i18n::{Lang, Tr};
use crate::services::{self, ImportOutcome};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people", get(list_page).post(create))
        .route("/people/new", get(new_form))
        .route("/people/template.xlsx", get(template))
        .route("/people/export.xlsx", get(export))
        .route("/people/import", get(import_form).post(import))
        .route("/people/{id}", get(detail).post(update))
        .route("/people/{id}/edit", get(edit_form))
        .route("/people/{id}/postings", post(add_posting))
        .route("/posts", get(posts_page).post(create_post))
        .route("/posts/new", get(new_post_form))
        .route("/posts/{id}", get(post_detail).post(update_post))
        .route("/postings/{id}/end", post(end_posting))
        .route("/posts/{id}/assign", post(assign))
        .route("/posts/{id}/vacate", post(vacate))
}

fn choices(lang: Lang, prefix: &str, codes: &[&str]) -> Vec<(String, String)> {
    codes.iter().map(|c| (c.to_string(), lang.code_label(prefix, c).to_string())).collect()
}

fn categories(lang: Lang) -> Vec<(String, String)> {
    choices(lang, "person.category", &PersonCategory::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>())
}

fn party_statuses(lang: Lang) -> Vec<(String, String)> {
    choices(lang, "person.party_status", &PartyStatus::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>())
}

fn ranks(lang: Lang) -> Vec<(String, String)> {
    choices(lang, "person.rank", &Rank::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>())
}

/// A person row with labels in the user's language.
pub struct PersonRow {
    pub p: PersonView,
    pub category: String,
    pub party_status: String,
    pub rank: String,
}

fn person_row(p: PersonView, lang: Lang) -> PersonRow {
    PersonRow {
        category: lang.code_label("person.category", &p.category).to_string(),
        party_status: lang.code_label("person.party_status", &p.party_status).to_string(),
        rank: lang.code_label("person.rank", &p.rank).to_string(),
        p,
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    q_name: String,
    q_category: String,
    q_party: String,
    export_url: String,
    categories: Vec<(String, String)>,
    party_statuses: Vec<(String, String)>,
    rows: Vec<PersonRow>,
    pager: Pager,
    can_add: bool,
    can_import: bool,
    can_export: bool,
}

fn person_query_pairs(q: &PersonQuery) -> Vec<(&'static str, String)> {
    vec![
        ("unit", q.unit.map(|v| v.to_string()).unwrap_or_default()),
        ("name", q.name.clone().unwrap_or_default()),
        ("category", q.category.clone().unwrap_or_default()),
        ("party_status", q.party_status.clone().unwrap_or_default()),
    ]
}

async fn list_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PersonQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("people:person:list").map_err(|e| fail(e.into()))?;
    let page = people::list(&state.db, &ctx.actor.scope, &q).await.map_err(|e| fail(e.into()))?;
    let unit = match q.unit {
        Some(id) => Some(units::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?),
        None => None,
    };
    let pairs = person_query_pairs(&q);
    let pager = Pager::new("/people", &pairs, &page);
    let export_url = {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        format!("/people/export.xlsx?{}", s.finish())
    };
    let tree = TreePanel::load(&state.db, &ctx.actor.scope, "people", q.unit).await.map_err(fail)?;
    let tpl = PeoplePage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/people"),
        tree,
        unit,
        q_name: q.name.clone().unwrap_or_default(),
        q_category: q.category.clone().unwrap_or_default(),
        q_party: q.party_status.clone().unwrap_or_default(),
        export_url,
        categories: categories(lang),
        party_statuses: party_statuses(lang),
        rows: page.items.into_iter().map(|p| person_row(p, lang)).collect(),
        pager,
        can_add: ctx.actor.can("people:person:add"),
        can_import: ctx.actor.can("people:person:import"),
        can_export: ctx.actor.can("people:person:export"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "person_detail.html")]
struct PersonDetail {
    t: Tr,
    c: Chrome,
    row: PersonRow,
    postings: Vec<PostingView>,
    posts: Vec<PostView>,
    posting_kinds: Vec<(String, String)>,
    today: String,
    can_edit: bool,
}

async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("people:person:list").map_err(|e| fail(e.into()))?;
    let p = people::get(&state.db, &ctx.actor.scope, id, ctx.actor.can("people:person:edit"))
        .await
        .map_err(|e| fail(e.into()))?;
    // Editing belongs to whoever reaches the home unit, not to a unit hosting a posting.
    let can_edit = ctx.actor.can("people:person:edit") && ctx.actor.scope.reaches(&p.home_unit_path);
    let postings = people::postings_of(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?;
    let posts = people::posts_held(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?;
    let tpl = PersonDetail {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/people"),
        row: person_row(p, lang),
        postings,
        posts,
        posting_kinds: choices(lang, "posting.kind", &PostingKind::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
        today: crate::today().to_string(),
        can_edit,
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct PersonForm {
    t: Tr,
    title_key: &'static str,
    action: String,
    home_unit: String,
    name: String,
    category: String,
    party_status: String,
    rank: String,
    specialties: String,
    birthday: String,
    phone: String,
    categories: Vec<(String, String)>,
    party_statuses: Vec<(String, String)>,
    ranks: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct NewPersonQuery {
    unit: Option<i64>,
}

async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewPersonQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("people:person:add").map_err(|e| AppError::from(e).into_html(lang))?;
    let home_unit = match q.unit {
        Some(id) => {
            let u = units::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
            u.code.clone().unwrap_or_else(|| format!("#{}", u.id))
        }
        None => String::new(),
    };
    render(
        &PersonForm {
            t: Tr(lang),
            title_key: "person.add",
            action: "/people".into(),
            home_unit,
            name: String::new(),
            category: "member".into(),
            party_status: "member".into(),
            rank: "none".into(),
            specialties: String::new(),
            birthday: String::new(),
            phone: String::new(),
            categories: categories(lang),
            party_statuses: party_statuses(lang),
            ranks: ranks(lang),
        },
        lang,
    )
}

async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("people:person:edit").map_err(|e| AppError::from(e).into_html(lang))?;
    let p = people::get(&state.db, &ctx.actor.scope, id, true).await.map_err(|e| AppError::from(e).into_html(lang))?;
    render(
        &PersonForm {
            t: Tr(lang),
            title_key: "person.edit",
            action: format!("/people/{id}"),
            home_unit: format!("#{}", p.home_unit_id),
            name: p.name,
            category: p.category,
            party_status: p.party_status,
            rank: p.rank,
            specialties: p.specialties.unwrap_or_default(),
            birthday: p.birthday.map(|b| b.to_string()).unwrap_or_default(),
            phone: p.phone.unwrap_or_default(),
            categories: categories(lang),
            party_statuses: party_statuses(lang),
            ranks: ranks(lang),
        },
        lang,
    )
}

fn person_input(form: &FormData) -> PersonInput {
    PersonInput {
        name: form.get("name"),
        category: form.get("category"),
        party_status: form.get("party_status"),
        rank: form.get("rank"),
        specialties: form.get("specialties"),
        birthday: form.get("birthday"),
        phone: form.get("phone"),
    }
}

async fn create(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let unit = resolve_unit_ref(&state.db, &ctx.actor.scope, &form.get("home_unit"), "home_unit")
        .await
        .map_err(|e| e.into_html(lang))?;
    let p = services::create_person(&state.db, &ctx.actor, unit.id, &person_input(&form))
        .await
        .map_err(|e| e.into_html(lang))?;
    Ok(super::redirect(&format!("/people/{}", p.id)))
}

async fn update(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let unit = resolve_unit_ref(&state.db, &ctx.actor.scope, &form.get("home_unit"), "home_unit")
        .await
        .map_err(|e| e.into_html(lang))?;
    services::update_person(&state.db, &ctx.actor, id, unit.id, &person_input(&form))
        .await
        .map_err(|e| e.into_html(lang))?;
    Ok(refresh())
}

async fn add_posting(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let result: Result<(), AppError> = async {
        let unit = resolve_unit_ref(&state.db, &ctx.actor.scope, &form.get("unit"), "unit").await?;
        let kind = PostingKind::parse(&form.get("kind")).ok_or(DomainError::invalid("kind", "error.invalid"))?;
        let start = parse_date("start_date", &form.get("start_date"))
            .map_err(|e| DomainError::Invalid(vec![e]))?
            .ok_or(DomainError::invalid("start_date", "error.required"))?;
        let partner = form.get("partner_place");
        people::add_posting(&state.db, &ctx.actor, id, unit.id, kind, start, Some(partner.as_str())).await?;
        Ok(())
    }
    .await;
    result.map_err(|e| e.into_html(lang))?;
    Ok(refresh())
}

async fn template(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let bytes = services::roster_template(&state.db, &ctx.actor, lang).await.map_err(|e| e.into_html(lang))?;
    Ok(xlsx_response(bytes, "roster-template.xlsx"))
}

async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PersonQuery>) -> UiResult {
    let lang = ctx.lang;
    let bytes = services::export_people(&state.db, &ctx.actor, lang, &q).await.map_err(|e| e.into_html(lang))?;
    Ok(xlsx_response(bytes, "people.xlsx"))
}

/// A workbook as a download. A name outside ASCII (`工单办理.xlsx`) goes in UTF-8 (RFC 5987) beside
/// a plain fallback.
pub fn xlsx_response(bytes: Vec<u8>, name: &str) -> axum::response::Response {
    let disposition = if name.is_ascii() {
        format!("attachment; filename=\"{name}\"")
    } else {
        let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
        format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}")
    };
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "import_form.html")]
struct ImportForm {
    t: Tr,
}

async fn import_form(ctx: Ctx) -> UiResult {
    ctx.actor.require("people:person:import").map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    render(&ImportForm { t: Tr(ctx.lang) }, ctx.lang)
}

/// Takes a roster in: checked and written as a job beside the requests. A roster done within
/// the first wait answers with its report at once; a long one answers with a progress bar.
async fn import(State(state): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("people:person:import").map_err(|e| AppError::from(e).into_html(lang))?;
    let (mut bytes, mut format) = (None, services::RosterFormat::Workbook);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            format = services::RosterFormat::of(field.file_name(), field.content_type());
            bytes = field.bytes().await.ok();
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Err(AppError::Domain(DomainError::invalid("file", "error.required")).into_html(lang));
    };
    let Some((id, job)) = state.jobs.start(ctx.actor.user_id) else {
        return Err(AppError::BadRequest("error.job.too_many", String::new()).into_html(lang));
    };
    let (db, actor, work) = (state.db.clone(), ctx.actor.clone(), job.clone());
    tokio::spawn(async move {
        let outcome = match services::import_roster(&db, &actor, lang, &bytes, format, &work.progress).await {
            Ok(ImportOutcome::Imported(n)) => Outcome::Imported(n),
            Ok(ImportOutcome::Rejected(r)) => Outcome::Rejected(r),
            Err(e) => Outcome::Failed { status: e.status().as_u16(), message: e.body(lang).message },
        };
        work.finish(outcome);
    });
    super::jobs::wait_briefly(&job).await;
    super::jobs::job_response(&id, &job, lang)
}

#[derive(Template)]
#[template(path = "posts.html")]
struct PostsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    q_kind: String,
    q_vacant: bool,
    kinds: Vec<(String, String)>,
    rows: Vec<PostView>,
    pager: Pager,
    can_add: bool,
}

fn post_kinds(lang: Lang) -> Vec<(String, String)> {
    choices(lang, "post.kind", &PostKind::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>())
}

async fn posts_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PostQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("people:post:list").map_err(|e| fail(e.into()))?;
    let page = people::list_posts(&state.db, &ctx.actor.scope, &q).await.map_err(|e| fail(e.into()))?;
    let unit = match q.unit {
        Some(id) => Some(units::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?),
        None => None,
    };
    let pairs = [
        ("unit", q.unit.map(|v| v.to_string()).unwrap_or_default()),
        ("kind", q.kind.clone().unwrap_or_default()),
        ("vacant", if q.vacant == Some(true) { "true".into() } else { String::new() }),
    ];
    let tpl = PostsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/posts"),
        tree: TreePanel::load(&state.db, &ctx.actor.scope, "posts", q.unit).await.map_err(fail)?,
        unit,
        q_kind: q.kind.clone().unwrap_or_default(),
        q_vacant: q.vacant == Some(true),
        kinds: post_kinds(lang),
        pager: Pager::new("/posts", &pairs, &page),
        rows: page.items,
        can_add: ctx.actor.can("people:post:add"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "post_form.html")]
struct PostForm {
    t: Tr,
    unit: String,
    kinds: Vec<(String, String)>,
}

async fn new_post_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewPersonQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("people:post:add").map_err(|e| AppError::from(e).into_html(lang))?;
    let unit = match q.unit {
        Some(id) => {
            let u = units::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
            u.code.clone().unwrap_or_else(|| format!("#{}", u.id))
        }
        None => String::new(),
    };
    render(&PostForm { t: Tr(lang), unit, kinds: post_kinds(lang) }, lang)
}

async fn create_post(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let result: Result<i64, AppError> = async {
        let unit = resolve_unit_ref(&state.db, &ctx.actor.scope, &form.get("unit"), "unit").await?;
        let kind = PostKind::parse(&form.get("kind")).ok_or(DomainError::invalid("kind", "error.invalid"))?;
        let title = match form.get("title").trim() {
            "" => lang.code_label("post.kind", kind.as_str()).to_string(),
            t => t.to_string(),
        };
        let seq = match form.get("seq").trim() {
            "" => 0,
            s => s.parse().map_err(|_| DomainError::invalid("seq", "error.out_of_range"))?,
        };
        Ok(people::create_post(&state.db, &ctx.actor, unit.id, kind, &title, seq).await?.id)
    }
    .await;
    let id = result.map_err(|e| e.into_html(lang))?;
    Ok(super::redirect(&format!("/posts/{id}")))
}

#[derive(Template)]
#[template(path = "post_detail.html")]
struct PostDetail {
    t: Tr,
    c: Chrome,
    post: PostView,
    kind_label: String,
    tenures: Vec<TenureView>,
    candidates: Vec<PersonView>,
    today: String,
    can_edit: bool,
}

async fn post_detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("people:post:list").map_err(|e| fail(e.into()))?;
    let post = people::get_post(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?;
    let tenures = people::tenures(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?;
    // Candidates: people whose home unit is the post's unit (the usual case); others by id.
    let candidates = people::list(
        &state.db,
        &ctx.actor.scope,
        &PersonQuery { unit: Some(post.unit_id), per_page: Some(200), ..Default::default() },
    )
    .await
    .map_err(|e| fail(e.into()))?
    .items;
    let tpl = PostDetail {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/posts"),
        kind_label: lang.code_label("post.kind", &post.kind).to_string(),
        post,
        tenures,
        candidates,
        today: crate::today().to_string(),
        can_edit: ctx.actor.can("people:post:edit"),
    };
    render(&tpl, lang)
}

async fn assign(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let result: Result<(), AppError> = async {
        let person = form.id("person_id")?;
        let start = form.date("start_date")?;
        people::assign_holder(&state.db, &ctx.actor, id, person, start).await?;
        Ok(())
    }
    .await;
    result.map_err(|e| e.into_html(lang))?;
    Ok(refresh())
}

async fn vacate(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let result: Result<(), AppError> = async {
        let end = form.date("end_date")?;
        people::vacate(&state.db, &ctx.actor, id, end, &form.get("reason")).await?;
        Ok(())
    }
    .await;
    result.map_err(|e| e.into_html(lang))?;
    Ok(refresh())
}

async fn update_post(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let seq = match form.get("seq").trim() {
        "" => 0,
        s => s
            .parse()
            .map_err(|_| AppError::Domain(DomainError::invalid("seq", "error.out_of_range")).into_html(lang))?,
    };
    people::update_post(&state.db, &ctx.actor, id, &form.get("title"), seq)
        .await
        .map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(refresh())
}

async fn end_posting(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let end = form.date("end_date").map_err(|e| e.into_html(lang))?;
    people::end_posting(&state.db, &ctx.actor, id, end).await.map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(refresh())
}
