//! Logging in: password hashes, sessions in the database, CSRF, lockout, tokens, fixation.

use serde_json::json;

use crate::helpers::{TestApp, between};
use frontline_app::demo::DEMO_PASSWORD;

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn login_csrf(app: &TestApp, http: &reqwest::Client) -> String {
    let page = http.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    between(&page, "\"X-CSRF-Token\": \"", "\"").unwrap().to_string()
}

#[tokio::test]
async fn pages_need_a_login_and_passwords_are_hashed() {
    let app = TestApp::new().await;
    let http = client();
    let r = http.get(app.url("/units")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let (s, body) = app.anonymous().get("/units").await;
    assert_eq!(s, 401);
    assert_eq!(body["code"], "error.unauthorized");
    assert_eq!(body["message"], "请先登录");
    let hashes: Vec<(String,)> = app.db.all(&frontline_db::Sql::new("SELECT password_hash FROM users")).await.unwrap();
    assert_eq!(hashes.len(), 10, "one account per demo role");
    for (h,) in hashes {
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains(DEMO_PASSWORD));
    }
}

#[tokio::test]
async fn wrong_passwords_lock_the_account() {
    let app = TestApp::new().await;
    let http = client();
    let csrf = login_csrf(&app, &http).await;
    for i in 1..=5 {
        let r = http
            .post(app.url("/login"))
            .header("x-csrf-token", &csrf)
            .form(&[("username", "village_secretary"), ("password", "wrong-password-1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        let body = r.text().await.unwrap();
        if i < 5 {
            assert!(body.contains("用户名或密码错误"), "{body}");
        } else {
            assert!(body.contains("锁定"), "{body}");
        }
    }
    // Locked: even the right password is refused now, through the form and the API.
    let r = http
        .post(app.url("/login"))
        .header("x-csrf-token", &csrf)
        .form(&[("username", "village_secretary"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let (s, body) = app
        .anonymous()
        .post("/auth/token", json!({"username": "village_secretary", "password": DEMO_PASSWORD, "name": "x"}))
        .await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.login.locked")));
    assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.locked'").await >= 1);
    // Unknown users get the same answer as wrong passwords.
    let (s, body) =
        app.anonymous().post("/auth/token", json!({"username": "nobody_here", "password": "x", "name": "x"})).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.login.failed")));
}

#[tokio::test]
async fn state_changes_need_the_session_csrf_token() {
    let app = TestApp::new().await;
    let ui = app.ui("village_secretary").await;
    let qiyuan = app.unit_id("330382006205").await;
    let form = [("name", "CSRF小组"), ("kind", "village_group")];
    let path = format!("{}/units?parent={qiyuan}", app.base);
    // No token.
    let r = ui.http.post(&path).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // A stale token (from another session).
    let other = app.ui("village_secretary").await;
    let r = ui.http.post(&path).header("x-csrf-token", &other.csrf).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("页面已过期"));
    // The login form needs its own token too.
    let r = client()
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM units WHERE name = 'CSRF小组'").await, 0);
    // With the right token it works.
    let (s, _, headers) = ui.post(&format!("/units?parent={qiyuan}"), &form).await;
    assert_eq!(s, 200);
    assert_eq!(headers.get("hx-refresh").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(app.count("SELECT COUNT(*) FROM units WHERE name = 'CSRF小组'").await, 1);
}

#[tokio::test]
async fn every_login_gets_a_new_session_and_logout_ends_it() {
    let app = TestApp::new().await;
    let http = client();
    let csrf = login_csrf(&app, &http).await;
    let login = |http: reqwest::Client, csrf: String| {
        let url = app.url("/login");
        async move {
            let r = http
                .post(url)
                .header("x-csrf-token", csrf)
                .form(&[("username", "grid_worker"), ("password", DEMO_PASSWORD)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let cookie = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .find(|c| c.starts_with("ft_session="))
                .unwrap();
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
            cookie
        }
    };
    let first = login(http.clone(), csrf.clone()).await;
    let second = login(http.clone(), csrf.clone()).await;
    assert_ne!(first, second, "a fresh session id on every login");
    // The first session was ended by the second login from the same browser.
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    let page = http.get(app.url("/units")).send().await.unwrap().text().await.unwrap();
    let page_csrf = between(&page, "\"X-CSRF-Token\": \"", "\"").unwrap().to_string();
    let r = http.post(app.url("/logout")).header("x-csrf-token", page_csrf).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    let r = http.get(app.url("/units")).send().await.unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn tokens_must_be_real_and_accounts_enabled() {
    let app = TestApp::new().await;
    let mut api = app.api("village_secretary").await;
    let (s, me) = api.get("/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["all_units"], false);
    assert_eq!(me["subtrees"].as_array().unwrap().len(), 1);
    // Tokens are stored hashed.
    let token = api.token.clone().unwrap();
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{token}'")).await, 0);
    api.token = Some(format!("{token}x"));
    let (s, body) = api.get("/me").await;
    assert_eq!((s, body["code"].as_str()), (401, Some("error.unauthorized")));
    // Disabling an account cuts its tokens off.
    let admin = app.api("admin").await;
    let (uid,): (i64,) =
        app.db.one(&frontline_db::Sql::new("SELECT id FROM users WHERE username = 'village_secretary'")).await.unwrap();
    let admin_ui = app.ui("admin").await;
    let (s, _, _) = admin_ui.post(&format!("/users/{uid}/disable"), &[]).await;
    assert_eq!(s, 200);
    api.token = Some(token);
    let (s, _) = api.get("/me").await;
    assert_eq!(s, 401);
    let (s, _) = admin.get("/me").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn accounts_follow_the_password_rules_and_cannot_escalate() {
    let app = TestApp::new().await;
    let township = app.api("township_secretary").await;
    let qiyuan_branch = {
        let q = app.unit_id("330382006205").await;
        let (id,): (i64,) = app
            .db
            .one(&frontline_db::Sql::with(
                "SELECT id FROM units WHERE parent_id = $1 AND kind = 'party_branch'",
                vec![q.into()],
            ))
            .await
            .unwrap();
        id
    };
    let person = app.person_in(qiyuan_branch).await;
    let village_role = frontline_db::access::role_id_by_key(&app.db, "village_secretary").await.unwrap().unwrap();
    let admin_role = frontline_db::access::role_id_by_key(&app.db, "admin").await.unwrap().unwrap();
    let (s, body) = township
        .post("/users", json!({"username": "qy_member", "display_name": "党员", "password": "short1", "person_id": person, "role_ids": [village_role]}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(body["fields"][0]["field"], "password");
    let (s, body) = township
        .post("/users", json!({"username": "qy_member", "display_name": "党员", "password": "Qiyuan-2026-ok", "person_id": person, "role_ids": [admin_role]}))
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["code"], "error.role.permission_not_yours");
    let (s, body) = township
        .post("/users", json!({"username": "qy_member", "display_name": "党员", "password": "Qiyuan-2026-ok", "person_id": person, "role_ids": [village_role]}))
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = township
        .post("/users", json!({"username": "qy_member", "display_name": "党员", "password": "Qiyuan-2026-ok", "person_id": person, "role_ids": [village_role]}))
        .await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.user.duplicate_username")));
    // A role wider than the creator's own is refused.
    let (s, body) = township
        .post(
            "/roles",
            json!({"role_key": "everything", "name": "全部", "data_scope": "all", "permissions": ["units:unit:list"]}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    let county = app.api("county_org").await;
    let (s, body) = county
        .post(
            "/roles",
            json!({"role_key": "everything", "name": "全部", "data_scope": "all", "permissions": ["units:unit:list"]}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["code"], "error.role.scope_not_yours");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = TestApp::new().await;
    let r = reqwest::get(app.url("/login")).await.unwrap();
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let cookie =
        h.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).find(|c| c.starts_with("ft_login_csrf")).unwrap();
    assert!(cookie.contains("HttpOnly"));
}

#[tokio::test]
async fn people_change_their_own_password() {
    let app = TestApp::new().await;
    let ui = app.ui("grid_worker").await;
    let (s, page) = ui.get("/account").await;
    assert_eq!(s, 200);
    assert!(page.contains("个人中心") && page.contains("岐元村第一网格"), "the account page names the units reached");
    let (s, body, _) = ui
        .post(
            "/account/password",
            &[
                ("current_password", "not-it-2026"),
                ("new_password", "Grid-2026-new"),
                ("repeat_password", "Grid-2026-new"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("当前密码不正确"));
    let (s, body, _) = ui
        .post(
            "/account/password",
            &[
                ("current_password", DEMO_PASSWORD),
                ("new_password", "Grid-2026-new"),
                ("repeat_password", "Grid-2026-neu"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("不一致"));
    let (s, _, headers) = ui
        .post(
            "/account/password",
            &[
                ("current_password", DEMO_PASSWORD),
                ("new_password", "Grid-2026-new"),
                ("repeat_password", "Grid-2026-new"),
            ],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(headers["hx-redirect"], "/login");
    // The session has ended; the old password no longer works, the new one does.
    let r = ui.http.get(format!("{}/units", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = app
        .anonymous()
        .post("/auth/token", json!({"username": "grid_worker", "password": DEMO_PASSWORD, "name": "x"}))
        .await;
    assert_eq!(s, 409);
    let api = app.api_with("grid_worker", "Grid-2026-new").await;
    let (s, _) = api.post("/me/password", json!({"current_password": "Grid-2026-new", "new_password": "weak"})).await;
    assert_eq!(s, 422);
    let (s, _) =
        api.post("/me/password", json!({"current_password": "Grid-2026-new", "new_password": "Grid-2027-newer"})).await;
    assert_eq!(s, 204);
    app.api_with("grid_worker", "Grid-2027-newer").await;
}

#[tokio::test]
async fn people_manage_their_own_tokens() {
    let app = TestApp::new().await;
    let ui = app.ui("village_secretary").await;
    let (s, body, _) = ui.post("/account/tokens", &[("name", "村务系统")]).await;
    assert_eq!(s, 200);
    assert!(body.contains("只显示这一次"));
    let token = between(&body, "<code class=\"mono\">", "</code>").unwrap().to_string();
    let mut api = app.anonymous();
    api.token = Some(token);
    let (s, me) = api.get("/me").await;
    assert_eq!(s, 200);
    assert!(me["name"].as_str().unwrap().contains("village_secretary"));
    let (s, tokens) = api.get("/me/tokens").await;
    assert_eq!(s, 200);
    let mine = tokens.as_array().unwrap().iter().find(|t| t["name"] == "村务系统").unwrap().clone();
    assert!(mine.get("token_hash").is_none(), "never the secret or its hash");
    let id = mine["id"].as_i64().unwrap();
    // Someone else cannot revoke it.
    let (s, _) = app.api("township_secretary").await.post(&format!("/me/tokens/{id}/revoke"), json!({})).await;
    assert_eq!(s, 404);
    let (s, _) = api.get("/me").await;
    assert_eq!(s, 200);
    // Its owner can, from the account page; then it stops working.
    let (s, _, headers) = ui.post(&format!("/account/tokens/{id}/revoke"), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(headers["hx-refresh"], "true");
    let (s, _) = api.get("/me").await;
    assert_eq!(s, 401);
    let (_, page) = ui.get("/account").await;
    assert!(page.contains("已吊销"));
    assert_eq!(page.matches("id=\"token-area\"").count(), 1, "the token list is on the page once, not in the title");
    assert!(between(&page, "<title>", "</title>").unwrap().starts_with("个人中心 ·"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'token.revoke'").await, 1);
}

#[tokio::test]
async fn one_address_cannot_try_passwords_across_many_accounts() {
    let app = TestApp::new().await;
    let anon = app.anonymous();
    let users = ["admin", "county_org", "township_secretary", "village_secretary", "grid_worker", "member"];
    let limit = frontline_web::auth::LOGIN_ATTEMPTS_PER_MINUTE as usize;
    // Fewer than five wrong passwords per account (so no account locks), but many from one address.
    for k in 0..limit {
        let (s, body) = anon
            .post(
                "/auth/token",
                serde_json::json!({"username": users[k % users.len()], "password": "wrong-Password-1", "name": "x"}),
            )
            .await;
        assert_eq!(s, 409, "attempt {k}: {body}");
    }
    let (s, body) = anon
        .post("/auth/token", serde_json::json!({"username": "admin", "password": DEMO_PASSWORD, "name": "x"}))
        .await;
    assert_eq!(s, 429, "{body}");
    assert_eq!(body["code"], "error.login.too_many");
    assert_eq!(body["message"], "登录尝试过于频繁，请一分钟后再试");
    // Even the right password is refused from that address for the rest of the minute; no
    // account was locked on the way.
    let locked = app.count("SELECT COUNT(*) FROM users WHERE failed_logins > 0").await;
    assert_eq!(locked, 0);
}

#[tokio::test]
async fn one_address_cannot_guess_api_tokens_and_its_valid_tokens_keep_working() {
    let app = TestApp::new().await;
    let good = app.api("village_secretary").await;
    let limit = frontline_web::auth::LOGIN_ATTEMPTS_PER_MINUTE as usize;
    for k in 0..limit {
        let guess =
            crate::helpers::Api { token: Some(format!("guess-{k}-{}", rand::random::<u64>())), ..app.anonymous() };
        let (s, body) = guess.get("/units").await;
        assert_eq!(s, 401, "guess {k}: {body}");
    }
    // The address is past the limit: the next guesses are refused, in words.
    for _ in 0..3 {
        let guess = crate::helpers::Api { token: Some("one-more-guess".into()), ..app.anonymous() };
        let (s, body) = guess.get("/units").await;
        assert_eq!(s, 429, "{body}");
        assert_eq!(body["code"], "error.login.too_many");
    }
    // The guesser is held back, not the office: a valid token from the same address (a county
    // office behind one NAT) keeps working, and sessions are not affected.
    let (s, body) = good.get("/units").await;
    assert_eq!(s, 200, "{body}");
    let ui = app.ui("township_secretary").await;
    assert_eq!(ui.get("/units").await.0, 200);
}

#[tokio::test]
async fn a_session_left_unused_longer_than_the_idle_time_ends() {
    let app = TestApp::new().await;
    let ui = app.ui("village_secretary").await;
    let user = app.count("SELECT id FROM users WHERE username = 'village_secretary'").await;
    let last_used = |minutes: i64| {
        let db = app.db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let at = chrono::Utc::now() - chrono::Duration::minutes(minutes);
            let sql = "UPDATE sessions SET last_seen_at = $1 WHERE user_id = $2";
            tx.execute(&frontline_db::Sql::with(sql, vec![at.into(), user.into()])).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    // Used 20 minutes ago (the default allows 30): still live, and its idle time starts again.
    last_used(20).await;
    let (s, _) = ui.get("/todo").await;
    assert_eq!(s, 200);
    let (seen,): (chrono::DateTime<chrono::Utc>,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT last_seen_at FROM sessions WHERE user_id = $1", vec![user.into()]))
        .await
        .unwrap();
    assert!(chrono::Utc::now() - seen < chrono::Duration::minutes(1), "used now");
    // Left unused for 31 minutes: it has ended, and the login is asked again.
    last_used(31).await;
    let (s, _) = ui.get("/todo").await;
    assert_ne!(s, 200);
}
