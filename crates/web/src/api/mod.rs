//! The JSON API under `/api/v1`, described at `/api/v1/openapi.json`. Everything the UI does can
//! be done here. Errors are `{code, message, fields}` in the language of `Accept-Language`
//! (Chinese unless English is asked for). Clients authenticate with `Authorization: Bearer …`
//! tokens from `POST /api/v1/auth/token`.

pub mod appraisals;
pub mod bulletins;
pub mod dashboard;
pub mod duty;
pub mod indicators;
pub mod life;
pub mod orders;
pub mod people;
pub mod supervision;
pub mod system;
pub mod units;
pub mod weak;
pub mod work;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use frontline_core::codes::{codes_or_blank, codes_schema};

use crate::auth::api_lang;
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", axum::routing::get(|| async { Json(ApiDoc::openapi()) }))
        .merge(units::router())
        .merge(people::router())
        .merge(system::router())
        .merge(duty::router())
        .merge(work::router())
        .merge(life::router())
        .merge(weak::router())
        .merge(orders::router())
        .merge(supervision::router())
        .merge(indicators::router())
        .merge(appraisals::router())
        .merge(bulletins::router())
        .merge(dashboard::router())
        .fallback(|parts: Parts| async move {
            AppError::Domain(frontline_core::DomainError::NotFound).into_json(api_lang(&parts))
        })
}

/// Turns any error into a JSON response in the caller's language.
pub trait ApiResult<T> {
    fn api(self, lang: Lang) -> Result<T, Response>;
}

impl<T, E: Into<AppError>> ApiResult<T> for Result<T, E> {
    fn api(self, lang: Lang) -> Result<T, Response> {
        self.map_err(|e| e.into().into_json(lang))
    }
}

/// A JSON body; malformed JSON, missing fields and wrong types answer `error.bad_json`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = Lang::parse(req.headers().get("accept-language").and_then(|v| v.to_str().ok()).unwrap_or(""))
            .unwrap_or_default();
        let refuse = |rej: JsonRejection| AppError::BadRequest("error.bad_json", rej.body_text()).into_json(lang);
        // Read as JSON first (the content type and the syntax), then as `T`: a whole number written
        // with a fraction (`2051.0`) is an integer in JSON Schema, and is one here too.
        let Json(mut body) = Json::<serde_json::Value>::from_request(req, state).await.map_err(refuse)?;
        whole_numbers_as_integers(&mut body);
        let bytes = serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.to_string()).into_json(lang))?;
        Json::<T>::from_bytes(&bytes).map(|Json(v)| ApiJson(v)).map_err(refuse)
    }
}

/// Writes every number with a zero fraction that fits a 64-bit integer exactly as that integer.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            // Below 2^53 a float holds every whole number exactly.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < EXACT) {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// A numeric id in the path; anything else answers `error.bad_id`.
pub struct ApiId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ApiId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(ApiId(id)),
            Err(rej) => {
                let rej: PathRejection = rej;
                Err(AppError::BadRequest("error.bad_id", rej.body_text()).into_json(api_lang(parts)))
            }
        }
    }
}

/// Query parameters; wrong types answer `error.bad_query`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => {
                let rej: QueryRejection = rej;
                Err(AppError::BadRequest("error.bad_query", rej.body_text()).into_json(api_lang(parts)))
            }
        }
    }
}

/// JSON with status 201.
pub fn created<T: serde::Serialize>(v: T) -> Response {
    (axum::http::StatusCode::CREATED, Json(v)).into_response()
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation lists the error answers any request may get, each an `ErrorBody`: 400 for a
/// malformed body, id or query, 401 without a valid token, 403 without the permission, 404 for an
/// id that does not exist or lies outside the caller's units, 409 when the object's state (or a
/// unique value) conflicts, 422 for input that fails its checks, 429 when the address has guessed
/// too many tokens or passwords this minute.
/// An import's 422 is its row-by-row report, or an `ErrorBody` when there is no file to read.
struct StandardErrors;

impl utoipa::Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{OneOfBuilder, Schema};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error_body = || ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let standard = [
            ("400", "The body, an id or a query parameter is malformed"),
            ("401", "No valid token"),
            ("403", "The caller lacks the permission"),
            (
                "404",
                "Not found, or outside the caller's units: the id in the path, or an object the body or query names (`fields` says which)",
            ),
            ("409", "The object's state, or a value that must be unique, conflicts with the request"),
            ("422", "The input fails its checks; each field's problem is named"),
            ("429", "Too many unknown tokens or failed sign-ins from this address this minute; wait and retry"),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                for (status, text) in standard {
                    op.responses.responses.entry(status.to_string()).or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new().description(text).content("application/json", error_body()).build(),
                        )
                    });
                }
                let Some(RefOr::T(invalid)) = op.responses.responses.get_mut("422") else { continue };
                for content in invalid.content.values_mut() {
                    let is_report =
                        matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/ImportReport"));
                    if is_report {
                        let either = OneOfBuilder::new()
                            .item(Ref::from_schema_name("ImportReport"))
                            .item(Ref::from_schema_name("ErrorBody"))
                            .build();
                        content.schema = Some(RefOr::T(Schema::OneOf(either)));
                    }
                }
            }
        }
    }
}

/// States in the document the limits every input's checks apply, so that a request the document
/// allows is one the checks accept:
/// - an integer is bounded by its format (`int64`, `int32`): ids and counts are stored in 64 bits,
///   and a larger number is refused as the wrong type;
/// - a text with `minLength` (a name, a title, a reason) is trimmed before it is checked, and holds
///   no control characters ([`frontline_core::error::text`]): the document says so with a pattern,
///   one non-blank character among printable ones; an optional text with only `maxLength` holds no
///   control characters either.
struct InputLimits;

/// What [`frontline_core::error::optional_text`] accepts: no control character.
pub const OPTIONAL_TEXT_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

/// What [`frontline_core::error::text`] accepts: something besides blanks, and no control character.
pub const TEXT_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

impl utoipa::Modify for InputLimits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Ok(mut doc) = serde_json::to_value(&*openapi) else { return };
        state_limits(&mut doc);
        if let Ok(limited) = serde_json::from_value(doc) {
            *openapi = limited;
        }
    }
}

/// Walks a JSON schema document and writes [`InputLimits`] into every schema it finds.
fn state_limits(value: &mut serde_json::Value) {
    use serde_json::{Value, json};
    match value {
        Value::Object(map) => {
            let has_type = |wanted: &str| match map.get("type") {
                Some(Value::String(t)) => t == wanted,
                Some(Value::Array(ts)) => ts.iter().any(|t| t == wanted),
                _ => false,
            };
            let (integer, string) = (has_type("integer"), has_type("string"));
            let bounds = match map.get("format").and_then(Value::as_str) {
                Some("int64") => Some((json!(i64::MIN), json!(i64::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                _ => None,
            };
            if integer && let Some((min, max)) = bounds {
                map.entry("minimum").or_insert(min);
                map.entry("maximum").or_insert(max);
            }
            let free_text = !map.contains_key("format") && !map.contains_key("enum") && !map.contains_key("pattern");
            if string && free_text {
                if map.get("minLength").and_then(Value::as_u64).unwrap_or(0) > 0 {
                    map.insert("pattern".into(), json!(TEXT_PATTERN));
                } else if map.contains_key("maxLength") {
                    map.insert("pattern".into(), json!(OPTIONAL_TEXT_PATTERN));
                }
            }
            map.values_mut().for_each(state_limits);
        }
        Value::Array(items) => items.iter_mut().for_each(state_limits),
        _ => {}
    }
}

/// A date (`YYYY-MM-DD`) that may be left empty for none.
pub fn optional_date() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)))
        .build()
        .into()
}

/// Pairs of ids, `[left_id, right_id]`.
pub fn id_pairs() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let id =
        ObjectBuilder::new().schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)));
    ArrayBuilder::new().items(ArrayBuilder::new().items(id).min_items(Some(2)).max_items(Some(2))).build()
}

/// The post kinds a task list is for: at least one, each a lower-case code (blank entries are
/// skipped).
pub fn post_kind_names() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let code = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^\s*([a-z_]{1,40})?\s*$"));
    ArrayBuilder::new().items(code).min_items(Some(1)).build()
}

/// A unit's tags: any of the known ones (blank entries are skipped).
pub fn unit_tags() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new().items(codes_or_blank(frontline_core::units::UNIT_TAGS)).build()
}

/// A person's party status, `""` for none.
pub fn party_statuses() -> utoipa::openapi::schema::Object {
    codes_or_blank(frontline_core::people::PartyStatus::ALL.iter().map(|k| k.as_str()))
}

/// A person's rank (职级), `""` for none.
pub fn ranks() -> utoipa::openapi::schema::Object {
    codes_or_blank(frontline_core::people::Rank::ALL.iter().map(|k| k.as_str()))
}

/// A unit's kind.
pub fn unit_kinds() -> utoipa::openapi::schema::Object {
    codes_schema(frontline_core::units::UnitKind::ALL.map(|k| k.as_str()))
}

/// What an approver decides on a role claim (the claimant may also withdraw their own).
pub fn claim_decisions() -> utoipa::openapi::schema::Object {
    use frontline_core::roles::ClaimStatus;
    codes_schema([ClaimStatus::Approved, ClaimStatus::Rejected].map(|s| s.as_str()))
}

/// What a checker decides on a submitted task: verify it (核验) or send it back (退回).
pub fn task_decisions() -> utoipa::openapi::schema::Object {
    codes_schema(["verify", "return"])
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Frontline API", version = "1", description = "一线 Frontline: units, people, posts, responsibility, accounts and the audit log. \
    Any change (POST, PUT, DELETE) may carry an `Idempotency-Key` header (1 to 100 visible ASCII characters, \
    e.g. a UUID): the first request with a key is answered as usual; a later one with the same key from the same \
    account gets that first answer (marked `Idempotent-Replayed: true`) and writes nothing. A change made on a \
    phone without signal and sent later may carry `X-Device-Time` (RFC 3339): sign-offs, household checks, \
    check-in and check-out count from it when it is at most 72 hours before arrival."),
    paths(
        units::list, units::create, units::get_one, units::update, units::children, units::move_unit, units::close,
        people::list, people::create, people::get_person, people::update, people::postings, people::add_posting,
        people::export, people::template, people::import,
        people::list_posts, people::create_post, people::get_post, people::update_post, people::tenures, people::assign, people::vacate,
        people::end_posting,
        duty::list_links, duty::create_link, duty::end_link, duty::chain, duty::gaps, duty::coverage,
        duty::succession_preview, duty::remove_holder, duty::holder_on,
        duty::role_posts, duty::create_role_post, duty::default_role_posts, duty::update_role_post, duty::role_balance,
        duty::claim_role, duty::role_claims, duty::decide_claim, duty::errands, duty::log_errand,
        duty::propose_pairing, duty::accept_pairing,
        duty::list_deployments, duty::create_deployment, duty::arrive, duty::end_deployment, duty::arrivals,
        duty::plan_thirds, duty::plan_villages, duty::mentorships, duty::create_mentorship, duty::end_mentorship, duty::my_notifications,
        work::list_task_lists, work::create_task_list, work::set_list_active, work::sign_commitment, work::list_tasks,
        work::my_tasks, work::get_task, work::submit_task, work::decide_task, work::verify_tasks, work::upload, work::task_rates, work::list_records,
        work::list_checkpoints, work::configure_checkpoint, work::add_duty_person, work::mark_away, work::plan_roster, work::list_shifts,
        work::duty_streaks, work::my_shifts, work::check_in, work::check_out,
        work::list_forms, work::create_form, work::my_households, work::household_responses, work::file_response,
        work::survey_compilation, work::risk_list, work::list_meetings, work::create_meeting, work::list_topics,
        work::answer_topic, work::list_trainings, work::create_training, work::training_coverage,
        life::list_rules, life::set_rule, life::list_meetings, life::record_meeting, life::get_meeting, life::mark_attendance, life::add_photo,
        life::check_in, life::compliance, life::list_temporaries, life::make_temporary, life::list_alliances,
        life::create_alliance, life::join_alliance,
        weak::list_criteria, weak::set_criterion, weak::screen, weak::list_cases, weak::pair, weak::get_case, weak::decide,
        weak::plan, weak::report, weak::clear,
        orders::list_categories, orders::create_category, orders::calendar, orders::set_calendar_day, orders::intake,
        orders::list_orders, orders::get_order, orders::take_step, orders::order_counts,
        supervision::list_teams, supervision::create_team, supervision::list_rounds, supervision::create_round,
        supervision::get_round, supervision::recheck_draw, supervision::my_targets, supervision::target_holders,
        supervision::list_visits, supervision::log_visit, supervision::list_findings, supervision::get_finding,
        supervision::rectify, supervision::decide, supervision::list_notices, supervision::issue_notice,
        supervision::supervision_counts, supervision::list_actions, supervision::create_action, supervision::get_action,
        supervision::open_review, supervision::decide_review, supervision::accountability_counts, supervision::trace,
        supervision::burden_view,
        indicators::list_schemes, indicators::create_scheme, indicators::get_scheme, indicators::update_scheme,
        indicators::scores, indicators::explain, indicators::preview, indicators::history, indicators::publish,
        indicators::list_runs, indicators::get_run, indicators::list_plans, indicators::create_plan, indicators::get_plan,
        indicators::add_step, indicators::close_plan,
        appraisals::add_note, appraisals::correct, appraisals::list_appraisals, appraisals::create_appraisal,
        appraisals::get_appraisal, appraisals::conclude, appraisals::certificate_pdf, appraisals::list_talent,
        appraisals::add_talent, appraisals::remove_talent, appraisals::candidates, appraisals::frontline_share,
        appraisals::list_reviews, appraisals::open_review, appraisals::get_review, appraisals::rate_review,
        appraisals::close_review, appraisals::list_commendations, appraisals::commend, appraisals::list_deeds,
        appraisals::write_deed, appraisals::get_deed, appraisals::publish_deed, appraisals::list_selections,
        appraisals::open_selection, appraisals::get_selection, appraisals::nominate, appraisals::vote,
        appraisals::advance_selection, appraisals::list_care, appraisals::record_care, appraisals::care_reminders,
        bulletins::list_bulletins, bulletins::get_bulletin, bulletins::bulletin_pdf, bulletins::bulletin_xlsx,
        dashboard::get_dashboard, dashboard::get_today,
        system::token, system::me, system::my_todo, system::change_password, system::my_tokens, system::revoke_token, system::users, system::create_user, system::roles, system::create_role, system::update_role, system::audit, system::security_settings, system::set_password_policy, system::use_sm3_for_audit, system::security_summary, system::set_audit_retention, system::self_check
    ),
    components(schemas(crate::error::ErrorBody, crate::error::FieldMessage, crate::services::ImportReport, crate::services::RowProblem,
        frontline_core::roles::ClaimStatus)),
    modifiers(&BearerAuth, &StandardErrors, &InputLimits),
    security(("bearer" = [])),
    tags((name = "units", description = "The unit tree"), (name = "people", description = "People, postings and posts"),
         (name = "system", description = "Accounts, roles, tokens and the audit log"),
         (name = "duty", description = "Who answers for what: links, chains, coverage, succession, role posts, pairing, deployments"),
         (name = "work", description = "Daily work: task lists and sign-off, the records ledger, checkpoint rosters, household surveys, meetings and training, organisational life (三会一课, 主题党日) and its compliance"),
         (name = "orders", description = "Work orders: residents' requests, enterprise problems, hazards, projects and service items; categories, calendars, steps and rates"),
         (name = "supervision", description = "Supervision: inspection teams, rounds and their re-checkable draw, visits, findings and rectification, notices, accountability actions, reviews and tolerance requests, trace-back, and the burden view"),
         (name = "indicators", description = "Indicators: schemes as data (堡垒指数, 先锋指数, 五星), rankings with stars and laggards, explanations down to the records, what-if previews, published runs and star history, laggard rectification plans"),
         (name = "appraisals", description = "Appraisals and incentives: leaders' 询/察/听 notes and mass evaluation, record corrections, appraisals and the 鉴定书 PDF, talent pool, candidacy, frontline share of the promoted, 五述五评 reviews, commendations, typical deeds, selections, care records and reminders"),
         (name = "bulletins", description = "Periodic bulletins (weekly, monthly, quarterly): rankings, red and black lists, praise and criticism, figures against the period before; JSON, PDF and Excel"),
         (name = "dashboards", description = "Dashboards: the figures of a unit's subtree over a period (deployments, coverage, sign-off, shifts, inspections, work orders and their rates, 堡垒指数 stars and laggards, commendations, accountability, training) and a grid worker's day"))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema of one property of a component, as served.
    fn property(doc: &serde_json::Value, component: &str, field: &str) -> serde_json::Value {
        doc["components"]["schemas"][component]["properties"][field].clone()
    }

    /// No two documented types share a schema name: the document keeps one of them under the name
    /// and every `$ref` to the other silently describes the wrong body (the weak-organisation plan
    /// once took the roster's `PlanInput`, and generated requests went to the wrong routes). Read
    /// from the sources: every `struct`/`enum` deriving `ToSchema`, named by `#[schema(as = …)]`
    /// where it has one.
    #[test]
    fn every_documented_type_has_its_own_schema_name() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for krate in ["core", "db", "web", "reports"] {
            walk(&crates.join(krate).join("src"), &mut files);
        }
        let mut seen: std::collections::HashMap<String, String> = Default::default();
        let mut clashes = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let Some(name) = line
                    .trim_start()
                    .strip_prefix("pub struct ")
                    .or_else(|| line.trim_start().strip_prefix("pub enum "))
                    .map(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default())
                else {
                    continue;
                };
                // The attributes above the item, up to the previous blank or code line.
                let attrs: Vec<&str> = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| l.trim_start().starts_with('#') || l.trim_start().starts_with("///"))
                    .copied()
                    .collect();
                if !attrs.iter().any(|a| a.contains("ToSchema")) {
                    continue;
                }
                let named = attrs
                    .iter()
                    .find_map(|a| a.split("schema(as = ").nth(1).map(|r| r.trim_end_matches(")]").trim().to_string()))
                    .unwrap_or_else(|| name.to_string());
                let at = format!("{}:{}", file.display(), i + 1);
                if let Some(first) = seen.insert(named.clone(), at.clone()) {
                    clashes.push(format!("{named}: {first} and {at}"));
                }
            }
        }
        assert!(seen.len() > 100, "{} documented types found", seen.len());
        assert!(clashes.is_empty(), "schema names used twice:\n{}", clashes.join("\n"));
    }

    /// Every `$ref` of the document names a schema it carries (a code named only in a parameter
    /// must still be listed among the components).
    #[test]
    fn every_reference_resolves() {
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                        out.push(r.to_string());
                    }
                    map.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 100, "{} references", found.len());
        let missing: Vec<&String> = found
            .iter()
            .filter(|r| {
                let name = r.trim_start_matches("#/components/schemas/");
                doc["components"]["schemas"].get(name).is_none()
            })
            .collect();
        assert!(missing.is_empty(), "references to nothing: {missing:?}");
    }

    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        let mut body = serde_json::json!({"year": 2051.0, "seats": [3.0, 2.5], "lat": 30.25, "big": 1e300, "id": 7});
        whole_numbers_as_integers(&mut body);
        assert_eq!(body, serde_json::json!({"year": 2051, "seats": [3, 2.5], "lat": 30.25, "big": 1e300, "id": 7}));
        assert!(body["year"].is_i64(), "{body}");
    }

    #[test]
    fn the_document_states_the_limits_the_checks_apply() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
        // A required text: trimmed, printable, within its length.
        let title = property(&doc, "PostBody", "title");
        assert_eq!(title["minLength"], 1, "{title}");
        assert_eq!(title["maxLength"], 32, "{title}");
        assert_eq!(title["pattern"], TEXT_PATTERN, "{title}");
        // A coded value lists its codes, under a name of its own.
        let kind = property(&doc, "PostBody", "kind");
        assert_eq!(kind["$ref"], "#/components/schemas/PostKindCode", "{kind}");
        let codes = &doc["components"]["schemas"]["PostKindCode"]["enum"];
        assert!(codes.as_array().is_some_and(|c| c.iter().any(|v| v == "secretary")), "{codes}");
        // Dates, given or optional.
        assert_eq!(property(&doc, "AssignBody", "start_date")["format"], "date");
        let end = property(&doc, "LinkBody", "end_date");
        assert_eq!(end["oneOf"][1]["maxLength"], 0, "{end}");
        // Integers are bounded by their format; ranges the checks apply are stated.
        let id = property(&doc, "AssignBody", "person_id");
        assert_eq!(id["maximum"], i64::MAX, "{id}");
        assert_eq!(id["minimum"], i64::MIN, "{id}");
        assert_eq!(property(&doc, "SelectionInput", "seats")["maximum"], 500);
        // Phone numbers as `validate_phone` reads them.
        assert_eq!(property(&doc, "PersonBody", "phone")["pattern"], frontline_core::people::PHONE_PATTERN);
        assert_eq!(property(&doc, "OrderInput", "reporter_phone")["pattern"], frontline_core::people::PHONE_PATTERN);
        // Codes where blank means none, and codes of a list's items.
        let rank = property(&doc, "PersonBody", "rank");
        assert!(
            rank["enum"].as_array().is_some_and(|c| c.iter().any(|v| v == "") && c.iter().any(|v| v == "staff")),
            "{rank}"
        );
        let tags = property(&doc, "UnitBody", "tags");
        assert!(tags["items"]["enum"].as_array().is_some_and(|c| c.iter().any(|v| v == "border")), "{tags}");
        let permissions = property(&doc, "RoleChange", "permissions");
        assert!(
            permissions["items"]["enum"].as_array().is_some_and(|c| c.iter().any(|v| v == "*:*:*")),
            "{permissions}"
        );
        // An optional text only refuses control characters.
        assert_eq!(property(&doc, "RatingInput", "comment")["pattern"], OPTIONAL_TEXT_PATTERN);
    }
}
