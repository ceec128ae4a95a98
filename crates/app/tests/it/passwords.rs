//! Password ageing, history and the first login (issue 29, 身份鉴别): a password someone else set
//! is changed by its holder before anything else, in the browser and for an API token; a password
//! past the policy's age likewise; none of the last few may come back; the policy is the security
//! administrator's setting, refused to others and audited.

use serde_json::json;

use crate::helpers::TestApp;

/// Posts the new password on the page a waiting login was sent to; status, body and where next.
async fn choose(app: &TestApp, http: &reqwest::Client, new: &str, repeat: &str) -> (u16, String, Option<String>) {
    app.login_step(http, "/login/password", &[("new_password", new), ("repeat_password", repeat)]).await
}

fn redirect_of(r: &reqwest::Response) -> Option<String> {
    r.headers().get("hx-redirect").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A new account of the county organisation department's making, for a person of the county.
async fn new_account(app: &TestApp, username: &str, password: &str) -> i64 {
    let county = app.api("county_org").await;
    let dept = app.unit_named("市委组织部").await;
    let person = app.person_in(dept).await;
    let role = frontline_db::access::role_id_by_key(&app.db, "grid_worker").await.unwrap().unwrap();
    let (s, body) = county
        .post(
            "/users",
            json!({"username": username, "display_name": "新账号", "password": password, "person_id": person, "role_ids": [role]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_password_someone_else_set_is_changed_at_the_first_login() {
    let app = TestApp::new().await;
    new_account(&app, "first_login", "Given-pass-2026").await;
    let must_change = || async {
        let (_, users) = app.api("county_org").await.get("/users?per_page=200").await;
        let me = users["items"].as_array().unwrap().iter().find(|u| u["username"] == "first_login").unwrap().clone();
        me["must_change_password"].as_bool().unwrap()
    };
    assert!(must_change().await, "the list shows it");
    let (http, r) = app.login_form("first_login", "Given-pass-2026").await;
    assert_eq!(r.status(), 200);
    assert_eq!(redirect_of(&r).as_deref(), Some("/login/password"));
    // The waiting login opens nothing else.
    let r = http.get(app.url("/units")).send().await.unwrap();
    assert_eq!(r.status(), 303, "no page before the password is changed");
    let page = http.get(app.url("/login/password")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("管理员设置或系统生成"), "it says why: {page}");
    // The given password again, a weak one, two that differ: each refused by name.
    let (s, body, _) = choose(&app, &http, "Given-pass-2026", "Given-pass-2026").await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("不能使用最近用过的密码"), "{body}");
    let (s, body, _) = choose(&app, &http, "weakweak", "weakweak").await;
    assert_eq!(s, 422, "{body}");
    let (s, body, _) = choose(&app, &http, "Mine-only-2026", "Mine-only-2027").await;
    assert_eq!(s, 422, "{body}");
    // A good one: the login goes on, logged in.
    let (s, body, to) = choose(&app, &http, "Mine-only-2026", "Mine-only-2026").await;
    assert_eq!((s, to.as_deref()), (200, Some("/")), "{body}");
    let r = http.get(app.url("/units")).send().await.unwrap();
    assert_eq!(r.status(), 200, "logged in after the change");
    assert!(!must_change().await);
    // The given password no longer works; the chosen one does, with no change asked.
    let (_, r) = app.login_form("first_login", "Given-pass-2026").await;
    assert_ne!(redirect_of(&r).as_deref(), Some("/login/password"));
    assert!(redirect_of(&r).is_none(), "the old password is refused");
    let (_, r) = app.login_form("first_login", "Mine-only-2026").await;
    assert_eq!(redirect_of(&r).as_deref(), Some("/"));
    let changed = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.password' AND after_state LIKE '%\"must_change_password\":false%'")
        .await;
    assert_eq!(changed, 1, "the holder's own change, audited");
}

#[tokio::test]
async fn an_api_token_of_a_password_someone_else_set_comes_with_a_new_password() {
    let app = TestApp::new().await;
    new_account(&app, "api_first", "Given-pass-2026").await;
    let ask = |body: serde_json::Value| {
        let app = &app;
        async move { app.anonymous().post("/auth/token", body).await }
    };
    let (s, body) = ask(json!({"username": "api_first", "password": "Given-pass-2026", "name": "x"})).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.password.change_due")), "{body}");
    let (s, body) = ask(json!({"username": "api_first", "password": "Given-pass-2026", "name": "x",
        "new_password": "Given-pass-2026"}))
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["code"], "error.user.password_reused");
    app.api_first("api_first", "Given-pass-2026", "Chosen-pass-2026").await;
    app.api_with("api_first", "Chosen-pass-2026").await;
}

#[tokio::test]
async fn an_old_password_is_changed_at_the_next_login_and_the_last_ones_never_come_back() {
    let app = TestApp::new().await;
    let admin = app.api("admin").await;
    // Passwords last 30 days here, and the last three may not come back.
    let (s, body) = admin.put("/security/password-policy", json!({"max_age_days": 30, "history": 3})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["password_policy"]["max_age_days"], 30);
    // The grid worker's password was set 31 days ago.
    let back = chrono::Utc::now() - chrono::Duration::days(31);
    app.db
        .execute_outside_transaction(&frontline_db::Sql::with(
            "UPDATE users SET password_changed_at = $1 WHERE username = 'grid_worker'",
            vec![back.into()],
        ))
        .await
        .unwrap();
    let (http, r) = app.login_form("grid_worker", frontline_app::demo::DEMO_PASSWORD).await;
    assert_eq!(redirect_of(&r).as_deref(), Some("/login/password"));
    let page = http.get(app.url("/login/password")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已超过有效期"), "{page}");
    let (s, _, to) = choose(&app, &http, "Grid-fresh-2026", "Grid-fresh-2026").await;
    assert_eq!((s, to.as_deref()), (200, Some("/")));
    // Two more changes from the account; then the first two are refused (the last three count,
    // the one in use among them), and the demo's, four changes back, is allowed again.
    let own = |current: &'static str, new: &'static str| {
        let app = &app;
        async move {
            app.api_with("grid_worker", current)
                .await
                .post("/me/password", json!({"current_password": current, "new_password": new}))
                .await
        }
    };
    assert_eq!(own("Grid-fresh-2026", "Grid-second-2026").await.0, 204);
    assert_eq!(own("Grid-second-2026", "Grid-third-2026").await.0, 204);
    let (s, body) = own("Grid-third-2026", "Grid-fresh-2026").await;
    assert_eq!((s, body["fields"][0]["code"].as_str()), (422, Some("error.user.password_reused")), "{body}");
    let (s, _) = own("Grid-third-2026", "Grid-second-2026").await;
    assert_eq!(s, 422);
    let (s, body) = own("Grid-third-2026", frontline_app::demo::DEMO_PASSWORD).await;
    assert_eq!(s, 204, "{body}");
}

#[tokio::test]
async fn only_the_security_administrator_sets_the_policy_and_it_is_audited() {
    let app = TestApp::new().await;
    let county = app.api("county_org").await;
    assert_eq!(county.get("/security").await.0, 403);
    let (s, _) = county.put("/security/password-policy", json!({"max_age_days": 0, "history": 1})).await;
    assert_eq!(s, 403);
    let county_ui = app.ui("county_org").await;
    assert_eq!(county_ui.get("/security").await.0, 403);
    let admin = app.api("admin").await;
    let (s, settings) = admin.get("/security").await;
    assert_eq!(s, 200);
    assert_eq!(settings["password_policy"], json!({"max_age_days": 90, "history": 5}), "the defaults");
    assert_eq!(settings["idle_minutes"], 30);
    let (s, body) = admin.put("/security/password-policy", json!({"max_age_days": 400, "history": 0})).await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["max_age_days", "history"]);
    // The page: the form, and a change from it that answers and is audited.
    let ui = app.ui("admin").await;
    let (s, page) = ui.get("/security").await;
    assert_eq!(s, 200);
    assert!(page.contains("密码有效期") && page.contains("value=\"90\""), "{page}");
    let (s, body, headers) = ui.post("/security/password-policy", &[("max_age_days", "60"), ("history", "4")]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(headers["hx-refresh"], "true");
    let (_, settings) = admin.get("/security").await;
    assert_eq!(settings["password_policy"], json!({"max_age_days": 60, "history": 4}));
    let (s, body, _) = ui.post("/security/password-policy", &[("max_age_days", "sixty"), ("history", "4")]).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'security.password_policy'").await, 1);
}

#[tokio::test]
async fn the_self_check_judges_the_settings_and_names_the_operator_s_part() {
    let app = TestApp::new().await;
    let secadmin = app.api("secadmin").await;
    let state = |checks: &serde_json::Value, id: &str| {
        checks.as_array().unwrap().iter().find(|c| c["id"] == id).map(|c| c["state"].as_str().unwrap().to_string())
    };
    let (s, checks) = secadmin.get("/security/self-check").await;
    assert_eq!(s, 200);
    // The demo keeps its administrators without a second factor, the superuser beside the three,
    // and the chain in SHA-256: each named as not set.
    assert_eq!(state(&checks, "second_factor").as_deref(), Some("not_set"));
    assert_eq!(state(&checks, "separation_of_duties").as_deref(), Some("not_set"));
    assert_eq!(state(&checks, "audit_sm3").as_deref(), Some("not_set"));
    assert_eq!(state(&checks, "password_policy").as_deref(), Some("met"));
    assert_eq!(state(&checks, "tls").as_deref(), Some("operator"));
    // Turned to SM3: met.
    assert_eq!(secadmin.post("/security/audit-sm3", json!({})).await.0, 200);
    let (_, checks) = secadmin.get("/security/self-check").await;
    assert_eq!(state(&checks, "audit_sm3").as_deref(), Some("met"));
    // The page, for the security administrator and the auditor; not for the county.
    let (s, page) = app.ui("secadmin").await.get("/security/self-check").await;
    assert_eq!(s, 200);
    assert!(page.contains("data-check=\"separation_of_duties\"") && page.contains("frontline admin split"), "{page}");
    assert_eq!(app.ui("auditor").await.get("/security/self-check").await.0, 200);
    assert_eq!(app.api("county_org").await.get("/security/self-check").await.0, 403);
}
