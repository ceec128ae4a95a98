//! Unit pages: the tree, the list with its query form, details, and the dialogs to add, edit,
//! move and close units.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use frontline_core::DomainError;
use frontline_core::access::Scope;
use frontline_core::units::{UNIT_TAGS, UnitInput, UnitKind};
use frontline_db::people::{PostQuery, PostView};
use frontline_db::units::{self, UnitQuery, UnitView};
use frontline_db::{Db, people};
use serde::Deserialize;

use super::{Chrome, FormData, Pager, UiResult, refresh, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/units", get(list_page).post(create))
        .route("/units/new", get(new_form))
        .route("/units/tree/{id}", get(tree_children))
        .route("/units/{id}", get(detail).post(update))
        .route("/units/{id}/edit", get(edit_form))
        .route("/units/{id}/move", post(move_unit))
        .route("/units/{id}/close", post(close_unit))
}

/// A node of the unit tree panel.
pub struct TreeNode {
    pub id: i64,
    pub name: String,
    pub has_children: bool,
    pub closed: bool,
    pub selected: bool,
}

/// The unit tree beside a list; clicking a unit filters the list with `link` + id.
pub struct TreePanel {
    pub roots: Vec<TreeNode>,
    pub link: String,
    pub target: &'static str,
    pub selected: Option<i64>,
}

impl TreePanel {
    pub async fn load(
        db: &Db,
        scope: &Scope,
        target: &'static str,
        selected: Option<i64>,
    ) -> Result<TreePanel, AppError> {
        let roots = units::roots(db, scope).await?;
        let roots = roots.iter().map(|u| TreeNode { selected: Some(u.id) == selected, ..node(u) }).collect();
        Ok(TreePanel { roots, link: tree_link(target).to_string(), target, selected })
    }
}

fn node(u: &UnitView) -> TreeNode {
    TreeNode { id: u.id, name: u.name.clone(), has_children: u.child_count > 0, closed: u.closed, selected: false }
}

/// Where a click in the tree leads, per page that shows the tree.
const TREE_TARGETS: &[(&str, &str)] = &[
    ("people", "/people?unit="),
    ("posts", "/posts?unit="),
    ("duty", "/duty?unit="),
    ("gaps", "/duty/gaps?unit="),
    ("coverage", "/duty/coverage?unit="),
    ("roles", "/duty/roles?unit="),
    ("deployments", "/duty/deployments?unit="),
    ("verify", "/work/verify?unit="),
    ("dispatch", "/work/dispatch?unit="),
    ("task_lists", "/work/lists?unit="),
    ("rosters", "/work/rosters?unit="),
    ("surveys", "/work/surveys?unit="),
    ("meetings", "/work/meetings?unit="),
    ("life", "/life?unit="),
    ("weak", "/weak?unit="),
    ("orders", "/orders?unit="),
    ("inspections", "/inspections?unit="),
    ("findings", "/findings?unit="),
    ("accountability", "/accountability?unit="),
    ("burden", "/burden?unit="),
    ("dashboard", "/dashboard?unit="),
];

fn tree_link(target: &str) -> &'static str {
    TREE_TARGETS.iter().find(|(t, _)| *t == target).map(|(_, link)| *link).unwrap_or("/units?under=")
}

/// A unit row with its labels in the user's language.
pub struct UnitRow {
    pub u: UnitView,
    pub kind_label: String,
    pub tag_labels: Vec<String>,
}

pub fn unit_row(u: UnitView, lang: Lang) -> UnitRow {
    let kind_label = lang.code_label("unit.kind", &u.kind).to_string();
    let tag_labels = u.tag_list().iter().map(|t| lang.code_label("unit.tag", t).to_string()).collect();
    UnitRow { u, kind_label, tag_labels }
}

pub fn kind_choices(lang: Lang) -> Vec<(String, String)> {
    UnitKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), lang.code_label("unit.kind", k.as_str()).to_string()))
        .collect()
}

fn tag_choices(lang: Lang) -> Vec<(String, String)> {
    UNIT_TAGS.iter().map(|k| (k.to_string(), lang.code_label("unit.tag", k).to_string())).collect()
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    q_name: String,
    q_kind: String,
    q_tag: String,
    q_closed: bool,
    under: Option<UnitView>,
    kinds: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    rows: Vec<UnitRow>,
    pager: Pager,
    can_add: bool,
}

async fn list_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("units:unit:list").map_err(|e| fail(e.into()))?;
    let page = units::list(&state.db, &ctx.actor.scope, &q).await.map_err(|e| fail(e.into()))?;
    let under = match q.under {
        Some(id) => Some(units::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| fail(e.into()))?),
        None => None,
    };
    let query = [
        ("under", q.under.map(|v| v.to_string()).unwrap_or_default()),
        ("name", q.name.clone().unwrap_or_default()),
        ("kind", q.kind.clone().unwrap_or_default()),
        ("tag", q.tag.clone().unwrap_or_default()),
        ("include_closed", if q.include_closed == Some(true) { "true".into() } else { String::new() }),
    ];
    let pager = Pager::new("/units", &query, &page);
    let tpl = UnitsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/units"),
        tree: TreePanel::load(&state.db, &ctx.actor.scope, "units", q.under).await.map_err(fail)?,
        q_name: q.name.unwrap_or_default(),
        q_kind: q.kind.unwrap_or_default(),
        q_tag: q.tag.unwrap_or_default(),
        q_closed: q.include_closed == Some(true),
        under,
        kinds: kind_choices(lang),
        tags: tag_choices(lang),
        rows: page.items.into_iter().map(|u| unit_row(u, lang)).collect(),
        pager,
        can_add: ctx.actor.can("units:unit:add"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "tree_children.html")]
struct TreeChildren {
    nodes: Vec<TreeNode>,
    link: String,
    target: String,
}

#[derive(Deserialize)]
struct TreeQuery {
    target: Option<String>,
}

async fn tree_children(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<TreeQuery>,
) -> UiResult {
    let lang = ctx.lang;
    let kids = units::children(&state.db, &ctx.actor.scope, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
    let target = TREE_TARGETS.iter().map(|(t, _)| *t).find(|t| Some(*t) == q.target.as_deref()).unwrap_or("units");
    render(
        &TreeChildren {
            nodes: kids.iter().map(node).collect(),
            link: tree_link(target).to_string(),
            target: target.into(),
        },
        lang,
    )
}

#[derive(Template)]
#[template(path = "unit_detail.html")]
struct UnitDetail {
    t: Tr,
    c: Chrome,
    row: UnitRow,
    ancestors: Vec<UnitView>,
    children: Vec<UnitRow>,
    posts: Vec<PostView>,
    people_total: i64,
    subtree_total: i64,
    can_edit: bool,
    can_remove: bool,
    can_add: bool,
}

async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("units:unit:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let unit = units::get(&state.db, scope, id).await.map_err(|e| fail(e.into()))?;
    let ancestors: Vec<UnitView> = units::ancestors(&state.db, &unit)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .filter(|a| scope.reaches(&a.path) && a.id != unit.id)
        .collect();
    let children = units::children(&state.db, scope, id).await.map_err(|e| fail(e.into()))?;
    let posts = if ctx.actor.can("people:post:list") {
        people::list_posts(&state.db, scope, &PostQuery { unit: Some(id), per_page: Some(50), ..Default::default() })
            .await
            .map_err(|e| fail(e.into()))?
            .items
    } else {
        vec![]
    };
    let people_total = people::list(
        &state.db,
        scope,
        &people::PersonQuery { unit: Some(id), per_page: Some(1), ..Default::default() },
    )
    .await
    .map_err(|e| fail(e.into()))?
    .total;
    let subtree_total = units::count_subtree(&state.db, &unit.path).await.map_err(|e| fail(e.into()))?;
    let tpl = UnitDetail {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/units"),
        row: unit_row(unit, lang),
        ancestors,
        children: children.into_iter().map(|u| unit_row(u, lang)).collect(),
        posts,
        people_total,
        subtree_total,
        can_edit: ctx.actor.can("units:unit:edit"),
        can_remove: ctx.actor.can("units:unit:remove"),
        can_add: ctx.actor.can("units:unit:add"),
    };
    render(&tpl, lang)
}

#[derive(Template)]
#[template(path = "unit_form.html")]
struct UnitForm {
    t: Tr,
    title_key: &'static str,
    action: String,
    parent: Option<UnitView>,
    name: String,
    kind: String,
    code: String,
    selected_tags: Vec<String>,
    kinds: Vec<(String, String)>,
    tags: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct NewQuery {
    parent: Option<i64>,
}

async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewQuery>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("units:unit:add").map_err(|e| AppError::from(e).into_html(lang))?;
    let parent = match q.parent {
        Some(id) => {
            Some(units::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| AppError::from(e).into_html(lang))?)
        }
        None => None,
    };
    let action = match &parent {
        Some(p) => format!("/units?parent={}", p.id),
        None => "/units".to_string(),
    };
    render(
        &UnitForm {
            t: Tr(lang),
            title_key: "unit.add",
            action,
            parent,
            name: String::new(),
            kind: String::new(),
            code: String::new(),
            selected_tags: vec![],
            kinds: kind_choices(lang),
            tags: tag_choices(lang),
        },
        lang,
    )
}

async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    ctx.actor.require("units:unit:edit").map_err(|e| AppError::from(e).into_html(lang))?;
    let u = units::get(&state.db, &ctx.actor.scope, id).await.map_err(|e| AppError::from(e).into_html(lang))?;
    render(
        &UnitForm {
            t: Tr(lang),
            title_key: "unit.edit",
            action: format!("/units/{id}"),
            parent: None,
            name: u.name.clone(),
            kind: u.kind.clone(),
            code: u.code.clone().unwrap_or_default(),
            selected_tags: u.tag_list().iter().map(|s| s.to_string()).collect(),
            kinds: kind_choices(lang),
            tags: tag_choices(lang),
        },
        lang,
    )
}

fn unit_input(form: &FormData) -> UnitInput {
    UnitInput { name: form.get("name"), kind: form.get("kind"), code: form.get("code"), tags: form.all("tags") }
}

async fn create(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewQuery>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    units::create(&state.db, &ctx.actor, q.parent, &unit_input(&form))
        .await
        .map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    Ok(refresh())
}

async fn update(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    units::update(&state.db, &ctx.actor, id, &unit_input(&form))
        .await
        .map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    Ok(refresh())
}

/// Resolves what a user typed to name a unit: a division code, or `#id`, or a bare id.
pub async fn resolve_unit_ref(db: &Db, scope: &Scope, text: &str, field: &str) -> Result<UnitView, AppError> {
    let t = text.trim();
    let not_found = || AppError::Domain(DomainError::invalid(field, "error.person.unknown_unit"));
    if t.is_empty() {
        return Err(AppError::Domain(DomainError::invalid(field, "error.required")));
    }
    if let Some(id) = t.strip_prefix('#').and_then(|s| s.parse::<i64>().ok()) {
        return units::get(db, scope, id).await.map_err(|_| not_found());
    }
    let by_code = units::by_codes(db, scope, &[t.to_string()]).await?;
    if let Some(u) = by_code.into_iter().next() {
        return Ok(u);
    }
    match t.parse::<i64>() {
        Ok(id) => units::get(db, scope, id).await.map_err(|_| not_found()),
        Err(_) => Err(not_found()),
    }
}

async fn move_unit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let target = resolve_unit_ref(&state.db, &ctx.actor.scope, &form.get("parent"), "parent")
        .await
        .map_err(|e| e.into_html(lang))?;
    units::move_to(&state.db, &ctx.actor, id, target.id).await.map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(refresh())
}

async fn close_unit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    units::close(&state.db, &ctx.actor, id).await.map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    Ok(refresh())
}
