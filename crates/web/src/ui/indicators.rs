//! Pages of judgement: 考核方案 (schemes, edited as data with a what-if preview), the ranking of a
//! subtree with stars and laggards that drills from a county to a township to a village, the
//! explanation of one score down to the ledger, 评分发布 (published runs on notice), 后进整转
//! (laggard plans) and 台账 (the ledger itself, a person's or a unit's frontline record).

use std::borrow::Borrow;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use frontline_core::indicators::formula::{Expr, Leaf};
use frontline_core::indicators::laggards::PlanStatus;
use frontline_core::indicators::scheme::defaults;
use frontline_core::indicators::{Scheme, Standing};
use frontline_core::people::{PartyStatus, PersonCategory};
use frontline_core::records::RecordKind;
use frontline_core::time::today_in_china;
use frontline_db::indicators::{
    self, Explanation, Period, Preview, Ranking, RankingQuery, RunDetail, RunView, SchemeInput, SchemeView, ScoreRow,
};
use frontline_db::laggards::{self, PlanDetail, PlanInput, PlanQuery, PlanView};
use frontline_db::people::{self as people_db, PersonQuery, PersonView};
use frontline_db::records::{self, KindCount, RecordQuery, RecordView};
use frontline_db::units::UnitView;

use super::{Chrome, FormData, Pager, UiResult, focus, redirect, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schemes", get(schemes_page).post(create_scheme))
        .route("/schemes/{id}", get(ranking_page))
        .route("/schemes/{id}/explain", get(explain_page))
        .route("/schemes/{id}/edit", get(edit_page).post(save_scheme))
        .route("/schemes/{id}/preview", post(preview_fragment))
        .route("/schemes/{id}/publish", post(publish))
        .route("/score-runs", get(runs_page))
        .route("/score-runs/{id}", get(run_page))
        .route("/laggard-plans", get(plans_page).post(create_plan))
        .route("/laggard-plans/new", get(new_plan_page))
        .route("/laggard-plans/{id}", get(plan_page))
        .route("/laggard-plans/{id}/steps", post(add_step))
        .route("/laggard-plans/{id}/decide", post(close_plan))
        .route("/ledger", get(ledger_page))
}

/// `★★★☆☆` for 3 of 5 (templates pass numbers by reference or by value).
pub fn stars(n: impl Borrow<u8>, of: impl Borrow<usize>) -> String {
    let of = *of.borrow();
    let n = usize::from(*n.borrow()).min(of);
    format!("{}{}", "★".repeat(n), "☆".repeat(of - n))
}

/// A standing in words, as every page, bulletin and workbook shows it: 无数据, 后进 or `★★★`.
pub fn standing_text(standing: Standing, lang: Lang) -> String {
    match standing {
        Standing::NoData => lang.t("judge.no_data").to_string(),
        Standing::Laggard => lang.t("judge.laggard").to_string(),
        Standing::Stars(0) => "☆".to_string(),
        Standing::Stars(n) => "★".repeat(usize::from(n)),
    }
}

/// The `i`-th of a list of names, or nothing (templates pass numbers by reference).
pub fn nth(list: &[String], i: impl Borrow<usize>) -> &str {
    list.get(*i.borrow()).map_or("", String::as_str)
}

/// Stars as stored (a whole number column).
pub fn stored_stars(n: impl Borrow<i64>, of: impl Borrow<usize>) -> String {
    stars(u8::try_from(*n.borrow()).unwrap_or(0), of)
}

/// A score stored in hundredths, as shown.
pub fn centi(n: impl Borrow<i64>) -> String {
    let n = *n.borrow();
    frontline_core::indicators::round2(n as f64 / 100.0).to_string()
}

fn fail(lang: Lang) -> impl Fn(AppError) -> axum::response::Response {
    move |e: AppError| e.into_html(lang)
}

#[derive(Template)]
#[template(path = "schemes.html")]
struct SchemesPage {
    t: Tr,
    c: Chrome,
    schemes: Vec<SchemeView>,
    unit: Option<UnitView>,
    can_edit: bool,
    example: &'static str,
}

async fn schemes_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:scheme:list").map_err(|e| fail(lang)(e.into()))?;
    let schemes = indicators::schemes(&state.db, &ctx.actor.scope).await.map_err(|e| fail(lang)(e.into()))?;
    let unit = focus(&state, &ctx, None).await.map_err(fail(lang))?;
    let tpl = SchemesPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/schemes"),
        schemes,
        unit,
        can_edit: ctx.actor.can("judge:scheme:edit"),
        example: defaults::BASTION,
    };
    render(&tpl, lang)
}

fn scheme_input(form: &FormData) -> SchemeInput {
    // Text that is not JSON is passed on as a string, which the check reports as "not a scheme".
    let definition =
        serde_json::from_str(&form.get("definition")).unwrap_or(serde_json::Value::String(form.get("definition")));
    SchemeInput {
        unit_id: form.get("unit_id").trim().parse().unwrap_or_default(),
        code: form.get("code"),
        name: form.get("name"),
        definition,
        active: form.get("active") != "false",
    }
}

async fn create_scheme(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let id = indicators::create_scheme(&state.db, &ctx.actor, &scheme_input(&form))
        .await
        .map_err(|e| fail(ctx.lang)(e.into()))?;
    Ok(redirect(&format!("/schemes/{id}/edit")))
}

/// The period and unit a page shows, with the defaults filled in for the links it makes.
struct Shown {
    unit: i64,
    period: Period,
    query: String,
}

fn shown(q: &RankingQuery, default_unit: i64) -> Result<Shown, AppError> {
    let period = q.period()?;
    let unit = q.unit.unwrap_or(default_unit);
    let query = format!("from={}&to={}", period.from, period.to);
    Ok(Shown { unit, period, query })
}

#[derive(Template)]
#[template(path = "scheme_ranking.html")]
struct RankingPage {
    t: Tr,
    c: Chrome,
    scheme: SchemeView,
    r: Ranking,
    top_stars: usize,
    query: String,
    laggards_only: bool,
    /// The name searched for, as typed.
    name: String,
    pager: Pager,
    can_publish: bool,
    can_plan: bool,
    yesterday: NaiveDate,
    parent: Option<(i64, String)>,
}

async fn ranking_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RankingQuery>,
) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:score:list").map_err(|e| fail(lang)(e.into()))?;
    let scope = &ctx.actor.scope;
    let scheme = indicators::scheme(&state.db, scope, id).await.map_err(|e| fail(lang)(e.into()))?;
    let compiled = scheme.compiled().map_err(|e| fail(lang)(e.into()))?;
    let default_unit = indicators::default_unit(&state.db, scope, &scheme).await.map_err(|e| fail(lang)(e.into()))?;
    let s = shown(&q, default_unit).map_err(fail(lang))?;
    let r = indicators::score(&state.db, scope, &scheme, &compiled, s.unit, s.period)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let laggards_only = q.laggards.unwrap_or(false);
    let name = q.name.clone().unwrap_or_default();
    let r = r.named(Some(&name)).paged(laggards_only, q.page, q.per_page.or(Some(50)));
    let page =
        frontline_db::Page { items: Vec::<()>::new(), total: r.total as i64, page: r.page, per_page: r.per_page };
    let pairs = [
        ("unit", s.unit.to_string()),
        ("from", s.period.from.to_string()),
        ("to", s.period.to.to_string()),
        ("laggards", if laggards_only { "true".into() } else { String::new() }),
        ("name", name.clone()),
    ];
    let unit = frontline_db::units::get(&state.db, scope, s.unit).await.map_err(|e| fail(lang)(e.into()))?;
    let parent = match unit.parent_id {
        Some(p) if p != 0 => frontline_db::units::get(&state.db, scope, p).await.ok().map(|u| (u.id, u.name)),
        _ => None,
    };
    let top_stars = compiled.top_stars();
    let tpl = RankingPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/schemes"),
        pager: Pager::new(&format!("/schemes/{id}"), &pairs, &page),
        scheme,
        r,
        top_stars,
        query: s.query,
        laggards_only,
        name,
        can_publish: ctx.actor.can("judge:score:publish"),
        can_plan: ctx.actor.can("judge:laggard:edit"),
        yesterday: today_in_china(Utc::now()).pred_opt().unwrap_or_default(),
        parent,
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "scheme_explain.html")]
struct ExplainPage {
    t: Tr,
    c: Chrome,
    e: Explanation,
    top_stars: usize,
    /// The scheme's rule for indicators with nothing to measure (`exclude`, `full`, `zero`).
    not_applicable: &'static str,
    /// Each published result with how the stars moved since the one before: 1 gained, −1 lost.
    history: Vec<(ScoreRow, i64)>,
    query: String,
    /// Each line's formula in words with its values, in the order of `e.lines`.
    words: Vec<String>,
    /// Each of the scheme's measures named in words (`提交任务清单（分值=1）`), by index.
    measure_names: Vec<String>,
}

async fn explain_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RankingQuery>,
) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:score:list").map_err(|e| fail(lang)(e.into()))?;
    let scope = &ctx.actor.scope;
    let period = q.period().map_err(|e| fail(lang)(e.into()))?;
    let e = indicators::explain(&state.db, scope, id, q.unit, q.person, q.within, period)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let compiled =
        indicators::scheme(&state.db, scope, id).await.and_then(|s| s.compiled()).map_err(|e| fail(lang)(e.into()))?;
    let top_stars = compiled.top_stars();
    let not_applicable = compiled.def.not_applicable.as_str();
    let history = indicators::history(&state.db, scope, id, Some(e.subject.unit_id), e.subject.person_id)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let mut previous: Option<i64> = None;
    let history = history
        .into_iter()
        .map(|h| {
            let moved = previous.map(|p| (h.stars - p).signum()).unwrap_or(0);
            previous = Some(h.stars);
            (h, moved)
        })
        .collect();
    let tpl = ExplainPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/schemes"),
        query: format!("from={}&to={}", period.from, period.to),
        words: formula_words(&compiled, &e.tally, lang),
        measure_names: (0..compiled.measures.len()).map(|i| measure_name(&compiled, Leaf::Measure(i), lang)).collect(),
        e,
        top_stars,
        not_applicable,
        history,
    };
    render(&tpl, lang)
}

/// Every line's formula in words with the subject's values (`卡点值守 168 / (卡点值守 168 + 卡点缺岗 6)`),
/// in the order the breakdown lists the lines: indicators, bonuses, deductions, vetoes.
fn formula_words(scheme: &Scheme, tally: &frontline_core::indicators::Tally, lang: Lang) -> Vec<String> {
    let leaf = |l: Leaf| measure_name(scheme, l, lang);
    let min_max = (lang.t("judge.min"), lang.t("judge.max"));
    let exprs: Vec<&Expr> = scheme
        .indicators
        .iter()
        .map(|c| &c.expr)
        .chain(scheme.bonuses.iter().map(|c| &c.expr))
        .chain(scheme.deductions.iter().map(|c| &c.expr))
        .chain(scheme.vetoes.iter().map(|c| &c.expr))
        .collect();
    exprs.into_iter().map(|e| e.in_words(tally, &leaf, min_max)).collect()
}

/// A formula's leaf in words: a measure as its record kind with its conditions
/// (`提交任务清单（分值=1）`), the members, the days.
fn measure_name(scheme: &Scheme, leaf: Leaf, lang: Lang) -> String {
    match leaf {
        Leaf::Measure(i) => scheme.measures.get(i).map_or_else(String::new, |m| {
            let mut name = lang.code_label("record.kind", m.kind.as_str()).to_string();
            if let Some((op, n)) = m.value {
                name.push_str(&format!("（{}{}{n}）", lang.t("judge.record_value"), op.as_str()));
            }
            if let Some(src) = &m.source {
                name.push_str(&format!("（{}）", lang.code_label("record.source", src)));
            }
            name
        }),
        Leaf::Members => lang.t("judge.members").to_string(),
        Leaf::Days => lang.t("judge.days").to_string(),
    }
}

#[derive(Template)]
#[template(path = "scheme_edit.html")]
struct EditPage {
    t: Tr,
    c: Chrome,
    scheme: SchemeView,
    from: NaiveDate,
    to: NaiveDate,
    can_edit: bool,
}

async fn edit_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:scheme:list").map_err(|e| fail(lang)(e.into()))?;
    let scheme = indicators::scheme(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(lang)(e.into()))?;
    let to = today_in_china(Utc::now());
    let tpl = EditPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/schemes"),
        scheme,
        from: to - chrono::Duration::days(29),
        to,
        can_edit: ctx.actor.can("judge:scheme:edit"),
    };
    render(&tpl, lang)
}

async fn save_scheme(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    indicators::update_scheme(&state.db, &ctx.actor, id, &scheme_input(&form))
        .await
        .map_err(|e| fail(ctx.lang)(e.into()))?;
    Ok(redirect(&format!("/schemes/{id}")))
}

#[derive(Template)]
#[template(path = "scheme_preview.html")]
struct PreviewFragment {
    t: Tr,
    p: Preview,
}

async fn preview_fragment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let run = async {
        ctx.actor.require("judge:score:list")?;
        let period = Period::checked(form.date("from")?, form.date("to")?)?;
        let input = scheme_input(&form);
        let unit = match form.opt_id("unit_id")? {
            Some(u) => u,
            None => indicators::scheme(&state.db, &ctx.actor.scope, id).await?.unit_id,
        };
        Ok::<Preview, AppError>(
            indicators::preview(&state.db, &ctx.actor.scope, id, unit, period, &input.definition).await?,
        )
    };
    let p = run.await.map_err(fail(lang))?;
    render(&PreviewFragment { t: Tr(lang), p }, lang)
}

async fn publish(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let period = Period::checked(form.date("from")?, form.date("to")?)?;
        Ok::<i64, AppError>(indicators::publish(&state.db, &ctx.actor, id, form.id("unit_id")?, period).await?)
    };
    let run = run.await.map_err(fail(ctx.lang))?;
    Ok(redirect(&format!("/score-runs/{run}")))
}

/// A run with whether it is still on notice (公示).
pub struct RunRow {
    pub r: RunView,
    pub on_notice: bool,
}

#[derive(Template)]
#[template(path = "score_runs.html")]
struct RunsPage {
    t: Tr,
    c: Chrome,
    runs: Vec<RunRow>,
}

async fn runs_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:score:list").map_err(|e| fail(lang)(e.into()))?;
    let today = today_in_china(Utc::now());
    let runs = indicators::runs(&state.db, &ctx.actor.scope, None).await.map_err(|e| fail(lang)(e.into()))?;
    let runs = runs.into_iter().map(|r| RunRow { on_notice: r.final_on > today, r }).collect();
    render(&RunsPage { t: Tr(lang), c: Chrome::new(&ctx, "/score-runs"), runs }, lang)
}

#[derive(serde::Deserialize, Default)]
struct RunPageQuery {
    laggards: Option<bool>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "score_run.html")]
struct RunPage {
    t: Tr,
    c: Chrome,
    d: RunDetail,
    on_notice: bool,
    pager: Pager,
    can_plan: bool,
}

async fn run_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RunPageQuery>,
) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:score:list").map_err(|e| fail(lang)(e.into()))?;
    let laggards = q.laggards.unwrap_or(false);
    let d =
        indicators::run(&state.db, &ctx.actor.scope, id, laggards, q.page).await.map_err(|e| fail(lang)(e.into()))?;
    let pairs = [("laggards", if laggards { "true".to_string() } else { String::new() })];
    let tpl = RunPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/score-runs"),
        pager: Pager::named(&format!("/score-runs/{id}"), &pairs, "page", &d.rows),
        on_notice: d.run.final_on > today_in_china(Utc::now()),
        d,
        can_plan: ctx.actor.can("judge:laggard:edit"),
    };
    render(&tpl, lang)
}

/// A plan with whether it is overdue.
pub struct PlanRow {
    pub p: PlanView,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "laggard_plans.html")]
struct PlansPage {
    t: Tr,
    c: Chrome,
    plans: Vec<PlanRow>,
    pager: Pager,
    status: String,
    statuses: Vec<(String, String)>,
}

async fn plans_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PlanQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:laggard:list").map_err(|e| fail(lang)(e.into()))?;
    let today = today_in_china(Utc::now());
    let page = laggards::list(&state.db, &ctx.actor.scope, &q).await.map_err(|e| fail(lang)(e.into()))?;
    let status = q.status.clone().unwrap_or_default();
    let pairs = [("status", status.clone())];
    let tpl = PlansPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/laggard-plans"),
        pager: Pager::new("/laggard-plans", &pairs, &page),
        plans: page.items.into_iter().map(|p| PlanRow { overdue: p.overdue(today), p }).collect(),
        status,
        statuses: PlanStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), lang.code_label("judge.plan_status", s.as_str()).to_string()))
            .collect(),
    };
    render(&tpl, lang)
}

#[derive(serde::Deserialize, Default)]
struct NewPlanQuery {
    unit: Option<i64>,
    run: Option<i64>,
}

#[derive(Template)]
#[template(path = "laggard_plan_new.html")]
struct NewPlanPage {
    t: Tr,
    c: Chrome,
    unit: UnitView,
    run: Option<i64>,
    people: Vec<PersonView>,
    earliest: NaiveDate,
    suggested: NaiveDate,
}

async fn new_plan_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewPlanQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:laggard:edit").map_err(|e| fail(lang)(e.into()))?;
    let scope = &ctx.actor.scope;
    let unit = focus(&state, &ctx, q.unit)
        .await
        .map_err(fail(lang))?
        .ok_or_else(|| fail(lang)(AppError::Domain(frontline_core::DomainError::NotFound)))?;
    let people = people_db::list_all(&state.db, scope, &PersonQuery { unit: Some(unit.id), ..Default::default() }, 500)
        .await
        .map_err(|e| fail(lang)(e.into()))?
        .into_iter()
        .filter(|p| {
            let category = PersonCategory::parse(&p.category).unwrap_or(PersonCategory::Resident);
            category != PersonCategory::Member
                && category.may_be_assessed(PartyStatus::parse(&p.party_status).unwrap_or(PartyStatus::None))
        })
        .collect();
    let today = today_in_china(Utc::now());
    let tpl = NewPlanPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/laggard-plans"),
        unit,
        run: q.run,
        people,
        earliest: today + chrono::Duration::days(1),
        suggested: today + chrono::Duration::days(30),
    };
    render(&tpl, lang)
}

async fn create_plan(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let run = async {
        let input = PlanInput {
            unit_id: form.id("unit_id")?,
            run_id: form.opt_id("run_id")?,
            reason: form.get("reason"),
            plan: form.get("plan"),
            deadline: form.date("deadline")?,
            responsible_id: form.id("responsible_id")?,
        };
        Ok::<i64, AppError>(laggards::create(&state.db, &ctx.actor, &input).await?)
    };
    let id = run.await.map_err(fail(ctx.lang))?;
    Ok(redirect(&format!("/laggard-plans/{id}")))
}

#[derive(Template)]
#[template(path = "laggard_plan.html")]
struct PlanPage {
    t: Tr,
    c: Chrome,
    d: PlanDetail,
    can_note: bool,
    can_decide: bool,
}

async fn plan_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("judge:laggard:list").map_err(|e| fail(lang)(e.into()))?;
    let d = laggards::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(lang)(e.into()))?;
    let open = d.plan.status == PlanStatus::Open.as_str();
    let tpl = PlanPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/laggard-plans"),
        can_note: open && (ctx.actor.can("judge:laggard:report") || ctx.actor.can("judge:laggard:edit")),
        can_decide: open && ctx.actor.can("judge:laggard:edit"),
        d,
    };
    render(&tpl, lang)
}

async fn add_step(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    laggards::add_step(&state.db, &ctx.actor, id, &form.get("note")).await.map_err(|e| fail(ctx.lang)(e.into()))?;
    Ok(redirect(&format!("/laggard-plans/{id}")))
}

async fn close_plan(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    laggards::close(&state.db, &ctx.actor, id, form.get("converted") == "true", &form.get("outcome"))
        .await
        .map_err(|e| fail(ctx.lang)(e.into()))?;
    Ok(redirect(&format!("/laggard-plans/{id}")))
}

/// Where a record's source is shown, if it has a page.
pub fn source_link(kind: &str, id: impl Borrow<i64>) -> Option<String> {
    let id = *id.borrow();
    match kind {
        "task_instance" => Some(format!("/work/tasks/{id}")),
        "work_order" => Some(format!("/orders/{id}")),
        "finding" => Some(format!("/findings/{id}")),
        "accountability_action" => Some(format!("/accountability/{id}")),
        "appraisal" => Some(format!("/appraisals/{id}")),
        "review" => Some(format!("/reviews/{id}")),
        "deed" => Some(format!("/deeds/{id}")),
        "selection" => Some(format!("/selections/{id}")),
        "commendation" => Some("/commendations".to_string()),
        "care_record" => Some("/care".to_string()),
        "talent_pool" => Some("/talent".to_string()),
        "record" => Some(format!("/accountability/trace?source_kind=record&source_id={id}")),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    t: Tr,
    c: Chrome,
    q: RecordQuery,
    kinds: Vec<(String, String)>,
    counts: Vec<KindCount>,
    records: Vec<RecordView>,
    pager: Pager,
    subject: String,
    actions: super::appraisals::LedgerActions,
}

async fn ledger_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RecordQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor
        .require("work:task:list")
        .or_else(|_| ctx.actor.require("judge:score:list"))
        .map_err(|e| fail(lang)(e.into()))?;
    let scope = &ctx.actor.scope;
    let page = records::list(&state.db, scope, &q).await.map_err(|e| fail(lang)(e.into()))?;
    let counts = records::counts_by_kind(&state.db, scope, &q).await.map_err(|e| fail(lang)(e.into()))?;
    let subject = match (q.person, q.unit) {
        (Some(p), _) => people_db::get(&state.db, scope, p, false).await.map(|p| p.name).unwrap_or_default(),
        (None, Some(u)) => frontline_db::units::get(&state.db, scope, u).await.map(|u| u.name).unwrap_or_default(),
        _ => String::new(),
    };
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let pairs = [
        ("unit", opt(q.unit)),
        ("person", opt(q.person)),
        ("kind", q.kind.clone().unwrap_or_default()),
        ("from", q.from.map(|d| d.to_string()).unwrap_or_default()),
        ("to", q.to.map(|d| d.to_string()).unwrap_or_default()),
        ("min_value", opt(q.min_value)),
        ("max_value", opt(q.max_value)),
        ("not_value", opt(q.not_value)),
        ("source_kind", q.source_kind.clone().unwrap_or_default()),
    ];
    let tpl = LedgerPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/ledger"),
        pager: Pager::new("/ledger", &pairs, &page),
        kinds: RecordKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), lang.code_label("record.kind", k.as_str()).to_string()))
            .collect(),
        counts,
        records: page.items,
        actions: super::appraisals::ledger_actions(&state, &ctx, q.person, q.unit).await.map_err(fail(lang))?,
        q,
        subject,
    };
    render(&tpl, lang)
}
