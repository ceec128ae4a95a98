//! Pages of appraisal and incentive: 鉴定 (appraisals, their conclusion and the printable 鉴定书),
//! 人才库 (the talent pool), 换届资格 (candidacy), the frontline share of the promoted, 五述五评,
//! 表彰, 典型事迹, 评选 (selections with ballots) and 关怀 (care reminders and records). The
//! person's 台账 page is where a leader writes notes and starts most of these.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, Utc};
use frontline_core::appraisals::{Grade, Rating, TalentTier};
use frontline_core::honours::{CareKind, CommendationKind, SelectionStatus};
use frontline_core::time::today_in_china;
use frontline_db::appraisals::{
    self, AppraisalDetail, AppraisalInput, AppraisalQuery, AppraisalView, CandidateQuery, CandidateView,
    ConclusionInput, FrontlineReport, NoteInput, RatingInput, ReviewDetail, ReviewInput, ReviewQuery, ReviewView,
    TierInput, TierQuery, TierView,
};
use frontline_db::honours::{
    self, CareInput, CareView, CommendationInput, CommendationQuery, CommendationView, DeedInput, DeedQuery, DeedView,
    NominationInput, Reminder, SelectionDetail, SelectionInput, SelectionView,
};
use frontline_db::people::{self as people_db, PersonQuery, PersonView};
use frontline_db::units::UnitView;

use super::{Chrome, FormData, Pager, UiResult, focus, redirect, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::services::certificate::{Certificate, certificate};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger-notes", post(add_note))
        .route("/records/{id}/correct", post(correct))
        .route("/appraisals", get(appraisals_page).post(create_appraisal))
        .route("/appraisals/new", get(new_appraisal_page))
        .route("/appraisals/{id}", get(appraisal_page))
        .route("/appraisals/{id}/conclude", post(conclude))
        .route("/appraisals/{id}/certificate", get(certificate_page))
        .route("/appraisals/{id}/certificate.pdf", get(certificate_pdf))
        .route("/talent", get(talent_page).post(add_talent))
        .route("/talent/{id}/remove", post(remove_talent))
        .route("/candidates", get(candidates_page))
        .route("/frontline-share", get(frontline_page))
        .route("/reviews", get(reviews_page).post(open_review))
        .route("/reviews/new", get(new_review_page))
        .route("/reviews/{id}", get(review_page))
        .route("/reviews/{id}/rate", post(rate))
        .route("/reviews/{id}/close", post(close_review))
        .route("/commendations", get(commendations_page).post(commend))
        .route("/deeds", get(deeds_page).post(write_deed))
        .route("/deeds/{id}", get(deed_page))
        .route("/deeds/{id}/publish", post(publish_deed))
        .route("/selections", get(selections_page).post(open_selection))
        .route("/selections/{id}", get(selection_page))
        .route("/selections/{id}/nominate", post(nominate))
        .route("/selections/{id}/vote", post(vote))
        .route("/selections/{id}/advance", post(advance))
        .route("/care", get(care_page).post(record_care))
}

fn fail(lang: Lang) -> impl Fn(AppError) -> Response {
    move |e: AppError| e.into_html(lang)
}

fn db_fail(lang: Lang) -> impl Fn(frontline_db::DbError) -> Response {
    move |e| AppError::from(e).into_html(lang)
}

/// `(code, label)` pairs for a select.
fn choices<T: Copy>(all: &[T], code: fn(T) -> &'static str, lang: Lang, prefix: &str) -> Vec<(String, String)> {
    all.iter().map(|c| (code(*c).to_string(), lang.code_label(prefix, code(*c)).to_string())).collect()
}

fn require(ctx: &Ctx, perm: &str) -> Result<(), Response> {
    ctx.actor.require(perm).map_err(|e| AppError::from(e).into_html(ctx.lang))
}

// ---------------------------------------------------------------------------------------------
// Notes and corrections (posted from the 台账 page)

async fn add_note(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = NoteInput {
            kind: form.get("kind"),
            person_id: form.opt_id("person_id")?,
            unit_id: form.opt_id("unit_id")?,
            occurred_on: form.date("occurred_on")?,
            value: form
                .get("value")
                .trim()
                .parse()
                .map_err(|_| frontline_core::DomainError::invalid("value", "error.note.value"))?,
            note: form.get("note"),
        };
        Ok::<i64, AppError>(appraisals::add_note(&state.db, &ctx.actor, &input).await?)
    };
    run.await.map_err(fail(ctx.lang))?;
    Ok(super::refresh())
}

async fn correct(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    appraisals::correct(&state.db, &ctx.actor, id, &form.get("reason")).await.map_err(db_fail(ctx.lang))?;
    Ok(super::refresh())
}

// ---------------------------------------------------------------------------------------------
// Appraisals

#[derive(Template)]
#[template(path = "appraisals.html")]
struct AppraisalsPage {
    t: Tr,
    c: Chrome,
    items: Vec<AppraisalView>,
    pager: Pager,
    status: String,
}

async fn appraisals_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AppraisalQuery>) -> UiResult {
    require(&ctx, "judge:appraisal:list")?;
    let page = appraisals::list(&state.db, &ctx.actor.scope, &q).await.map_err(db_fail(ctx.lang))?;
    let status = q.status.clone().unwrap_or_default();
    let pairs = [("status", status.clone()), ("campaign", q.campaign.clone().unwrap_or_default())];
    let tpl = AppraisalsPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/appraisals"),
        pager: Pager::new("/appraisals", &pairs, &page),
        items: page.items,
        status,
    };
    render(&tpl, ctx.lang)
}

#[derive(serde::Deserialize, Default)]
struct PersonParam {
    person: Option<i64>,
    unit: Option<i64>,
}

#[derive(Template)]
#[template(path = "appraisal_new.html")]
struct NewAppraisalPage {
    t: Tr,
    c: Chrome,
    person: PersonView,
    from: NaiveDate,
    to: NaiveDate,
}

async fn new_appraisal_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PersonParam>) -> UiResult {
    require(&ctx, "judge:appraisal:edit")?;
    let id = q.person.ok_or_else(|| fail(ctx.lang)(AppError::Domain(frontline_core::DomainError::NotFound)))?;
    let person = people_db::get(&state.db, &ctx.actor.scope, id, false).await.map_err(db_fail(ctx.lang))?;
    let today = today_in_china(Utc::now());
    let tpl = NewAppraisalPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/appraisals"),
        person,
        from: today - chrono::Days::new(90),
        to: today,
    };
    render(&tpl, ctx.lang)
}

async fn create_appraisal(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = AppraisalInput {
            person_id: form.id("person_id")?,
            campaign: form.get("campaign"),
            period_from: form.date("period_from")?,
            period_to: form.date("period_to")?,
        };
        Ok::<i64, AppError>(appraisals::create(&state.db, &ctx.actor, &input).await?)
    };
    let id = run.await.map_err(fail(ctx.lang))?;
    Ok(redirect(&format!("/appraisals/{id}")))
}

#[derive(Template)]
#[template(path = "appraisal.html")]
struct AppraisalPage {
    t: Tr,
    c: Chrome,
    d: AppraisalDetail,
    can_edit: bool,
    grades: Vec<(String, String)>,
    /// For each grade the record disagrees with, what it says (shown before the assessor confirms).
    grade_checks: Vec<(String, Vec<String>)>,
}

async fn appraisal_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    require(&ctx, "judge:appraisal:list")?;
    let d = appraisals::get(&state.db, &ctx.actor.scope, id).await.map_err(db_fail(ctx.lang))?;
    let lang = ctx.lang;
    let grade_checks = Grade::ALL
        .iter()
        .map(|g| {
            let said: Vec<String> = d
                .figures
                .warnings(*g)
                .iter()
                .map(|w| lang.code_label("appraisal.warning", w.as_str()).to_string())
                .collect();
            (lang.code_label("appraisal.grade", g.as_str()).to_string(), said)
        })
        .filter(|(_, said)| !said.is_empty())
        .collect();
    let tpl = AppraisalPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/appraisals"),
        can_edit: d.appraisal.status == "draft" && ctx.actor.can("judge:appraisal:edit"),
        grades: choices(Grade::ALL, Grade::as_str, ctx.lang, "appraisal.grade"),
        grade_checks,
        d,
    };
    render(&tpl, ctx.lang)
}

async fn conclude(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let input =
        ConclusionInput { grade: form.get("grade"), conclusion: form.get("conclusion"), reason: form.get("reason") };
    appraisals::conclude(&state.db, &ctx.actor, id, &input).await.map_err(db_fail(ctx.lang))?;
    Ok(redirect(&format!("/appraisals/{id}")))
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificatePage {
    t: Tr,
    c: Chrome,
    id: i64,
    cert: Certificate,
}

async fn certificate_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    require(&ctx, "judge:appraisal:list")?;
    let d = appraisals::get(&state.db, &ctx.actor.scope, id).await.map_err(db_fail(ctx.lang))?;
    let cert = certificate(&d, ctx.lang).map_err(fail(ctx.lang))?;
    render(&CertificatePage { t: Tr(ctx.lang), c: Chrome::new(&ctx, "/appraisals"), id, cert }, ctx.lang)
}

async fn certificate_pdf(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    require(&ctx, "judge:appraisal:list")?;
    let d = appraisals::get(&state.db, &ctx.actor.scope, id).await.map_err(db_fail(ctx.lang))?;
    crate::services::certificate::pdf_response(&d, ctx.lang).map_err(fail(ctx.lang))
}

// ---------------------------------------------------------------------------------------------
// Talent pool, candidacy, frontline share

#[derive(Template)]
#[template(path = "talent.html")]
struct TalentPage {
    t: Tr,
    c: Chrome,
    items: Vec<TierView>,
    pager: Pager,
    tier: String,
    tiers: Vec<(String, String)>,
    can_edit: bool,
}

async fn talent_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TierQuery>) -> UiResult {
    require(&ctx, "judge:appraisal:list")?;
    let page = appraisals::tiers(&state.db, &ctx.actor.scope, &q).await.map_err(db_fail(ctx.lang))?;
    let tier = q.tier.clone().unwrap_or_default();
    let pairs = [("tier", tier.clone())];
    let tpl = TalentPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/talent"),
        pager: Pager::new("/talent", &pairs, &page),
        items: page.items,
        tier,
        tiers: choices(TalentTier::ALL, TalentTier::as_str, ctx.lang, "talent.tier"),
        can_edit: ctx.actor.can("judge:appraisal:edit"),
    };
    render(&tpl, ctx.lang)
}

async fn add_talent(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = TierInput { person_id: form.id("person_id")?, tier: form.get("tier"), reason: form.get("reason") };
        Ok::<i64, AppError>(appraisals::add_tier(&state.db, &ctx.actor, &input).await?)
    };
    run.await.map_err(fail(ctx.lang))?;
    Ok(super::refresh())
}

async fn remove_talent(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    appraisals::remove_tier(&state.db, &ctx.actor, id, &form.get("reason")).await.map_err(db_fail(ctx.lang))?;
    Ok(super::refresh())
}

#[derive(Template)]
#[template(path = "candidates.html")]
struct CandidatesPage {
    t: Tr,
    c: Chrome,
    items: Vec<CandidateView>,
    pager: Pager,
    barred: bool,
}

async fn candidates_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CandidateQuery>) -> UiResult {
    require(&ctx, "judge:appraisal:list")?;
    let page = appraisals::candidates(&state.db, &ctx.actor.scope, &q).await.map_err(db_fail(ctx.lang))?;
    let barred = q.barred == Some(true);
    let pairs = [("barred", if barred { "true".to_string() } else { String::new() })];
    let tpl = CandidatesPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/candidates"),
        pager: Pager::new("/candidates", &pairs, &page),
        items: page.items,
        barred,
    };
    render(&tpl, ctx.lang)
}

#[derive(Template)]
#[template(path = "frontline_share.html")]
struct FrontlinePage {
    t: Tr,
    c: Chrome,
    r: FrontlineReport,
    percent: String,
}

async fn frontline_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<crate::api::appraisals::PeriodQuery>,
) -> UiResult {
    require(&ctx, "judge:appraisal:list")?;
    let (from, to) = q.or_this_year();
    let r = appraisals::frontline_share(&state.db, &ctx.actor.scope, from, to).await.map_err(db_fail(ctx.lang))?;
    let percent = format!("{:.1}", r.share.share * 100.0);
    render(&FrontlinePage { t: Tr(ctx.lang), c: Chrome::new(&ctx, "/candidates"), r, percent }, ctx.lang)
}

// ---------------------------------------------------------------------------------------------
// 五述五评

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    t: Tr,
    c: Chrome,
    items: Vec<ReviewView>,
    pager: Pager,
}

async fn reviews_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ReviewQuery>) -> UiResult {
    require(&ctx, "judge:review:list")?;
    let page = appraisals::reviews(&state.db, &ctx.actor.scope, &q).await.map_err(db_fail(ctx.lang))?;
    let pairs = [("year", q.year.map(|y| y.to_string()).unwrap_or_default())];
    let tpl = ReviewsPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/reviews"),
        pager: Pager::new("/reviews", &pairs, &page),
        items: page.items,
    };
    render(&tpl, ctx.lang)
}

#[derive(Template)]
#[template(path = "review_new.html")]
struct NewReviewPage {
    t: Tr,
    c: Chrome,
    unit: UnitView,
    people: Vec<PersonView>,
    year: i32,
}

async fn new_review_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PersonParam>) -> UiResult {
    require(&ctx, "judge:review:edit")?;
    let unit = focus(&state, &ctx, q.unit)
        .await
        .map_err(fail(ctx.lang))?
        .ok_or_else(|| fail(ctx.lang)(AppError::Domain(frontline_core::DomainError::NotFound)))?;
    let people = people_db::list_all(
        &state.db,
        &ctx.actor.scope,
        &PersonQuery { unit: Some(unit.id), ..Default::default() },
        300,
    )
    .await
    .map_err(db_fail(ctx.lang))?
    .into_iter()
    .filter(|p| p.category != "resident")
    .collect();
    let year = today_in_china(Utc::now()).year();
    render(&NewReviewPage { t: Tr(ctx.lang), c: Chrome::new(&ctx, "/reviews"), unit, people, year }, ctx.lang)
}

async fn open_review(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = ReviewInput {
            unit_id: form.id("unit_id")?,
            person_id: form.id("person_id")?,
            year: i32::try_from(form.id("year")?).unwrap_or(0),
            report: form.get("report"),
            track: Some(form.get("track")).filter(|t| !t.is_empty()),
        };
        Ok::<i64, AppError>(appraisals::open_review(&state.db, &ctx.actor, &input).await?)
    };
    let id = run.await.map_err(fail(ctx.lang))?;
    Ok(redirect(&format!("/reviews/{id}")))
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    t: Tr,
    c: Chrome,
    d: ReviewDetail,
    can_rate: bool,
    can_close: bool,
    ratings: Vec<(String, String)>,
    percent: String,
}

async fn review_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    // Those who list reviews, and the person reviewed (decided by the use case).
    let d = appraisals::review(&state.db, &ctx.actor, id).await.map_err(db_fail(ctx.lang))?;
    let open = d.review.status == "open";
    let percent = d.review.favourable_permille.map(|p| format!("{:.1}%", p as f64 / 10.0)).unwrap_or_default();
    let tpl = ReviewPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/reviews"),
        can_rate: open
            && !d.rated
            && ctx.actor.can("judge:review:rate")
            && ctx.actor.scope.person_id != Some(d.review.person_id),
        can_close: open && ctx.actor.can("judge:review:edit"),
        ratings: choices(Rating::ALL, Rating::as_str, ctx.lang, "review.rating"),
        percent,
        d,
    };
    render(&tpl, ctx.lang)
}

async fn rate(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let input = RatingInput { rating: form.get("rating"), comment: Some(form.get("comment")) };
    appraisals::rate(&state.db, &ctx.actor, id, &input).await.map_err(db_fail(ctx.lang))?;
    Ok(super::refresh())
}

async fn close_review(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    appraisals::close_review(&state.db, &ctx.actor, id).await.map_err(db_fail(ctx.lang))?;
    Ok(super::refresh())
}

// ---------------------------------------------------------------------------------------------
// Commendations and deeds

#[derive(Template)]
#[template(path = "commendations.html")]
struct CommendationsPage {
    t: Tr,
    c: Chrome,
    items: Vec<CommendationView>,
    pager: Pager,
}

async fn commendations_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CommendationQuery>) -> UiResult {
    require(&ctx, "honour:commend:list")?;
    let page = honours::commendations(&state.db, &ctx.actor.scope, &q).await.map_err(db_fail(ctx.lang))?;
    let pairs = [("kind", q.kind.clone().unwrap_or_default())];
    let tpl = CommendationsPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/commendations"),
        pager: Pager::new("/commendations", &pairs, &page),
        items: page.items,
    };
    render(&tpl, ctx.lang)
}

async fn commend(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = CommendationInput {
            kind: form.get("kind"),
            title: form.get("title"),
            reason: form.get("reason"),
            person_id: form.opt_id("person_id")?,
            unit_id: form.opt_id("unit_id")?,
            issued_on: form.date("issued_on")?,
        };
        Ok::<i64, AppError>(honours::commend(&state.db, &ctx.actor, &input).await?)
    };
    run.await.map_err(fail(ctx.lang))?;
    Ok(super::refresh())
}

#[derive(Template)]
#[template(path = "deeds.html")]
struct DeedsPage {
    t: Tr,
    c: Chrome,
    items: Vec<DeedView>,
    pager: Pager,
}

async fn deeds_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DeedQuery>) -> UiResult {
    let page = match ctx.actor.scope.person_id.filter(|_| !ctx.actor.can("honour:deed:list")) {
        // Without the list permission, a person reads what their county has published.
        Some(me) => honours::published_deeds_for(&state.db, me, q.page, q.per_page).await,
        None => {
            require(&ctx, "honour:deed:list")?;
            honours::deeds(&state.db, &ctx.actor.scope, &q).await
        }
    }
    .map_err(db_fail(ctx.lang))?;
    let pairs = [("status", q.status.clone().unwrap_or_default())];
    let tpl = DeedsPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/deeds"),
        pager: Pager::new("/deeds", &pairs, &page),
        items: page.items,
    };
    render(&tpl, ctx.lang)
}

async fn write_deed(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = DeedInput {
            person_id: form.opt_id("person_id")?,
            unit_id: form.opt_id("unit_id")?,
            title: form.get("title"),
            body: form.get("body"),
        };
        Ok::<i64, AppError>(honours::write_deed(&state.db, &ctx.actor, &input).await?)
    };
    let id = run.await.map_err(fail(ctx.lang))?;
    Ok(redirect(&format!("/deeds/{id}")))
}

#[derive(Template)]
#[template(path = "deed.html")]
struct DeedPage {
    t: Tr,
    c: Chrome,
    d: DeedView,
    can_publish: bool,
}

async fn deed_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let d = match ctx.actor.scope.person_id.filter(|_| !ctx.actor.can("honour:deed:list")) {
        Some(me) => honours::published_deed_for(&state.db, me, id).await,
        None => {
            require(&ctx, "honour:deed:list")?;
            honours::deed(&state.db, &ctx.actor.scope, id).await
        }
    }
    .map_err(db_fail(ctx.lang))?;
    let can_publish = d.status == "draft" && ctx.actor.can("honour:deed:publish");
    render(&DeedPage { t: Tr(ctx.lang), c: Chrome::new(&ctx, "/deeds"), d, can_publish }, ctx.lang)
}

async fn publish_deed(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    honours::publish_deed(&state.db, &ctx.actor, id).await.map_err(db_fail(ctx.lang))?;
    Ok(super::refresh())
}

// ---------------------------------------------------------------------------------------------
// Selections

#[derive(Template)]
#[template(path = "selections.html")]
struct SelectionsPage {
    t: Tr,
    c: Chrome,
    items: Vec<SelectionView>,
    unit: Option<UnitView>,
    can_open: bool,
    year: i32,
}

async fn selections_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    require(&ctx, "honour:selection:list")?;
    let items = honours::selections(&state.db, &ctx.actor.scope).await.map_err(db_fail(ctx.lang))?;
    let unit = focus(&state, &ctx, None).await.map_err(fail(ctx.lang))?;
    let tpl = SelectionsPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/selections"),
        items,
        unit,
        can_open: ctx.actor.can("honour:selection:edit"),
        year: today_in_china(Utc::now()).year(),
    };
    render(&tpl, ctx.lang)
}

async fn open_selection(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = SelectionInput {
            unit_id: form.id("unit_id")?,
            year: i32::try_from(form.id("year")?).unwrap_or(0),
            title: form.get("title"),
            seats: form.id("seats")?,
        };
        Ok::<i64, AppError>(honours::open_selection(&state.db, &ctx.actor, &input).await?)
    };
    let id = run.await.map_err(fail(ctx.lang))?;
    Ok(redirect(&format!("/selections/{id}")))
}

#[derive(Template)]
#[template(path = "selection.html")]
struct SelectionPage {
    t: Tr,
    c: Chrome,
    d: SelectionDetail,
    can_vote: bool,
    can_advance: bool,
}

async fn selection_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    require(&ctx, "honour:selection:list")?;
    let d = honours::selection(&state.db, &ctx.actor, id).await.map_err(db_fail(ctx.lang))?;
    let status = SelectionStatus::parse(&d.selection.status).unwrap_or(SelectionStatus::Closed);
    let tpl = SelectionPage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/selections"),
        can_vote: status == SelectionStatus::Voting && d.my_votes.is_empty() && ctx.actor.can("honour:selection:vote"),
        can_advance: status != SelectionStatus::Closed
            && ctx.actor.can("honour:selection:edit")
            && ctx.actor.scope.reaches(&d.selection.unit_path),
        d,
    };
    render(&tpl, ctx.lang)
}

async fn nominate(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = NominationInput { person_id: form.id("person_id")?, reason: form.get("reason") };
        Ok::<i64, AppError>(honours::nominate(&state.db, &ctx.actor, id, &input).await?)
    };
    run.await.map_err(fail(ctx.lang))?;
    Ok(super::refresh())
}

async fn vote(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let chosen: Vec<i64> = form.all("nomination").iter().filter_map(|v| v.parse().ok()).collect();
    honours::vote(&state.db, &ctx.actor, id, &chosen).await.map_err(db_fail(ctx.lang))?;
    Ok(super::refresh())
}

async fn advance(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    honours::advance(&state.db, &ctx.actor, id).await.map_err(db_fail(ctx.lang))?;
    Ok(super::refresh())
}

// ---------------------------------------------------------------------------------------------
// Care

#[derive(Template)]
#[template(path = "care.html")]
struct CarePage {
    t: Tr,
    c: Chrome,
    day: NaiveDate,
    reminders: Vec<Reminder>,
    records: Vec<CareView>,
    pager: Pager,
    kinds: Vec<(String, String)>,
    can_edit: bool,
}

#[derive(serde::Deserialize, Default)]
struct CareParams {
    day: Option<NaiveDate>,
    person: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn care_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CareParams>) -> UiResult {
    require(&ctx, "honour:care:list")?;
    let day = q.day.unwrap_or_else(|| today_in_china(Utc::now()));
    let scope = &ctx.actor.scope;
    let reminders = honours::reminders(&state.db, scope, day).await.map_err(db_fail(ctx.lang))?;
    let page =
        honours::care_records(&state.db, scope, q.person, q.page, q.per_page).await.map_err(db_fail(ctx.lang))?;
    let pairs = [("day", day.to_string()), ("person", q.person.map(|p| p.to_string()).unwrap_or_default())];
    let tpl = CarePage {
        t: Tr(ctx.lang),
        c: Chrome::new(&ctx, "/care"),
        day,
        reminders,
        pager: Pager::new("/care", &pairs, &page),
        records: page.items,
        kinds: choices(CareKind::ALL, CareKind::as_str, ctx.lang, "care.kind"),
        can_edit: ctx.actor.can("honour:care:edit"),
    };
    render(&tpl, ctx.lang)
}

async fn record_care(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = CareInput {
            person_id: form.id("person_id")?,
            kind: form.get("kind"),
            given_on: form.date("given_on")?,
            note: Some(form.get("note")),
        };
        Ok::<i64, AppError>(honours::record_care(&state.db, &ctx.actor, &input).await?)
    };
    run.await.map_err(fail(ctx.lang))?;
    Ok(super::refresh())
}

// ---------------------------------------------------------------------------------------------
// What the 台账 page offers about its subject

/// The forms the 台账 page shows for a person or a unit, as far as the caller may use them.
pub struct LedgerActions {
    pub person_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub today: NaiveDate,
    pub note_kinds: Vec<(String, String)>,
    pub commendation_kinds: Vec<(String, String)>,
    pub care_kinds: Vec<(String, String)>,
    pub tiers: Vec<(String, String)>,
    /// Selections taking nominations that the caller sees.
    pub selections: Vec<SelectionView>,
    pub can_note: bool,
    pub can_correct: bool,
    pub can_appraise: bool,
    pub can_commend: bool,
    pub can_deed: bool,
    pub can_care: bool,
    pub can_nominate: bool,
}

impl LedgerActions {
    pub fn any(&self) -> bool {
        self.can_note || self.can_appraise || self.can_commend || self.can_deed || self.can_care || self.can_nominate
    }
}

/// What the caller may do on a 台账 page about `person` or `unit`.
pub async fn ledger_actions(
    state: &AppState,
    ctx: &Ctx,
    person: Option<i64>,
    unit: Option<i64>,
) -> Result<LedgerActions, AppError> {
    let lang = ctx.lang;
    let a = &ctx.actor;
    let is_person = person.is_some();
    let selections = if is_person && a.can("honour:selection:nominate") {
        honours::selections(&state.db, &a.scope)
            .await?
            .into_iter()
            .filter(|s| s.status == SelectionStatus::Nominating.as_str())
            .collect()
    } else {
        Vec::new()
    };
    let note_kinds = frontline_core::records::RecordKind::ALL
        .iter()
        .filter(|k| k.entered_by_hand().is_some())
        .map(|k| (k.as_str().to_string(), lang.code_label("record.kind", k.as_str()).to_string()))
        .collect();
    let subject = person.is_some() || unit.is_some();
    Ok(LedgerActions {
        person_id: person,
        unit_id: if is_person { None } else { unit },
        today: today_in_china(Utc::now()),
        note_kinds,
        commendation_kinds: choices(CommendationKind::ALL, CommendationKind::as_str, lang, "commend.kind"),
        care_kinds: choices(CareKind::ALL, CareKind::as_str, lang, "care.kind"),
        tiers: choices(TalentTier::ALL, TalentTier::as_str, lang, "talent.tier"),
        can_note: subject && a.can("judge:note:edit"),
        can_correct: a.can("judge:record:correct"),
        can_appraise: is_person && a.can("judge:appraisal:edit"),
        can_commend: subject && a.can("honour:commend:edit"),
        can_deed: subject && a.can("honour:deed:edit"),
        can_care: is_person && a.can("honour:care:edit"),
        can_nominate: !selections.is_empty(),
        selections,
    })
}
