//! Work orders in the store (003.8, 001.4): categories, the counties' working calendars, intake
//! with routing to the owning unit, every lifecycle step (timeline, audit, records, notices), the
//! scoped lists, the three rates per unit, and the overdue escalation the jobs loop runs.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, optional_text, text};
use frontline_core::orders::{
    self, CallBackRule, Channel, OrderCounts, OrderKind, OrderState, OrderStatus, Step, Supervision, WorkCalendar,
};
use frontline_core::people::validate_phone;
use frontline_core::records::RecordKind;
use frontline_core::time::{Timing, start_of_china_day};
use frontline_core::units::{path_ids, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::records::{self, NewRecord};
use crate::succession::notify;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A category of work orders; the request and hazard categories are also the Open311 services.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CategoryView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// The unit level that owns such orders (`village`, `township`, `county`).
    pub handled_at: String,
    /// The time limit, in working days.
    pub sla_days: i64,
    pub description: Option<String>,
    pub keywords: Option<String>,
    pub active: bool,
}

const CATEGORY_COLUMNS: &str = "id, code, name, kind, handled_at, sla_days, description, keywords, active";

/// A category as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CategoryInput {
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,40}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    #[schema(value_type = frontline_core::orders::OrderKind)]
    pub kind: String,
    #[schema(schema_with = handling_levels)]
    pub handled_at: String,
    #[schema(minimum = 1, maximum = 60)]
    pub sla_days: i64,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: String,
}

/// The levels an order may be owned at.
pub const HANDLING_LEVELS: [&str; 4] = ["grid", "village", "township", "county"];

/// The cards a supervisor gives (黄牌, 红牌) in the API document.
fn supervision_cards() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_schema([Supervision::Yellow, Supervision::Red].map(Supervision::as_str))
}

/// [`HANDLING_LEVELS`] in the API document.
fn handling_levels() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_schema(HANDLING_LEVELS)
}

/// All categories, active first.
pub async fn categories(db: &Db) -> Result<Vec<CategoryView>, DbError> {
    db.all(&Sql::new(&format!("SELECT {CATEGORY_COLUMNS} FROM order_categories ORDER BY active DESC, kind, code")))
        .await
}

/// One active category by its code (the Open311 `service_code`).
pub async fn category_by_code(db: &Db, code: &str) -> Result<Option<CategoryView>, DbError> {
    db.opt(&Sql::with(
        &format!("SELECT {CATEGORY_COLUMNS} FROM order_categories WHERE code = $1 AND active = TRUE"),
        vec![code.into()],
    ))
    .await
}

/// Adds a category (county-wide settings).
pub async fn create_category(db: &Db, actor: &Actor, c: &CategoryInput) -> Result<i64, DbError> {
    actor.require("order:setting:edit")?;
    let mut p = Problems::new();
    let code = c.code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        p.add("code", "error.order.bad_code");
    }
    let name = p.check(text("name", &c.name, 40));
    if OrderKind::parse(&c.kind).is_none() {
        p.add("kind", "error.order.kind");
    }
    if !HANDLING_LEVELS.contains(&c.handled_at.as_str()) {
        p.add("handled_at", "error.order.handled_at");
    }
    if !(1..=60).contains(&c.sla_days) {
        p.add("sla_days", "error.out_of_range");
    }
    let description = p.check(optional_text("description", &c.description, 500)).flatten();
    let keywords = p.check(optional_text("keywords", &c.keywords, 200)).flatten();
    p.into_result()?;
    let mut tx = db.begin().await?;
    if tx.count(&Sql::with("SELECT COUNT(*) FROM order_categories WHERE code = $1", vec![code.into()])).await? > 0 {
        return Err(DomainError::invalid("code", "error.order.code_taken").into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO order_categories (code, name, kind, handled_at, sla_days, description, keywords, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8) RETURNING id",
            vec![
                code.into(),
                name.clone().into(),
                c.kind.clone().into(),
                c.handled_at.clone().into(),
                c.sla_days.into(),
                description.into(),
                keywords.into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "order_category.create",
            object_kind: "order_category",
            object_id: Some(id),
            unit_path: None,
            before: serde_json::Value::Null,
            after: json!({"code": code, "name": name, "kind": c.kind, "handled_at": c.handled_at, "sla_days": c.sla_days}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A day that differs from the weekday rule in a county's calendar.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub working: bool,
    pub name: String,
}

/// The county whose calendar applies to a unit: the unit itself or its nearest county ancestor.
async fn county_of(tx: &mut Tx, path: &str) -> Result<Option<i64>, DbError> {
    let ids = path_ids(path);
    let mut sql = Sql::new("SELECT id FROM units WHERE kind = 'county' AND id IN ");
    sql.bind_list(ids.iter().copied());
    sql.push(" ORDER BY depth DESC LIMIT 1");
    Ok(tx.opt::<(i64,)>(&sql).await?.map(|r| r.0))
}

/// The working calendar that applies to a unit (its county's).
async fn calendar_for(tx: &mut Tx, path: &str) -> Result<WorkCalendar, DbError> {
    let county = county_of(tx, path).await?;
    let mut cal = WorkCalendar::default();
    if let Some(county) = county {
        let days: Vec<CalendarDay> = tx
            .all(&Sql::with("SELECT day, working, name FROM calendar_days WHERE county_id = $1", vec![county.into()]))
            .await?;
        cal.exceptions = days.into_iter().map(|d| (d.day, d.working)).collect::<BTreeMap<_, _>>();
    }
    Ok(cal)
}

/// The calendar days a county has set, in date order.
pub async fn calendar_days(db: &Db, scope: &Scope, county: i64) -> Result<Vec<CalendarDay>, DbError> {
    units::get(db, scope, county).await?;
    db.all(&Sql::with(
        "SELECT day, working, name FROM calendar_days WHERE county_id = $1 ORDER BY day",
        vec![county.into()],
    ))
    .await
}

/// Sets one day of a county's calendar (a holiday, or a weekend worked); setting a day again
/// replaces it. Orders already received keep their due date.
pub async fn set_calendar_day(
    db: &Db,
    actor: &Actor,
    county: i64,
    day: NaiveDate,
    working: bool,
    name: &str,
) -> Result<(), DbError> {
    actor.require("order:setting:edit")?;
    let name = text("name", name, 40).map_err(|e| DbError::from(vec![e]))?;
    let mut tx = db.begin().await?;
    let mut sql = Sql::new("SELECT path, kind FROM units u WHERE u.id = ");
    sql.bind(county).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let (path, kind): (String, String) = tx.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    if kind != "county" {
        return Err(DomainError::invalid("county_id", "error.order.not_a_county").into());
    }
    tx.execute(&Sql::with(
        "DELETE FROM calendar_days WHERE county_id = $1 AND day = $2",
        vec![county.into(), day.into()],
    ))
    .await?;
    tx.execute(&Sql::with(
        "INSERT INTO calendar_days (county_id, day, working, name) VALUES ($1, $2, $3, $4)",
        vec![county.into(), day.into(), working.into(), name.clone().into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "calendar.set",
            object_kind: "calendar_day",
            object_id: Some(county),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"day": day, "working": working, "name": name}),
        },
    )
    .await?;
    tx.commit().await
}

/// A new order as taken in.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OrderInput {
    /// The category code (Open311 `service_code`).
    pub category: String,
    /// How it came in (`collection_point`, `hotline`, `letter`, `visit`, `online`, `patrol`, `enterprise_link`).
    #[schema(value_type = frontline_core::orders::Channel)]
    pub channel: String,
    /// Where it happened: a unit the caller reaches (a village, a grid…).
    pub place_unit_id: i64,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    #[schema(min_length = 1, max_length = 4000)]
    pub description: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub address: String,
    #[serde(default)]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    #[serde(default)]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: Option<f64>,
    /// A photo or document on the web (`http://` or `https://`), or blank.
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^ *(https?://[^\x00-\x1f\x7f-\x9f]*)?$")]
    pub media_url: String,
    /// The caller's name and phone, only for the call-back; optional, masked in lists.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub reporter_name: String,
    #[serde(default)]
    #[schema(pattern = r"^[ \t\n\r]*[ -]*(1([ -]*[0-9]){10})?[ -]*[ \t\n\r]*$")]
    pub reporter_phone: String,
    /// For an enterprise problem: the enterprise (a unit of kind `enterprise`).
    #[serde(default)]
    pub enterprise_id: Option<i64>,
    /// When it was received, for orders entered after the fact; now if absent or `""`.
    #[serde(default, deserialize_with = "blank_as_none")]
    #[schema(schema_with = optional_instant)]
    pub received_at: Option<DateTime<Utc>>,
}

/// An optional instant where `""` (as a form sends it) means "not given".
fn blank_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match <Option<String> as serde::Deserialize>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s.trim().parse::<DateTime<Utc>>().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A date and time (RFC 3339), `""` or null.
fn optional_instant() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .item(ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build()
        .into()
}

/// Takes an order in (受理), routes it to the owning unit by category and place (派单) and starts
/// its clock. Returns the new order's id. A request taken down on a phone without signal is
/// received at the phone's time where believed; both times are kept.
pub async fn intake(db: &Db, actor: &Actor, input: &OrderInput, when: Timing) -> Result<i64, DbError> {
    actor.require("order:request:intake")?;
    let now = when.received;
    let received = input.received_at.unwrap_or(when.trusted());
    let mut p = Problems::new();
    let category = category_by_code(db, input.category.trim()).await?;
    if category.is_none() {
        p.add("category", "error.order.unknown_category");
    }
    if Channel::parse(&input.channel).is_none() {
        p.add("channel", "error.order.channel");
    }
    let title = p.check(text("title", &input.title, 80));
    let description = p.check(text("description", &input.description, 4000));
    let address = p.check(optional_text("address", &input.address, 200)).flatten();
    let media_url = p.check(optional_text("media_url", &input.media_url, 500)).flatten();
    if media_url.as_deref().is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
        p.add("media_url", "error.order.bad_url");
    }
    let reporter_name = p.check(optional_text("reporter_name", &input.reporter_name, 40)).flatten();
    let reporter_phone = p.check(validate_phone("reporter_phone", &input.reporter_phone)).flatten();
    let lat = coordinate(&mut p, "lat", input.lat, 90.0);
    let lon = coordinate(&mut p, "lon", input.lon, 180.0);
    if received > now + chrono::Duration::minutes(5) {
        p.add("received_at", "error.order.future");
    }
    p.into_result()?;
    let (Some(category), Some(title), Some(description)) = (category, title, description) else {
        return Err(DomainError::invalid("category", "error.order.unknown_category").into());
    };
    let mut tx = db.begin().await?;
    let mut sql = Sql::new("SELECT path, closed FROM units u WHERE u.id = ");
    sql.bind(input.place_unit_id).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let (place_path, closed): (String, bool) =
        tx.opt(&sql).await?.ok_or_else(|| DomainError::invalid("place_unit_id", "error.order.unknown_place"))?;
    if closed {
        return Err(DomainError::invalid("place_unit_id", "error.unit.parent_closed").into());
    }
    if let Some(e) = input.enterprise_id {
        let mut sql = Sql::new("SELECT COUNT(*) FROM units u WHERE u.kind = 'enterprise' AND u.id = ");
        sql.bind(e).push(" AND ");
        push_scope(&mut sql, "u.path", &actor.scope);
        if tx.count(&sql).await? == 0 {
            return Err(DomainError::invalid("enterprise_id", "error.order.unknown_enterprise").into());
        }
    }
    let mut kinds = Sql::new("SELECT id, kind FROM units WHERE id IN ");
    kinds.bind_list(path_ids(&place_path));
    kinds.push(" ORDER BY depth");
    let path_kinds: Vec<(i64, String)> = tx.all(&kinds).await?;
    let pairs: Vec<(i64, &str)> = path_kinds.iter().map(|(id, k)| (*id, k.as_str())).collect();
    let owner = orders::owning_unit(&pairs, &category.handled_at);
    let calendar = calendar_for(&mut tx, &place_path).await?;
    let due = calendar.due_at(received, category.sla_days);
    let status = if owner.is_some() { OrderStatus::Dispatched } else { OrderStatus::Received };
    let owner_unit = owner.unwrap_or(input.place_unit_id);
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO work_orders (category_id, kind, channel, place_unit_id, owner_unit_id, status, title, description, \
             address, lat, lon, media_url, reporter_name, reporter_phone, enterprise_id, received_at, due_at, dispatched_at, updated_at, \
             taken_in_by, device_at, arrived_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id",
            vec![
                category.id.into(),
                category.kind.clone().into(),
                input.channel.clone().into(),
                input.place_unit_id.into(),
                owner_unit.into(),
                status.as_str().into(),
                title.clone().into(),
                description.into(),
                address.into(),
                lat.into(),
                lon.into(),
                media_url.into(),
                reporter_name.into(),
                reporter_phone.into(),
                input.enterprise_id.into(),
                received.into(),
                due.into(),
                owner.map(|_| received).into(),
                now.into(),
                actor.scope.person_id.into(),
                when.device.into(),
                when.received.into(),
            ],
        ))
        .await?;
    let steps = Steps { actor, order: id, when };
    steps.log(&mut tx, "receive", OrderStatus::Received, OrderStatus::Received, None, None, received).await?;
    if owner.is_some() {
        steps.log(&mut tx, "dispatch", OrderStatus::Received, status, Some(owner_unit), None, received).await?;
        notify_owner(&mut tx, owner_unit, None, "order_dispatched", json!({"title": title})).await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "order.intake",
            object_kind: "work_order",
            object_id: Some(id),
            unit_path: Some(&place_path),
            before: serde_json::Value::Null,
            after: json!({"category": category.code, "channel": input.channel, "title": title, "owner_unit_id": owner_unit, "due_at": due}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn coordinate(p: &mut Problems, field: &str, v: Option<f64>, limit: f64) -> Option<String> {
    let v = v?;
    if !v.is_finite() || v.abs() > limit {
        p.add(field, "error.out_of_range");
        return None;
    }
    Some(format!("{v:.6}"))
}

/// Who takes steps on one order in one change, and when the change was made (for a step sent from
/// a phone without signal, the phone's time beside the arrival).
struct Steps<'a> {
    actor: &'a Actor,
    order: i64,
    when: Timing,
}

impl Steps<'_> {
    /// Writes one step of the order's timeline, counted at `at`.
    #[allow(clippy::too_many_arguments)]
    async fn log(
        &self,
        tx: &mut Tx,
        step: &str,
        from: OrderStatus,
        to: OrderStatus,
        unit: Option<i64>,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        tx.execute(&Sql::with(
            "INSERT INTO order_steps (order_id, step, from_status, to_status, actor, person_id, unit_id, note, at, \
             device_at, arrived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![
                self.order.into(),
                step.into(),
                from.as_str().into(),
                to.as_str().into(),
                self.actor.name.clone().into(),
                self.actor.scope.person_id.into(),
                unit.into(),
                note.map(str::to_string).into(),
                at.into(),
                self.when.device.into(),
                self.when.received.into(),
            ],
        ))
        .await?;
        Ok(())
    }
}

/// Tells the handler of an order, or else the owner unit's secretary (in the unit or its party
/// organisation), what happened.
async fn notify_owner(
    tx: &mut Tx,
    owner_unit: i64,
    handler: Option<i64>,
    kind: &str,
    params: serde_json::Value,
) -> Result<(), DbError> {
    let person = match handler {
        Some(h) => Some(h),
        None => {
            crate::responsibility::responsible_holder(tx, owner_unit, frontline_core::time::today_in_china(Utc::now()))
                .await?
                .map(|(person, _)| person)
        }
    };
    if let Some(person) = person {
        notify(tx, person, kind, params).await?;
    }
    Ok(())
}

/// A step as asked for by a user.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StepInput {
    /// 派单 (or 改派 after a return) to a unit.
    Dispatch { unit_id: i64 },
    /// 签收 by the owner.
    Sign,
    /// 回退 with a reason.
    Return { reason: String },
    /// 回复: what was done, with a photo of it uploaded first (`POST /attachments`) by the same
    /// account where there is one.
    Reply {
        text: String,
        #[serde(default)]
        attachment_id: Option<i64>,
    },
    /// 延期申请.
    RequestExtension { days: i64, reason: String },
    /// 延期审批.
    DecideExtension {
        approve: bool,
        #[serde(default)]
        note: String,
    },
    /// 催办.
    Chase {
        #[serde(default)]
        note: String,
    },
    /// 黄牌/红牌督办.
    Supervise {
        #[schema(schema_with = supervision_cards)]
        card: String,
        #[serde(default)]
        note: String,
    },
    /// 回访: satisfied or not, solved or not; `reopen` sends it back (重办).
    CallBack {
        satisfied: bool,
        solved: bool,
        #[serde(default)]
        reopen: bool,
        #[serde(default)]
        note: String,
    },
    /// Closed as a duplicate of an earlier order.
    LinkDuplicate { of: i64 },
}

impl StepInput {
    /// The permission the step needs: the owner handles, the dispatcher steers.
    fn permission(&self) -> &'static str {
        match self {
            StepInput::Sign
            | StepInput::Return { .. }
            | StepInput::Reply { .. }
            | StepInput::RequestExtension { .. } => "order:request:handle",
            _ => "order:request:dispatch",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct OrderRow {
    status: String,
    supervision: String,
    dispatched_at: Option<DateTime<Utc>>,
    extension_pending: Option<i64>,
    extensions: i64,
    sla_days: i64,
    due_at: DateTime<Utc>,
    owner_unit_id: i64,
    owner_path: String,
    place_path: String,
    handler_id: Option<i64>,
    taken_in_by: Option<i64>,
    title: String,
}

/// Takes one step on an order; the whole step (state, timeline, audit, records, notices) is one
/// transaction, and a refused step changes nothing. A reply sent from a phone without signal
/// counts at the phone's time where believed; both times are kept.
pub async fn act(db: &Db, actor: &Actor, id: i64, input: &StepInput, when: Timing) -> Result<OrderDetail, DbError> {
    act_with_photo(db, actor, id, input, None, when).await
}

/// [`act`] with a photo sent with the step (the page's reply form): only a reply carries one.
pub async fn act_with_photo(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &StepInput,
    photo: Option<&crate::evidence::PhotoEvidence>,
    when: Timing,
) -> Result<OrderDetail, DbError> {
    actor.require(input.permission())?;
    let uploaded = match input {
        StepInput::Reply { attachment_id, .. } => attachment_id.map(crate::evidence::PhotoEvidence::Uploaded),
        _ => None,
    };
    let photo = photo.or(uploaded.as_ref());
    if photo.is_some() && !matches!(input, StepInput::Reply { .. }) {
        return Err(DomainError::invalid("photo", "error.order.photo_on_reply").into());
    }
    let cleaned = crate::evidence::clean_evidence(photo)?;
    // Only a reply is made in the field and queued on a phone; any other step is dated by its
    // arrival, so that no phone's clock dates a dispatch, an extension or a closing call-back.
    let when = if matches!(input, StepInput::Reply { .. }) { when } else { Timing::at(when.received) };
    let now = when.trusted();
    let mut tx = db.begin().await?;
    let mut sql = Sql::new(
        "SELECT o.status, o.supervision, o.dispatched_at, o.extension_pending, o.extensions, c.sla_days, o.due_at, \
         o.owner_unit_id, ou.path AS owner_path, pu.path AS place_path, o.handler_id, o.taken_in_by, o.title \
         FROM work_orders o JOIN order_categories c ON c.id = o.category_id JOIN units ou ON ou.id = o.owner_unit_id \
         JOIN units pu ON pu.id = o.place_unit_id WHERE o.id = ",
    );
    sql.bind(id).push(" AND ");
    // The owner's people act on what reaches their unit; a dispatcher on what happened in theirs.
    let column = if input.permission() == "order:request:handle" { "ou.path" } else { "pu.path" };
    push_scope(&mut sql, column, &actor.scope);
    let row: OrderRow = tx.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let from = OrderStatus::parse(&row.status).unwrap_or(OrderStatus::Received);
    let state = OrderState {
        status: from,
        supervision: Supervision::parse(&row.supervision).unwrap_or(Supervision::None),
        dispatched_at: row.dispatched_at,
        extension_pending: row.extension_pending,
        extensions: row.extensions,
        sla_days: row.sla_days,
    };
    let calendar = calendar_for(&mut tx, &row.place_path).await?;
    let mut p = Problems::new();
    let (step, note) = match input {
        StepInput::Dispatch { .. } => (Step::Dispatch, None),
        StepInput::Sign => (Step::Sign, None),
        StepInput::Return { reason } => (Step::Return, p.check(text("reason", reason, 500))),
        StepInput::Reply { text: t, .. } => (Step::Reply, p.check(text("text", t, 2000))),
        StepInput::RequestExtension { days, reason } => {
            (Step::RequestExtension { days: *days }, p.check(text("reason", reason, 500)))
        }
        StepInput::DecideExtension { approve, note } => {
            (Step::DecideExtension { approve: *approve }, p.check(optional_text("note", note, 500)).flatten())
        }
        StepInput::Chase { note } => (Step::Chase, p.check(optional_text("note", note, 500)).flatten()),
        StepInput::Supervise { card, note } => {
            let card = Supervision::parse(card).filter(|c| *c != Supervision::None);
            if card.is_none() {
                p.add("card", "error.order.card");
            }
            (Step::Supervise(card.unwrap_or(Supervision::Red)), p.check(optional_text("note", note, 500)).flatten())
        }
        StepInput::CallBack { satisfied, reopen, note, .. } => {
            let rule =
                CallBackRule { handler: row.handler_id, taken_in_by: row.taken_in_by, owner_path: &row.owner_path };
            rule.check(actor.scope.person_id, &actor.scope)?;
            (
                Step::CallBack { satisfied: *satisfied, reopen: *reopen },
                p.check(optional_text("note", note, 500)).flatten(),
            )
        }
        StepInput::LinkDuplicate { .. } => (Step::LinkDuplicate, None),
    };
    p.into_result()?;
    let (next, effect) = orders::apply(&state, &step, now, row.due_at, &calendar)?;
    let mut owner_unit = row.owner_unit_id;
    let mut sets = Sql::new("UPDATE work_orders SET status = ");
    sets.bind(next.status.as_str())
        .push(", supervision = ")
        .bind(next.supervision.as_str())
        .push(", dispatched_at = ")
        .bind(next.dispatched_at)
        .push(", extension_pending = ")
        .bind(next.extension_pending)
        .push(", extensions = ")
        .bind(next.extensions)
        .push(", updated_at = ")
        .bind(now);
    if let Some(due) = effect.new_due {
        sets.push(", due_at = ").bind(due);
    }
    let mut step_unit = None;
    let mut closed_record = None;
    match input {
        StepInput::Dispatch { unit_id } => {
            let mut q = Sql::new("SELECT path, closed FROM units u WHERE u.id = ");
            q.bind(*unit_id).push(" AND ");
            push_scope(&mut q, "u.path", &actor.scope);
            let (_, closed): (String, bool) =
                tx.opt(&q).await?.ok_or_else(|| DomainError::invalid("unit_id", "error.order.unknown_place"))?;
            if closed {
                return Err(DomainError::invalid("unit_id", "error.unit.parent_closed").into());
            }
            owner_unit = *unit_id;
            step_unit = Some(*unit_id);
            sets.push(", owner_unit_id = ").bind(*unit_id).push(", handler_id = NULL");
        }
        StepInput::Sign => {
            let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("order:request:handle".into()))?;
            sets.push(", handler_id = ").bind(me);
        }
        StepInput::Return { .. } => {
            sets.push(", returns = returns + 1, handler_id = NULL");
        }
        StepInput::Reply { text: t, .. } => {
            sets.push(", reply = ").bind(t.trim()).push(", replied_at = ").bind(now);
        }
        StepInput::Chase { .. } => {
            sets.push(", chases = chases + 1");
        }
        StepInput::CallBack { satisfied, solved, reopen, .. } => {
            sets.push(", satisfied = ")
                .bind(i64::from(*satisfied))
                .push(", solved = ")
                .bind(i64::from(*solved))
                .push(", call_backs = call_backs + 1, call_backs_satisfied = call_backs_satisfied + ")
                .bind(i64::from(*satisfied));
            if *reopen {
                sets.push(", reopens = reopens + 1");
            } else {
                sets.push(", closed_at = ").bind(now);
                closed_record = Some(i64::from(now <= row.due_at));
            }
        }
        StepInput::LinkDuplicate { of } => {
            if *of == id {
                return Err(DomainError::invalid("of", "error.order.unknown_original").into());
            }
            let mut q = Sql::new(
                "SELECT o.duplicate_of FROM work_orders o JOIN units pu ON pu.id = o.place_unit_id WHERE o.id = ",
            );
            q.bind(*of).push(" AND ");
            push_scope(&mut q, "pu.path", &actor.scope);
            let original: (Option<i64>,) =
                tx.opt(&q).await?.ok_or_else(|| DomainError::invalid("of", "error.order.unknown_original"))?;
            if original.0.is_some() {
                return Err(DomainError::invalid("of", "error.order.unknown_original").into());
            }
            sets.push(", duplicate_of = ").bind(*of).push(", closed_at = ").bind(now);
        }
        _ => {}
    }
    sets.push(" WHERE id = ").bind(id);
    tx.execute(&sets).await?;
    let steps = Steps { actor, order: id, when };
    steps.log(&mut tx, step.code(), from, next.status, step_unit, note.as_deref(), now).await?;
    if let Some(photo) = crate::evidence::keep_evidence(&mut tx, actor.scope.person_id, photo, cleaned, when).await? {
        tx.execute(&Sql::with(
            "UPDATE order_steps SET attachment_id = $1 WHERE id = (SELECT MAX(id) FROM order_steps WHERE order_id = $2)",
            vec![photo.into(), id.into()],
        ))
        .await?;
    }
    let handler = match input {
        StepInput::Sign => actor.scope.person_id,
        StepInput::Dispatch { .. } | StepInput::Return { .. } => None,
        _ => row.handler_id,
    };
    match input {
        StepInput::CallBack { satisfied, .. } => {
            records::append(
                &mut tx,
                NewRecord {
                    kind: RecordKind::OrderRated,
                    unit_id: owner_unit,
                    person_id: handler,
                    occurred_at: now,
                    value: i64::from(*satisfied),
                    source_kind: "work_order",
                    source_id: id,
                    note: None,
                },
            )
            .await?;
        }
        StepInput::Dispatch { .. } => {
            notify_owner(&mut tx, owner_unit, None, "order_dispatched", json!({"title": row.title})).await?;
        }
        StepInput::Chase { .. } | StepInput::Supervise { .. } => {
            notify_owner(&mut tx, owner_unit, handler, "order_chased", json!({"title": row.title})).await?;
        }
        _ => {}
    }
    if effect.reopened {
        notify_owner(&mut tx, owner_unit, handler, "order_reopened", json!({"title": row.title})).await?;
    }
    if let Some(on_time) = closed_record {
        records::append(
            &mut tx,
            NewRecord {
                kind: RecordKind::OrderClosed,
                unit_id: owner_unit,
                person_id: handler,
                occurred_at: now,
                value: on_time,
                source_kind: "work_order",
                source_id: id,
                note: None,
            },
        )
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "order.step",
            object_kind: "work_order",
            object_id: Some(id),
            unit_path: Some(&row.owner_path),
            before: json!({"status": from.as_str(), "supervision": state.supervision.as_str(), "due_at": row.due_at}),
            after: json!({"step": step.code(), "status": next.status.as_str(), "supervision": next.supervision.as_str(),
                "due_at": effect.new_due.unwrap_or(row.due_at), "note": note}),
        },
    )
    .await?;
    tx.commit().await?;
    // The order may have left the caller's units (a dispatch): shown whole, as the caller left it.
    let mut detail = get(db, &Scope::everything(), id, true).await?;
    detail.may_call_back = may_call_back(db, id, &actor.scope).await?;
    Ok(detail)
}

/// An order as lists show it; the caller's phone is masked.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub category_code: String,
    pub category_name: String,
    pub kind: String,
    pub channel: String,
    pub place_unit_id: i64,
    pub place_name: String,
    /// The place's division code, where it has one (Open311's `address_id`).
    pub place_code: Option<String>,
    pub owner_unit_id: i64,
    pub owner_name: String,
    pub status: String,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub media_url: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub handler_id: Option<i64>,
    pub handler_name: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub replied_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reply: Option<String>,
    pub solved: Option<i64>,
    pub satisfied: Option<i64>,
    pub supervision: String,
    pub chases: i64,
    pub returns: i64,
    pub reopens: i64,
    pub extensions: i64,
    pub extension_pending: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

impl OrderView {
    /// Open and past its due date.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.status != "closed" && self.due_at < now
    }
}

const ORDER_COLUMNS: &str = "o.id, c.code AS category_code, c.name AS category_name, o.kind, o.channel, o.place_unit_id, \
     pu.name AS place_name, pu.code AS place_code, o.owner_unit_id, ou.name AS owner_name, o.status, o.title, o.description, o.address, o.lat, o.lon, \
     o.media_url, o.reporter_name, o.reporter_phone, o.handler_id, h.name AS handler_name, o.received_at, o.due_at, \
     o.replied_at, o.closed_at, o.reply, o.solved, o.satisfied, o.supervision, o.chases, o.returns, o.reopens, o.extensions, \
     o.extension_pending, o.duplicate_of, o.updated_at";

const ORDER_FROM: &str = " FROM work_orders o JOIN order_categories c ON c.id = o.category_id \
     JOIN units pu ON pu.id = o.place_unit_id JOIN units ou ON ou.id = o.owner_unit_id LEFT JOIN people h ON h.id = o.handler_id WHERE ";

/// Appends "the order happened in, or is owned by, a unit the caller reaches".
fn push_order_scope(sql: &mut Sql, scope: &Scope) {
    sql.push("(");
    push_scope(sql, "pu.path", scope);
    sql.push(" OR ");
    push_scope(sql, "ou.path", scope);
    sql.push(")");
}

/// Filters for order lists (the UI, the API and Open311).
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Orders placed in or owned by this unit's subtree.
    pub unit: Option<i64>,
    pub status: Option<String>,
    /// `open` or `closed` (Open311's two statuses).
    pub state: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Only open orders past their due date.
    pub overdue: Option<bool>,
    /// Received on or after this day.
    pub from: Option<NaiveDate>,
    /// Received on or before this day.
    pub to: Option<NaiveDate>,
    /// Words in the title or description.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

async fn order_filter(db: &Db, scope: &Scope, q: &OrderQuery) -> Result<Sql, DbError> {
    let mut f = Sql::new(ORDER_FROM);
    push_order_scope(&mut f, scope);
    if let Some(unit) = q.unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        f.push(" AND ((pu.path >= ").bind(lo.clone()).push(" AND pu.path < ").bind(hi.clone());
        f.push(") OR (ou.path >= ").bind(lo).push(" AND ou.path < ").bind(hi).push("))");
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        f.push(" AND o.status = ").bind(s);
    }
    match q.state.as_deref() {
        Some("open") => {
            f.push(" AND o.status <> 'closed'");
        }
        Some("closed") => {
            f.push(" AND o.status = 'closed'");
        }
        _ => {}
    }
    if let Some(k) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        f.push(" AND o.kind = ").bind(k);
    }
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        f.push(" AND c.code IN ").bind_list(c.split(',').map(|s| s.trim().to_string()));
    }
    if q.overdue == Some(true) {
        f.push(" AND o.status <> 'closed' AND o.due_at < ").bind(Utc::now());
    }
    if let Some(from) = q.from {
        f.push(" AND o.received_at >= ").bind(start_of_china_day(from));
    }
    if let Some(to) = q.to {
        f.push(" AND o.received_at < ").bind(start_of_china_day(to + chrono::Duration::days(1)));
    }
    if let Some(words) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = crate::sql::like_contains(words);
        f.push(" AND (o.title LIKE ").bind(like.clone()).push(" OR o.description LIKE ").bind(like).push(")");
    }
    Ok(f)
}

fn mask(mut o: OrderView) -> OrderView {
    o.reporter_phone = o.reporter_phone.as_deref().map(frontline_core::people::mask_phone);
    o
}

/// Orders in scope, most urgent first (open before closed, earliest due first).
pub async fn list(db: &Db, scope: &Scope, q: &OrderQuery) -> Result<Page<OrderView>, DbError> {
    let f = order_filter(db, scope, q).await?;
    let (page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    let mut out: Page<OrderView> = db
        .page_of(ORDER_COLUMNS, f, "CASE WHEN o.status = 'closed' THEN 1 ELSE 0 END, o.due_at, o.id", page, per_page)
        .await?;
    out.items = out.items.into_iter().map(mask).collect();
    Ok(out)
}

/// Orders by id among those in scope (Open311's `service_request_id` list), masked.
pub async fn by_ids(db: &Db, scope: &Scope, ids: &[i64], public_only: bool) -> Result<Vec<OrderView>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut f = Sql::new(ORDER_FROM);
    push_order_scope(&mut f, scope);
    f.push(" AND o.id IN ").bind_list(ids.iter().copied());
    if public_only {
        f.push(" AND o.channel = 'online'");
    }
    let rows: Vec<OrderView> = db.rows_of(ORDER_COLUMNS, f, "o.id", 1000).await?;
    Ok(rows.into_iter().map(mask).collect())
}

/// Orders received in a time window (Open311's `start_date`/`end_date`), newest first, masked.
pub async fn in_window(
    db: &Db,
    scope: &Scope,
    q: &OrderQuery,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    public_only: bool,
) -> Result<Vec<OrderView>, DbError> {
    let mut f = order_filter(db, scope, q).await?;
    f.push(" AND o.received_at >= ").bind(from).push(" AND o.received_at <= ").bind(to);
    if public_only {
        f.push(" AND o.channel = 'online'");
    }
    let rows: Vec<OrderView> = db.rows_of(ORDER_COLUMNS, f, "o.received_at DESC, o.id DESC", 1000).await?;
    Ok(rows.into_iter().map(mask).collect())
}

/// One step of an order's timeline.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StepView {
    pub step: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub unit_name: Option<String>,
    pub note: Option<String>,
    /// When the step counts as taken: the phone's time where believed, else its arrival.
    pub at: DateTime<Utc>,
    /// Taken on a phone without signal: the time the phone says (else none).
    pub device_at: Option<DateTime<Utc>>,
    /// When it reached the server (none for steps taken before this was kept).
    pub arrived_at: Option<DateTime<Utc>>,
    /// A photo of what was done (a reply's), shown at `/work/attachments/{id}`.
    pub attachment_id: Option<i64>,
}

/// An order with its timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    pub order: OrderView,
    pub steps: Vec<StepView>,
    /// Whether the caller may make the call-back (回访) that rates it ([`CallBackRule`]): never the
    /// handler, nor only the handling unit's own people.
    pub may_call_back: bool,
}

/// [`CallBackRule`] for one order and one caller.
async fn may_call_back(db: &Db, id: i64, scope: &Scope) -> Result<bool, DbError> {
    let (handler, taken_in_by, owner_path): (Option<i64>, Option<i64>, String) = db
        .one(&Sql::with(
            "SELECT o.handler_id, o.taken_in_by, ou.path FROM work_orders o JOIN units ou ON ou.id = o.owner_unit_id \
             WHERE o.id = $1",
            vec![id.into()],
        ))
        .await?;
    let rule = CallBackRule { handler, taken_in_by, owner_path: &owner_path };
    Ok(rule.check(scope.person_id, scope).is_ok())
}

/// One order in scope with its timeline; the caller's phone is shown only if `reveal_phone`
/// (those who call back).
pub async fn get(db: &Db, scope: &Scope, id: i64, reveal_phone: bool) -> Result<OrderDetail, DbError> {
    let mut f = Sql::new(&format!("SELECT {ORDER_COLUMNS}{ORDER_FROM}o.id = "));
    f.bind(id).push(" AND ");
    push_order_scope(&mut f, scope);
    let order: OrderView = db.opt(&f).await?.ok_or(DomainError::NotFound)?;
    let order = if reveal_phone { order } else { mask(order) };
    let steps = db
        .all(&Sql::with(
            "SELECT s.step, s.from_status, s.to_status, s.actor, u.name AS unit_name, s.note, s.at, s.device_at, \
             s.arrived_at, s.attachment_id \
             FROM order_steps s LEFT JOIN units u ON u.id = s.unit_id WHERE s.order_id = $1 ORDER BY s.id",
            vec![id.into()],
        ))
        .await?;
    let may_call_back = may_call_back(db, id, scope).await?;
    Ok(OrderDetail { order, steps, may_call_back })
}

/// The figures of one unit's subtree over a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitOrderCounts {
    pub unit_id: i64,
    pub unit_name: String,
    #[schema(value_type = Object)]
    pub counts: OrderCounts,
    /// Per cent; null when nothing was closed (or called back): not applicable, shown "—".
    pub on_time_rate: Option<f64>,
    pub solved_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    owner_path: String,
    status: String,
    late: i64,
    solved: Option<i64>,
    call_backs: i64,
    call_backs_satisfied: i64,
    n: i64,
}

/// Collected / solved / in progress and the three rates (按时办结率, 解决率, 满意率) for a unit and
/// each of its children, over orders received in `[from, to]` (China days) and owned in the
/// subtree. The first row is the unit itself.
pub async fn counts(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<UnitOrderCounts>, DbError> {
    let rows_of = units::with_children(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&rows_of[0].path);
    let now = Utc::now();
    let mut sql = Sql::new(
        "SELECT ou.path AS owner_path, o.status, \
         CAST(CASE WHEN (o.closed_at IS NOT NULL AND o.closed_at > o.due_at) OR (o.closed_at IS NULL AND o.due_at < ",
    );
    sql.bind(now).push(
        ") THEN 1 ELSE 0 END AS BIGINT) AS late, o.solved, CAST(SUM(o.call_backs) AS BIGINT) AS call_backs, \
         CAST(SUM(o.call_backs_satisfied) AS BIGINT) AS call_backs_satisfied, COUNT(*) AS n \
         FROM work_orders o JOIN units ou ON ou.id = o.owner_unit_id WHERE ou.path >= ",
    );
    sql.bind(lo).push(" AND ou.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "ou.path", scope);
    sql.push(" AND o.duplicate_of IS NULL AND o.received_at >= ").bind(start_of_china_day(from));
    sql.push(" AND o.received_at < ").bind(start_of_china_day(to + chrono::Duration::days(1)));
    sql.push(" GROUP BY ou.path, o.status, late, o.solved");
    let rows: Vec<CountRow> = db.all(&sql).await?;
    let mut out = Vec::with_capacity(rows_of.len());
    for u in rows_of {
        let (unit_id, unit_name, path) = (u.id, u.name, u.path);
        let mut c = OrderCounts::default();
        for r in rows.iter().filter(|r| frontline_core::units::is_within(&r.owner_path, &path)) {
            c.collected += r.n;
            if r.status == "closed" {
                c.closed += r.n;
                if r.late == 0 {
                    c.closed_on_time += r.n;
                }
                if r.solved == Some(1) {
                    c.solved += r.n;
                }
            } else {
                c.in_progress += r.n;
                if r.late == 1 {
                    c.overdue += r.n;
                }
            }
            // 满意率 over every call-back, as the ledger's order_rated records count it.
            c.visited += r.call_backs;
            c.satisfied += r.call_backs_satisfied;
        }
        out.push(UnitOrderCounts {
            unit_id,
            unit_name,
            on_time_rate: c.on_time_rate(),
            solved_rate: c.solved_rate(),
            satisfaction_rate: c.satisfaction_rate(),
            counts: c,
        });
    }
    Ok(out)
}

/// Puts a yellow card (黄牌督办) on every open order past its due date that has none yet, with a
/// timeline step and a notice to its owner; run by the jobs loop, so running it twice changes
/// nothing the second time. Returns how many orders it escalated.
pub async fn escalate_overdue(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let overdue: Vec<(i64, i64, Option<i64>, String, String)> = db
        .all(&Sql::with(
            "SELECT id, owner_unit_id, handler_id, title, status FROM work_orders \
             WHERE status <> 'closed' AND supervision = 'none' AND due_at < $1 ORDER BY id LIMIT 5000",
            vec![now.into()],
        ))
        .await?;
    if overdue.is_empty() {
        return Ok(0);
    }
    let system = Actor::system("jobs");
    let mut tx = db.begin().await?;
    let mut n = 0;
    for (id, owner, handler, title, status) in overdue {
        let changed = tx
            .execute(&Sql::with(
                "UPDATE work_orders SET supervision = 'yellow', updated_at = $1 WHERE id = $2 AND supervision = 'none'",
                vec![now.into(), id.into()],
            ))
            .await?;
        if changed == 0 {
            continue;
        }
        let status = OrderStatus::parse(&status).unwrap_or(OrderStatus::Received);
        let steps = Steps { actor: &system, order: id, when: Timing::at(now) };
        steps.log(&mut tx, "overdue_card", status, status, None, None, now).await?;
        notify_owner(&mut tx, owner, handler, "order_chased", json!({"title": title})).await?;
        n += 1;
    }
    tx.commit().await?;
    Ok(n)
}
