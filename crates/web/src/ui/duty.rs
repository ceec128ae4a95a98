//! Pages of "who answers for what": the responsibility chain and links of a unit, the gap report,
//! the coverage check, role posts with claims and balance, succession on a post, pairing,
//! deployments with their planners and mentoring triples, and the member's own phone page.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::deployment::Purpose;
use frontline_core::responsibility::{LinkInput, LinkKind};
use frontline_core::roles::ClaimStatus;
use frontline_core::succession::RemovalReason;
use frontline_core::time::parse_date;
use frontline_core::units::UnitKind;
use frontline_db::Page;
use frontline_db::deployment::{self, ArrivalCount, DeploymentQuery, DeploymentView, MentorshipView, NewDeployment};
use frontline_db::pairing::{LeftSide, PairingSides, UnitPairView};
use frontline_db::responsibility::{self, ChainLevel, Coverage, GapReport, LinkQuery, LinkView, PersonChoice};
use frontline_db::roles::{self, ClaimFilter, ClaimView, Imbalance, RolePostInput, RolePostView};
use frontline_db::succession::{self, Notification, SuccessionPreview};
use frontline_db::units::{self, UnitView};
use serde::Deserialize;

use super::units::TreePanel;
use super::{Chrome, FormData, Pager, UiResult, change, focus, redirect, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::services::duty::{self as svc, PairingRequest, PlanRow, ProposalView};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/duty", get(chain_page))
        .route("/duty/links", post(create_link))
        .route("/duty/links/{id}/end", post(end_link))
        .route("/duty/gaps", get(gaps_page))
        .route("/duty/coverage", get(coverage_page))
        .route("/duty/roles", get(roles_page).post(create_role))
        .route("/duty/roles/defaults", post(default_roles))
        .route("/duty/roles/{id}", post(update_role))
        .route("/duty/errands", post(log_errand))
        .route("/duty/claims/{id}/decide", post(decide_claim))
        .route("/duty/pairing", get(pairing_page))
        .route("/duty/pairing/propose", post(propose))
        .route("/duty/pairing/accept", post(accept))
        .route("/duty/deployments", get(deployments_page).post(create_deployment))
        .route("/duty/deployments/{id}/arrive", post(arrive))
        .route("/duty/deployments/{id}/end", post(end_deployment))
        .route("/duty/plan", get(plan_page))
        .route("/duty/plan/confirm", post(confirm_plan))
        .route("/duty/mentorships", post(create_mentorship))
        .route("/duty/mentorships/{id}/end", post(end_mentorship))
        .route("/posts/{id}/remove", get(remove_form).post(remove_holder))
        .route("/me", get(me_page))
        .route("/me/roles/{id}/claim", post(claim_role))
        .route("/me/claims/{id}/withdraw", post(withdraw_claim))
        .route("/me/notifications/read", post(mark_read))
        .route("/me/deployments/{id}/arrive", post(arrive))
}

fn today() -> NaiveDate {
    crate::today()
}

fn choices(lang: Lang, prefix: &str, codes: &[&str]) -> Vec<(String, String)> {
    codes.iter().map(|c| (c.to_string(), lang.code_label(prefix, c).to_string())).collect()
}

/// `unit` and `on` of the chain, gaps and coverage pages.
#[derive(Debug, Default, Deserialize)]
pub struct UnitDay {
    pub unit: Option<i64>,
    pub on: Option<String>,
}

impl UnitDay {
    fn day(&self) -> Result<NaiveDate, AppError> {
        Ok(parse_date("on", self.on.as_deref().unwrap_or(""))?.unwrap_or_else(today))
    }
}

#[derive(Template)]
#[template(path = "duty_chain.html")]
struct ChainPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    on: String,
    levels: Vec<ChainLevel>,
    links: Vec<LinkView>,
    kinds: Vec<(String, String)>,
    people: Vec<PersonChoice>,
    can_add: bool,
    can_edit: bool,
}

async fn chain_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitDay>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("duty:link:list").map_err(|e| fail(e.into()))?;
    let on = q.day().map_err(fail)?;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let (levels, links, people) = match &unit {
        Some(u) => {
            let levels =
                responsibility::chain(&state.db, &ctx.actor.scope, u.id, on).await.map_err(|e| fail(e.into()))?;
            let lq = LinkQuery { unit: Some(u.id), on: Some(on), per_page: Some(100), ..Default::default() };
            let links =
                responsibility::list_links(&state.db, &ctx.actor.scope, &lq).await.map_err(|e| fail(e.into()))?;
            // Offer the cadres of the level above (who usually answer for a unit) and of the unit.
            let root = units::ancestors(&state.db, u).await.map_err(|e| fail(e.into()))?;
            let above = root.iter().rev().nth(1).map(|p| p.path.clone()).unwrap_or_else(|| u.path.clone());
            let people = responsibility::cadres_under(&state.db, &ctx.actor.scope, &above, 800)
                .await
                .map_err(|e| fail(e.into()))?;
            (levels, links.items, people)
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let tree = TreePanel::load(&state.db, &ctx.actor.scope, "duty", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let kinds: Vec<&str> = LinkKind::ALL.iter().map(|k| k.as_str()).collect();
    let tpl = ChainPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/duty"),
        tree,
        unit,
        on: on.to_string(),
        levels,
        links,
        kinds: choices(lang, "link.kind", &kinds),
        people,
        can_add: ctx.actor.can("duty:link:add"),
        can_edit: ctx.actor.can("duty:link:edit"),
    };
    render(&tpl, lang)
}

async fn create_link(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = LinkInput {
            kind: form.get("kind"),
            person_id: form.id("person_id")?,
            unit_id: form.id("unit_id")?,
            start_date: form.get("start_date"),
            end_date: form.get("end_date"),
            note: form.get("note"),
        };
        let link = input.validate()?;
        responsibility::create_link(&state.db, &ctx.actor, &link).await?;
        Ok(())
    })
    .await
}

async fn end_link(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        responsibility::end_link(&state.db, &ctx.actor, id, form.date("end_date")?).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "duty_gaps.html")]
struct GapsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    on: String,
    report: Option<GapReport>,
}

async fn gaps_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitDay>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("duty:link:list").map_err(|e| fail(e.into()))?;
    let on = q.day().map_err(fail)?;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let report = match &unit {
        Some(u) => Some(responsibility::gaps(&state.db, &ctx.actor.scope, u.id, on).await.map_err(|e| fail(e.into()))?),
        None => None,
    };
    let tree = TreePanel::load(&state.db, &ctx.actor.scope, "gaps", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    render(&GapsPage { t: Tr(lang), c: Chrome::new(&ctx, "/duty"), tree, unit, on: on.to_string(), report }, lang)
}

#[derive(Template)]
#[template(path = "duty_coverage.html")]
struct CoveragePage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    on: String,
    coverage: Option<Coverage>,
}

async fn coverage_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitDay>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("duty:link:list").map_err(|e| fail(e.into()))?;
    let on = q.day().map_err(fail)?;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let coverage = match &unit {
        Some(u) => Some(
            responsibility::coverage(&state.db, &ctx.actor.scope, u.id, on, 300).await.map_err(|e| fail(e.into()))?,
        ),
        None => None,
    };
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "coverage", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    render(
        &CoveragePage { t: Tr(lang), c: Chrome::new(&ctx, "/duty/coverage"), tree, unit, on: on.to_string(), coverage },
        lang,
    )
}

#[derive(Template)]
#[template(path = "duty_roles.html")]
struct RolesPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    roles: Vec<RolePostView>,
    pager: Pager,
    pending: Vec<ClaimView>,
    claims_pager: Pager,
    holders: Vec<ClaimView>,
    imbalances: Vec<Imbalance>,
    is_village: bool,
    today: String,
    can_edit: bool,
    can_approve: bool,
}

/// The focus unit and the pages of the role posts and of the claims awaiting approval.
#[derive(Debug, Default, Deserialize)]
struct RolesQuery {
    unit: Option<i64>,
    page: Option<i64>,
    claims_page: Option<i64>,
}

/// Rows per page of the role posts and of the pending claims.
const ROLES_PAGE: i64 = 50;

async fn roles_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RolesQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("duty:role:list").map_err(|e| fail(e.into()))?;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let is_village = unit.as_ref().is_some_and(|u| u.kind == UnitKind::Village.as_str());
    let (roles, pending, holders, imbalances) = match &unit {
        Some(u) => {
            let scope = &ctx.actor.scope;
            let pending = ClaimFilter {
                unit: Some(u.id),
                status: Some("pending"),
                page: q.claims_page,
                per_page: Some(ROLES_PAGE),
                ..Default::default()
            };
            // The errand form picks one holder of the village's roles: only a village lists them.
            let holders = if is_village {
                let approved = ClaimFilter { status: Some("approved"), page: None, per_page: Some(200), ..pending };
                roles::claims(&state.db, scope, &approved).await.map_err(|e| fail(e.into()))?.items
            } else {
                Vec::new()
            };
            (
                roles::list(&state.db, scope, Some(u.id), q.page, Some(ROLES_PAGE))
                    .await
                    .map_err(|e| fail(e.into()))?,
                roles::claims(&state.db, scope, &pending).await.map_err(|e| fail(e.into()))?,
                holders,
                roles::imbalances(&state.db, scope, u.id, 50).await.map_err(|e| fail(e.into()))?,
            )
        }
        None => (Page::empty(ROLES_PAGE), Page::empty(ROLES_PAGE), Vec::new(), Vec::new()),
    };
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "roles", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let unit_param = unit.as_ref().map(|u| u.id.to_string()).unwrap_or_default();
    let pager = Pager::named(
        "/duty/roles",
        &[("unit", unit_param.clone()), ("claims_page", q.claims_page.map(|p| p.to_string()).unwrap_or_default())],
        "page",
        &roles,
    );
    let claims_pager = Pager::named(
        "/duty/roles",
        &[("unit", unit_param), ("page", q.page.map(|p| p.to_string()).unwrap_or_default())],
        "claims_page",
        &pending,
    );
    let tpl = RolesPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/duty/roles"),
        tree,
        unit,
        roles: roles.items,
        pager,
        pending: pending.items,
        claims_pager,
        holders,
        imbalances,
        is_village,
        today: today().to_string(),
        can_edit: ctx.actor.can("duty:role:edit"),
        can_approve: ctx.actor.can("duty:role:approve"),
    };
    render(&tpl, lang)
}

async fn default_roles(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        roles::create_defaults(&state.db, &ctx.actor, form.id("unit_id")?).await?;
        Ok(())
    })
    .await
}

fn number(form: &FormData, field: &str) -> Result<i64, AppError> {
    form.get(field).trim().parse().map_err(|_| AppError::Domain(DomainError::invalid(field, "error.out_of_range")))
}

async fn create_role(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = RolePostInput {
            name: form.get("name"),
            specialties: form.get("specialties"),
            min_holders: number(&form, "min_holders")?,
            max_holders: number(&form, "max_holders")?,
            seq: number(&form, "seq").unwrap_or(0),
        };
        roles::create(&state.db, &ctx.actor, form.id("unit_id")?, &input).await?;
        Ok(())
    })
    .await
}

async fn update_role(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let input = RolePostInput {
            name: form.get("name"),
            specialties: form.get("specialties"),
            min_holders: number(&form, "min_holders")?,
            max_holders: number(&form, "max_holders")?,
            seq: number(&form, "seq").unwrap_or(0),
        };
        roles::update(&state.db, &ctx.actor, id, &input).await?;
        Ok(())
    })
    .await
}

async fn decide_claim(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let to = ClaimStatus::parse(&form.get("status"))
            .ok_or(AppError::Domain(DomainError::invalid("status", "error.role.bad_decision")))?;
        roles::decide(&state.db, &ctx.actor, id, to, &form.get("reason")).await?;
        Ok(())
    })
    .await
}

async fn log_errand(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let person = match form.opt_id("person_id")? {
            Some(p) => p,
            None => ctx
                .actor
                .scope
                .person_id
                .ok_or(AppError::Domain(DomainError::invalid("person_id", "error.required")))?,
        };
        roles::log_errand(&state.db, &ctx.actor, id, person, &form.get("what"), form.date("done_on")?).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "succession.html")]
struct RemoveForm {
    t: Tr,
    preview: SuccessionPreview,
    reasons: Vec<(String, String)>,
    today: String,
}

async fn remove_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("people:post:edit").map_err(|e| fail(e.into()))?;
    let preview = succession::preview(&state.db, &ctx.actor.scope, id, today()).await.map_err(|e| fail(e.into()))?;
    let reasons: Vec<&str> = RemovalReason::ALL.iter().map(|r| r.as_str()).collect();
    render(
        &RemoveForm {
            t: Tr(lang),
            preview,
            reasons: choices(lang, "removal.reason", &reasons),
            today: today().to_string(),
        },
        lang,
    )
}

async fn remove_holder(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let reason = RemovalReason::parse(&form.get("reason"))
            .ok_or(AppError::Domain(DomainError::invalid("reason", "error.succession.bad_reason")))?;
        let on = form.date("date")?;
        succession::remove_holder(&state.db, &ctx.actor, id, reason, on, form.opt_id("successor_id")?).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "duty_pairing.html")]
struct PairingPage {
    t: Tr,
    c: Chrome,
    roots: Vec<UnitView>,
    unit_kinds: Vec<(String, String)>,
    pairs: Vec<UnitPairView>,
}

async fn pairing_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("duty:pairing:run").map_err(|e| fail(e.into()))?;
    let mut roots = units::roots(&state.db, &ctx.actor.scope).await.map_err(|e| fail(e.into()))?;
    // Offer the roots and their children (a county and its townships) as the sides' subtrees.
    if let Some(first) = roots.first().cloned() {
        roots.extend(units::children(&state.db, &ctx.actor.scope, first.id).await.map_err(|e| fail(e.into()))?);
    }
    let pairs = match roots.first() {
        Some(r) => frontline_db::pairing::pairs_in(&state.db, &ctx.actor.scope, r.id, today(), 200)
            .await
            .map_err(|e| fail(e.into()))?,
        None => Vec::new(),
    };
    let kinds = ["department", "party_committee", "party_branch", "temporary_party_branch", "village", "enterprise"];
    let tpl = PairingPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/duty/pairing"),
        roots,
        unit_kinds: choices(lang, "unit.kind", &kinds),
        pairs,
    };
    render(&tpl, lang)
}

fn pairing_request(form: &FormData) -> Result<PairingRequest, AppError> {
    let weight = |field: &str, default: f64| -> Result<f64, AppError> {
        let v = form.get(field);
        if v.trim().is_empty() {
            return Ok(default);
        }
        v.trim().parse().map_err(|_| AppError::Domain(DomainError::invalid(field, "error.out_of_range")))
    };
    let sides = pairing_sides(form)?;
    let mut fixed = Vec::new();
    for line in form.get("fixed").lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split([',', ' ', '\t']).filter(|s| !s.is_empty()).collect();
        match parts.as_slice() {
            [l, r] => match (l.parse(), r.parse()) {
                (Ok(l), Ok(r)) => fixed.push((l, r)),
                _ => return Err(DomainError::invalid("fixed", "error.pairing.bad_fixed").into()),
            },
            _ => return Err(DomainError::invalid("fixed", "error.pairing.bad_fixed").into()),
        }
    }
    let defaults = frontline_core::pairing::PairingRules::default();
    Ok(PairingRequest {
        sides,
        mismatch_cost: weight("mismatch_cost", defaults.mismatch_cost)?,
        per_km: weight("per_km", defaults.per_km)?,
        per_load: weight("per_load", defaults.per_load)?,
        fixed,
    })
}

fn pairing_sides(form: &FormData) -> Result<PairingSides, AppError> {
    let capacity: u32 = form
        .get("capacity")
        .trim()
        .parse()
        .map_err(|_| AppError::Domain(DomainError::invalid("capacity", "error.out_of_range")))?;
    Ok(PairingSides {
        left: if form.get("left") == "cadres" { LeftSide::Cadres } else { LeftSide::Units },
        left_root: form.id("left_root")?,
        left_kind: form.get("left_kind"),
        right_root: form.id("right_root")?,
        right_kind: form.get("right_kind"),
        capacity,
    })
}

#[derive(Template)]
#[template(path = "duty_pairing_result.html")]
struct PairingResult {
    t: Tr,
    p: ProposalView,
    form: Vec<(String, String)>,
}

async fn propose(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let req = pairing_request(&form).map_err(|e| e.into_html(lang))?;
    let p = svc::propose_pairing(&state.db, &ctx.actor, &req, today()).await.map_err(|e| e.into_html(lang))?;
    let keep = ["left", "left_root", "left_kind", "right_root", "right_kind", "capacity"];
    let form = keep.iter().map(|k| (k.to_string(), form.get(k))).collect();
    render(&PairingResult { t: Tr(lang), p, form }, lang)
}

async fn accept(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let result: Result<usize, AppError> = async {
        let sides = pairing_sides(&form)?;
        let mut pairs = Vec::new();
        for p in form.all("pair") {
            let (l, r) =
                p.split_once('-').ok_or(AppError::Domain(DomainError::invalid("pairs", "error.pairing.stale")))?;
            match (l.parse(), r.parse()) {
                (Ok(l), Ok(r)) => pairs.push((l, r)),
                _ => return Err(DomainError::invalid("pairs", "error.pairing.stale").into()),
            }
        }
        Ok(frontline_db::pairing::accept(&state.db, &ctx.actor, &sides, &pairs, today()).await?)
    }
    .await;
    let n = result.map_err(|e| e.into_html(lang))?;
    let msg = Tr(lang).get("pairing.accepted").replace("{n}", &n.to_string());
    let html = format!("<div class=\"alert alert-ok\" id=\"pairing-accepted\">{}</div>", crate::error::esc(&msg));
    Ok(axum::response::Html(html).into_response())
}

#[derive(Template)]
#[template(path = "duty_deployments.html")]
struct DeploymentsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    arrivals: Option<ArrivalCount>,
    rows: Vec<DeploymentView>,
    total: i64,
    mentorships: Vec<MentorshipView>,
    people: Vec<PersonChoice>,
    targets: Vec<UnitView>,
    purposes: Vec<(String, String)>,
    today: String,
    pending_only: bool,
    can_add: bool,
    can_edit: bool,
}

#[derive(Debug, Default, Deserialize)]
struct DeploymentsQuery {
    unit: Option<i64>,
    pending: Option<bool>,
    page: Option<i64>,
}

async fn deployments_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DeploymentsQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("duty:deploy:list").map_err(|e| fail(e.into()))?;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let tree =
        TreePanel::load(&state.db, &ctx.actor.scope, "deployments", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let Some(u) = unit.clone() else {
        let tpl = DeploymentsPage {
            t: Tr(lang),
            c: Chrome::new(&ctx, "/duty/deployments"),
            tree,
            unit,
            arrivals: None,
            rows: Vec::new(),
            total: 0,
            mentorships: Vec::new(),
            people: Vec::new(),
            targets: Vec::new(),
            purposes: Vec::new(),
            today: today().to_string(),
            pending_only: false,
            can_add: false,
            can_edit: false,
        };
        return render(&tpl, lang);
    };
    let dq = DeploymentQuery {
        unit: Some(u.id),
        pending: q.pending,
        page: q.page,
        per_page: Some(50),
        ..Default::default()
    };
    let page = deployment::list(&state.db, &ctx.actor.scope, &dq).await.map_err(|e| fail(e.into()))?;
    let arrivals =
        deployment::arrivals(&state.db, &ctx.actor.scope, u.id, today()).await.map_err(|e| fail(e.into()))?;
    let mentorships = deployment::mentorships(&state.db, &ctx.actor.scope, u.id).await.map_err(|e| fail(e.into()))?;
    let people =
        responsibility::cadres_under(&state.db, &ctx.actor.scope, &u.path, 800).await.map_err(|e| fail(e.into()))?;
    let targets = target_units(&state, &ctx, &u).await.map_err(fail)?;
    let purposes: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
    let tpl = DeploymentsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/duty/deployments"),
        tree,
        unit,
        arrivals: Some(arrivals),
        total: page.total,
        rows: page.items,
        mentorships,
        people,
        targets,
        purposes: choices(lang, "deploy.purpose", &purposes),
        today: today().to_string(),
        pending_only: q.pending == Some(true),
        can_add: ctx.actor.can("duty:deploy:add"),
        can_edit: ctx.actor.can("duty:deploy:edit"),
    };
    render(&tpl, lang)
}

/// Where people of a unit may be sent: the townships and villages of its county, or of the
/// highest unit above it that the caller reaches.
async fn target_units(state: &AppState, ctx: &Ctx, u: &UnitView) -> Result<Vec<UnitView>, AppError> {
    let ancestors = units::ancestors(&state.db, u).await?;
    let scope = &ctx.actor.scope;
    let top = ancestors
        .iter()
        .find(|a| a.kind == "county" && scope.reaches(&a.path))
        .or_else(|| ancestors.iter().find(|a| scope.reaches(&a.path)))
        .unwrap_or(u);
    let mut out = Vec::new();
    for kind in ["township", "village"] {
        let q = units::UnitQuery { under: Some(top.id), kind: Some(kind.to_string()), ..Default::default() };
        out.extend(units::list_all(&state.db, scope, &q, 2000).await?);
    }
    Ok(out)
}

async fn create_deployment(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let purpose = Purpose::parse(&form.get("purpose"))
            .ok_or(AppError::Domain(DomainError::invalid("purpose", "error.deploy.bad_purpose")))?;
        let d = NewDeployment {
            person_id: form.id("person_id")?,
            target_unit_id: form.id("target_unit_id")?,
            purpose,
            start: form.date("start_date")?,
            end: form.opt_date("end_date")?,
        };
        deployment::create(&state.db, &ctx.actor, &d).await?;
        Ok(())
    })
    .await
}

async fn arrive(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    change(ctx.lang, async {
        deployment::check_in(&state.db, &ctx.actor, id, Utc::now()).await?;
        Ok(())
    })
    .await
}

async fn end_deployment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        deployment::end(&state.db, &ctx.actor, id, form.date("end_date")?).await?;
        Ok(())
    })
    .await
}

async fn create_mentorship(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        let people = [form.id("leader_id")?, form.id("middle_id")?, form.id("young_id")?];
        let start = form.date("start_date")?;
        deployment::create_mentorship(&state.db, &ctx.actor, form.id("unit_id")?, people, start, None).await?;
        Ok(())
    })
    .await
}

async fn end_mentorship(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    change(ctx.lang, async {
        deployment::end_mentorship(&state.db, &ctx.actor, id, form.date("end_date")?).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "duty_plan.html")]
struct PlanPage {
    t: Tr,
    c: Chrome,
    unit: UnitView,
    mode: String,
    percent: u32,
    rows: Vec<PlanRow>,
    choices: Vec<(String, String)>,
    targets: Vec<UnitView>,
    today: String,
}

#[derive(Debug, Default, Deserialize)]
struct PlanQuery {
    unit: Option<i64>,
    mode: Option<String>,
    percent: Option<u32>,
}

async fn plan_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PlanQuery>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?.ok_or_else(|| fail(DomainError::NotFound.into()))?;
    let mode = if q.mode.as_deref() == Some("villages") { "villages" } else { "thirds" };
    let percent = q.percent.unwrap_or(30);
    let rows = if mode == "thirds" {
        svc::plan_thirds(&state.db, &ctx.actor, unit.id, today()).await
    } else {
        svc::plan_villages(&state.db, &ctx.actor, unit.id, percent, today()).await
    }
    .map_err(fail)?;
    let codes: &[&str] = if mode == "thirds" { &["unit", "front", "villages"] } else { &["villages", "stay"] };
    let targets = target_units(&state, &ctx, &unit).await.map_err(fail)?;
    let tpl = PlanPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/duty/deployments"),
        unit,
        mode: mode.to_string(),
        percent,
        rows,
        choices: choices(lang, "plan.choice", codes),
        targets,
        today: today().to_string(),
    };
    render(&tpl, lang)
}

/// Confirms a plan as adjusted by the user: those placed in `villages` are sent to the villages of
/// the chosen target (spread in turn over them when it is a township), those in `front` to the
/// front target; the others stay. All or nothing.
async fn confirm_plan(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let lang = ctx.lang;
    let form = FormData::parse(&body);
    let result: Result<(), AppError> = async {
        let start = form.date("start_date")?;
        let village_target = form.id("village_target")?;
        let front_target = form.opt_id("front_target")?;
        let villages = spread_targets(&state, &ctx, village_target).await?;
        let mut items = Vec::new();
        let mut k = 0usize;
        for person in form.all("person") {
            let Ok(pid) = person.parse::<i64>() else { continue };
            match form.get(&format!("choice_{pid}")).as_str() {
                "villages" => {
                    let target = villages[k % villages.len()];
                    k += 1;
                    items.push(NewDeployment {
                        person_id: pid,
                        target_unit_id: target,
                        purpose: Purpose::Village,
                        start,
                        end: None,
                    });
                }
                "front" => {
                    let target =
                        front_target.ok_or(AppError::Domain(DomainError::invalid("front_target", "error.required")))?;
                    items.push(NewDeployment {
                        person_id: pid,
                        target_unit_id: target,
                        purpose: Purpose::Front,
                        start,
                        end: None,
                    });
                }
                _ => {}
            }
        }
        deployment::create_many(&state.db, &ctx.actor, &items).await?;
        Ok(())
    }
    .await;
    result.map_err(|e| e.into_html(lang))?;
    Ok(redirect(&format!("/duty/deployments?unit={}", form.get("unit_id"))))
}

/// A village target stands for itself; a township for its villages, in order.
async fn spread_targets(state: &AppState, ctx: &Ctx, target: i64) -> Result<Vec<i64>, AppError> {
    let scope = &ctx.actor.scope;
    let unit = units::get(&state.db, scope, target).await?;
    if unit.kind == "village" {
        return Ok(vec![unit.id]);
    }
    let kids: Vec<i64> = units::children(&state.db, scope, unit.id)
        .await?
        .into_iter()
        .filter(|u| u.kind == "village")
        .map(|u| u.id)
        .collect();
    if kids.is_empty() { Ok(vec![unit.id]) } else { Ok(kids) }
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    t: Tr,
    c: Chrome,
    notifications: Vec<(Notification, String)>,
    /// Role posts open to the member, those matching their specialties first, with the match.
    roles: Vec<(RolePostView, bool)>,
    claims: Vec<ClaimView>,
    deployments: Vec<DeploymentView>,
    has_person: bool,
}

impl MePage {
    /// Whether the member already has a claim open in the role's village (one per village).
    fn claimed_in(&self, role: &&RolePostView) -> bool {
        self.claims.iter().any(|c| c.unit_name == role.unit_name && (c.status == "pending" || c.status == "approved"))
    }
}

async fn me_page(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    let Some(me) = ctx.actor.scope.person_id else {
        let tpl = MePage {
            t: Tr(lang),
            c: Chrome::new(&ctx, "/me"),
            notifications: Vec::new(),
            roles: Vec::new(),
            claims: Vec::new(),
            deployments: Vec::new(),
            has_person: false,
        };
        return render(&tpl, lang);
    };
    let notifications = succession::notifications_of(&state.db, me, 20).await.map_err(|e| fail(e.into()))?;
    let notifications = notifications
        .into_iter()
        .map(|n| {
            let text = notification_text(lang, &n);
            (n, text)
        })
        .collect();
    let own = frontline_core::access::Scope { person_id: Some(me), ..Default::default() };
    let specialties =
        frontline_db::people::get(&state.db, &own, me, false).await.map_err(|e| fail(e.into()))?.specialties;
    let mut roles: Vec<(RolePostView, bool)> = roles::open_to(&state.db, me)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|r| {
            let suits = frontline_core::roles::matches_specialty(&r.specialties, specialties.as_deref());
            (r, suits)
        })
        .collect();
    roles.sort_by_key(|(r, suits)| (!suits, r.seq, r.id));
    let mine = ClaimFilter { person: Some(me), per_page: Some(50), ..Default::default() };
    let claims = roles::claims(&state.db, &own, &mine).await.map_err(|e| fail(e.into()))?.items;
    let dq = DeploymentQuery { per_page: Some(20), ..Default::default() };
    let deployments = deployment::list(&state.db, &own, &dq).await.map_err(|e| fail(e.into()))?.items;
    let tpl = MePage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/me"),
        notifications,
        roles,
        claims,
        deployments,
        has_person: true,
    };
    render(&tpl, lang)
}

/// A notification's sentence in the user's language, from its kind and parameters.
fn notification_text(lang: Lang, n: &Notification) -> String {
    let params: serde_json::Value = serde_json::from_str(&n.params).unwrap_or_default();
    let get = |k: &str| match &params[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let reason = lang.code_label("removal.reason", params["reason"].as_str().unwrap_or("")).to_string();
    let mut text = lang.t(&format!("notice.{}", n.kind)).replace("{reason}", &reason);
    for key in ["post", "unit", "date", "acting", "overdue", "pending", "month", "title"] {
        text = text.replace(&format!("{{{key}}}"), &get(key));
    }
    text
}

/// Marks the user's notifications read (their own state, not audited data).
async fn mark_read(State(state): State<AppState>, ctx: Ctx) -> UiResult {
    change(ctx.lang, async {
        if let Some(me) = ctx.actor.scope.person_id {
            succession::mark_read(&state.db, me).await?;
        }
        Ok(())
    })
    .await
}

async fn claim_role(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    change(ctx.lang, async {
        roles::claim(&state.db, &ctx.actor, id).await?;
        Ok(())
    })
    .await
}

async fn withdraw_claim(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    change(ctx.lang, async {
        roles::decide(&state.db, &ctx.actor, id, ClaimStatus::Withdrawn, "").await?;
        Ok(())
    })
    .await
}

/// `/` goes to the first page the caller may open.
pub async fn home(ctx: Ctx) -> Redirect {
    Redirect::to(super::landing(&ctx.actor))
}
