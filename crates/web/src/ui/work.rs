//! Pages of daily frontline work: the doer's own task lists on a phone (today's list, sign-off in
//! one tap, commitment letters), the secretary's verification queue with overdue items and rates,
//! task-list templates, the monthly dispatch, checkpoint rosters with check-in, household surveys,
//! and meetings with training.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::people::PostKind;
use frontline_core::tasks::{Period, TaskListInput, items_from_lines};
use frontline_core::time::{china, today_in_china};
use frontline_db::Page;
use frontline_db::evidence;
use frontline_db::tasks::{self, InstanceDetail, InstanceQuery, InstanceView, NewPhoto, TaskListView, Tick, UnitRates};
use frontline_db::units::UnitView;
use serde::Deserialize;

use super::units::TreePanel;
use super::{Chrome, FormData, Pager, UiResult, change, focus, render};
use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::offline::Sent;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/today", get(my_day))
        // The page's earlier address; today's work has one page.
        .route("/work", get(|| async { axum::response::Redirect::permanent("/today") }))
        .route("/work/tasks/{id}", get(task_page))
        .route("/work/tasks/{id}/submit", post(submit_task).layer(DefaultBodyLimit::max(6 * 1024 * 1024)))
        .route("/work/tasks/{id}/decide", post(decide_task))
        .route("/work/verify/batch", post(verify_chosen))
        .route("/work/lists/{id}/commit", post(sign_commitment))
        .route("/work/lists/{id}/active", post(toggle_list))
        .route("/work/lists", get(lists_page).post(create_list))
        .route("/work/verify", get(verify_page))
        .route("/work/dispatch", get(dispatch_page))
        .route("/work/attachments/{id}", get(attachment))
}

/// A time in China, as a phone shows it.
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%m-%d %H:%M").to_string()
}

/// An instance as a row: the view, whether it is overdue, its due time in China.
pub struct TaskRow {
    pub i: InstanceView,
    pub overdue: bool,
    /// Handed in after its due time.
    pub late: bool,
    pub due: String,
    /// When it was handed in, China time; empty while not handed in.
    pub submitted: String,
    /// When a sign-off made offline reached the server (its phone time is `submitted`).
    pub synced: Option<String>,
}

fn rows(list: Vec<InstanceView>, now: DateTime<Utc>) -> Vec<TaskRow> {
    list.into_iter()
        .map(|i| {
            let overdue = i.overdue(now);
            let due = local(i.due_at);
            let submitted = i.submitted_at.map(local).unwrap_or_default();
            let late = i.submitted_at.is_some_and(|at| at > i.due_at);
            let synced = i.device_at.and(i.received_at).map(local);
            TaskRow { i, overdue, late, due, submitted, synced }
        })
        .collect()
}

/// 今日工作: one page for a day's work — the day's figures, the task lists to sign, the shifts
/// to stand and the meeting topics to answer.
#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    t: Tr,
    c: Chrome,
    d: frontline_db::dashboard::Today,
    /// `75%`, or `—` with nothing due today.
    tasks_percent: String,
    today: NaiveDate,
    tasks: Vec<TaskRow>,
    has_person: bool,
    shifts: Vec<super::work_roster::ShiftRow>,
    topics: Vec<frontline_db::meetings::TopicView>,
    can_answer: bool,
    /// Findings of the caller's units still to fix (returned first, then by deadline), each kept
    /// on the phone for work without signal; and how many there are in all.
    findings: Vec<frontline_db::inspections::FindingView>,
    findings_total: i64,
}

/// How many findings to fix 今日工作 lists (and the phone keeps); the rest are on 整改 lists.
const TODAY_FINDINGS: i64 = 10;

/// The findings the caller's units have to fix, returned ones first: at most [`TODAY_FINDINGS`],
/// with how many there are in all. None for whoever does not hand in rectifications.
async fn findings_to_fix(
    state: &AppState,
    actor: &frontline_core::access::Actor,
) -> Result<(Vec<frontline_db::inspections::FindingView>, i64), AppError> {
    if !actor.can("inspect:finding:rectify") {
        return Ok((Vec::new(), 0));
    }
    let (mut shown, mut total) = (Vec::new(), 0);
    for status in
        [frontline_core::inspections::FindingStatus::Returned, frontline_core::inspections::FindingStatus::Open]
    {
        let q = frontline_db::inspections::FindingQuery {
            status: Some(status.as_str().to_string()),
            per_page: Some(TODAY_FINDINGS),
            ..Default::default()
        };
        let page = frontline_db::inspections::findings(&state.db, &actor.scope, &q).await?;
        total += page.total;
        shown.extend(page.items);
    }
    shown.truncate(TODAY_FINDINGS as usize);
    Ok((shown, total))
}

async fn my_day(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:task:list").map_err(|e| fail(e.into()))?;
    let now = Utc::now();
    let today = today_in_china(now);
    let (d, tasks, shifts, topics) = match ctx.actor.scope.person_id {
        Some(me) => {
            let d = frontline_db::dashboard::today(&state.db, me, now).await.map_err(|e| fail(e.into()))?;
            let tasks = tasks::mine(&state.db, me, today).await.map_err(|e| fail(e.into()))?;
            let shifts = super::work_roster::my_shifts(&state, me, now).await.map_err(fail)?;
            let own = frontline_core::access::Scope { person_id: Some(me), ..Default::default() };
            let topics = frontline_db::meetings::topics(&state.db, &own, None, Some(me))
                .await
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .filter(|t| t.status == "open")
                .collect();
            (d, rows(tasks, now), shifts, topics)
        }
        None => {
            (frontline_db::dashboard::Today { day: today, ..Default::default() }, Vec::new(), Vec::new(), Vec::new())
        }
    };
    let (findings, findings_total) = findings_to_fix(&state, &ctx.actor).await.map_err(fail)?;
    let tpl = TodayPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/today"),
        findings,
        findings_total,
        tasks_percent: frontline_core::tasks::percent_text(frontline_core::tasks::percent(d.tasks_done, d.tasks)),
        d,
        today,
        tasks,
        has_person: ctx.actor.scope.person_id.is_some(),
        shifts,
        topics,
        can_answer: ctx.actor.can("work:meeting:answer"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "work_task.html")]
struct TaskPage {
    t: Tr,
    c: Chrome,
    d: InstanceDetail,
    due: String,
    mine: bool,
    editable: bool,
    can_decide: bool,
    /// When the list was handed in, and by how much after its due time (in words), for the
    /// message that answers 一键提交.
    handed_in: Option<(String, Option<String>)>,
    /// For a sign-off made offline: the phone's time beside the arrival.
    offline: Option<super::PhoneTimes>,
    /// Whether an item asks for a photo (the form then offers to send where it was taken).
    has_photo: bool,
}

/// How long after `due` a list came in, in hours and minutes of the reader's language
/// (`None` when on time).
fn lateness(lang: crate::i18n::Lang, due: DateTime<Utc>, at: DateTime<Utc>) -> Option<String> {
    let minutes = (at - due).num_minutes();
    (minutes > 0).then(|| {
        let (h, m) = (minutes / 60, minutes % 60);
        let (hours, mins) = (lang.t("time.hours"), lang.t("time.minutes"));
        if h > 0 { format!("{h} {hours} {m} {mins}") } else { format!("{m} {mins}") }
    })
}

async fn task_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:task:list").map_err(|e| fail(e.into()))?;
    let d = tasks::instance(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?;
    let mine = ctx.actor.scope.person_id == Some(d.instance.person_id);
    let status = d.instance.status();
    let tpl = TaskPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/today"),
        due: local(d.instance.due_at),
        mine,
        editable: mine && status.editable() && ctx.actor.can("work:task:sign"),
        can_decide: !mine
            && status == frontline_core::tasks::TaskStatus::Submitted
            && ctx.actor.can("work:task:verify")
            && ctx.actor.scope.reaches(&d.instance.unit_path),
        handed_in: d
            .instance
            .submitted_at
            .filter(|_| status != frontline_core::tasks::TaskStatus::Open)
            .map(|at| (local(at), lateness(lang, d.instance.due_at, at))),
        has_photo: d.items.iter().any(|i| i.needs_photo),
        offline: super::PhoneTimes::of(d.instance.device_at, d.instance.received_at),
        d,
    };
    render(&tpl, lang)
}

/// The sign-off form: `tick_{item}`, `note_{item}`, `photo_{item}` (a file), and `all` to tick
/// every item in one tap; `latitude` and `longitude` where the user let the phone say where its
/// photos were taken. Sent from the offline queue, it carries the time it was done on the phone.
async fn submit_task(
    State(state): State<AppState>,
    ctx: Ctx,
    Sent(when): Sent,
    Path(id): Path<i64>,
    mut form: Multipart,
) -> UiResult {
    let lang = ctx.lang;
    change(lang, async {
        let mut ticked: Vec<i64> = Vec::new();
        let mut notes: Vec<(i64, String)> = Vec::new();
        let mut photos: Vec<NewPhoto> = Vec::new();
        let mut all = false;
        let (mut latitude, mut longitude) = (None, None);
        let bad = || AppError::from(DomainError::invalid("items", "error.bad_request"));
        while let Some(field) = form.next_field().await.map_err(|_| bad())? {
            let name = field.name().unwrap_or("").to_string();
            let item = |prefix: &str| name.strip_prefix(prefix).and_then(|n| n.parse::<i64>().ok());
            if name == "all" {
                all = true;
            } else if name == "latitude" || name == "longitude" {
                let value = field.text().await.map_err(|_| bad())?.trim().parse::<f64>().ok();
                if name == "latitude" { latitude = value } else { longitude = value }
            } else if let Some(item) = item("tick_") {
                ticked.push(item);
            } else if let Some(item) = item("note_") {
                notes.push((item, field.text().await.map_err(|_| bad())?));
            } else if let Some(item_id) = item("photo_") {
                let content_type = field.content_type().unwrap_or("").to_string();
                let data = field.bytes().await.map_err(|_| bad())?;
                if !data.is_empty() {
                    photos.push(NewPhoto { item_id, content_type, data: data.to_vec(), place: None });
                }
            }
        }
        for p in &mut photos {
            p.place = latitude.zip(longitude);
        }
        if all {
            let d = tasks::instance(&state.db, &ctx.actor.scope, id).await?;
            ticked = d.items.iter().map(|i| i.item_id).collect();
        }
        let ticks: Vec<Tick> = ticked
            .into_iter()
            .map(|item_id| Tick {
                item_id,
                note: notes.iter().find(|n| n.0 == item_id).map(|n| n.1.clone()).unwrap_or_default(),
                attachment_id: None,
            })
            .collect();
        tasks::submit(&state.db, &ctx.actor, id, &ticks, photos, when).await?;
        Ok(())
    })
    .await
}

async fn decide_task(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let approve = form.get("decision") == "verify";
        tasks::decide(&state.db, &ctx.actor, id, approve, &form.get("reason")).await?;
        Ok(())
    })
    .await
}

/// 批量核验: the lists ticked in the queue (`ids`), verified together or not at all.
async fn verify_chosen(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let mut ids = Vec::new();
        for id in form.all("ids") {
            ids.push(
                id.trim()
                    .parse::<i64>()
                    .map_err(|_| AppError::from(DomainError::invalid("ids", "error.bad_request")))?,
            );
        }
        tasks::verify_many(&state.db, &ctx.actor, &ids).await?;
        Ok(())
    })
    .await
}

async fn sign_commitment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    change(ctx.lang, async {
        tasks::sign_commitment(&state.db, &ctx.actor, id).await?;
        Ok(())
    })
    .await
}

async fn attachment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let (content_type, data) =
        evidence::attachment(&state.db, &ctx.actor.scope, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(([(header::CONTENT_TYPE, content_type)], data).into_response())
}

/// Rows per page of the verification queue and the month's overdue list.
const VERIFY_PAGE: i64 = 50;

/// `unit` and the period of the verification and dispatch pages.
#[derive(Debug, Default, Deserialize)]
pub struct UnitPeriod {
    pub unit: Option<i64>,
    pub status: Option<String>,
    /// `YYYY-MM` for the dispatch page.
    pub month: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Template)]
#[template(path = "work_verify.html")]
struct VerifyPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    status: String,
    status_label: String,
    statuses: Vec<(String, String, bool)>,
    tasks: Vec<TaskRow>,
    pager: Pager,
    rates: Vec<UnitRates>,
    week_from: NaiveDate,
    today: NaiveDate,
    can_decide: bool,
}

async fn verify_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitPeriod>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:task:list").map_err(|e| fail(e.into()))?;
    let now = Utc::now();
    let today = today_in_china(now);
    let week_from = today - chrono::Duration::days(6);
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let status = q.status.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "submitted".into());
    let (list, rates) = match &unit {
        Some(u) => {
            let iq = InstanceQuery {
                unit: Some(u.id),
                status: Some(status.clone()),
                page: q.page,
                per_page: q.per_page.or(Some(VERIFY_PAGE)),
                ..Default::default()
            };
            let list = tasks::instances(&state.db, &ctx.actor.scope, &iq, now).await.map_err(|e| fail(e.into()))?;
            let rates = tasks::rates(&state.db, &ctx.actor.scope, u.id, week_from, today, now)
                .await
                .map_err(|e| fail(e.into()))?;
            (list, rates)
        }
        None => (Page::empty(VERIFY_PAGE), Vec::new()),
    };
    let pairs = [("unit", unit.as_ref().map(|u| u.id.to_string()).unwrap_or_default()), ("status", status.clone())];
    let pager = Pager::new("/work/verify", &pairs, &list);
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "verify", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let label = |s: &str| {
        if s == "overdue" { lang.t("task.overdue").to_string() } else { lang.code_label("task.status", s).to_string() }
    };
    let statuses = ["submitted", "overdue", "returned", "verified", "open"]
        .iter()
        .map(|s| (s.to_string(), label(s), *s == status))
        .collect();
    let tpl = VerifyPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/work/verify"),
        tree,
        unit,
        status_label: label(&status),
        statuses,
        status,
        tasks: rows(list.items, now),
        pager,
        rates,
        week_from,
        today,
        can_decide: ctx.actor.can("work:task:verify"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "work_dispatch.html")]
struct DispatchPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    month: String,
    rates: Vec<UnitRates>,
    overdue: Vec<TaskRow>,
    pager: Pager,
}

/// 月调度: the month's rates per unit below, and everything overdue in it.
async fn dispatch_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitPeriod>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:task:list").map_err(|e| fail(e.into()))?;
    let now = Utc::now();
    let today = today_in_china(now);
    let first = match q.month.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| fail(DomainError::invalid("month", "error.bad_date").into()))?,
        None => today.with_day(1).unwrap_or(today),
    };
    let last = frontline_core::tasks::period_end(Period::Monthly, first);
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let (rates, overdue) = match &unit {
        Some(u) => {
            let rates =
                tasks::rates(&state.db, &ctx.actor.scope, u.id, first, last, now).await.map_err(|e| fail(e.into()))?;
            let iq = InstanceQuery {
                unit: Some(u.id),
                status: Some("overdue".into()),
                from: Some(first),
                to: Some(last),
                page: q.page,
                per_page: q.per_page.or(Some(VERIFY_PAGE)),
                ..Default::default()
            };
            let overdue = tasks::instances(&state.db, &ctx.actor.scope, &iq, now).await.map_err(|e| fail(e.into()))?;
            (rates, overdue)
        }
        None => (Vec::new(), Page::empty(VERIFY_PAGE)),
    };
    let pairs = [
        ("unit", unit.as_ref().map(|u| u.id.to_string()).unwrap_or_default()),
        ("month", first.format("%Y-%m").to_string()),
    ];
    let pager = Pager::new("/work/dispatch", &pairs, &overdue);
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "dispatch", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let tpl = DispatchPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/work/dispatch"),
        tree,
        unit,
        month: first.format("%Y-%m").to_string(),
        rates,
        overdue: rows(overdue.items, now),
        pager,
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "work_lists.html")]
struct ListsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    lists: Vec<TaskListView>,
    post_kinds: Vec<(String, String)>,
    periods: Vec<(String, String)>,
    can_edit: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct UnitOnly {
    pub unit: Option<i64>,
}

async fn lists_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitOnly>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:task:list").map_err(|e| fail(e.into()))?;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let lists =
        tasks::lists(&state.db, &ctx.actor.scope, unit.as_ref().map(|u| u.id)).await.map_err(|e| fail(e.into()))?;
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "task_lists", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let post_kinds =
        PostKind::ALL.iter().map(|k| (k.as_str().to_string(), lang.code_label("post.kind", k.as_str()).to_string()));
    let periods =
        Period::ALL.iter().map(|p| (p.as_str().to_string(), lang.code_label("task.period", p.as_str()).to_string()));
    let tpl = ListsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/work/lists"),
        tree,
        unit,
        lists,
        post_kinds: post_kinds.collect(),
        periods: periods.collect(),
        can_edit: ctx.actor.can("work:task:edit"),
    };
    render(&tpl, lang)
}

async fn create_list(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = TaskListInput {
            title: form.get("title"),
            post_kinds: form.all("post_kinds"),
            period: form.get("period"),
            due_time: form.get("due_time"),
            campaign: form.get("campaign"),
            commitment: form.get("commitment"),
            items: items_from_lines(&form.get("items")),
        };
        let list = input.validate()?;
        tasks::create_list(&state.db, &ctx.actor, form.id("unit_id")?, &list).await?;
        Ok(())
    })
    .await
}

async fn toggle_list(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        tasks::set_active(&state.db, &ctx.actor, id, form.get("active") == "true").await?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn lateness_reads_in_hours_and_minutes() {
        let due = chrono::DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |m: i64| due + chrono::Duration::minutes(m);
        assert_eq!(lateness(Lang::Zh, due, at(89)).as_deref(), Some("1 小时 29 分"));
        assert_eq!(lateness(Lang::En, due, at(29)).as_deref(), Some("29 min"));
        assert_eq!(lateness(Lang::Zh, due, at(0)), None);
        assert_eq!(lateness(Lang::Zh, due, at(-5)), None);
    }
}
