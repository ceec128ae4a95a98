//! Pages of organisational life (003.3, 三会一课 and 主题党日): compliance of a part of the tree
//! with the rules over a period and the organisations behind, the meetings held, recording a
//! meeting of a party organisation, a meeting's page with its attendance and the QR code members
//! scan, the member's check-in page on the phone, and the install's rules.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, Utc};
use frontline_core::life::{Cadence, LifeKind, Rule, last_quarter};
use frontline_core::time::today_in_china;
use frontline_db::Page;
use frontline_db::life::{
    self, AttendanceInput, Compliance, LifeMeetingInput, LifeMeetingRow, LifeMeetingView, MeetingQuery, RuleInput,
};
use frontline_db::units::UnitView;
use serde::Deserialize;

use super::units::TreePanel;
use super::{Chrome, FormData, Pager, UiResult, change, focus, redirect, render};
use crate::api::life::new_check_in_code;
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/life", get(life_page))
        .route("/life/meetings", post(record_meeting))
        .route("/life/meetings/{id}", get(meeting_page))
        .route("/life/meetings/{id}/attendance", post(mark))
        .route(
            "/life/meetings/{id}/photos",
            post(add_photo).layer(axum::extract::DefaultBodyLimit::max(6 * 1024 * 1024)),
        )
        .route("/life/check-in", get(check_in_page).post(check_in))
        .route("/life/rules", post(set_rule))
        .route("/life/temporary", post(make_temporary))
        .route("/life/alliances", post(create_alliance))
}

/// What `/life` shows: a unit, a period, and the page of each of its two lists.
#[derive(Debug, Default, Deserialize)]
pub struct LifeQuery {
    pub unit: Option<i64>,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub kind: String,
    pub mpage: Option<i64>,
    pub bpage: Option<i64>,
}

/// A choice of period offered as a link.
pub struct PeriodLink {
    pub label: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "life.html")]
struct LifePage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    from: NaiveDate,
    to: NaiveDate,
    periods: Vec<PeriodLink>,
    compliance: Option<Compliance>,
    behind_pager: Option<Pager>,
    meetings: Page<LifeMeetingRow>,
    meetings_pager: Pager,
    kind: String,
    kinds: Vec<(String, String)>,
    /// The unit is a party organisation the caller may record meetings of.
    can_record: bool,
    members: Vec<(i64, String)>,
    today: NaiveDate,
    rules: Vec<(Rule, String)>,
    cadences: Vec<(String, String)>,
    can_set_rules: bool,
    /// Temporary organisations and alliances of this part of the tree (003.6).
    temporaries: Vec<life::TemporaryView>,
    alliances: Vec<life::AllianceView>,
    /// May mark the unit temporary (it is a party organisation) and form alliances here.
    can_organise: bool,
    is_org: bool,
    /// Organisations under the unit, to choose an alliance's members from.
    organisations: Vec<(i64, String)>,
}

fn kind_choices(lang: Lang) -> Vec<(String, String)> {
    LifeKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), lang.code_label("life.kind", k.as_str()).to_string()))
        .collect()
}

/// The periods offered: the last full quarter, this quarter so far, this year so far.
fn period_links(today: NaiveDate, from: NaiveDate, to: NaiveDate) -> Vec<PeriodLink> {
    let (lq_from, lq_to) = last_quarter(today);
    let (q_from, _) = Cadence::Quarter.period_of(today);
    let y_from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    [
        ("life.period.last_quarter", lq_from, lq_to),
        ("life.period.this_quarter", q_from, today),
        ("life.period.this_year", y_from, today),
    ]
    .into_iter()
    .map(|(label, f, t)| PeriodLink { label, from: f, to: t, current: f == from && t == to })
    .collect()
}

async fn life_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<LifeQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:life:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let db = &state.db;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let today = today_in_china(Utc::now());
    let (lq_from, lq_to) = last_quarter(today);
    let from = frontline_core::time::parse_date("from", &q.from).map_err(|e| fail(e.into()))?.unwrap_or(lq_from);
    let to = frontline_core::time::parse_date("to", &q.to).map_err(|e| fail(e.into()))?.unwrap_or(lq_to);
    let query = |skip: &str| -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("unit", unit.as_ref().map(|u| u.id.to_string()).unwrap_or_default()),
            ("from", from.to_string()),
            ("to", to.to_string()),
            ("kind", q.kind.clone()),
            ("mpage", q.mpage.map(|p| p.to_string()).unwrap_or_default()),
            ("bpage", q.bpage.map(|p| p.to_string()).unwrap_or_default()),
        ];
        v.retain(|(k, _)| *k != skip);
        v
    };
    let (compliance, meetings, members, is_org) = match &unit {
        Some(u) => {
            let c = life::compliance(db, scope, u.id, from, to, today, q.bpage, Some(20))
                .await
                .map_err(|e| fail(e.into()))?;
            let mq = MeetingQuery {
                kind: Some(q.kind.clone()),
                from: Some(from),
                to: Some(to),
                page: q.mpage,
                per_page: Some(20),
            };
            let m = life::meetings(db, scope, u.id, &mq).await.map_err(|e| fail(e.into()))?;
            let is_org = life::ORGANISATION_KINDS.contains(&u.kind.as_str());
            let members = if is_org && ctx.actor.can("work:life:record") {
                life::members(db, scope, u.id).await.map_err(|e| fail(e.into()))?
            } else {
                Vec::new()
            };
            (Some(c), m, members, is_org)
        }
        None => (None, Page::empty(20), Vec::new(), false),
    };
    let can_organise = ctx.actor.can("units:unit:edit");
    let (temporaries, alliances, organisations) = match &unit {
        Some(u) => (
            life::temporaries(db, scope, u.id).await.map_err(|e| fail(e.into()))?,
            life::alliances(db, scope, u.id).await.map_err(|e| fail(e.into()))?,
            if can_organise {
                life::organisations_under(db, scope, &u.path, 100).await.map_err(|e| fail(e.into()))?
            } else {
                Vec::new()
            },
        ),
        None => Default::default(),
    };
    let behind_pager = compliance.as_ref().map(|c| Pager::named("/life", &query("bpage"), "bpage", &c.behind));
    let meetings_pager = Pager::named("/life", &query("mpage"), "mpage", &meetings);
    let rules = life::rules(db)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|r| (r, lang.code_label("life.cadence", r.cadence.as_str()).to_string()))
        .collect();
    let tpl = LifePage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/life"),
        tree: TreePanel::load(db, scope, "life", unit.as_ref().map(|u| u.id)).await.map_err(fail)?,
        unit,
        from,
        to,
        periods: period_links(today, from, to),
        compliance,
        behind_pager,
        meetings,
        meetings_pager,
        kind: q.kind.clone(),
        kinds: kind_choices(lang),
        can_record: is_org && ctx.actor.can("work:life:record"),
        members,
        today,
        rules,
        cadences: Cadence::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), lang.code_label("life.cadence", c.as_str()).to_string()))
            .collect(),
        can_set_rules: ctx.actor.can("system:setting:edit"),
        temporaries,
        alliances,
        can_organise,
        is_org,
        organisations,
    };
    render(&tpl, lang)
}

async fn record_meeting(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    let id = async {
        let present = form.all("present").iter().filter_map(|v| v.trim().parse().ok()).collect();
        let input = LifeMeetingInput {
            kind: form.get("kind"),
            held_on: form.date("held_on")?,
            place: form.get("place"),
            topic: form.get("topic"),
            presided_by: form.opt_id("presided_by")?,
            minutes: form.get("minutes"),
            resolutions: form.get("resolutions"),
            present,
        };
        Ok::<i64, AppError>(
            life::record_meeting(&state.db, &ctx.actor, form.id("unit_id")?, &input, &new_check_in_code()).await?,
        )
    }
    .await
    .map_err(|e| e.into_html(lang))?;
    Ok(redirect(&format!("/life/meetings/{id}")))
}

#[derive(Template)]
#[template(path = "life_meeting.html")]
struct MeetingPage {
    t: Tr,
    c: Chrome,
    m: LifeMeetingView,
    /// The QR code members scan, as SVG, while check-in is open (for those who record).
    qr: Option<String>,
    check_in_url: Option<String>,
    can_record: bool,
}

/// The address a meeting's QR code opens, on the host the recorder reached.
fn check_in_url(state: &AppState, headers: &HeaderMap, code: &str) -> String {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}/life/check-in?code={code}")
}

async fn meeting_page(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:life:list").map_err(|e| fail(e.into()))?;
    let can_record = ctx.actor.can("work:life:record");
    let m = life::meeting(&state.db, &ctx.actor.scope, id, can_record).await.map_err(|e| fail(e.into()))?;
    let url = m.check_in_code.as_deref().filter(|_| m.check_in_open).map(|code| check_in_url(&state, &headers, code));
    let qr = match &url {
        Some(u) => Some(
            qrcode::QrCode::new(u.as_bytes())
                .map_err(|e| fail(AppError::Internal(e.to_string())))?
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(220, 220)
                .build(),
        ),
        None => None,
    };
    let tpl = MeetingPage { t: Tr(lang), c: Chrome::new(&ctx, "/life"), m, qr, check_in_url: url, can_record };
    render(&tpl, lang)
}

/// A photo of the meeting from the recorder's phone (`photo`, a file; `latitude` and `longitude`
/// only where the recorder ticked to send the place; see [`super::form_with_photo`]).
async fn add_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    crate::offline::Sent(when): crate::offline::Sent,
    request: axum::extract::Request,
) -> UiResult {
    let lang = ctx.lang;
    change(lang, async {
        let (_, photo) = super::form_with_photo(&state, request).await?;
        let Some(frontline_db::evidence::PhotoEvidence::Sent(upload)) = photo else {
            return Err(AppError::from(frontline_core::DomainError::invalid("photo", "error.required")));
        };
        life::add_photo(&state.db, &ctx.actor, id, &upload, when).await?;
        Ok(())
    })
    .await
}

async fn mark(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        let input = AttendanceInput {
            person_id: form.id("person_id")?,
            status: form.get("status"),
            reason: form.get("reason"),
        };
        life::mark(&state.db, &ctx.actor, id, &input).await?;
        Ok(())
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    pub code: String,
}

#[derive(Template)]
#[template(path = "life_check_in.html")]
struct CheckInPage {
    t: Tr,
    c: Chrome,
    code: String,
}

/// The answer to a check-in, in place of its button.
#[derive(Template)]
#[template(path = "life_checked_in.html")]
struct CheckedIn {
    t: Tr,
    done: life::CheckIn,
}

/// The page a member's phone opens from the meeting's QR code: one button, 签到.
async fn check_in_page(ctx: Ctx, Query(q): Query<CodeQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("work:life:checkin").map_err(|e| AppError::from(e).into_html(lang))?;
    let tpl = CheckInPage { t: Tr(lang), c: Chrome::new(&ctx, "/life/check-in"), code: q.code };
    render(&tpl, lang)
}

async fn check_in(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    let done = life::check_in(&state.db, &ctx.actor, &form.get("code"))
        .await
        .map_err(|e| AppError::from(e).into_html(lang))?;
    render(&CheckedIn { t: Tr(lang), done }, lang)
}

async fn set_rule(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        let times = form
            .get("times")
            .trim()
            .parse()
            .map_err(|_| AppError::from(frontline_core::DomainError::invalid("times", "error.not_a_number")))?;
        let input = RuleInput { kind: form.get("kind"), cadence: form.get("cadence"), times };
        life::set_rule(&state.db, &ctx.actor, &input).await?;
        Ok(())
    })
    .await
}

async fn make_temporary(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = life::TemporaryInput {
            serves_unit_id: form.opt_id("serves_unit_id")?,
            purpose: form.get("purpose"),
            starts_on: form.date("starts_on")?,
            ends_on: form.date("ends_on")?,
        };
        life::make_temporary(&state.db, &ctx.actor, form.id("unit_id")?, &input).await?;
        Ok(())
    })
    .await
}

async fn create_alliance(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = life::AllianceInput {
            name: form.get("name"),
            purpose: form.get("purpose"),
            members: form.all("members").iter().filter_map(|v| v.trim().parse().ok()).collect(),
        };
        life::create_alliance(&state.db, &ctx.actor, form.id("unit_id")?, &input).await?;
        Ok(())
    })
    .await
}
