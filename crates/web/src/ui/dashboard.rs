//! Dashboards (Section E): one page for every level — the county, a township, a village — over a
//! chosen period, with the figures the articles print as tiles that each lead to the list behind
//! them, charts (ECharts, drawn by `static/dashboard.js` from data the page carries), and the
//! units directly below, each leading to its own dashboard. The same figures fill the large
//! screen of the county command room (作战指挥中心, `/dashboard/screen`). A grid worker's own day is
//! `/today`, made for a phone.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::Utc;
use frontline_core::DomainError;
use frontline_core::bulletins::Span;
use frontline_core::tasks::{percent, percent_text};
use frontline_core::time::parse_date;
use frontline_core::time::today_in_china;
use frontline_db::dashboard::{Dashboard, MAX_DAYS};
use serde::Deserialize;
use serde_json::json;

use super::units::TreePanel;
use super::{Chrome, UiResult, focus, render};
use crate::auth::Ctx;
use crate::i18n::{Lang, Tr};
use crate::services::figures;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard_page)).route("/dashboard/screen", get(screen_page))
}

/// The unit and period a dashboard is asked for; dates as typed, checked before use.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// The unit whose subtree is shown; the top of the caller's units if left out.
    pub unit: Option<i64>,
    /// First day (`YYYY-MM-DD`); 29 days before `to` if left out.
    #[param(schema_with = crate::api::optional_date)]
    pub from: Option<String>,
    /// Last day; today if left out. At most a year after `from`.
    #[param(schema_with = crate::api::optional_date)]
    pub to: Option<String>,
}

impl DashboardQuery {
    /// The period asked for (the last 30 days by default), or a field error.
    pub fn span(&self, today: chrono::NaiveDate) -> Result<Span, AppError> {
        let date = |field: &str, v: &Option<String>| {
            parse_date(field, v.as_deref().unwrap_or("")).map_err(|e| AppError::Domain(DomainError::Invalid(vec![e])))
        };
        let (from, to) = (date("from", &self.from)?, date("to", &self.to)?);
        Ok(Span::asked(from, to, today, MAX_DAYS as u64)?)
    }
}

/// One figure on the dashboard: its name, value, what it is out of, and the list behind it.
pub struct Tile {
    /// A stable name (the element id is `tile-{id}`).
    pub id: &'static str,
    pub label_key: &'static str,
    pub value: String,
    pub detail: String,
    pub href: String,
    /// Marked when the figure needs attention (overdue, laggards, gaps).
    pub alert: bool,
}

/// One unit below, with its figures and a link to its dashboard.
pub struct ChildRow {
    pub unit_id: i64,
    pub name: String,
    pub orders: i64,
    /// Rates as shown: `87.5%`, or `—` when there was nothing to rate.
    pub solved_rate: String,
    pub findings: i64,
    pub fixed: i64,
    pub signoff: String,
    pub training: String,
    pub score: Option<f64>,
    /// Stars as shown: `3★`, 后进 for a laggard, 无数据 when the period holds no record.
    pub standing: Option<String>,
}

/// What every dashboard view shows, built once from the store's figures.
pub struct DashView {
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_kind: String,
    pub from: String,
    pub to: String,
    pub query: String,
    pub tiles: Vec<Tile>,
    pub children: Vec<ChildRow>,
    /// The charts' data as JSON, safe inside a `<script type="application/json">`.
    pub charts: String,
    pub scheme_name: Option<String>,
}

/// A unit's standing as every page shows it: 无数据, 后进, or its stars.
fn standing(r: &frontline_db::bulletins::RankRow, lang: Lang) -> String {
    super::indicators::standing_text(r.standing(), lang)
}

fn ratio(part: i64, whole: i64) -> String {
    format!("{part} / {whole}")
}

/// Builds the view: tiles, the units below and the charts, all in the user's language.
pub fn view(d: &Dashboard, lang: Lang) -> DashView {
    let unit = d.unit.id;
    let q = format!("from={}&to={}", d.from, d.to);
    let first_orders = d.orders.first().map(|o| o.counts).unwrap_or_default();
    let first_rates = d.orders.first();
    let sup = d.supervision.first().cloned().unwrap_or_default();
    let sign = d.signoff.first().map(|r| r.rates).unwrap_or_default();
    let training = d.training.first();
    let grids = d.coverage.iter().filter(|c| c.kind != "household");
    let (grid_total, grid_covered) = grids.fold((0, 0), |(t, c), k| (t + k.total, c + k.covered));
    let actions = d.accountability.first().map(|a| a.total).unwrap_or(0);
    let mut tiles = vec![
        Tile {
            id: "arrivals",
            label_key: "dash.arrivals",
            value: ratio(d.arrivals.arrived, d.arrivals.sent),
            detail: percent_text(percent(d.arrivals.arrived, d.arrivals.sent)),
            href: format!("/duty/deployments?unit={unit}"),
            alert: d.arrivals.arrived < d.arrivals.sent,
        },
        Tile {
            id: "coverage",
            label_key: "dash.coverage",
            value: ratio(grid_covered, grid_total),
            detail: percent_text(percent(grid_covered, grid_total)),
            href: format!("/duty/coverage?unit={unit}"),
            alert: grid_covered < grid_total,
        },
        Tile {
            id: "role_posts",
            label_key: "dash.role_posts",
            value: ratio(d.role_posts.filled, d.role_posts.posts),
            detail: format!("{} {}", d.role_posts.holders, lang.t("dash.holders")),
            href: format!("/duty/roles?unit={unit}"),
            alert: d.role_posts.filled < d.role_posts.posts,
        },
        Tile {
            id: "signoff",
            label_key: "dash.signoff",
            value: percent_text(sign.completion()),
            detail: format!("{} / {} · {} {}", sign.submitted, sign.total, sign.overdue, lang.t("dash.overdue")),
            href: format!("/work/dispatch?unit={unit}"),
            alert: sign.overdue > 0,
        },
        Tile {
            id: "shifts",
            label_key: "dash.shifts",
            value: ratio(d.shifts.staffed, d.shifts.shifts),
            detail: format!("{} / {} {}", d.shifts.checked_in, d.shifts.assigned, lang.t("dash.checked_in")),
            href: format!("/work/rosters?unit={unit}"),
            alert: d.shifts.staffed < d.shifts.shifts,
        },
        Tile {
            id: "rounds",
            label_key: "dash.rounds",
            value: sup.rounds.to_string(),
            detail: format!("{} {}", sup.visits, lang.t("dash.visits")),
            href: format!("/inspections?unit={unit}"),
            alert: false,
        },
        Tile {
            id: "findings",
            label_key: "dash.findings",
            value: ratio(sup.fixed, sup.findings),
            detail: format!("{} {}", sup.overdue, lang.t("dash.overdue")),
            href: format!("/findings?unit={unit}"),
            alert: sup.overdue > 0,
        },
        Tile {
            id: "orders",
            label_key: "dash.orders",
            value: first_orders.collected.to_string(),
            detail: format!(
                "{} {} · {} {}",
                first_orders.solved,
                lang.t("order.solved"),
                first_orders.in_progress,
                lang.t("order.in_progress")
            ),
            href: format!("/orders?unit={unit}&{q}"),
            alert: false,
        },
        Tile {
            id: "orders_overdue",
            label_key: "dash.orders_overdue",
            value: first_orders.overdue.to_string(),
            detail: lang.t("dash.orders_overdue_hint").to_string(),
            href: format!("/orders?unit={unit}&overdue=true"),
            alert: first_orders.overdue > 0,
        },
        Tile {
            id: "order_rates",
            label_key: "dash.order_rates",
            value: percent_text(first_rates.and_then(|r| r.solved_rate)),
            detail: format!(
                "{} {} · {} {}",
                lang.t("order.on_time_rate"),
                percent_text(first_rates.and_then(|r| r.on_time_rate)),
                lang.t("order.satisfaction_rate"),
                percent_text(first_rates.and_then(|r| r.satisfaction_rate))
            ),
            href: format!("/orders?unit={unit}&status=closed&{q}"),
            alert: false,
        },
    ];
    if let Some(r) = &d.ranking {
        let scored: i64 = r.stars.iter().sum();
        // The unit's own score when it is a subject or a group; otherwise the scheme's roll-up of
        // its whole subtree, the 整体得分 its ranking page shows.
        let own = r.by_unit.iter().find(|u| u.unit_id == unit);
        let shown = own.or(r.whole.as_ref());
        tiles.push(Tile {
            id: "bastion",
            label_key: "dash.bastion",
            value: match shown {
                Some(o) if o.measured => format!("{:.1}", o.total),
                _ => "—".to_string(),
            },
            detail: match (own, shown) {
                (Some(o), _) => match &r.place {
                    Some(p) if p.row.measured => format!(
                        "{} · {} {} / {} · {}{}",
                        standing(&p.row, lang),
                        lang.t("dash.rank_in"),
                        p.row.rank,
                        p.among,
                        lang.t("judge.ranked_within"),
                        p.within_name
                    ),
                    _ => standing(o, lang),
                },
                (None, Some(w)) if !w.measured => standing(w, lang),
                _ => format!(
                    "{} · {scored} {} · {} {}",
                    lang.t("judge.whole"),
                    lang.t("dash.scored"),
                    r.stars[5],
                    lang.t("dash.five_star")
                ),
            },
            href: format!("/schemes/{}?unit={unit}&{q}", r.scheme_id),
            alert: false,
        });
        tiles.push(Tile {
            id: "laggards",
            label_key: "dash.laggards",
            value: r.laggards.len().to_string(),
            detail: r.laggards.iter().take(3).map(|l| l.unit_name.as_str()).collect::<Vec<_>>().join("、"),
            href: format!("/schemes/{}?unit={unit}&laggards=true&{q}", r.scheme_id),
            alert: !r.laggards.is_empty(),
        });
    }
    tiles.push(Tile {
        id: "commendations",
        label_key: "dash.commendations",
        value: d.commendations.to_string(),
        detail: String::new(),
        href: "/commendations".to_string(),
        alert: false,
    });
    tiles.push(Tile {
        id: "accountability",
        label_key: "dash.accountability",
        value: actions.to_string(),
        detail: format!("{} {}", d.accountability.first().map_or(0, |a| a.people), lang.t("dash.people")),
        href: format!("/accountability?unit={unit}"),
        alert: false,
    });
    tiles.push(Tile {
        id: "training",
        label_key: "dash.training",
        value: percent_text(training.and_then(|t| t.percent)),
        detail: format!("{} / {}", training.map_or(0, |t| t.trained), training.map_or(0, |t| t.members)),
        href: format!("/work/meetings?unit={unit}"),
        alert: false,
    });
    tiles.push(Tile {
        id: "life",
        label_key: "dash.life",
        value: percent_text(d.life.percent),
        detail: format!("{} {} · {} – {}", d.life.behind, lang.t("dash.life_behind"), d.life_from, d.life_to),
        href: format!("/life?unit={unit}&from={}&to={}", d.life_from, d.life_to),
        alert: d.life.behind > 0,
    });

    let score_of = |id: i64| d.ranking.as_ref().and_then(|r| r.by_unit.iter().find(|u| u.unit_id == id));
    let children: Vec<ChildRow> = d
        .orders
        .iter()
        .skip(1)
        .map(|o| {
            let s = d.supervision.iter().find(|s| s.unit_id == o.unit_id);
            let r = d.signoff.iter().find(|r| r.unit_id == o.unit_id);
            let t = d.training.iter().find(|t| t.unit_id == o.unit_id);
            let score = score_of(o.unit_id);
            ChildRow {
                unit_id: o.unit_id,
                name: o.unit_name.clone(),
                orders: o.counts.collected,
                solved_rate: percent_text(o.solved_rate),
                findings: s.map_or(0, |s| s.findings),
                fixed: s.map_or(0, |s| s.fixed),
                signoff: percent_text(r.and_then(|r| r.rates.completion())),
                training: percent_text(t.and_then(|t| t.percent)),
                score: score.filter(|s| s.measured).map(|s| s.total),
                standing: score.map(|s| standing(s, lang)),
            }
        })
        .collect();
    let charts = charts(d, &children, lang);
    DashView {
        unit_id: unit,
        unit_name: d.unit.name.clone(),
        unit_kind: lang.code_label("unit.kind", &d.unit.kind).to_string(),
        from: d.from.to_string(),
        to: d.to.to_string(),
        query: q,
        tiles,
        children,
        charts,
        scheme_name: d.ranking.as_ref().map(|r| r.scheme_name.clone()),
    }
}

/// The charts' data: for each chart its kind, categories, series and, per category, the page a
/// click leads to.
fn charts(d: &Dashboard, children: &[ChildRow], lang: Lang) -> String {
    let unit = d.unit.id;
    let q = format!("from={}&to={}", d.from, d.to);
    let days: Vec<String> = d.orders_by_day.iter().map(|c| c.day.format("%m-%d").to_string()).collect();
    let c = d.orders.first().map(|o| o.counts).unwrap_or_default();
    let unsolved = c.closed - c.solved;
    let on_time_open = c.in_progress - c.overdue;
    let mut list = vec![
        json!({
            "id": "chart-orders-day",
            "title": lang.t("dash.chart.orders_by_day"),
            "kind": "line",
            "whole": true,
            "categories": days,
            "series": [
                {"name": lang.t("dash.received"), "values": d.orders_by_day.iter().map(|c| c.received).collect::<Vec<_>>()},
                {"name": lang.t("dash.closed"), "values": d.orders_by_day.iter().map(|c| c.closed).collect::<Vec<_>>()},
            ],
            "links": d.orders_by_day.iter().map(|c| format!("/orders?unit={unit}&from={0}&to={0}", c.day)).collect::<Vec<_>>(),
        }),
        json!({
            "id": "chart-orders-status",
            "title": lang.t("dash.chart.orders_status"),
            "kind": "pie",
            "categories": [lang.t("order.solved"), lang.t("dash.unsolved"), lang.t("order.in_progress"), lang.t("order.overdue")],
            "series": [{"name": lang.t("dash.orders"), "values": [c.solved, unsolved, on_time_open, c.overdue]}],
            "links": [
                format!("/orders?unit={unit}&status=closed&{q}"),
                format!("/orders?unit={unit}&status=closed&{q}"),
                format!("/orders?unit={unit}&{q}"),
                format!("/orders?unit={unit}&overdue=true"),
            ],
        }),
    ];
    if let Some(r) = &d.ranking {
        let stars: Vec<String> = (0..=5).map(|n| format!("{n}★")).collect();
        let link = format!("/schemes/{}?unit={unit}&{q}", r.scheme_id);
        list.push(json!({
            "id": "chart-stars",
            "title": format!("{} · {}", r.scheme_name, lang.t("dash.chart.stars")),
            "kind": "bar",
            "whole": true,
            "categories": stars,
            "series": [{"name": lang.t("dash.units"), "values": r.stars}],
            "links": vec![link; 6],
        }));
    }
    if !children.is_empty() {
        // The units below, highest first. By 堡垒指数 where a scheme scores them: a unit with
        // nothing to score is left out of the bars (it is not a zero), and the table says so.
        let scored = children.iter().any(|c| c.score.is_some());
        let (title, mut bars): (String, Vec<(&ChildRow, f64)>) = if scored {
            (
                lang.t("dash.chart.children_score").to_string(),
                children.iter().filter_map(|c| c.score.map(|s| (c, (s * 10.0).round() / 10.0))).collect(),
            )
        } else {
            (lang.t("dash.chart.children_orders").to_string(), children.iter().map(|c| (c, c.orders as f64)).collect())
        };
        bars.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.name.cmp(&b.0.name)));
        list.push(json!({
            "id": "chart-children",
            "title": title,
            "kind": "bar",
            "whole": !scored,
            "categories": bars.iter().map(|(c, _)| c.name.clone()).collect::<Vec<_>>(),
            "series": [
                {"name": title, "values": bars.iter().map(|(_, v)| *v).collect::<Vec<_>>()},
            ],
            "links": bars.iter().map(|(c, _)| format!("/dashboard?unit={}&{q}", c.unit_id)).collect::<Vec<_>>(),
        }));
    }
    script_json(&serde_json::Value::Array(list))
}

/// JSON that cannot end the `<script>` element it sits in.
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    v: DashView,
}

#[derive(Template)]
#[template(path = "dashboard_screen.html")]
struct ScreenPage {
    t: Tr,
    v: DashView,
    now: String,
}

async fn load(state: &AppState, ctx: &Ctx, q: &DashboardQuery) -> Result<DashView, AppError> {
    ctx.actor.require("report:dashboard:view")?;
    let now = Utc::now();
    let span = q.span(today_in_china(now))?;
    let unit = focus(state, ctx, q.unit).await?.ok_or(DomainError::NotFound)?;
    let d = figures::dashboard(&state.dashboards, &state.db, &ctx.actor.scope, unit.id, span.from, span.to).await?;
    Ok(view(&d.dashboard, ctx.lang))
}

async fn dashboard_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DashboardQuery>) -> UiResult {
    let lang = ctx.lang;
    let v = load(&state, &ctx, &q).await.map_err(|e| e.into_html(lang))?;
    let tree = TreePanel::load(&state.db, &ctx.actor.scope, "dashboard", Some(v.unit_id))
        .await
        .map_err(|e| e.into_html(lang))?;
    render(&DashboardPage { t: Tr(lang), c: Chrome::new(&ctx, "/dashboard"), tree, v }, lang)
}

async fn screen_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DashboardQuery>) -> UiResult {
    let lang = ctx.lang;
    let v = load(&state, &ctx, &q).await.map_err(|e| e.into_html(lang))?;
    let now = super::work::local(Utc::now());
    render(&ScreenPage { t: Tr(lang), v, now }, lang)
}
