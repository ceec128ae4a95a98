//! The UI: server-rendered pages (askama) with htmx for the tree, dialogs and form posts.
//!
//! Layout follows the admin systems officials already know (RuoYi): menu on the left, the unit
//! tree beside each list, a query form, a toolbar, a paged table and dialogs for forms. Every
//! string comes from the catalogue through `t`.

pub mod appraisals;
pub mod assets;
pub mod bulletins;
pub mod dashboard;
pub mod duty;
pub mod indicators;
pub mod jobs;
pub mod life;
pub mod orders;
pub mod password_change;
pub mod people;
pub mod second_factor;
pub mod security;
pub mod supervision;
pub mod system;
pub mod todo;
pub mod units;
pub mod weak;
pub mod work;
pub mod work_meetings;
pub mod work_roster;
pub mod work_surveys;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use frontline_db::Page;

use crate::auth::{self, Ctx, LANG_COOKIE, LOGIN_CSRF_COOKIE, UiLang};
use crate::i18n::{Lang, Tr};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(duty::home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/static/{file}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/sw.js", get(assets::service_worker))
        .route("/manifest.webmanifest", get(assets::manifest))
        .merge(units::router())
        .merge(people::router())
        .merge(system::router())
        .merge(todo::router())
        .merge(second_factor::router())
        .merge(password_change::router())
        .merge(security::router())
        .merge(duty::router())
        .merge(work::router())
        .merge(work_roster::router())
        .merge(work_meetings::router())
        .merge(life::router())
        .merge(weak::router())
        .merge(work_surveys::router())
        .merge(orders::router())
        .merge(supervision::router())
        .merge(indicators::router())
        .merge(appraisals::router())
        .merge(bulletins::router())
        .merge(dashboard::router())
        .merge(jobs::router())
}

/// A UI handler's result: a page or fragment, or an error already rendered for the user.
pub type UiResult = Result<Response, Response>;

/// Runs a change and answers with a page refresh, or the error fragment.
pub async fn change<F>(lang: Lang, f: F) -> UiResult
where
    F: std::future::Future<Output = Result<(), AppError>>,
{
    f.await.map_err(|e| e.into_html(lang))?;
    Ok(refresh())
}

/// The unit a page is about: the one asked for, or the top of the caller's scope.
pub async fn focus(
    state: &AppState,
    ctx: &Ctx,
    unit: Option<i64>,
) -> Result<Option<frontline_db::units::UnitView>, AppError> {
    let scope = &ctx.actor.scope;
    match unit {
        Some(id) => Ok(Some(frontline_db::units::get(&state.db, scope, id).await?)),
        None => Ok(frontline_db::units::roots(&state.db, scope).await?.into_iter().next()),
    }
}

/// Renders a template, or a translated error fragment.
pub fn render<T: Template>(tpl: &T, lang: Lang) -> UiResult {
    tpl.render().map(|html| Html(html).into_response()).map_err(|e| AppError::Internal(e.to_string()).into_html(lang))
}

/// Tells htmx to reload the page (after a successful change in a dialog).
pub fn refresh() -> Response {
    (StatusCode::OK, [("HX-Refresh", "true")], "").into_response()
}

/// Tells htmx to go to another page.
pub fn redirect(to: &str) -> Response {
    match axum::http::HeaderValue::from_str(to) {
        Ok(v) => {
            let mut r = (StatusCode::OK, "").into_response();
            r.headers_mut().insert("HX-Redirect", v);
            r
        }
        Err(_) => refresh(),
    }
}

/// One entry of the left menu.
pub struct MenuItem {
    pub href: &'static str,
    pub label_key: &'static str,
    pub active: bool,
}

/// A folder of the left menu (RuoYi's 目录): its entries the user may open; open when it holds
/// the page shown.
pub struct MenuGroup {
    pub label_key: &'static str,
    pub items: Vec<MenuItem>,
    pub open: bool,
}

/// Where the page shown sits in the menu (the breadcrumb): the folder and the entry, which links
/// back to its list from a detail page.
pub struct Crumb {
    pub group_key: &'static str,
    pub label_key: &'static str,
    pub href: &'static str,
}

/// An entry of the menu as written: its address, its label's catalogue key and the permission
/// that shows it (empty: everyone's).
type MenuEntry = (&'static str, &'static str, &'static str);

/// The left menu: folders in the order of the work (the day's work, supervision, judgement,
/// honours, the organisation, the system), each entry with the permission that shows it (none:
/// everyone's).
const MENU: &[(&str, &[MenuEntry])] = &[
    (
        "nav.group.desk",
        &[
            ("/dashboard", "nav.dashboard", "report:dashboard:view"),
            ("/todo", "nav.todo", ""),
            ("/today", "nav.today", "work:task:list"),
            ("/me", "nav.me", "duty:role:claim"),
            ("/ledger", "nav.ledger", "work:task:list"),
        ],
    ),
    (
        "nav.group.work",
        &[
            ("/work/verify", "nav.work_verify", "work:task:verify"),
            ("/work/lists", "nav.task_lists", "work:task:edit"),
            ("/work/rosters", "nav.rosters", "work:roster:list"),
            ("/work/dispatch", "nav.dispatch", "work:task:verify"),
            ("/work/households", "nav.households", "work:survey:fill"),
            ("/work/surveys", "nav.surveys", "work:survey:edit"),
            ("/work/meetings", "nav.meetings", "work:meeting:list"),
            ("/life", "nav.life", "work:life:list"),
            ("/orders", "nav.orders", "order:request:list"),
            ("/orders/settings", "nav.order_settings", "order:setting:edit"),
        ],
    ),
    (
        "nav.group.supervision",
        &[
            ("/inspections/mine", "nav.my_visits", "inspect:visit:log"),
            ("/inspections", "nav.inspections", "inspect:round:list"),
            ("/findings", "nav.findings", "inspect:finding:list"),
            ("/accountability", "nav.accountability", "account:action:list"),
            ("/burden", "nav.burden", "inspect:burden:list"),
        ],
    ),
    (
        "nav.group.judge",
        &[
            ("/schemes", "nav.schemes", "judge:scheme:list"),
            ("/score-runs", "nav.score_runs", "judge:score:list"),
            ("/laggard-plans", "nav.laggard_plans", "judge:laggard:list"),
            ("/weak", "nav.weak", "judge:weak:list"),
            ("/bulletins", "nav.bulletins", "report:bulletin:list"),
            ("/appraisals", "nav.appraisals", "judge:appraisal:list"),
            ("/talent", "nav.talent", "judge:appraisal:list"),
            ("/candidates", "nav.candidates", "judge:appraisal:list"),
            ("/reviews", "nav.reviews", "judge:review:list"),
        ],
    ),
    (
        "nav.group.honour",
        &[
            ("/commendations", "nav.commendations", "honour:commend:list"),
            ("/deeds", "nav.deeds", "honour:deed:list"),
            ("/selections", "nav.selections", "honour:selection:list"),
            ("/care", "nav.care", "honour:care:list"),
        ],
    ),
    (
        "nav.group.structure",
        &[
            ("/units", "nav.units", "units:unit:list"),
            ("/people", "nav.people", "people:person:list"),
            ("/posts", "nav.posts", "people:post:list"),
            ("/duty", "nav.duty", "duty:link:list"),
            ("/duty/coverage", "nav.coverage", "duty:link:list"),
            ("/duty/roles", "nav.role_posts", "duty:role:approve"),
            ("/duty/pairing", "nav.pairing", "duty:pairing:run"),
            ("/duty/deployments", "nav.deployments", "duty:deploy:list"),
        ],
    ),
    (
        "nav.group.system",
        &[
            ("/users", "nav.users", "system:user:list"),
            ("/roles", "nav.roles", "system:role:list"),
            ("/audit", "nav.audit", "system:audit:list"),
            ("/security", "nav.security", "system:security:list"),
        ],
    ),
];

/// What every page around its content shows: the user, the menu, the CSRF token for htmx.
pub struct Chrome {
    pub user_name: String,
    /// The account's id: the phone's queue of changes made offline is sent only by that account.
    pub user_id: i64,
    pub csrf: String,
    pub menu: Vec<MenuGroup>,
    /// The page's place in the menu, if it has one.
    pub crumb: Option<Crumb>,
    /// The user's landing page (首页 of the breadcrumb).
    pub home: &'static str,
    /// The tab bar at the bottom of a phone's screen (今日 / 待办 / 工单 / 我的), after the
    /// workbench of 浙政钉/钉钉: the user's own work, one tap away.
    pub tabs: Vec<MenuItem>,
    pub unread: i64,
}

/// Where a user lands after logging in: their own work, read from what they may do (roles are
/// editable, so not from the role's name). The administrator: the unit tree; those who run
/// supervision (township and county): their dashboard; a secretary who checks lists: the 待办
/// centre (lists to check, findings to rectify, orders to sign for); an inspector: their visits;
/// whoever signs lists (grid worker, member): today's work.
pub fn landing(actor: &frontline_core::access::Actor) -> &'static str {
    if actor.can("*:*:*") {
        "/units"
    } else if actor.can("inspect:round:add") && actor.can("report:dashboard:view") {
        "/dashboard"
    } else if actor.can("work:task:verify") {
        "/todo"
    } else if actor.can("inspect:visit:log") {
        "/inspections/mine"
    } else if actor.can("work:task:list") {
        "/today"
    } else if actor.can("system:user:list") {
        "/users"
    } else if actor.can("system:audit:list") {
        "/audit"
    } else if actor.can("system:security:list") {
        "/security"
    } else {
        "/me"
    }
}

/// The phone's tab bar: today, what waits on the user (待办), work orders, and their own page.
fn tabs(actor: &frontline_core::access::Actor, active: &str) -> Vec<MenuItem> {
    [
        actor.can("work:task:list").then_some(("/today", "tab.today")),
        Some(("/todo", "tab.todo")),
        actor.can("order:request:list").then_some(("/orders", "tab.orders")),
        Some(("/me", "tab.me")),
    ]
    .into_iter()
    .flatten()
    .map(|(href, label_key)| MenuItem { href, label_key, active: href == active })
    .collect()
}

impl Chrome {
    pub fn new(ctx: &Ctx, active: &str) -> Chrome {
        let actor = &ctx.actor;
        // Published deeds are read by everyone with a person record (see `honours::published_deeds_for`).
        let shown = |href: &str, perm: &str| {
            perm.is_empty() || actor.can(perm) || (href == "/deeds" && actor.scope.person_id.is_some())
        };
        let mut crumb = None;
        let mut menu = Vec::new();
        for (group_key, entries) in MENU {
            let mut items = Vec::new();
            for (href, label_key, perm) in entries.iter() {
                if !shown(href, perm) {
                    continue;
                }
                if *href == active {
                    crumb = Some(Crumb { group_key, label_key, href });
                }
                items.push(MenuItem { href, label_key, active: *href == active });
            }
            if !items.is_empty() {
                let open = items.iter().any(|i| i.active);
                menu.push(MenuGroup { label_key: group_key, items, open });
            }
        }
        Chrome {
            user_name: ctx.actor.name.clone(),
            user_id: ctx.actor.user_id.unwrap_or_default(),
            csrf: ctx.csrf.clone(),
            unread: ctx.unread,
            tabs: tabs(actor, active),
            home: landing(actor),
            crumb,
            menu,
        }
    }
}

/// The pager under a table.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub per_page: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The page sizes to choose from (RuoYi's 每页条数): the size, its link (back to page 1),
    /// and whether it is the size shown. Empty where the list's size is fixed.
    pub sizes: Vec<(i64, String, bool)>,
}

/// The page sizes a list offers.
const PAGE_SIZES: [i64; 3] = [20, 50, 100];

impl Pager {
    /// The pager of a page's list, whose handler reads `page` and `per_page` from the query;
    /// `query` is the page's other query string pairs. The size chosen stays on every link.
    pub fn new<T>(path: &str, query: &[(&str, String)], p: &Page<T>) -> Pager {
        let url = |page: i64, per_page: i64| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                if !v.is_empty() {
                    s.append_pair(k, v);
                }
            }
            s.append_pair("page", &page.to_string());
            s.append_pair("per_page", &per_page.to_string());
            format!("{path}?{}", s.finish())
        };
        let pages = ((p.total + p.per_page - 1) / p.per_page).max(1);
        Pager {
            page: p.page,
            pages,
            total: p.total,
            per_page: p.per_page,
            prev: (p.page > 1).then(|| url(p.page - 1, p.per_page)),
            next: (p.page < pages).then(|| url(p.page + 1, p.per_page)),
            sizes: PAGE_SIZES.iter().map(|&n| (n, url(1, n), n == p.per_page)).collect(),
        }
    }

    /// The pager of one of several lists on a page (or of a list of a fixed size), whose page
    /// number is the query parameter `param`; `query` holds the other lists' page numbers so that
    /// they stay where they are.
    pub fn named<T>(path: &str, query: &[(&str, String)], param: &str, p: &Page<T>) -> Pager {
        let pages = ((p.total + p.per_page - 1) / p.per_page).max(1);
        let url = |page: i64| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                if !v.is_empty() {
                    s.append_pair(k, v);
                }
            }
            s.append_pair(param, &page.to_string());
            format!("{path}?{}", s.finish())
        };
        Pager {
            page: p.page,
            pages,
            total: p.total,
            per_page: p.per_page,
            prev: (p.page > 1).then(|| url(p.page - 1)),
            next: (p.page < pages).then(|| url(p.page + 1)),
            sizes: Vec::new(),
        }
    }
}

/// A change made on a phone without signal, as the one who checks it sees it (`phone_times.html`):
/// when the phone says it was done, when it reached the server, and whether the phone's time was
/// believed (it counts) or not (the arrival counts; see `Timing::trusted`).
pub struct PhoneTimes {
    pub device: String,
    pub arrived: String,
    pub believed: bool,
}

impl PhoneTimes {
    /// For a change the phone dated `device` that arrived at `arrived`; none for one made online.
    pub fn of(
        device: Option<chrono::DateTime<chrono::Utc>>,
        arrived: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Option<PhoneTimes> {
        let (device, arrived) = device.zip(arrived)?;
        let believed = frontline_core::time::Timing { received: arrived, device: Some(device) }.device_believed();
        let shown = |t: chrono::DateTime<chrono::Utc>| {
            t.with_timezone(&frontline_core::time::china()).format("%Y-%m-%d %H:%M").to_string()
        };
        Some(PhoneTimes { device: shown(device), arrived: shown(arrived), believed })
    }
}

/// A submitted form as a multimap (checkbox groups repeat their name).
pub struct FormData(Vec<(String, String)>);

/// A form that may carry a photo of evidence: sent as a multipart form by the page (its fields,
/// `photo` a file, `latitude` and `longitude` where the user ticked to send the place), or as a
/// plain form without a photo.
pub async fn form_with_photo(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<(FormData, Option<frontline_db::evidence::PhotoEvidence>), AppError> {
    use axum::extract::FromRequest;
    let bad = || AppError::from(frontline_core::DomainError::invalid("photo", "error.bad_request"));
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(request, state).await.map_err(|_| bad())?;
        return Ok((FormData::parse(&body), None));
    }
    let mut form = axum::extract::Multipart::from_request(request, state).await.map_err(|_| bad())?;
    let (mut fields, mut photo) = (Vec::new(), None);
    while let Some(field) = form.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            let content_type = field.content_type().unwrap_or("").to_string();
            let data = field.bytes().await.map_err(|_| bad())?.to_vec();
            photo = Some((content_type, data)).filter(|p| !p.1.is_empty());
        } else {
            fields.push((name, field.text().await.map_err(|_| bad())?));
        }
    }
    let form = FormData(fields);
    let number = |key: &str| form.get(key).trim().parse::<f64>().ok();
    let place = number("latitude").zip(number("longitude"));
    let photo = photo.map(|(content_type, data)| {
        frontline_db::evidence::PhotoEvidence::Sent(frontline_db::evidence::Upload { content_type, data, place })
    });
    Ok((form, photo))
}

impl FormData {
    pub fn parse(body: &Bytes) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> String {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
    }

    /// A whole number, or a field error naming it.
    pub fn id(&self, key: &str) -> Result<i64, AppError> {
        self.get(key)
            .trim()
            .parse()
            .map_err(|_| AppError::Domain(frontline_core::DomainError::invalid(key, "error.required")))
    }

    /// A date that must be given.
    pub fn date(&self, key: &str) -> Result<chrono::NaiveDate, AppError> {
        Ok(frontline_core::time::required_date(key, &self.get(key))?)
    }

    /// A date that may be left empty.
    pub fn opt_date(&self, key: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
        Ok(frontline_core::time::parse_date(key, &self.get(key))?)
    }

    pub fn opt_id(&self, key: &str) -> Result<Option<i64>, AppError> {
        let v = self.get(key);
        if v.trim().is_empty() { Ok(None) } else { self.id(key).map(Some) }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    csrf: String,
    error: Option<String>,
}

async fn login_page(State(state): State<AppState>, UiLang(lang): UiLang) -> UiResult {
    let csrf = auth::random_token();
    let mut r = render(&LoginPage { t: Tr(lang), csrf: csrf.clone(), error: None }, lang)?;
    if let Ok(v) = auth::cookie_header(&state, LOGIN_CSRF_COOKIE, &csrf, 3600).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Logs in from the form. The login form is protected by a double-submit token: the header
/// htmx sends must match the cookie the login page set.
async fn login(State(state): State<AppState>, headers: HeaderMap, req: axum::extract::Request) -> UiResult {
    let (parts, body) = req.into_parts();
    let lang = auth::ui_lang(&parts);
    let ip = auth::client_ip(&parts);
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| AppError::BadRequest("error.bad_request", String::new()).into_html(lang))?;
    let form = FormData::parse(&body);
    let sent = headers.get(auth::CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let expected = auth::cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        return Err(AppError::Csrf.into_html(lang));
    }
    let user_id = auth::check_login(&state, &form.get("username"), &form.get("password"), &ip)
        .await
        .map_err(|e| e.into_html(lang))?;
    // Any session the browser had before is ended: a new session id every login.
    if let Some(old) = auth::cookie(&parts, auth::SESSION_COOKIE) {
        let _ = frontline_db::access::delete_session(&state.db, &auth::secret_hash(&old)).await;
    }
    // An account with a second factor logs in only once the code is given; one whose password
    // must be changed, only once it is; one whose role asks for a factor it has not set up, only
    // to set it up.
    auth::advance(&state, None, user_id, &ip, false).await.map_err(|e| e.into_html(lang))
}

/// Ends the session in the database and clears its cookie.
async fn logout(State(state): State<AppState>, ctx: Ctx, req: axum::extract::Request) -> UiResult {
    let (parts, _) = req.into_parts();
    if let Some(secret) = auth::cookie(&parts, auth::SESSION_COOKIE) {
        frontline_db::access::delete_session(&state.db, &auth::secret_hash(&secret))
            .await
            .map_err(|e| AppError::from(e).into_html(ctx.lang))?;
    }
    let mut r = redirect("/login");
    if let Ok(v) = auth::cookie_header(&state, auth::SESSION_COOKIE, "", 0).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    // Pages are kept by the browser to be checked again (`http_cache`); none stays after logout.
    r.headers_mut().insert(HeaderName::from_static("clear-site-data"), HeaderValue::from_static("\"cache\""));
    Ok(r)
}

/// Switches the UI language and goes back where the user was.
async fn set_lang(State(state): State<AppState>, Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string())))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/units".to_string());
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = auth::cookie_header(&state, LANG_COOKIE, lang.code(), 365 * 24 * 3600).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
