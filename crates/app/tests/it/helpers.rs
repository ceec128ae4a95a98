//! Spawning the application for a test and talking to it as the demo's users.

use std::net::SocketAddr;

use frontline_app::demo::{self, DEMO_PASSWORD, DemoSummary, Scale};
use frontline_db::testing::{Template, TestDb};
use frontline_db::{Db, Sql};
use frontline_web::{AppState, Config};
use serde_json::{Value, json};

/// A running server over a fresh database holding 乐清's structure with a few people per unit.
pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub summary: DemoSummary,
    pub db_url: String,
    _guard: TestDb,
}

/// The demo's data, made once and copied for each test while it is fresh.
struct Seeded {
    template: Template,
    summary: DemoSummary,
    made: std::time::Instant,
    days: (chrono::NaiveDate, chrono::NaiveDate),
}

static SEEDED: tokio::sync::Mutex<Option<Seeded>> = tokio::sync::Mutex::const_new(None);

/// The demo's dates are relative to "now" in UTC and in China, so a copy is only as good as the
/// day it was made on; it is made again after ten minutes or when either day turns.
fn seed_days() -> (chrono::NaiveDate, chrono::NaiveDate) {
    let now = chrono::Utc::now();
    (now.date_naive(), frontline_core::time::today_in_china(now))
}

/// A fresh database holding the demo (乐清, small scale, a week of records).
async fn seeded_database() -> (TestDb, DemoSummary) {
    let mut slot = SEEDED.lock().await;
    let fresh =
        slot.as_ref().is_some_and(|s| s.days == seed_days() && s.made.elapsed() < std::time::Duration::from_secs(600));
    if !fresh {
        let guard = TestDb::new().await.expect("test database");
        frontline_db::access::ensure_builtin_roles(&guard.db).await.expect("roles");
        let days = seed_days();
        let summary = demo::seed(&guard.db, Scale::SMALL, 7).await.expect("demo seed");
        let template = guard.into_template().await.expect("template");
        *slot = Some(Seeded { template, summary, made: std::time::Instant::now(), days });
    }
    let seeded = slot.as_ref().expect("seeded above");
    let copy = TestDb::copy_of(&seeded.template).await.expect("copy of the demo");
    (copy, seeded.summary.clone())
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_config(Config::default()).await
    }

    /// A server with these settings.
    pub async fn with_config(config: Config) -> TestApp {
        let (guard, summary) = seeded_database().await;
        let db = guard.db.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = AppState::new(db.clone(), config);
        let app = frontline_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestApp { base: format!("http://{addr}"), db, summary, db_url: guard.url.clone(), _guard: guard }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An API client holding a bearer token of the given demo user.
    pub async fn api(&self, username: &str) -> Api {
        self.api_with(username, DEMO_PASSWORD).await
    }

    /// An API client holding a bearer token of a user with this password.
    pub async fn api_with(&self, username: &str, password: &str) -> Api {
        let http = reqwest::Client::new();
        let r = http
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"username": username, "password": password, "name": "test"}))
            .send()
            .await
            .expect("token request");
        assert_eq!(r.status(), 201, "token for {username}");
        let token = r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string();
        Api { http, base: self.base.clone(), token: Some(token), lang: None }
    }

    /// An API client of an account whose password someone else set: its first token replaces
    /// the password `given` with `chosen` (as a first login must).
    pub async fn api_first(&self, username: &str, given: &str, chosen: &str) -> Api {
        let http = reqwest::Client::new();
        let r = http
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"username": username, "password": given, "name": "test", "new_password": chosen}))
            .send()
            .await
            .expect("token request");
        assert_eq!(r.status(), 201, "first token for {username}");
        let token = r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string();
        Api { http, base: self.base.clone(), token: Some(token), lang: None }
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Api {
        Api { http: reqwest::Client::new(), base: self.base.clone(), token: None, lang: None }
    }

    /// A browser-like client logged in through the login form, with its session cookie.
    pub async fn ui(&self, username: &str) -> Ui {
        let (http, r) = self.login_form(username, DEMO_PASSWORD).await;
        assert_eq!(r.status(), 200, "login of {username}");
        assert_eq!(r.headers().get("hx-redirect").and_then(|v| v.to_str().ok()), Some("/"));
        // `/` sends each user to the first page they may open.
        let home = http.get(self.url("/")).send().await.expect("home");
        let landing = home.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("/units").to_string();
        let mut ui = Ui { http, base: self.base.clone(), csrf: String::new() };
        let page = ui.get(&landing).await;
        assert_eq!(page.0, 200, "landing page {landing}");
        ui.csrf = between(&page.1, "\"X-CSRF-Token\": \"", "\"").expect("page csrf").to_string();
        ui
    }

    /// A browser-like client (cookies kept, redirects not followed) that has sent the login form
    /// with this password, and the answer to it.
    pub async fn login_form(&self, username: &str, password: &str) -> (reqwest::Client, reqwest::Response) {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let page = http.get(self.url("/login")).send().await.expect("login page").text().await.expect("text");
        let csrf = between(&page, "\"X-CSRF-Token\": \"", "\"").expect("login csrf").to_string();
        let r = http
            .post(self.url("/login"))
            .header("x-csrf-token", csrf)
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("login");
        (http, r)
    }

    /// Posts a form on the page of a login step (`/login/second-factor`, `/login/password`) with
    /// the CSRF token that page gives the waiting login: status, body, and where next.
    pub async fn login_step(
        &self,
        http: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let page = http.get(self.url(path)).send().await.expect("the step's page");
        assert_eq!(page.status().as_u16(), 200, "the page of {path}");
        let page = page.text().await.expect("text");
        let csrf = between(&page, "\"X-CSRF-Token\": \"", "\"").expect("step csrf").to_string();
        let r = http.post(self.url(path)).header("x-csrf-token", csrf).form(form).send().await.expect("post");
        let status = r.status().as_u16();
        let to = r.headers().get("hx-redirect").and_then(|v| v.to_str().ok()).map(str::to_string);
        (status, r.text().await.expect("text"), to)
    }

    /// Id of a unit by its division code.
    pub async fn unit_id(&self, code: &str) -> i64 {
        let (id,): (i64,) = self
            .db
            .one(&Sql::with("SELECT id FROM units WHERE code = $1", vec![code.into()]))
            .await
            .expect("unit by code");
        id
    }

    /// Id of a unit by name (the first one).
    pub async fn unit_named(&self, name: &str) -> i64 {
        let (id,): (i64,) = self
            .db
            .one(&Sql::with("SELECT id FROM units WHERE name = $1 ORDER BY id LIMIT 1", vec![name.into()]))
            .await
            .expect("unit by name");
        id
    }

    /// A person whose home unit is the given unit.
    pub async fn person_in(&self, unit_id: i64) -> i64 {
        let (id,): (i64,) = self
            .db
            .one(&Sql::with("SELECT id FROM people WHERE home_unit_id = $1 ORDER BY id LIMIT 1", vec![unit_id.into()]))
            .await
            .expect("person in unit");
        id
    }

    /// A post in the given unit.
    pub async fn post_in(&self, unit_id: i64) -> i64 {
        let (id,): (i64,) = self
            .db
            .one(&Sql::with("SELECT id FROM posts WHERE unit_id = $1 ORDER BY id LIMIT 1", vec![unit_id.into()]))
            .await
            .expect("post in unit");
        id
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.db.count(&Sql::new(sql)).await.expect("count")
    }
}

pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// A JSON API client.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
    pub lang: Option<&'static str>,
}

impl Api {
    /// A request to `/api/v1{path}` with the client's token and language.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}/api/v1{path}", self.base));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(l) = self.lang {
            r = r.header("accept-language", l);
        }
        r
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        respond(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let r = self.req(reqwest::Method::GET, path).send().await.expect("request");
        (r.status().as_u16(), r.bytes().await.expect("bytes").to_vec())
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        respond(self.req(reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        respond(self.req(reqwest::Method::PUT, path).json(&body)).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        respond(self.req(reqwest::Method::POST, path).header("content-type", content_type).body(body)).await
    }
}

async fn respond(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("text");
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// A logged-in browser-like client (cookies, CSRF header as htmx sends it).
pub struct Ui {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Ui {
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.expect("get");
        (r.status().as_u16(), r.text().await.expect("text"))
    }

    pub async fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.expect("get");
        (r.status().as_u16(), r.bytes().await.expect("bytes").to_vec())
    }

    /// Posts a form the way htmx does: with the page's CSRF token in a header.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, reqwest::header::HeaderMap) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .header("hx-request", "true")
            .form(form)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, r.text().await.expect("text"), headers)
    }
}

/// The demo's ids the tests use: 白石街道 and its 岐元村, and another township and village.
pub struct Places {
    pub baishi: i64,
    pub qiyuan: i64,
    pub qiyuan_branch: i64,
    pub other_village_same_township: i64,
    pub other_township: i64,
    pub village_elsewhere: i64,
    pub village_elsewhere_branch: i64,
}

impl Places {
    pub async fn load(app: &TestApp) -> Places {
        let baishi = app.unit_id("330382006").await;
        let qiyuan = app.unit_id("330382006205").await;
        let other_township = app.unit_id("330382101").await;
        let branch = |v: i64| {
            let db = app.db.clone();
            async move {
                let (id,): (i64,) = db
                    .one(&Sql::with(
                        "SELECT id FROM units WHERE parent_id = $1 AND kind = 'party_branch'",
                        vec![v.into()],
                    ))
                    .await
                    .expect("branch");
                id
            }
        };
        let (other_village,): (i64,) = app
            .db
            .one(&Sql::with(
                "SELECT id FROM units WHERE parent_id = $1 AND kind = 'village' AND id <> $2 ORDER BY id LIMIT 1",
                vec![baishi.into(), qiyuan.into()],
            ))
            .await
            .expect("other village");
        let (elsewhere,): (i64,) = app
            .db
            .one(&Sql::with(
                "SELECT id FROM units WHERE parent_id = $1 AND kind = 'village' ORDER BY id LIMIT 1",
                vec![other_township.into()],
            ))
            .await
            .expect("village elsewhere");
        Places {
            baishi,
            qiyuan,
            qiyuan_branch: branch(qiyuan).await,
            other_village_same_township: other_village,
            other_township,
            village_elsewhere: elsewhere,
            village_elsewhere_branch: branch(elsewhere).await,
        }
    }
}

/// A real photo as small as one can be: a 1×1 red PNG whose file carries an EXIF block (`eXIf`,
/// with "GPS" in it) that the server must not keep.
pub fn tiny_png() -> Vec<u8> {
    vec![
        137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 144, 119,
        83, 222, 0, 0, 0, 7, 101, 88, 73, 102, 77, 77, 0, 42, 71, 80, 83, 224, 235, 213, 68, 0, 0, 0, 12, 73, 68, 65,
        84, 120, 156, 99, 56, 96, 169, 13, 0, 2, 225, 1, 37, 250, 190, 29, 237, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66,
        96, 130,
    ]
}
