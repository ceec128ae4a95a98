//! Pages of weak or lax party organisations (003.5, 软弱涣散): the cases of a part of the tree by
//! year and state with the yearly screening (排查) and the "1+1" pairing, a case with its reasons,
//! what the records say now, its plan and progress and 销号, and the install's criteria.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, Utc};
use frontline_core::time::today_in_china;
use frontline_core::weak::{CaseStatus, CriterionRule, Reason};
use frontline_db::units::UnitView;
use frontline_db::weak::{self, CaseList, CasePlanInput, CaseQuery, CaseView, CriterionInput};
use serde::Deserialize;

use super::units::TreePanel;
use super::{Chrome, FormData, Pager, UiResult, change, focus, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/weak", get(weak_page))
        .route("/weak/screen", post(screen))
        .route("/weak/pair", post(pair))
        .route("/weak/criteria", post(set_criterion))
        .route("/weak/cases/{id}", get(case_page))
        .route("/weak/cases/{id}/decision", post(decide))
        .route("/weak/cases/{id}/plan", post(plan))
        .route("/weak/cases/{id}/reports", post(report))
        .route("/weak/cases/{id}/clear", post(clear))
}

/// A reason in words: the criterion, the figure found and the threshold.
pub fn reason_text(lang: Lang, r: &Reason) -> String {
    lang.code_label("weak.reason", r.criterion.as_str())
        .replace("{value}", &format!("{}", (r.value * 10.0).round() / 10.0))
        .replace("{threshold}", &r.threshold.to_string())
}

#[derive(Debug, Default, Deserialize)]
pub struct WeakQuery {
    pub unit: Option<i64>,
    pub year: Option<i32>,
    #[serde(default)]
    pub status: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Template)]
#[template(path = "weak.html")]
struct WeakPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    year: i32,
    years: Vec<i32>,
    status: String,
    statuses: Vec<(String, String)>,
    list: Option<CaseList>,
    /// The page's cases, each with its reasons in words.
    rows: Vec<(frontline_db::weak::CaseRow, Vec<String>)>,
    pager: Option<Pager>,
    can_decide: bool,
    criteria: Vec<CriterionRule>,
    can_set_criteria: bool,
}

async fn weak_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<WeakQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("judge:weak:list").map_err(|e| fail(e.into()))?;
    let db = &state.db;
    let scope = &ctx.actor.scope;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let today = today_in_china(Utc::now());
    let year = q.year.unwrap_or(today.year());
    let list = match &unit {
        Some(u) => Some(
            weak::cases(
                db,
                scope,
                u.id,
                &CaseQuery { year: Some(year), status: Some(q.status.clone()), page: q.page, per_page: q.per_page },
            )
            .await
            .map_err(|e| fail(e.into()))?,
        ),
        None => None,
    };
    let pager = match (&list, &unit) {
        (Some(l), Some(u)) => Some(Pager::new(
            "/weak",
            &[("unit", u.id.to_string()), ("year", year.to_string()), ("status", q.status.clone())],
            &l.cases,
        )),
        _ => None,
    };
    let rows = list
        .as_ref()
        .map(|l| {
            l.cases
                .items
                .iter()
                .map(|c| (c.clone(), c.reasons.iter().map(|r| reason_text(lang, r)).collect()))
                .collect()
        })
        .unwrap_or_default();
    let tpl = WeakPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/weak"),
        tree: TreePanel::load(db, scope, "weak", unit.as_ref().map(|u| u.id)).await.map_err(fail)?,
        unit,
        year,
        years: weak::years(today),
        status: q.status.clone(),
        statuses: CaseStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), lang.code_label("weak.status", s.as_str()).to_string()))
            .collect(),
        list,
        rows,
        pager,
        can_decide: ctx.actor.can("judge:weak:decide"),
        criteria: weak::criteria(db).await.map_err(|e| fail(e.into()))?,
        can_set_criteria: ctx.actor.can("system:setting:edit"),
    };
    render(&tpl, lang)
}

fn year_of(form: &FormData) -> Result<i32, AppError> {
    form.get("year")
        .trim()
        .parse()
        .map_err(|_| AppError::from(frontline_core::DomainError::invalid("year", "error.not_a_number")))
}

async fn screen(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        weak::screen(&state.db, &ctx.actor, form.id("unit_id")?, year_of(&form)?, today_in_china(Utc::now())).await?;
        Ok(())
    })
    .await
}

async fn pair(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        weak::pair(&state.db, &ctx.actor, form.id("unit_id")?, year_of(&form)?, today_in_china(Utc::now())).await?;
        Ok(())
    })
    .await
}

async fn set_criterion(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let threshold = form
            .get("threshold")
            .trim()
            .parse()
            .map_err(|_| AppError::from(frontline_core::DomainError::invalid("threshold", "error.not_a_number")))?;
        let input =
            CriterionInput { criterion: form.get("criterion"), threshold, enabled: form.get("enabled") == "on" };
        weak::set_criterion(&state.db, &ctx.actor, &input).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "weak_case.html")]
struct CasePage {
    t: Tr,
    c: Chrome,
    case: CaseView,
    reasons: Vec<String>,
    reasons_now: Vec<String>,
    can_decide: bool,
    can_report: bool,
    today: NaiveDate,
    /// Choices for the plan: leaders in the township, and its party organisations as partners,
    /// each with whether it is the one chosen.
    leaders: Vec<(i64, String, bool)>,
    partners: Vec<(i64, String, bool)>,
}

async fn case_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("judge:weak:list").map_err(|e| fail(e.into()))?;
    let today = today_in_china(Utc::now());
    let case = weak::case(&state.db, &ctx.actor.scope, id, today).await.map_err(|e| fail(e.into()))?;
    let can_decide = ctx.actor.can("judge:weak:decide");
    let (leaders, partners) = if can_decide && case.row.status == CaseStatus::Confirmed {
        // The township the organisation belongs to (two levels up: branch, village, township).
        let org = frontline_db::units::get(&state.db, &ctx.actor.scope, case.row.unit_id)
            .await
            .map_err(|e| fail(e.into()))?;
        let up = |p: &str| frontline_core::units::parent_path(p).map(str::to_string);
        let township = up(&org.path).and_then(|p| up(&p)).unwrap_or(org.path.clone());
        (
            frontline_db::responsibility::cadres_under(&state.db, &ctx.actor.scope, &township, 300)
                .await
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .map(|p| (p.id, format!("{} · {}", p.name, p.unit_name), Some(p.id) == case.leader_id))
                .collect(),
            frontline_db::life::organisations_under(&state.db, &ctx.actor.scope, &township, 300)
                .await
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .filter(|(id, _)| *id != org.id)
                .map(|(id, name)| (id, name, Some(id) == case.partner_id))
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let tpl = CasePage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/weak"),
        reasons: case.row.reasons.iter().map(|r| reason_text(lang, r)).collect(),
        reasons_now: case.reasons_now.iter().map(|r| reason_text(lang, r)).collect(),
        case,
        can_decide,
        can_report: ctx.actor.can("judge:weak:report"),
        today,
        leaders,
        partners,
    };
    render(&tpl, lang)
}

async fn decide(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        weak::decide(&state.db, &ctx.actor, id, form.get("confirm") == "true", &form.get("note")).await?;
        Ok(())
    })
    .await
}

async fn plan(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = CasePlanInput {
            measures: form.get("measures"),
            leader_id: form.id("leader_id")?,
            deadline: form.date("deadline")?,
            partner_id: form.opt_id("partner_id")?,
        };
        weak::plan(&state.db, &ctx.actor, id, &input, today_in_china(Utc::now())).await?;
        Ok(())
    })
    .await
}

async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        weak::report(&state.db, &ctx.actor, id, &form.get("note"), today_in_china(Utc::now())).await?;
        Ok(())
    })
    .await
}

async fn clear(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    change(ctx.lang, async {
        weak::clear(&state.db, &ctx.actor, id, today_in_china(Utc::now())).await?;
        Ok(())
    })
    .await
}
