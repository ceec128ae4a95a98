//! Randomized access: many accounts at every level (the demo's, plus secretaries, grid workers and
//! members of randomly drawn townships, villages and grids) send requests to every route and method
//! the API documents and every page route the UI declares, with ids of units outside their scope,
//! ids of units inside it and guessed ids, and bodies whose ids point outside too. Judged without a
//! list of expected answers:
//! - no answer is a server error;
//! - no answer names a unit outside the caller's units and the units above them (by id, by path,
//!   or by the name of a village or township found nowhere the caller may look) — besides the
//!   caller's own units (their own tasks name them), the home units of people sent into the
//!   scope (shown beside those people) and the units of the county's published deeds;
//! - a unit outside scope gets the same answer as a unit that does not exist (no existence oracle);
//! - every change the callers made (each is audited) lies inside their scope;
//! - every state-changing page route refuses a session without its CSRF token and changes nothing.
//!
//! CI runs a few hundred requests per account; `scripts/reliability.sh access` runs more
//! (`FRONTLINE_ACCESS_ROUNDS`).

use std::collections::BTreeMap;

use frontline_core::access::{Actor, Scope};
use frontline_db::Sql;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// An id nothing has.
const MISSING: i64 = 9_000_000_001;

struct Unit {
    path: String,
    name: String,
    kind: String,
}

struct Caller {
    username: String,
    user_id: i64,
    token: String,
    scope: Scope,
    /// Units the caller may see beyond the scope, with the units above them: the caller's own
    /// (home unit, posts held, postings, deployments — their own tasks name them) and the home
    /// units of people posted or deployed into the scope (shown beside those people).
    also: Vec<String>,
    /// Units inside the scope, and units neither inside it nor above it.
    inside: Vec<i64>,
    outside: Vec<i64>,
    /// Names of villages and townships outside, found in no unit the caller may look at.
    foreign_names: Vec<String>,
}

/// One documented API operation.
struct Route {
    method: reqwest::Method,
    path: String,
    body: Option<Value>,
}

struct Verdicts {
    attempts_outside: usize,
    requests: usize,
    /// Answers by status.
    statuses: BTreeMap<u16, usize>,
    /// Unit references read in successful answers (each one judged).
    references: usize,
    problems: Vec<String>,
}

async fn load_units(app: &TestApp) -> BTreeMap<i64, Unit> {
    let rows: Vec<(i64, String, String, String)> =
        app.db.all(&Sql::new("SELECT id, path, name, kind FROM units")).await.unwrap();
    rows.into_iter().map(|(id, path, name, kind)| (id, Unit { path, name, kind })).collect()
}

/// The demo's accounts but the administrator, and accounts of drawn places at every level.
async fn callers(app: &TestApp, units: &BTreeMap<i64, Unit>, rng: &mut StdRng) -> Vec<Caller> {
    let mut names: Vec<String> =
        ["county_org", "township_secretary", "village_secretary", "grid_worker", "member", "inspector"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let hash = frontline_web::auth::hash_password(frontline_app::demo::DEMO_PASSWORD).unwrap();
    let system = Actor::system("access test");
    for (role, kind, how_many) in [
        ("township_secretary", "township", 3),
        ("village_secretary", "village", 4),
        ("grid_worker", "grid", 3),
        ("member", "village", 2),
    ] {
        let role_id = frontline_db::access::role_id_by_key(&app.db, role).await.unwrap().unwrap();
        let places: Vec<i64> = units.iter().filter(|(_, u)| u.kind == kind).map(|(id, _)| *id).collect();
        for k in 0..how_many {
            let place = places[rng.random_range(0..places.len())];
            let person: Option<(i64,)> = app
                .db
                .opt(&Sql::with(
                    "SELECT p.id FROM people p LEFT JOIN users u ON u.person_id = p.id \
                     WHERE p.home_unit_id = $1 AND u.id IS NULL ORDER BY p.id LIMIT 1",
                    vec![place.into()],
                ))
                .await
                .unwrap();
            let Some((person,)) = person else { continue };
            let username = format!("acc_{role}_{k}");
            let user = frontline_db::access::NewUser {
                username: username.clone(),
                display_name: format!("访问测试{k}"),
                password_hash: hash.clone(),
                person_id: Some(person),
                role_ids: vec![role_id],
                must_change_password: false,
            };
            frontline_db::access::create_user(&app.db, &system, &user).await.unwrap();
            names.push(username);
        }
    }
    let mut out = Vec::new();
    for username in names {
        let (user_id,): (i64,) = app
            .db
            .one(&Sql::with("SELECT id FROM users WHERE username = $1", vec![username.clone().into()]))
            .await
            .unwrap();
        let scope = frontline_db::access::load_actor(&app.db, user_id, "").await.unwrap().scope;
        let token = app.api(&username).await.token.unwrap();
        let also = also_visible(app, units, &scope).await;
        let inside: Vec<i64> = units.iter().filter(|(_, u)| scope.reaches(&u.path)).map(|(id, _)| *id).collect();
        let outside: Vec<i64> =
            units.iter().filter(|(_, u)| !may_see(&scope, &also, &u.path)).map(|(id, _)| *id).collect();
        let visible: Vec<&str> =
            units.values().filter(|u| may_see(&scope, &also, &u.path)).map(|u| u.name.as_str()).collect();
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for u in units.values() {
            *count.entry(u.name.as_str()).or_default() += 1;
        }
        let foreign_names = outside
            .iter()
            .map(|id| &units[id])
            .filter(|u| (u.kind == "village" || u.kind == "township") && u.name.chars().count() >= 3)
            .filter(|u| count[u.name.as_str()] == 1 && !visible.iter().any(|v| v.contains(u.name.as_str())))
            .map(|u| u.name.clone())
            .collect();
        out.push(Caller { username, user_id, token, scope, also, inside, outside, foreign_names });
    }
    out
}

/// Whether an answer to a caller with this scope (and these units besides) may name the unit at
/// `path`: inside the scope, above it, or one of the units besides or above them.
fn may_see(scope: &Scope, also: &[String], path: &str) -> bool {
    scope.reaches_or_is_above(path) || also.iter().any(|own| own.starts_with(path))
}

/// The caller's own units and the home units of people sent into the scope (see `Caller::also`).
async fn also_visible(app: &TestApp, units: &BTreeMap<i64, Unit>, scope: &Scope) -> Vec<String> {
    let me = scope.person_id.unwrap_or(0);
    let own: Vec<(i64,)> = app
        .db
        .all(&Sql::with(
            "SELECT home_unit_id FROM people WHERE id = $1 \
             UNION SELECT p.unit_id FROM tenures t JOIN posts p ON p.id = t.post_id WHERE t.person_id = $1 AND t.end_date IS NULL \
             UNION SELECT unit_id FROM postings WHERE person_id = $1 AND end_date IS NULL \
             UNION SELECT target_unit_id FROM deployments WHERE person_id = $1 AND end_date IS NULL",
            vec![me.into()],
        ))
        .await
        .unwrap();
    let sent_in: Vec<(i64, i64)> = app
        .db
        .all(&Sql::new(
            "SELECT p.home_unit_id, po.unit_id FROM postings po JOIN people p ON p.id = po.person_id WHERE po.end_date IS NULL \
             UNION SELECT d.home_unit_id, d.target_unit_id FROM deployments d WHERE d.end_date IS NULL",
        ))
        .await
        .unwrap();
    // Published typical deeds are read across the caller's county (`honours::published_deeds_for`);
    // the demo holds one county.
    let published: Vec<(i64,)> = if scope.person_id.is_some() {
        app.db.all(&Sql::new("SELECT unit_id FROM deeds WHERE status = 'published'")).await.unwrap()
    } else {
        Vec::new()
    };
    let path = |id: i64| units.get(&id).map(|u| u.path.clone());
    let mut out: Vec<String> = own.into_iter().chain(published).filter_map(|(u,)| path(u)).collect();
    for (home, into) in sent_in {
        if path(into).is_some_and(|p| scope.reaches(&p)) {
            out.extend(path(home));
        }
    }
    out
}

/// Every documented operation but signing in and the caller's own account.
fn routes(doc: &Value) -> Vec<Route> {
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/auth") || path.starts_with("/api/v1/me/") || path == "/api/v1/openapi.json" {
            continue;
        }
        for (method, op) in ops.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else { continue };
            let body = op["requestBody"]["content"]["application/json"]["schema"].clone();
            out.push(Route { method, path: path.clone(), body: (!body.is_null()).then_some(body) });
        }
    }
    out
}

/// A body of the schema's shape: required fields filled, ids pointing at `unit`.
fn fill(doc: &Value, schema: &Value, unit: i64, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return fill(doc, &doc["components"]["schemas"][name], unit, depth + 1);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[key].as_array().and_then(|a| a.iter().find(|s| s["type"] != "null")) {
            return fill(doc, first, unit, depth + 1);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|a| a.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned().unwrap_or(Value::Null),
        t => t.clone(),
    };
    match kind.as_str().unwrap_or("object") {
        "integer" => json!(unit),
        "number" => json!(1.0),
        "boolean" => json!(true),
        "array" => json!([fill(doc, &schema["items"], unit, depth + 1)]),
        "string" => match schema["format"].as_str() {
            Some("date") => json!("2026-11-20"),
            Some("date-time") => json!("2026-11-20T08:00:00Z"),
            _ => json!("访问测试"),
        },
        _ => {
            let mut obj = serde_json::Map::new();
            let required: Vec<&str> =
                schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in props {
                    if required.contains(&k.as_str()) {
                        obj.insert(k.clone(), fill(doc, v, unit, depth + 1));
                    }
                }
            }
            Value::Object(obj)
        }
    }
}

/// Units an answer names: `unit_id`, `…_unit_id` and `parent_id` numbers, `path`/`unit_path` strings.
fn named_units(v: &Value, key: &str, units: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                named_units(x, k, units);
            }
        }
        Value::Array(a) => {
            for x in a {
                named_units(x, key, units);
            }
        }
        Value::Number(_) if key == "unit_id" || key.ends_with("_unit_id") || key == "parent_id" => {
            units.push((key.to_string(), v.clone()));
        }
        Value::String(s) if (key == "path" || key == "unit_path") && s.starts_with('/') => {
            units.push((key.to_string(), v.clone()));
        }
        _ => {}
    }
}

/// What an answer shows that it should not; empty when it shows nothing outside.
fn leaks(caller: &Caller, units: &BTreeMap<i64, Unit>, body: &str, references: &mut usize) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let mut named = Vec::new();
        named_units(&v, "", &mut named);
        *references += named.len();
        for (key, value) in named {
            let path = match &value {
                Value::Number(n) => n.as_i64().and_then(|id| units.get(&id)).map(|u| u.path.clone()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            };
            if let Some(path) = path
                && !may_see(&caller.scope, &caller.also, &path)
            {
                out.push(format!("{key} = {value}"));
            }
        }
    }
    for name in &caller.foreign_names {
        if body.contains(name.as_str()) {
            out.push(format!("the name {name}"));
        }
    }
    out
}

fn pick(rng: &mut StdRng, ids: &[i64]) -> Option<i64> {
    (!ids.is_empty()).then(|| ids[rng.random_range(0..ids.len())])
}

async fn send(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: &reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, String) {
    let mut r = http.request(method.clone(), format!("{base}{path}")).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(b);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// What every probe reads: the server, its API document and routes, and the unit tree.
struct World<'a> {
    app: &'a TestApp,
    doc: &'a Value,
    routes: &'a [Route],
    units: &'a BTreeMap<i64, Unit>,
}

/// The API: `rounds` random requests of one caller.
async fn probe_api(world: &World<'_>, caller: &Caller, rng: &mut StdRng, rounds: usize, v: &mut Verdicts) {
    let World { app, doc, routes, units } = *world;
    let http = reqwest::Client::new();
    let max_id = units.keys().max().copied().unwrap_or(1) + 100;
    for _ in 0..rounds {
        let route = &routes[rng.random_range(0..routes.len())];
        // The id in the path, and whether it is known to lie outside.
        let segments: Vec<&str> = route.path.split('/').collect();
        let unit_route = segments.windows(2).any(|w| (w[0] == "units" || w[0] == "households") && w[1] == "{id}");
        let (id, outside) = match rng.random_range(0..4) {
            0 | 1 => match pick(rng, &caller.outside) {
                Some(id) => (id, unit_route),
                None => (rng.random_range(1..max_id), false),
            },
            2 => match pick(rng, &caller.inside) {
                Some(id) => (id, false),
                None => (rng.random_range(1..max_id), false),
            },
            _ => (rng.random_range(1..max_id), false),
        };
        let body_unit = pick(rng, &caller.outside).unwrap_or(MISSING);
        let body = route.body.as_ref().map(|s| fill(doc, s, body_unit, 0));
        let mut path = route.path.replace("{id}", &id.to_string());
        if route.method == reqwest::Method::GET && !path.contains("{") && rng.random_range(0..2) == 0 {
            let sep = if path.contains('?') { '&' } else { '?' };
            path = format!("{path}{sep}unit={body_unit}&unit_id={body_unit}");
        }
        if path.contains('{') {
            continue;
        }
        let (status, text) = send(&http, &app.base, &caller.token, &route.method, &path, body.as_ref()).await;
        v.requests += 1;
        *v.statuses.entry(status).or_default() += 1;
        if outside || body.is_some() || path.contains("unit=") {
            v.attempts_outside += 1;
        }
        let what = format!("{} {} {path} as {}", status, route.method, caller.username);
        if status >= 500 {
            v.problems.push(format!("server error: {what}: {text}"));
            continue;
        }
        if (200..300).contains(&status) {
            let found = leaks(caller, units, &text, &mut v.references);
            if !found.is_empty() {
                v.problems.push(format!("{what} shows {}", found.join(", ")));
            }
        }
        if outside {
            let (twin, _) = send(
                &http,
                &app.base,
                &caller.token,
                &route.method,
                &route.path.replace("{id}", &MISSING.to_string()),
                body.as_ref(),
            )
            .await;
            v.requests += 1;
            if twin != status {
                v.problems.push(format!("{what}: a unit outside answers {status}, a missing one {twin}"));
            }
        }
    }
}

/// Page routes (path, methods) as the UI's source declares them.
fn page_routes() -> Vec<(String, Vec<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/ui");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in source.lines() {
            let Some(rest) = line.trim().strip_prefix(".route(\"") else { continue };
            let (path, handlers) = rest.split_once('"').unwrap();
            let methods = ["get", "post", "put", "delete"]
                .iter()
                .filter(|m| handlers.contains(&format!("{m}(")))
                .map(|m| m.to_string())
                .collect();
            out.push((path.to_string(), methods));
        }
    }
    assert!(out.len() > 100, "the page routes were read: {}", out.len());
    out
}

/// Pages: every page route with ids outside the caller's scope shows nothing from outside.
async fn probe_pages(app: &TestApp, caller: &Caller, units: &BTreeMap<i64, Unit>, rng: &mut StdRng, v: &mut Verdicts) {
    let ui = app.ui(&caller.username).await;
    let max_id = units.keys().max().copied().unwrap_or(1) + 100;
    for (path, methods) in page_routes() {
        if !methods.iter().any(|m| m == "get") || !path.contains('{') {
            continue;
        }
        let foreign = pick(rng, &caller.outside).unwrap_or(MISSING);
        let guessed = rng.random_range(1..max_id);
        for id in [foreign, guessed] {
            let filled = path.split('/').map(|s| if s.starts_with('{') { id.to_string() } else { s.to_string() });
            let page = filled.collect::<Vec<_>>().join("/");
            let (status, body) = ui.get(&page).await;
            v.requests += 1;
            *v.statuses.entry(status).or_default() += 1;
            v.attempts_outside += 1;
            if status >= 500 {
                v.problems.push(format!("server error: GET {page} as {}: {status}", caller.username));
            } else if status == 200 {
                let found = leaks(caller, units, &body, &mut v.references);
                if !found.is_empty() {
                    v.problems.push(format!("GET {page} as {} shows {}", caller.username, found.join(", ")));
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_answer_reveals_or_changes_anything_outside_the_callers_units() {
    let rounds: usize = std::env::var("FRONTLINE_ACCESS_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let seed = 20_261_124;
    let mut rng = StdRng::seed_from_u64(seed);
    let app = TestApp::new().await;
    let units = load_units(&app).await;
    let callers = callers(&app, &units, &mut rng).await;
    let (_, doc) = app.anonymous().get("/openapi.json").await;
    let routes = routes(&doc);
    assert!(routes.len() > 150, "every documented operation: {}", routes.len());
    let mut v =
        Verdicts { attempts_outside: 0, requests: 0, statuses: BTreeMap::new(), references: 0, problems: Vec::new() };
    // The judge sees a leak when there is one.
    let village = &callers.iter().find(|c| c.username == "village_secretary").unwrap();
    let elsewhere = village.outside[0];
    let mut seen = 0;
    assert!(!leaks(village, &units, &json!({"items": [{"unit_id": elsewhere}]}).to_string(), &mut seen).is_empty());
    let name = &village.foreign_names[0];
    assert!(!leaks(village, &units, &format!("<td>{name}</td>"), &mut seen).is_empty());
    let world = World { app: &app, doc: &doc, routes: &routes, units: &units };
    for (k, caller) in callers.iter().enumerate() {
        probe_api(&world, caller, &mut rng, rounds, &mut v).await;
        // Pages for every other caller: logins from one address are limited to 30 a minute.
        if k % 2 == 0 {
            probe_pages(&app, caller, &units, &mut rng, &mut v).await;
        }
    }
    // Every change the callers made lies in their scope.
    let mut changes = 0;
    for caller in &callers {
        let made: Vec<(String, Option<String>)> = app
            .db
            .all(&Sql::with(
                "SELECT action, unit_path FROM audit_log WHERE actor_user_id = $1",
                vec![caller.user_id.into()],
            ))
            .await
            .unwrap();
        changes += made.len();
        for (action, path) in made {
            if let Some(path) = path
                && !caller.scope.reaches(&path)
            {
                v.problems.push(format!("{} changed {action} at {path}, outside their scope", caller.username));
            }
        }
    }
    println!(
        "{} callers, {} requests, {} out-of-scope attempts (seed {seed}); answers by status {:?}; \
         {} unit references in successful answers judged; {changes} changes made in scope; \
         leaked or changed outside: {}",
        callers.len(),
        v.requests,
        v.attempts_outside,
        v.statuses,
        v.references,
        v.problems.len()
    );
    assert!(v.problems.is_empty(), "{} problems:\n{}", v.problems.len(), v.problems.join("\n"));
    assert!(callers.len() >= 15 && v.attempts_outside > callers.len() * rounds / 4);
}

/// Every state-changing page route refuses a logged-in session that does not send the page's
/// CSRF token, and nothing is written.
#[tokio::test]
async fn every_state_changing_page_needs_the_csrf_token() {
    let app = TestApp::new().await;
    let ui = app.ui("county_org").await;
    let unit = app.unit_id("330382006205").await;
    let before = app.count("SELECT COUNT(*) FROM audit_log").await;
    let mut tried = 0;
    for (path, methods) in page_routes() {
        for method in methods.iter().filter(|m| *m != "get") {
            let filled = path.split('/').map(|s| if s.starts_with('{') { unit.to_string() } else { s.to_string() });
            let page = filled.collect::<Vec<_>>().join("/");
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let r = ui
                .http
                .request(method.clone(), format!("{}{page}", app.base))
                .header("hx-request", "true")
                .form(&[("name", "跨站请求"), ("unit_id", &unit.to_string())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "{method} {page} without the CSRF token");
            tried += 1;
        }
    }
    assert!(tried > 60, "state-changing page routes tried: {tried}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, before, "nothing was written");
}
