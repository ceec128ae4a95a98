//! Pages of supervision: 督导检查 (rounds, teams and the figures of a subtree), one round with the
//! targets the caller may see and the re-check of its draw, 我的暗访 and the visit form for a
//! phone, 问题整改 (findings, rectification, notices), 问责追责 (actions, reviews, tolerance
//! requests, the trace-back) and 基层减负 (the burden view).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use frontline_core::accountability::{ActionKind, ReviewKind, SourceKind};
use frontline_core::inspections::{FindingCategory, FindingStatus, NoticeKind, Severity};
use frontline_core::people::{PartyStatus, PersonCategory};
use frontline_core::time::{china, today_in_china};
use frontline_db::accountability::{
    self, ActionCounts, ActionDetail, ActionInput, ActionQuery, ActionView, ReviewView, Trace,
};
use frontline_db::burden::{self, BurdenReport};
use frontline_db::inspections::{
    self, DrawCheck, FindingDetail, FindingInput, FindingQuery, FindingView, HolderView, NoticeInput, NoticeView,
    PresenceInput, RoundDetail, RoundInput, RoundView, SupervisionCounts, TargetView, TeamInput, TeamView, VisitInput,
};
use frontline_db::people::{self as people_db, PersonQuery, PersonView};
use frontline_db::units::UnitView;

use super::units::TreePanel;
use super::{Chrome, FormData, Pager, UiResult, change, focus, form_with_photo, redirect, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::offline::Sent;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inspections", get(inspections_page))
        .route("/inspections/teams", post(create_team))
        .route("/inspections/rounds", post(create_round))
        .route("/inspections/rounds/{id}", get(round_page))
        .route("/inspections/rounds/{id}/draw", get(draw_fragment))
        .route("/inspections/mine", get(mine_page))
        .route("/inspections/targets/{id}", get(visit_page).post(log_visit))
        .route("/findings", get(findings_page))
        .route("/findings/{id}", get(finding_page))
        .route("/findings/{id}/rectify", post(rectify))
        .route("/findings/{id}/decide", post(decide))
        .route("/notices", post(issue_notice))
        .route("/accountability", get(accountability_page).post(create_action))
        .route("/accountability/trace", get(trace_page))
        .route("/accountability/{id}", get(action_page))
        .route("/accountability/{id}/reviews", post(open_review))
        .route("/accountability/reviews/{id}/decide", post(decide_review))
        .route("/burden", get(burden_page))
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string()
}

fn codes<T: Copy>(all: &[T], as_str: fn(T) -> &'static str, lang: Lang, prefix: &str) -> Vec<(String, String)> {
    all.iter().map(|c| (as_str(*c).to_string(), lang.code_label(prefix, as_str(*c)).to_string())).collect()
}

#[derive(serde::Deserialize, Default)]
struct UnitQuery {
    unit: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct InspectionsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    counts: Vec<SupervisionCounts>,
    /// First day of the 督查统计 (see `inspections::figures_period`).
    figures_from: NaiveDate,
    today: NaiveDate,
    rounds: Vec<RoundView>,
    pager: Pager,
    teams: Vec<TeamView>,
    cadres: Vec<PersonView>,
    can_edit: bool,
}

async fn inspections_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("inspect:round:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let today = today_in_china(Utc::now());
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let (figures_from, counts) = match &unit {
        Some(u) => {
            let (from, to) = inspections::figures_period(&state.db, u.id, today).await.map_err(|e| fail(e.into()))?;
            (from, inspections::counts(&state.db, scope, u.id, from, to).await.map_err(|e| fail(e.into()))?)
        }
        None => (today, Vec::new()),
    };
    let rounds =
        inspections::rounds(&state.db, scope, q.page, q.per_page.or(Some(20))).await.map_err(|e| fail(e.into()))?;
    let pairs = [("unit", q.unit.map(|u| u.to_string()).unwrap_or_default())];
    let can_edit = ctx.actor.can("inspect:round:edit");
    let cadres = match (&unit, can_edit) {
        (Some(u), true) => people_db::list_all(
            &state.db,
            scope,
            &PersonQuery { unit: Some(u.id), category: Some("cadre".into()), ..Default::default() },
            300,
        )
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .filter(|p| p.party_status != "none")
        .collect(),
        _ => Vec::new(),
    };
    let tpl = InspectionsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/inspections"),
        tree: TreePanel::load(&state.db, scope, "inspections", unit.as_ref().map(|u| u.id)).await.map_err(fail)?,
        unit,
        counts,
        figures_from,
        today,
        pager: Pager::new("/inspections", &pairs, &rounds),
        rounds: rounds.items,
        teams: inspections::teams(&state.db, scope).await.map_err(|e| fail(e.into()))?,
        cadres,
        can_edit,
    };
    render(&tpl, lang)
}

async fn create_team(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = TeamInput {
            unit_id: form.id("unit_id")?,
            name: form.get("name"),
            leader_id: form.id("leader_id")?,
            member_ids: form.all("member_ids").iter().filter_map(|m| m.parse().ok()).collect(),
        };
        inspections::create_team(&state.db, &ctx.actor, &input).await?;
        Ok(())
    })
    .await
}

async fn create_round(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    let run = async {
        let input = RoundInput {
            unit_id: form.id("unit_id")?,
            title: form.get("title"),
            starts_on: form.date("starts_on")?,
            ends_on: form.date("ends_on")?,
            per_township: form.id("per_township")?,
            team_ids: form.all("team_ids").iter().filter_map(|m| m.parse().ok()).collect(),
            targeted: form.get("targeted") == "true",
        };
        Ok::<i64, AppError>(inspections::create_round(&state.db, &ctx.actor, &input, rand::random()).await?)
    };
    let id = run.await.map_err(|e| e.into_html(lang))?;
    Ok(redirect(&format!("/inspections/rounds/{id}")))
}

#[derive(Template)]
#[template(path = "inspection_round.html")]
struct RoundPage {
    t: Tr,
    c: Chrome,
    d: RoundDetail,
    /// Each target's visit time, and for a visit logged on a phone without signal the phone's
    /// time beside the arrival.
    visited: Vec<(String, Option<super::PhoneTimes>)>,
}

async fn round_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let d = inspections::round(&state.db, &ctx.actor, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
    let visited = d
        .targets
        .iter()
        .map(|t| {
            (t.visited_at.map(local).unwrap_or_default(), super::PhoneTimes::of(t.visit_device_at, t.visit_arrived_at))
        })
        .collect();
    render(&RoundPage { t: Tr(lang), c: Chrome::new(&ctx, "/inspections"), d, visited }, lang)
}

#[derive(Template)]
#[template(path = "inspection_draw.html")]
struct DrawFragment {
    t: Tr,
    check: DrawCheck,
}

async fn draw_fragment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let check = inspections::recheck(&state.db, &ctx.actor, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
    render(&DrawFragment { t: Tr(lang), check }, lang)
}

#[derive(Template)]
#[template(path = "inspection_mine.html")]
struct MinePage {
    t: Tr,
    c: Chrome,
    targets: Vec<TargetView>,
}

async fn mine_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let targets =
        inspections::my_targets(&state.db, &ctx.actor).await.map_err(|e| AppError::from(e).into_html(lang))?;
    render(&MinePage { t: Tr(lang), c: Chrome::new(&ctx, "/inspections/mine"), targets }, lang)
}

#[derive(Template)]
#[template(path = "inspection_visit.html")]
struct VisitPage {
    t: Tr,
    c: Chrome,
    target: TargetView,
    holders: Vec<HolderView>,
    categories: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    deadline: NaiveDate,
    today: NaiveDate,
}

async fn visit_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let (target, holders) =
        inspections::target_holders(&state.db, &ctx.actor, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
    let today = today_in_china(Utc::now());
    let tpl = VisitPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/inspections/mine"),
        target,
        holders,
        categories: codes(FindingCategory::ALL, FindingCategory::as_str, lang, "inspect.category"),
        severities: codes(Severity::ALL, Severity::as_str, lang, "inspect.severity"),
        deadline: today + Duration::days(7),
        today,
    };
    render(&tpl, lang)
}

/// How many findings the visit form offers.
const FINDING_SLOTS: usize = 3;

/// The visit's form, with a photo of the visit where one was taken (see [`form_with_photo`]).
async fn log_visit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Sent(when): Sent,
    request: axum::extract::Request,
) -> UiResult {
    let lang = ctx.lang;
    let (form, photo) = form_with_photo(&state, request).await.map_err(|e| e.into_html(lang))?;
    let run = async {
        let present = form.all("present");
        let on_post = form
            .all("expected")
            .iter()
            .filter_map(|p| p.parse::<i64>().ok())
            .map(|person_id| PresenceInput { person_id, present: present.contains(&person_id.to_string()) })
            .collect();
        let mut findings = Vec::new();
        for i in 0..FINDING_SLOTS {
            let description = form.get(&format!("description_{i}"));
            if description.trim().is_empty() {
                continue;
            }
            findings.push(FindingInput {
                category: form.get(&format!("category_{i}")),
                severity: form.get(&format!("severity_{i}")),
                description,
                deadline: form.date(&format!("deadline_{i}")).map_err(|_| {
                    AppError::Domain(frontline_core::DomainError::invalid("deadline", "error.inspect.deadline"))
                })?,
            });
        }
        let input = VisitInput {
            target_id: id,
            on_post,
            task_progress: form.get("task_progress"),
            grid_management: form.get("grid_management"),
            summary: form.get("summary"),
            findings,
            attachment_id: None,
        };
        Ok::<i64, AppError>(inspections::log_visit(&state.db, &ctx.actor, &input, photo.as_ref(), when).await?)
    };
    run.await.map_err(|e| e.into_html(lang))?;
    Ok(redirect("/inspections/mine?logged=1"))
}

/// A finding row with its labels and whether it is late.
pub struct FindingRow {
    pub f: FindingView,
    pub raised: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    counts: Vec<SupervisionCounts>,
    /// First day of the 督查统计 (see `inspections::figures_period`).
    figures_from: NaiveDate,
    today: NaiveDate,
    findings: Vec<FindingRow>,
    pager: Pager,
    statuses: Vec<(String, String, bool)>,
    overdue: bool,
    notices: Vec<NoticeView>,
    notice_kinds: Vec<(String, String)>,
    can_notice: bool,
}

async fn findings_page(State(state): State<AppState>, ctx: Ctx, Query(mut q): Query<FindingQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("inspect:finding:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let today = today_in_china(Utc::now());
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    q.unit = unit.as_ref().map(|u| u.id);
    let page = inspections::findings(&state.db, scope, &q).await.map_err(|e| fail(e.into()))?;
    let (figures_from, counts) = match &unit {
        Some(u) => {
            let (from, to) = inspections::figures_period(&state.db, u.id, today).await.map_err(|e| fail(e.into()))?;
            (from, inspections::counts(&state.db, scope, u.id, from, to).await.map_err(|e| fail(e.into()))?)
        }
        None => (today, Vec::new()),
    };
    let pairs = [
        ("unit", q.unit.map(|u| u.to_string()).unwrap_or_default()),
        ("status", q.status.clone().unwrap_or_default()),
        ("overdue", if q.overdue == Some(true) { "true".into() } else { String::new() }),
    ];
    let status = q.status.clone().unwrap_or_default();
    let notices = inspections::notices(&state.db, scope, q.unit, None, Some(10)).await.map_err(|e| fail(e.into()))?;
    let tpl = FindingsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/findings"),
        tree: TreePanel::load(&state.db, scope, "findings", unit.as_ref().map(|u| u.id)).await.map_err(fail)?,
        unit,
        counts,
        figures_from,
        today,
        pager: Pager::new("/findings", &pairs, &page),
        findings: page
            .items
            .into_iter()
            .map(|f| FindingRow { raised: local(f.raised_at), overdue: f.overdue(today), f })
            .collect(),
        statuses: FindingStatus::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    lang.code_label("inspect.status", s.as_str()).to_string(),
                    s.as_str() == status,
                )
            })
            .collect(),
        overdue: q.overdue == Some(true),
        notices: notices.items,
        notice_kinds: codes(NoticeKind::ALL, NoticeKind::as_str, lang, "inspect.notice"),
        can_notice: ctx.actor.can("inspect:notice:edit"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "finding_detail.html")]
struct FindingPage {
    t: Tr,
    c: Chrome,
    d: FindingDetail,
    raised: String,
    /// For each rectification handed in from a phone without signal, the phone's time beside the
    /// arrival.
    handed_in: Vec<Option<super::PhoneTimes>>,
    overdue: bool,
    can_rectify: bool,
    can_decide: bool,
    can_notice: bool,
    can_act: bool,
}

async fn finding_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("inspect:finding:list").map_err(|e| fail(e.into()))?;
    let d = inspections::finding(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?;
    let today = today_in_china(Utc::now());
    let tpl = FindingPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/findings"),
        raised: local(d.finding.raised_at),
        handed_in: d.rectifications.iter().map(|r| super::PhoneTimes::of(r.device_at, r.arrived_at)).collect(),
        overdue: d.finding.overdue(today),
        can_rectify: ctx.actor.can("inspect:finding:rectify"),
        can_decide: d.may_decide && ctx.actor.can("inspect:finding:decide"),
        can_notice: ctx.actor.can("inspect:notice:edit"),
        can_act: ctx.actor.can("account:action:edit"),
        d,
    };
    render(&tpl, lang)
}

/// A rectification handed in from the finding's page: `text`, `evidence`, and a `photo` of what
/// was done (optional; see [`form_with_photo`]).
async fn rectify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Sent(when): Sent,
    request: axum::extract::Request,
) -> UiResult {
    change(ctx.lang, async {
        let (form, photo) = form_with_photo(&state, request).await?;
        inspections::submit_rectification(
            &state.db,
            &ctx.actor,
            id,
            &form.get("text"),
            &form.get("evidence"),
            photo.as_ref(),
            when,
        )
        .await?;
        Ok(())
    })
    .await
}

async fn decide(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        inspections::decide_rectification(&state.db, &ctx.actor, id, form.get("accept") == "true", &form.get("note"))
            .await?;
        Ok(())
    })
    .await
}

async fn issue_notice(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = NoticeInput {
            unit_id: form.id("unit_id")?,
            kind: form.get("kind"),
            title: form.get("title"),
            body: form.get("body"),
            finding_id: form.opt_id("finding_id")?,
            visit_id: form.opt_id("visit_id")?,
            person_ids: form.all("person_ids").iter().filter_map(|p| p.parse().ok()).collect(),
        };
        inspections::issue_notice(&state.db, &ctx.actor, &input).await?;
        Ok(())
    })
    .await
}

#[derive(serde::Deserialize, Default)]
struct AccountabilityQuery {
    unit: Option<i64>,
    kind: Option<String>,
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
    /// Prefills the form: the person, and what the action rests on.
    person: Option<i64>,
    source_kind: Option<String>,
    source_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "accountability.html")]
struct AccountabilityPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    counts: Vec<ActionCounts>,
    year_from: NaiveDate,
    today: NaiveDate,
    kind_labels: Vec<(String, String)>,
    actions: Vec<ActionView>,
    pager: Pager,
    pending: Vec<ReviewView>,
    subjects: Vec<PersonView>,
    /// The person the form starts on (0: none).
    selected_person: i64,
    source_kind: String,
    source_id: String,
    source_kinds: Vec<(String, String)>,
    can_edit: bool,
}

async fn accountability_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AccountabilityQuery>,
) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("account:action:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let today = today_in_china(Utc::now());
    let year_from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let aq = ActionQuery {
        unit: unit.as_ref().map(|u| u.id),
        kind: q.kind.clone(),
        status: q.status.clone(),
        page: q.page,
        per_page: q.per_page,
        ..Default::default()
    };
    let page = accountability::actions(&state.db, scope, &aq).await.map_err(|e| fail(e.into()))?;
    let counts = match &unit {
        Some(u) => {
            accountability::counts(&state.db, scope, u.id, year_from, today).await.map_err(|e| fail(e.into()))?
        }
        None => Vec::new(),
    };
    let can_edit = ctx.actor.can("account:action:edit");
    // Who may be named: cadres and party members of the unit (the first few hundred).
    let subjects = match (&unit, can_edit) {
        (Some(u), true) => {
            people_db::list_all(&state.db, scope, &PersonQuery { unit: Some(u.id), ..Default::default() }, 400)
                .await
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .filter(|p| {
                    PersonCategory::parse(&p.category).is_some_and(|c| {
                        c.may_be_assessed(PartyStatus::parse(&p.party_status).unwrap_or(PartyStatus::None))
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let pairs = [
        ("unit", aq.unit.map(|u| u.to_string()).unwrap_or_default()),
        ("kind", q.kind.clone().unwrap_or_default()),
        ("status", q.status.clone().unwrap_or_default()),
    ];
    let tpl = AccountabilityPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/accountability"),
        tree: TreePanel::load(&state.db, scope, "accountability", unit.as_ref().map(|u| u.id)).await.map_err(fail)?,
        unit,
        counts,
        year_from,
        today,
        kind_labels: codes(ActionKind::ALL, ActionKind::as_str, lang, "account.kind"),
        pager: Pager::new("/accountability", &pairs, &page),
        actions: page.items,
        pending: accountability::pending_reviews(&state.db, scope).await.map_err(|e| fail(e.into()))?,
        subjects,
        selected_person: q.person.unwrap_or(0),
        source_kind: q.source_kind.clone().unwrap_or_default(),
        source_id: q.source_id.map(|s| s.to_string()).unwrap_or_default(),
        source_kinds: codes(SourceKind::ALL, SourceKind::as_str, lang, "account.source"),
        can_edit,
    };
    render(&tpl, lang)
}

async fn create_action(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    let run = async {
        let source_kind = Some(form.get("source_kind")).filter(|s| !s.is_empty());
        let input = ActionInput {
            person_id: form.id("person_id")?,
            kind: form.get("kind"),
            reason: form.get("reason"),
            decision: form.get("decision"),
            decided_on: form.date("decided_on")?,
            source_id: if source_kind.is_some() { form.opt_id("source_id")? } else { None },
            source_kind,
            review: form.get("review") == "true",
        };
        Ok::<i64, AppError>(accountability::create_action(&state.db, &ctx.actor, &input).await?)
    };
    let id = run.await.map_err(|e| e.into_html(lang))?;
    Ok(redirect(&format!("/accountability/{id}")))
}

#[derive(Template)]
#[template(path = "action_detail.html")]
struct ActionPage {
    t: Tr,
    c: Chrome,
    d: ActionDetail,
    review_kinds: Vec<(String, String)>,
    can_edit: bool,
    can_decide: bool,
}

async fn action_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("account:action:list").map_err(|e| fail(e.into()))?;
    let d = accountability::action(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?;
    let tpl = ActionPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/accountability"),
        d,
        review_kinds: codes(ReviewKind::ALL, ReviewKind::as_str, lang, "account.review"),
        can_edit: ctx.actor.can("account:action:edit"),
        can_decide: ctx.actor.can("account:review:decide"),
    };
    render(&tpl, lang)
}

async fn open_review(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        accountability::open_review(&state.db, &ctx.actor, id, &form.get("kind"), &form.get("request")).await?;
        Ok(())
    })
    .await
}

async fn decide_review(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        accountability::decide_review(&state.db, &ctx.actor, id, form.get("approve") == "true", &form.get("decision"))
            .await?;
        Ok(())
    })
    .await
}

#[derive(serde::Deserialize)]
struct TraceQuery {
    source_kind: String,
    source_id: String,
}

#[derive(Template)]
#[template(path = "trace.html")]
struct TracePage {
    t: Tr,
    c: Chrome,
    trace: Trace,
    can_edit: bool,
}

async fn trace_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TraceQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("account:action:list").map_err(|e| fail(e.into()))?;
    let id: i64 = q
        .source_id
        .trim()
        .parse()
        .map_err(|_| fail(AppError::Domain(frontline_core::DomainError::invalid("source_id", "error.required"))))?;
    let trace =
        accountability::trace(&state.db, &ctx.actor.scope, &q.source_kind, id).await.map_err(|e| fail(e.into()))?;
    render(
        &TracePage {
            t: Tr(lang),
            c: Chrome::new(&ctx, "/accountability"),
            trace,
            can_edit: ctx.actor.can("account:action:edit"),
        },
        lang,
    )
}

#[derive(Template)]
#[template(path = "burden.html")]
struct BurdenPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    report: Option<BurdenReport>,
}

async fn burden_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("inspect:burden:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let report = match &unit {
        Some(u) => Some(burden::report(&state.db, scope, u.id, None).await.map_err(|e| fail(e.into()))?),
        None => None,
    };
    let tpl = BurdenPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/burden"),
        tree: TreePanel::load(&state.db, scope, "burden", unit.as_ref().map(|u| u.id)).await.map_err(fail)?,
        unit,
        report,
    };
    render(&tpl, lang)
}
