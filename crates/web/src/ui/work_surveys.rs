//! Pages of household checks (000.6): the grid worker's households on a phone with the form to
//! fill, and the village's daily compilation with its risk list and the forms (defined as data).

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use frontline_core::surveys::{FieldType, POVERTY_CHECK};
use frontline_core::time::today_in_china;
use frontline_db::Page;
use frontline_db::surveys::{self, Compilation, FormView, HouseholdView, ResponseView, RiskRow};
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
        .route("/work/households", get(households_page))
        .route("/work/households/{id}", get(household_page).post(file))
        .route("/work/surveys", get(surveys_page))
        .route("/work/surveys/forms", post(create_form))
}

#[derive(Template)]
#[template(path = "work_households.html")]
struct HouseholdsPage {
    t: Tr,
    c: Chrome,
    households: Vec<HouseholdView>,
}

async fn households_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:survey:fill").map_err(|e| fail(e.into()))?;
    let households = surveys::households(&state.db, &ctx.actor, None).await.map_err(|e| fail(e.into()))?;
    render(&HouseholdsPage { t: Tr(lang), c: Chrome::new(&ctx, "/work/households"), households }, lang)
}

/// A field of the form as the page shows it.
pub struct FieldRow {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub options: Vec<String>,
}

#[derive(Template)]
#[template(path = "work_household.html")]
struct HouseholdPage {
    t: Tr,
    c: Chrome,
    id: i64,
    name: String,
    forms: Vec<FormView>,
    form_id: i64,
    fields: Vec<FieldRow>,
    today: NaiveDate,
    history: Vec<ResponseView>,
    can_fill: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct FormChoice {
    pub form: Option<i64>,
}

async fn household_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<FormChoice>,
) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    let history = surveys::responses(&state.db, &ctx.actor, id).await.map_err(|e| fail(e.into()))?;
    let name = surveys::household_name(&state.db, &ctx.actor, id).await.map_err(|e| fail(e.into()))?;
    let forms = surveys::forms(&state.db, &ctx.actor).await.map_err(|e| fail(e.into()))?;
    let form = q.form.and_then(|f| forms.iter().find(|x| x.id == f)).or(forms.first());
    let fields = match form {
        Some(f) => f
            .spec()
            .map_err(|e| fail(e.into()))?
            .fields
            .into_iter()
            .map(|f| FieldRow {
                key: f.key,
                label: f.label,
                kind: f.field_type,
                required: f.required,
                options: f.options,
            })
            .collect(),
        None => Vec::new(),
    };
    let tpl = HouseholdPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/work/households"),
        id,
        name,
        form_id: form.map(|f| f.id).unwrap_or_default(),
        forms,
        fields,
        today: today_in_china(Utc::now()),
        history,
        can_fill: ctx.actor.can("work:survey:fill"),
    };
    render(&tpl, lang)
}

async fn file(State(state): State<AppState>, ctx: Ctx, Sent(when): Sent, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        let form_id = form.id("form_id")?;
        let day = form.date("filled_on")?;
        let forms = surveys::forms(&state.db, &ctx.actor).await?;
        let spec = forms
            .iter()
            .find(|f| f.id == form_id)
            .ok_or_else(|| {
                AppError::from(frontline_core::DomainError::invalid("form_id", "error.survey.unknown_form"))
            })?
            .spec()?;
        let mut answers = BTreeMap::new();
        for f in &spec.fields {
            let value = if FieldType::parse(&f.field_type) == Some(FieldType::Multi) {
                serde_json::json!(form.all(&f.key))
            } else {
                serde_json::Value::String(form.get(&f.key))
            };
            answers.insert(f.key.clone(), value);
        }
        surveys::file(&state.db, &ctx.actor, id, form_id, day, &answers, when).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "work_surveys.html")]
struct SurveysPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    on: NaiveDate,
    compilation: Compilation,
    risks: Vec<RiskRow>,
    pager: Pager,
    forms: Vec<FormView>,
    can_edit: bool,
    sample: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct UnitDay {
    pub unit: Option<i64>,
    pub on: Option<String>,
    /// The page of the risk list, and its size.
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Rows per page of the risk list.
const RISK_PAGE: i64 = 50;

async fn surveys_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitDay>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:survey:list").map_err(|e| fail(e.into()))?;
    let on = frontline_core::time::parse_date("on", q.on.as_deref().unwrap_or(""))
        .map_err(|e| fail(e.into()))?
        .unwrap_or_else(|| today_in_china(Utc::now()));
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let (compilation, risks) = match &unit {
        Some(u) => (
            surveys::compilation(&state.db, &ctx.actor, u.id, on).await.map_err(|e| fail(e.into()))?,
            surveys::risk_list(&state.db, &ctx.actor, u.id, on, q.page, q.per_page.or(Some(RISK_PAGE)))
                .await
                .map_err(|e| fail(e.into()))?,
        ),
        None => (Compilation::default(), Page::empty(RISK_PAGE)),
    };
    let pairs = [("unit", unit.as_ref().map(|u| u.id.to_string()).unwrap_or_default()), ("on", on.to_string())];
    let pager = Pager::new("/work/surveys", &pairs, &risks);
    let forms = surveys::forms(&state.db, &ctx.actor).await.map_err(|e| fail(e.into()))?;
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "surveys", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let tpl = SurveysPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/work/surveys"),
        tree,
        unit,
        on,
        compilation,
        risks: risks.items,
        pager,
        forms,
        can_edit: ctx.actor.can("work:survey:edit"),
        sample: POVERTY_CHECK,
    };
    render(&tpl, lang)
}

async fn create_form(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        surveys::create_form(&state.db, &ctx.actor, form.id("unit_id")?, &form.get("title"), &form.get("fields"))
            .await?;
        Ok(())
    })
    .await
}
