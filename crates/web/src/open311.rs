//! Open311 GeoReport v2 (<https://wiki.open311.org/GeoReport_v2/>) under `/open311/v2`, so that
//! existing 311 clients and city apps file and follow residents' requests unchanged.
//!
//! * `GET services.{json,xml}`: the active request and hazard categories.
//! * `GET services/{code}.{json,xml}`: a service definition (no extra attributes).
//! * `POST requests.{json,xml}`: files a request; `api_key` is an API token of an account allowed
//!   to take orders in, and the place is `address_id` (a division code), else a unit named in
//!   `address_string`, else the account's own unit.
//! * `GET requests.{json,xml}` (filters `service_request_id`, `service_code`, `start_date`,
//!   `end_date` — at most 90 days, the last 90 by default — and `status` `open`/`closed`) and
//!   `GET requests/{id}.{json,xml}`; `expected_datetime` is the due date of the time limit.
//!
//! Without an `api_key`, reads show only requests filed online (the channel residents choose
//! knowing their report is public), and never the caller's name or phone; with one, they show what
//! the key's account reaches. `jurisdiction_id`, when given, is the division code of the county.
//! Errors are `[{"code": 400, "description": "…"}]` in the language of `Accept-Language`.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::time::china;
use frontline_db::orders::{self, CategoryView, OrderInput, OrderQuery, OrderView};
use frontline_db::units::UnitQuery;
use serde_json::{Value, json};

use crate::auth::secret_hash;
use crate::error::esc;
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/open311/v2/{*path}", get(read).post(write))
}

/// The two formats the spec names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Splits `requests.json` into (`requests`, Json); anything else is not a resource.
fn resource(path: &str) -> Option<(&str, Format)> {
    let (stem, ext) = path.rsplit_once('.')?;
    let format = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    Some((stem, format))
}

/// An Open311 error list with its HTTP status.
struct Open311Error {
    status: StatusCode,
    descriptions: Vec<String>,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error { status, descriptions: vec![description.into()] }
    }

    fn from_app(e: AppError, lang: Lang) -> Self {
        let status = match e.status() {
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => StatusCode::BAD_REQUEST,
            s => s,
        };
        let body = e.body(lang);
        let mut descriptions: Vec<String> = body.fields.into_iter().map(|f| f.message).collect();
        if descriptions.is_empty() {
            descriptions.push(body.message);
        }
        Open311Error { status, descriptions }
    }

    fn render(self, format: Format) -> Response {
        let code = self.status.as_u16();
        let list: Vec<Value> = self.descriptions.iter().map(|d| json!({"code": code, "description": d})).collect();
        (self.status, body(format, "errors", "error", &list)).into_response()
    }
}

/// A response body in the asked format; XML is built from the same objects as JSON. An empty
/// `item` means a single object (the service definition), not a list.
fn body(format: Format, root: &str, item: &str, items: &[Value]) -> ([(header::HeaderName, &'static str); 1], String) {
    let json = match (item.is_empty(), items.first()) {
        (true, Some(one)) => one.to_string(),
        _ => Value::from(items.to_vec()).to_string(),
    };
    match format {
        Format::Json => ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], json),
        Format::Xml => ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml(root, item, items)),
    }
}

fn xml(root: &str, item: &str, items: &[Value]) -> String {
    let mut out = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><{root}>");
    for v in items {
        if !item.is_empty() {
            out.push_str(&format!("<{item}>"));
        }
        if let Value::Object(fields) = v {
            for (k, v) in fields {
                let text = match v {
                    Value::Null => String::new(),
                    Value::String(s) => esc(s),
                    Value::Array(a) if a.is_empty() => String::new(),
                    other => esc(&other.to_string()),
                };
                out.push_str(&format!("<{k}>{text}</{k}>"));
            }
        }
        if !item.is_empty() {
            out.push_str(&format!("</{item}>"));
        }
    }
    out.push_str(&format!("</{root}>"));
    out
}

fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(Lang::parse)
        .unwrap_or_default()
}

fn service(c: &CategoryView, lang: Lang) -> Value {
    json!({
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description.clone().unwrap_or_default(),
        "metadata": false,
        "type": "realtime",
        "keywords": c.keywords.clone().unwrap_or_default(),
        "group": lang.code_label("order.kind", &c.kind),
    })
}

/// The categories residents may file through Open311.
async fn services(state: &AppState) -> Result<Vec<CategoryView>, AppError> {
    Ok(orders::categories(&state.db)
        .await?
        .into_iter()
        .filter(|c| c.active && (c.kind == "request" || c.kind == "hazard"))
        .collect())
}

fn w3(t: DateTime<Utc>) -> String {
    let offset: FixedOffset = china();
    t.with_timezone(&offset).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn request_json(o: &OrderView) -> Value {
    let number = |s: &Option<String>| s.as_deref().and_then(|v| v.parse::<f64>().ok());
    json!({
        "service_request_id": o.id.to_string(),
        "status": if o.status == "closed" { "closed" } else { "open" },
        "status_notes": o.reply,
        "service_name": o.category_name,
        "service_code": o.category_code,
        "description": o.description,
        "agency_responsible": o.owner_name,
        "service_notice": Value::Null,
        "requested_datetime": w3(o.received_at),
        "updated_datetime": w3(o.updated_at),
        "expected_datetime": w3(o.due_at),
        "address": o.address.clone().unwrap_or_else(|| o.place_name.clone()),
        "address_id": o.place_code.clone().unwrap_or_else(|| o.place_unit_id.to_string()),
        "zipcode": Value::Null,
        "lat": number(&o.lat),
        "long": number(&o.lon),
        "media_url": o.media_url,
    })
}

/// The account behind an `api_key`, if any; a key that matches nothing is refused.
async fn key_actor(state: &AppState, key: Option<&str>, ip: &str) -> Result<Option<Actor>, AppError> {
    let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else { return Ok(None) };
    let uid = frontline_db::access::token_user(&state.db, &secret_hash(key)).await?.ok_or(AppError::Unauthorized)?;
    Ok(Some(frontline_db::access::load_actor(&state.db, uid, ip).await?))
}

async fn read(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(path): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&headers);
    let Some((stem, format)) = resource(&path) else {
        return Open311Error::new(StatusCode::NOT_FOUND, lang.t("error.not_found")).render(Format::Json);
    };
    match read_resource(&state, stem, &q, lang, &addr.ip().to_string()).await {
        Ok((root, item, items)) => body(format, root, item, &items).into_response(),
        Err(e) => e.render(format),
    }
}

type Listing = (&'static str, &'static str, Vec<Value>);

async fn read_resource(
    state: &AppState,
    stem: &str,
    q: &HashMap<String, String>,
    lang: Lang,
    ip: &str,
) -> Result<Listing, Open311Error> {
    let app = |e: AppError| Open311Error::from_app(e, lang);
    if stem == "services" {
        let list = services(state).await.map_err(app)?;
        return Ok(("services", "service", list.iter().map(|c| service(c, lang)).collect()));
    }
    if let Some(code) = stem.strip_prefix("services/") {
        let found = services(state).await.map_err(app)?.into_iter().find(|c| c.code == code);
        let Some(c) = found else {
            return Err(Open311Error::new(StatusCode::NOT_FOUND, lang.t("error.order.unknown_category")));
        };
        return Ok(("service_definition", "", vec![json!({"service_code": c.code, "attributes": []})]));
    }
    let actor = key_actor(state, q.get("api_key").map(String::as_str), ip).await.map_err(|e| match e {
        AppError::Unauthorized => Open311Error::new(StatusCode::FORBIDDEN, lang.t("error.open311.api_key")),
        e => app(e),
    })?;
    if let Some(actor) = &actor
        && !actor.can("order:request:list")
    {
        return Err(Open311Error::new(StatusCode::FORBIDDEN, lang.t("error.open311.api_key")));
    }
    let public = actor.is_none();
    let scope = actor.as_ref().map(|a| a.scope.clone()).unwrap_or_else(Scope::everything);
    let mut query = OrderQuery { unit: jurisdiction(state, &scope, q, lang).await?, ..Default::default() };
    if let Some(id) = stem.strip_prefix("requests/") {
        let id: i64 = id.parse().map_err(|_| Open311Error::new(StatusCode::NOT_FOUND, lang.t("error.not_found")))?;
        let found = orders::by_ids(&state.db, &scope, &[id], public).await.map_err(|e| app(e.into()))?;
        if found.is_empty() {
            return Err(Open311Error::new(StatusCode::NOT_FOUND, lang.t("error.not_found")));
        }
        return Ok(("service_requests", "request", found.iter().map(request_json).collect()));
    }
    if stem != "requests" {
        return Err(Open311Error::new(StatusCode::NOT_FOUND, lang.t("error.not_found")));
    }
    if let Some(ids) = q.get("service_request_id").filter(|s| !s.trim().is_empty()) {
        let ids: Vec<i64> = ids.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        let found = orders::by_ids(&state.db, &scope, &ids, public).await.map_err(|e| app(e.into()))?;
        return Ok(("service_requests", "request", found.iter().map(request_json).collect()));
    }
    let bad = |field: &str| {
        Open311Error::new(StatusCode::BAD_REQUEST, format!("{field}: {}", lang.t("error.open311.bad_date")))
    };
    let parse = |field: &str| -> Result<Option<DateTime<Utc>>, Open311Error> {
        match q.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => DateTime::parse_from_rfc3339(s).map(|d| Some(d.with_timezone(&Utc))).map_err(|_| bad(field)),
        }
    };
    let (start, end) = (parse("start_date")?, parse("end_date")?);
    let end = end.unwrap_or_else(Utc::now);
    let start = start.unwrap_or(end - Duration::days(90));
    if start > end || end - start > Duration::days(90) {
        return Err(Open311Error::new(StatusCode::BAD_REQUEST, lang.t("error.open311.window")));
    }
    query.category = q.get("service_code").cloned().filter(|s| !s.trim().is_empty());
    let statuses: Vec<&str> = q.get("status").map(|s| s.split(',').map(str::trim).collect()).unwrap_or_default();
    if statuses.iter().any(|s| !matches!(*s, "open" | "closed" | "")) {
        return Err(Open311Error::new(StatusCode::BAD_REQUEST, lang.t("error.open311.status")));
    }
    if statuses.contains(&"open") != statuses.contains(&"closed") {
        query.state = Some(if statuses.contains(&"open") { "open" } else { "closed" }.to_string());
    }
    let found = orders::in_window(&state.db, &scope, &query, start, end, public).await.map_err(|e| app(e.into()))?;
    Ok(("service_requests", "request", found.iter().map(request_json).collect()))
}

/// The unit a `jurisdiction_id` names (a division code), or none when absent.
async fn jurisdiction(
    state: &AppState,
    scope: &Scope,
    q: &HashMap<String, String>,
    lang: Lang,
) -> Result<Option<i64>, Open311Error> {
    let Some(code) = q.get("jurisdiction_id").map(|s| s.trim()).filter(|s| !s.is_empty()) else { return Ok(None) };
    let found = frontline_db::units::by_codes(&state.db, scope, &[code.to_string()])
        .await
        .map_err(|e| Open311Error::from_app(e.into(), lang))?;
    match found.first() {
        Some(u) => Ok(Some(u.id)),
        None => Err(Open311Error::new(StatusCode::NOT_FOUND, lang.t("error.open311.jurisdiction"))),
    }
}

async fn write(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(path): Path<String>,
    raw: Bytes,
) -> Response {
    let lang = lang_of(&headers);
    let format = match resource(&path) {
        Some(("requests", f)) => f,
        _ => return Open311Error::new(StatusCode::NOT_FOUND, lang.t("error.not_found")).render(Format::Json),
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Open311Error::new(StatusCode::BAD_REQUEST, lang.t("error.open311.bad_form")).render(format);
    }
    match file_request(&state, &raw, lang, &addr.ip().to_string()).await {
        Ok(id) => {
            let item = json!({"service_request_id": id.to_string(), "service_notice": lang.t("order.open311_notice"), "account_id": Value::Null});
            (StatusCode::CREATED, body(format, "service_requests", "request", &[item])).into_response()
        }
        Err(e) => e.render(format),
    }
}

/// The fields of a GeoReport v2 `POST requests` form (`application/x-www-form-urlencoded`), as
/// the resident's client sent them: decoded and trimmed, empty values as absent. Nothing is looked
/// up yet; this is the whole of what is read from the outside before the checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestForm {
    pub api_key: Option<String>,
    pub service_code: Option<String>,
    lat: Option<String>,
    long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub description: Option<String>,
    /// `last_name` then `first_name`, as Chinese names are written.
    pub name: String,
    pub phone: Option<String>,
    pub media_url: Option<String>,
}

impl RequestForm {
    /// Decodes a form body; the first value of a repeated key counts.
    pub fn parse(raw: &[u8]) -> RequestForm {
        let form: Vec<(String, String)> = form_urlencoded::parse(raw).into_owned().collect();
        let get = |k: &str| {
            form.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty())
        };
        RequestForm {
            api_key: get("api_key"),
            service_code: get("service_code"),
            lat: get("lat"),
            long: get("long"),
            address_string: get("address_string"),
            address_id: get("address_id"),
            description: get("description"),
            name: [get("last_name"), get("first_name")].into_iter().flatten().collect::<Vec<_>>().join(""),
            phone: get("phone"),
            media_url: get("media_url"),
        }
    }

    /// The coordinates, and that the request says where it is: an address, an address id or both
    /// coordinates. Errors are catalogue keys.
    pub fn location(&self) -> Result<(Option<f64>, Option<f64>), &'static str> {
        let number = |v: &Option<String>| match v {
            None => Ok(None),
            Some(v) => v.parse::<f64>().map(Some).map_err(|_| "error.open311.bad_location"),
        };
        let (lat, lon) = (number(&self.lat)?, number(&self.long)?);
        if self.address_string.is_none() && self.address_id.is_none() && (lat.is_none() || lon.is_none()) {
            return Err("error.open311.location");
        }
        Ok((lat, lon))
    }

    /// The order's title: the description's first 40 characters.
    pub fn title(description: &str) -> String {
        description.chars().take(40).collect()
    }
}

async fn file_request(state: &AppState, raw: &[u8], lang: Lang, ip: &str) -> Result<i64, Open311Error> {
    let bad = |key: &str| Open311Error::new(StatusCode::BAD_REQUEST, lang.t(key));
    let form = RequestForm::parse(raw);
    let actor = key_actor(state, form.api_key.as_deref(), ip)
        .await
        .map_err(|e| match e {
            AppError::Unauthorized => Open311Error::new(StatusCode::FORBIDDEN, lang.t("error.open311.api_key")),
            e => Open311Error::from_app(e, lang),
        })?
        .ok_or_else(|| Open311Error::new(StatusCode::FORBIDDEN, lang.t("error.open311.api_key")))?;
    if !actor.can("order:request:intake") {
        return Err(Open311Error::new(StatusCode::FORBIDDEN, lang.t("error.open311.api_key")));
    }
    let code = form.service_code.clone().ok_or_else(|| bad("error.open311.service_code"))?;
    let category = orders::category_by_code(&state.db, &code)
        .await
        .map_err(|e| Open311Error::from_app(e.into(), lang))?
        .filter(|c| c.kind == "request" || c.kind == "hazard")
        .ok_or_else(|| bad("error.order.unknown_category"))?;
    let (lat, lon) = form.location().map_err(bad)?;
    let place = place_of(state, &actor.scope, form.address_id.as_deref(), form.address_string.as_deref())
        .await
        .map_err(|e| Open311Error::from_app(e, lang))?
        .ok_or_else(|| bad("error.open311.place"))?;
    let description = form.description.unwrap_or_else(|| category.name.clone());
    let input = OrderInput {
        category: category.code,
        channel: "online".into(),
        place_unit_id: place,
        title: RequestForm::title(&description),
        description,
        address: form.address_string.unwrap_or_default(),
        lat,
        lon,
        media_url: form.media_url.unwrap_or_default(),
        reporter_name: form.name,
        reporter_phone: form.phone.unwrap_or_default(),
        enterprise_id: None,
        received_at: None,
    };
    let now = frontline_core::time::Timing::at(chrono::Utc::now());
    orders::intake(&state.db, &actor, &input, now).await.map_err(|e| Open311Error::from_app(e.into(), lang))
}

/// Where a request happened: the unit with the division code `address_id` among the key's units;
/// else the most specific of the key's villages the address names; else, when the address names
/// nothing, the key's own unit if it is a single village or a unit below one. A place outside the
/// key's units is refused (never filed in the key's own village), and a key reaching a county or
/// more must say where (never filed at its root).
async fn place_of(
    state: &AppState,
    scope: &Scope,
    address_id: Option<&str>,
    address: Option<&str>,
) -> Result<Option<i64>, AppError> {
    if let Some(code) = address_id {
        let found = frontline_db::units::by_codes(&state.db, scope, &[code.to_string()]).await?;
        return match found.first() {
            Some(u) => Ok(Some(u.id)),
            None => Err(DomainError::invalid("address_id", "error.open311.unknown_address_id").into()),
        };
    }
    if let Some(address) = address {
        let candidates = frontline_db::units::list_all(
            &state.db,
            scope,
            &UnitQuery { kind: Some("village".into()), ..Default::default() },
            5000,
        )
        .await?;
        if let Some(u) =
            candidates.iter().filter(|u| address.contains(u.name.as_str())).max_by_key(|u| u.name.chars().count())
        {
            return Ok(Some(u.id));
        }
        if frontline_db::units::names_a_village(&state.db, address).await? {
            return Err(DomainError::invalid("address_string", "error.open311.place_outside").into());
        }
    }
    let roots = frontline_db::units::roots(&state.db, scope).await?;
    let village_or_below = |kind: &str| {
        frontline_core::units::UnitKind::parse(kind).and_then(|k| k.territorial_rank()).is_some_and(|rank| rank >= 4)
    };
    Ok(match roots.as_slice() {
        [only] if village_or_below(&only.kind) => Some(only.id),
        _ => None,
    })
}
