//! Pages of the work-order engine: 工单 (the scoped list with the figures per unit and the intake
//! form: 受理), one order with its timeline and the steps the caller may take (派单, 签收, 回退,
//! 回复, 延期, 催办, 督办, 回访, 合并), and 工单设置 (categories with their time limits and the
//! county's holiday calendar).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use frontline_core::orders::{Channel, OrderKind, OrderStatus};
use frontline_core::time::{china, today_in_china};
use frontline_db::orders::{
    self, CalendarDay, CategoryInput, CategoryView, HANDLING_LEVELS, OrderDetail, OrderInput, OrderQuery, OrderView,
    StepInput, UnitOrderCounts,
};
use frontline_db::units::{self, UnitView};

use super::units::TreePanel;
use super::{Chrome, FormData, Pager, UiResult, change, focus, form_with_photo, redirect, render};
use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::offline::Sent;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list_page).post(intake))
        .route("/orders/{id}", get(detail_page))
        .route("/orders/{id}/steps", post(step))
        .route("/orders/settings", get(settings_page))
        .route("/orders/categories", post(create_category))
        .route("/orders/calendar", post(set_calendar_day))
}

/// A list row with its times in China and whether it is late.
pub struct OrderRow {
    pub o: OrderView,
    pub received: String,
    pub due: String,
    pub overdue: bool,
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string()
}

fn row(o: OrderView, now: DateTime<Utc>) -> OrderRow {
    OrderRow { received: local(o.received_at), due: local(o.due_at), overdue: o.overdue(now), o }
}

#[derive(Template)]
#[template(path = "orders.html")]
struct ListPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    orders: Vec<OrderRow>,
    pager: Pager,
    counts: Vec<UnitOrderCounts>,
    month_from: NaiveDate,
    today: NaiveDate,
    statuses: Vec<(String, String, bool)>,
    kinds: Vec<(String, String, bool)>,
    overdue: bool,
    words: String,
    categories: Vec<CategoryView>,
    channels: Vec<(String, String)>,
    places: Vec<UnitView>,
    can_intake: bool,
}

async fn list_page(State(state): State<AppState>, ctx: Ctx, Query(mut q): Query<OrderQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("order:request:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let now = Utc::now();
    let today = today_in_china(now);
    let month_from = today.with_day(1).unwrap_or(today);
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    q.unit = unit.as_ref().map(|u| u.id);
    let page = orders::list(&state.db, scope, &q).await.map_err(|e| fail(e.into()))?;
    let (counts, places) = match &unit {
        Some(u) => (
            orders::counts(&state.db, scope, u.id, month_from, today).await.map_err(|e| fail(e.into()))?,
            std::iter::once(u.clone())
                .chain(units::children(&state.db, scope, u.id).await.map_err(|e| fail(e.into()))?)
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let pairs = [
        ("unit", q.unit.map(|u| u.to_string()).unwrap_or_default()),
        ("status", q.status.clone().unwrap_or_default()),
        ("kind", q.kind.clone().unwrap_or_default()),
        ("overdue", if q.overdue == Some(true) { "true".into() } else { String::new() }),
        ("q", q.q.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/orders", &pairs, &page);
    let status = q.status.clone().unwrap_or_default();
    let kind = q.kind.clone().unwrap_or_default();
    let tree = TreePanel::load(&state.db, scope, "orders", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let can_intake = ctx.actor.can("order:request:intake");
    let tpl = ListPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/orders"),
        tree,
        unit,
        orders: page.items.into_iter().map(|o| row(o, now)).collect(),
        pager,
        counts,
        month_from,
        today,
        statuses: OrderStatus::ALL
            .iter()
            .map(|s| {
                (s.as_str().to_string(), lang.code_label("order.status", s.as_str()).to_string(), s.as_str() == status)
            })
            .collect(),
        kinds: OrderKind::ALL
            .iter()
            .map(|k| {
                (k.as_str().to_string(), lang.code_label("order.kind", k.as_str()).to_string(), k.as_str() == kind)
            })
            .collect(),
        overdue: q.overdue == Some(true),
        words: q.q.clone().unwrap_or_default(),
        categories: if can_intake {
            orders::categories(&state.db).await.map_err(|e| fail(e.into()))?.into_iter().filter(|c| c.active).collect()
        } else {
            Vec::new()
        },
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), lang.code_label("order.channel", c.as_str()).to_string()))
            .collect(),
        places,
        can_intake,
    };
    render(&tpl, lang)
}

/// A request taken down on the page; from the offline queue, received at the phone's time where
/// believed.
async fn intake(State(state): State<AppState>, ctx: Ctx, Sent(when): Sent, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    let input = OrderInput {
        category: form.get("category"),
        channel: form.get("channel"),
        place_unit_id: form.id("place_unit_id").map_err(|e| e.into_html(lang))?,
        title: form.get("title"),
        description: form.get("description"),
        address: form.get("address"),
        reporter_name: form.get("reporter_name"),
        reporter_phone: form.get("reporter_phone"),
        ..Default::default()
    };
    let id =
        orders::intake(&state.db, &ctx.actor, &input, when).await.map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(redirect(&format!("/orders/{id}")))
}

#[derive(Template)]
#[template(path = "order_detail.html")]
struct DetailPage {
    t: Tr,
    c: Chrome,
    d: OrderDetail,
    received: String,
    due: String,
    overdue: bool,
    /// Each step's time, and for one taken on a phone without signal the phone's time beside the
    /// arrival.
    steps: Vec<(String, Option<super::PhoneTimes>)>,
    units: Vec<UnitView>,
    can_handle: bool,
    can_dispatch: bool,
}

async fn detail_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("order:request:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let can_handle = ctx.actor.can("order:request:handle");
    let can_dispatch = ctx.actor.can("order:request:dispatch");
    let d = orders::get(&state.db, scope, id, can_handle || can_dispatch).await.map_err(|e| fail(e.into()))?;
    // Where a dispatcher may send it: the place and the units on the way up to the caller's reach.
    let units = if can_dispatch && d.order.status == "received" {
        let place = units::get(&state.db, scope, d.order.place_unit_id).await.map_err(|e| fail(e.into()))?;
        let mut up = units::ancestors(&state.db, &place).await.map_err(|e| fail(e.into()))?;
        up.retain(|u| scope.reaches(&u.path));
        up.push(place);
        up
    } else {
        Vec::new()
    };
    let now = Utc::now();
    let steps = d.steps.iter().map(|s| (local(s.at), super::PhoneTimes::of(s.device_at, s.arrived_at))).collect();
    let tpl = DetailPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/orders"),
        received: local(d.order.received_at),
        due: local(d.order.due_at),
        overdue: d.order.overdue(now),
        steps,
        d,
        units,
        can_handle,
        can_dispatch,
    };
    render(&tpl, lang)
}

/// A step from the order's page; a reply may carry a photo of what was done (see [`form_with_photo`]).
async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Sent(when): Sent,
    request: axum::extract::Request,
) -> UiResult {
    let lang = ctx.lang;
    change(lang, async {
        let (form, photo) = form_with_photo(&state, request).await?;
        let yes = |k: &str| form.get(k) == "true";
        let input = match form.get("step").as_str() {
            "dispatch" => StepInput::Dispatch { unit_id: form.id("unit_id")? },
            "sign" => StepInput::Sign,
            "return" => StepInput::Return { reason: form.get("reason") },
            "reply" => StepInput::Reply { text: form.get("text"), attachment_id: None },
            "request_extension" => StepInput::RequestExtension { days: form.id("days")?, reason: form.get("reason") },
            "decide_extension" => StepInput::DecideExtension { approve: yes("approve"), note: form.get("note") },
            "chase" => StepInput::Chase { note: form.get("note") },
            "supervise" => StepInput::Supervise { card: form.get("card"), note: form.get("note") },
            "call_back" => StepInput::CallBack {
                satisfied: yes("satisfied"),
                solved: yes("solved"),
                reopen: yes("reopen"),
                note: form.get("note"),
            },
            "link_duplicate" => StepInput::LinkDuplicate { of: form.id("of")? },
            _ => return Err(AppError::from(frontline_core::DomainError::invalid("step", "error.order.wrong_status"))),
        };
        orders::act_with_photo(&state.db, &ctx.actor, id, &input, photo.as_ref(), when).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "order_settings.html")]
struct SettingsPage {
    t: Tr,
    c: Chrome,
    categories: Vec<CategoryView>,
    counties: Vec<UnitView>,
    county: Option<UnitView>,
    days: Vec<CalendarDay>,
    kinds: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    can_edit: bool,
}

#[derive(serde::Deserialize)]
struct CountyOnly {
    county: Option<i64>,
}

async fn settings_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CountyOnly>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("order:request:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let counties =
        units::list_all(&state.db, scope, &units::UnitQuery { kind: Some("county".into()), ..Default::default() }, 200)
            .await
            .map_err(|e| fail(e.into()))?;
    let county = match q.county {
        Some(id) => Some(units::get(&state.db, scope, id).await.map_err(|e| fail(e.into()))?),
        None => counties.first().cloned(),
    };
    let days = match &county {
        Some(c) => orders::calendar_days(&state.db, scope, c.id).await.map_err(|e| fail(e.into()))?,
        None => Vec::new(),
    };
    let tpl = SettingsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/orders/settings"),
        categories: orders::categories(&state.db).await.map_err(|e| fail(e.into()))?,
        counties,
        county,
        days,
        kinds: OrderKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), lang.code_label("order.kind", k.as_str()).to_string()))
            .collect(),
        levels: HANDLING_LEVELS.iter().map(|l| (l.to_string(), lang.code_label("unit.kind", l).to_string())).collect(),
        can_edit: ctx.actor.can("order:setting:edit"),
    };
    render(&tpl, lang)
}

async fn create_category(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        let input = CategoryInput {
            code: form.get("code"),
            name: form.get("name"),
            kind: form.get("kind"),
            handled_at: form.get("handled_at"),
            sla_days: form.id("sla_days")?,
            description: form.get("description"),
            keywords: form.get("keywords"),
        };
        orders::create_category(&state.db, &ctx.actor, &input).await?;
        Ok(())
    })
    .await
}

async fn set_calendar_day(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        orders::set_calendar_day(
            &state.db,
            &ctx.actor,
            form.id("county_id")?,
            form.date("day")?,
            form.get("working") == "true",
            &form.get("name"),
        )
        .await?;
        Ok(())
    })
    .await
}
