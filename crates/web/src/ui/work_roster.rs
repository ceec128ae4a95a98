//! Pages of checkpoint rosters (003.11): checkpoints under a unit with their settings and duty
//! lists, planning a week with the engine, the roster with its gaps, duty streaks, and check-in and
//! check-out on the doer's phone.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use frontline_core::time::{china, today_in_china};
use frontline_db::roster::{
    self, AwayInput, CheckpointInput, CheckpointView, DUTY_CATEGORIES, DutyPersonInput, MyShift, PlanInput, ShiftView,
    Streak,
};
use frontline_db::units::UnitView;

use super::units::TreePanel;
use super::work::{UnitOnly, local};
use super::{Chrome, FormData, UiResult, change, focus, render};
use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::offline::Sent;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/work/rosters", get(rosters_page))
        .route("/work/rosters/plan", post(plan))
        .route("/work/checkpoints/{id}", post(configure))
        .route("/work/checkpoints/{id}/people", post(add_person))
        .route("/work/duty-away", post(mark_away))
        .route("/work/shifts/{id}/check-in", post(check_in))
        .route("/work/shifts/{id}/check-out", post(check_out))
}

/// One of the doer's shifts with what they may do now.
pub struct ShiftRow {
    pub s: MyShift,
    pub when: String,
    pub can_check_in: bool,
    pub can_check_out: bool,
}

/// The doer's current and coming shifts.
pub async fn my_shifts(state: &AppState, person: i64, now: DateTime<Utc>) -> Result<Vec<ShiftRow>, AppError> {
    let list = roster::my_shifts(&state.db, person, now - chrono::Duration::hours(12)).await?;
    Ok(list
        .into_iter()
        .map(|s| {
            let can_check_in =
                s.status == "planned" && now >= s.starts_at - chrono::Duration::minutes(30) && now <= s.ends_at;
            let can_check_out = s.status == "on_duty";
            let when = format!("{}–{}", local(s.starts_at), s.ends_at.with_timezone(&china()).format("%H:%M"));
            ShiftRow { s, when, can_check_in, can_check_out }
        })
        .collect())
}

/// A shift of the roster table with its people.
pub struct RosterRow {
    pub s: ShiftView,
    pub when: String,
    pub people: Vec<OnShift>,
}

/// One person on a shift as the roster table shows them: their state, when they checked in, and
/// for a check-in or check-out made on a phone without signal the phone's time beside the arrival.
pub struct OnShift {
    pub name: String,
    pub status: String,
    pub checked_in: Option<String>,
    pub check_in_phone: Option<super::PhoneTimes>,
    pub check_out_phone: Option<super::PhoneTimes>,
}

#[derive(Template)]
#[template(path = "work_rosters.html")]
struct RostersPage {
    t: Tr,
    c: Chrome,
    /// The caller's own coming shifts, wherever their checkpoint lies (a grid worker's scope may
    /// not reach it).
    shifts: Vec<ShiftRow>,
    tree: TreePanel,
    unit: Option<UnitView>,
    checkpoints: Vec<CheckpointView>,
    roster: Vec<RosterRow>,
    streaks: Vec<Streak>,
    people: Vec<frontline_db::responsibility::PersonChoice>,
    categories: Vec<(String, String)>,
    patterns: Vec<String>,
    today: String,
    can_edit: bool,
}

async fn rosters_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitOnly>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:roster:list").map_err(|e| fail(e.into()))?;
    let now = Utc::now();
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let (checkpoints, roster, streaks, people) = match &unit {
        Some(u) => {
            let scope = &ctx.actor.scope;
            let checkpoints = roster::checkpoints(&state.db, scope, u.id).await.map_err(|e| fail(e.into()))?;
            let from = now - chrono::Duration::hours(12);
            let to = from + chrono::Duration::days(7);
            let shifts = roster::shifts(&state.db, scope, u.id, from, to).await.map_err(|e| fail(e.into()))?;
            let attendance = roster::attendance(&state.db, scope, u.id, from, to).await.map_err(|e| fail(e.into()))?;
            let mut by_shift: std::collections::HashMap<i64, Vec<OnShift>> = std::collections::HashMap::new();
            for a in attendance {
                by_shift.entry(a.shift_id).or_default().push(OnShift {
                    status: lang.code_label("shift.status", &a.status).to_string(),
                    checked_in: a.checked_in_at.map(local),
                    check_in_phone: super::PhoneTimes::of(a.check_in_device_at, a.check_in_arrived_at),
                    check_out_phone: super::PhoneTimes::of(a.check_out_device_at, a.check_out_arrived_at),
                    name: a.person_name,
                });
            }
            let rows = shifts
                .into_iter()
                .map(|s| {
                    let when = format!("{}–{}", local(s.starts_at), s.ends_at.with_timezone(&china()).format("%H:%M"));
                    let people = by_shift.remove(&s.id).unwrap_or_default();
                    RosterRow { s, when, people }
                })
                .collect();
            let streaks = roster::streaks(&state.db, scope, u.id, now).await.map_err(|e| fail(e.into()))?;
            let people = if ctx.actor.can("work:roster:edit") && !checkpoints.is_empty() {
                frontline_db::responsibility::cadres_under(&state.db, scope, &u.path, 800)
                    .await
                    .map_err(|e| fail(e.into()))?
            } else {
                Vec::new()
            };
            (checkpoints, rows, streaks, people)
        }
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    };
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "rosters", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let shifts = match ctx.actor.scope.person_id {
        Some(me) => my_shifts(&state, me, now).await.map_err(fail)?,
        None => Vec::new(),
    };
    let tpl = RostersPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/work/rosters"),
        shifts,
        tree,
        unit,
        checkpoints,
        roster,
        streaks,
        people,
        categories: DUTY_CATEGORIES
            .iter()
            .map(|c| (c.to_string(), lang.code_label("duty.category", c).to_string()))
            .collect(),
        patterns: frontline_core::roster::PATTERNS.iter().map(|p| p.0.to_string()).collect(),
        today: (today_in_china(now) + chrono::Duration::days(1)).to_string(),
        can_edit: ctx.actor.can("work:roster:edit"),
    };
    render(&tpl, lang)
}

fn number(form: &FormData, key: &str) -> Result<i64, AppError> {
    form.get(key).trim().parse().map_err(|_| frontline_core::DomainError::invalid(key, "error.not_a_number").into())
}

async fn configure(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = CheckpointInput {
            pattern: form.get("pattern"),
            headcount: number(&form, "headcount")?,
            night_headcount: number(&form, "night_headcount")?,
            min_party: number(&form, "min_party")?,
            min_cadre: number(&form, "min_cadre")?,
        };
        roster::configure(&state.db, &ctx.actor, id, &input).await?;
        Ok(())
    })
    .await
}

async fn add_person(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = DutyPersonInput {
            person_id: form.id("person_id")?,
            category: form.get("category"),
            home: form.get("home") != "false",
            avoid_nights: form.get("avoid_nights") == "true",
        };
        roster::add_person(&state.db, &ctx.actor, id, &input).await?;
        Ok(())
    })
    .await
}

async fn plan(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = PlanInput {
            start: form.date("start")?,
            days: number(&form, "days")?,
            min_rest_hours: number(&form, "min_rest_hours")?,
            max_shifts: number(&form, "max_shifts")?,
        };
        roster::plan(&state.db, &ctx.actor, form.id("unit_id")?, &input).await?;
        Ok(())
    })
    .await
}

/// Check-in on post; from the offline queue, at the time it was done on the phone (where believed).
async fn check_in(State(state): State<AppState>, ctx: Ctx, Sent(when): Sent, Path(id): Path<i64>) -> UiResult {
    change(ctx.lang, async {
        roster::check_in(&state.db, &ctx.actor, id, when).await?;
        Ok(())
    })
    .await
}

async fn check_out(
    State(state): State<AppState>,
    ctx: Ctx,
    Sent(when): Sent,
    Path(id): Path<i64>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        roster::check_out(&state.db, &ctx.actor, id, &form.get("handover"), when).await?;
        Ok(())
    })
    .await
}

async fn mark_away(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = AwayInput {
            person_id: form.id("person_id")?,
            from: form.date("from")?,
            to: form.date("to")?,
            note: form.get("note"),
        };
        roster::mark_away(&state.db, &ctx.actor, &input).await?;
        Ok(())
    })
    .await
}
