//! The second factor of a login (issue 29): a user turns it on with a first code from the app and
//! gets ten recovery codes; from then on the password alone opens nothing, a code is accepted once,
//! a recovery code once, an API token needs one too; an administrator resets a lost phone's
//! factor; every step is audited.

use chrono::Utc;
use frontline_core::second_factor::{code_at, from_base32, step_of};
use serde_json::{Value, json};

use crate::helpers::{TestApp, between};

/// A browser-like client that has sent the password (and nothing more) as `username`.
async fn password_only(app: &TestApp, username: &str) -> (reqwest::Client, reqwest::Response) {
    app.login_form(username, frontline_app::demo::DEMO_PASSWORD).await
}

/// Gives a code on the page that asks for it; the answer.
async fn give(app: &TestApp, http: &reqwest::Client, code: &str) -> (u16, String, Option<String>) {
    app.login_step(http, "/login/second-factor", &[("code", code)]).await
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await
}

#[tokio::test]
async fn a_second_factor_is_asked_after_the_password_accepted_once_and_reset_by_an_administrator() {
    let app = TestApp::new().await;
    let user = "village_secretary";
    // Turning it on: the page offers a secret; a wrong first code is refused, the right one turns
    // it on and shows ten recovery codes once.
    let ui = app.ui(user).await;
    let (s, page) = ui.get("/me/second-factor").await;
    assert_eq!(s, 200);
    assert!(page.contains("<svg"), "a QR code to scan");
    let secret = from_base32(between(&page, "id=\"second-factor-secret\">", "<").unwrap()).unwrap();
    let (_, again) = ui.get("/me/second-factor").await;
    assert!(
        again.contains(between(&page, "id=\"second-factor-secret\">", "<").unwrap()),
        "the same secret until confirmed"
    );
    let (s, body, _) = ui.post("/me/second-factor", &[("code", "000000")]).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("动态码或恢复码不正确"), "{body}");
    let step = step_of(Utc::now().timestamp());
    let (s, body, _) = ui.post("/me/second-factor", &[("code", &code_at(&secret, step))]).await;
    assert_eq!(s, 200, "{body}");
    let codes: Vec<String> = body.split("<code>").skip(1).map(|c| c.split('<').next().unwrap().to_string()).collect();
    assert_eq!(codes.len(), 10, "{body}");
    assert_eq!(audited(&app, "user.second_factor.enable").await, 1);

    // The password alone opens nothing: the session waits for the code.
    let (http, r) = password_only(&app, user).await;
    assert_eq!(r.headers().get("hx-redirect").and_then(|v| v.to_str().ok()), Some("/login/second-factor"));
    let r = http.get(app.url("/todo")).send().await.unwrap();
    assert_ne!(r.status().as_u16(), 200, "a page before the code");
    let (s, body, _) = give(&app, &http, "123456").await;
    assert_eq!(s, 409, "{body}");
    // The code already used to turn it on is not accepted again; the next one is.
    let (s, _, _) = give(&app, &http, &code_at(&secret, step)).await;
    assert_eq!(s, 409, "a code is accepted once");
    let (s, body, to) = give(&app, &http, &code_at(&secret, step + 1)).await;
    assert_eq!((s, to.as_deref()), (200, Some("/")), "{body}");
    let r = http.get(app.url("/todo")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "logged in");
    // Another login with the same code is refused; a recovery code works once.
    let (http2, _) = password_only(&app, user).await;
    let (s, _, _) = give(&app, &http2, &code_at(&secret, step + 1)).await;
    assert_eq!(s, 409);
    let (s, _, to) = give(&app, &http2, &codes[0].to_lowercase()).await;
    assert_eq!((s, to.as_deref()), (200, Some("/")), "a recovery code, however typed");
    assert_eq!(audited(&app, "user.recovery_code.use").await, 1);
    let (http3, _) = password_only(&app, user).await;
    let (s, _, _) = give(&app, &http3, &codes[0]).await;
    assert_eq!(s, 409, "a recovery code is spent");

    // An API token needs the second factor too.
    let anonymous = reqwest::Client::new();
    let token = |code: &str| {
        anonymous
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"username": user,
            "password": frontline_app::demo::DEMO_PASSWORD, "name": "t", "code": code}))
            .send()
    };
    let r = token("").await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "error.second_factor.needed");
    let r = token("999999").await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let r = token(&codes[1]).await.unwrap();
    assert_eq!(r.status().as_u16(), 201);

    // Who may not manage accounts cannot reset it; the county's organisation department can, and
    // the password is enough again.
    let user_id = app.count(&format!("SELECT id FROM users WHERE username = '{user}'")).await;
    let township = app.ui("township_secretary").await;
    let (s, _, _) = township.post(&format!("/users/{user_id}/second-factor/reset"), &[]).await;
    assert_eq!(s, 403);
    let county = app.ui("county_org").await;
    let (_, users) = county.get("/users?per_page=200").await;
    assert!(users.contains(&format!("/users/{user_id}/second-factor/reset")), "the list offers the reset");
    let (s, body, _) = county.post(&format!("/users/{user_id}/second-factor/reset"), &[]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(audited(&app, "user.second_factor.reset").await, 1);
    let (_, r) = password_only(&app, user).await;
    assert_eq!(r.headers().get("hx-redirect").and_then(|v| v.to_str().ok()), Some("/"));
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM recovery_codes WHERE user_id = {user_id}")).await, 0);
}

#[tokio::test]
async fn a_user_turns_their_second_factor_off_only_with_a_code() {
    let app = TestApp::new().await;
    let ui = app.ui("grid_worker").await;
    let (_, page) = ui.get("/me/second-factor").await;
    let secret = from_base32(between(&page, "id=\"second-factor-secret\">", "<").unwrap()).unwrap();
    let step = step_of(Utc::now().timestamp());
    let (s, _, _) = ui.post("/me/second-factor", &[("code", &code_at(&secret, step))]).await;
    assert_eq!(s, 200);
    let (_, page) = ui.get("/me/second-factor").await;
    assert!(page.contains("id=\"second-factor-on\""), "shown as on");
    let (s, _, _) = ui.post("/me/second-factor/off", &[("code", "000000")]).await;
    assert_eq!(s, 422);
    let (s, _, _) = ui.post("/me/second-factor/off", &[("code", &code_at(&secret, step + 1))]).await;
    assert_eq!(s, 200);
    assert_eq!(audited(&app, "user.second_factor.disable").await, 1);
    let (_, r) = password_only(&app, "grid_worker").await;
    assert_eq!(r.headers().get("hx-redirect").and_then(|v| v.to_str().ok()), Some("/"));
}

#[tokio::test]
async fn a_role_that_asks_for_a_second_factor_lets_its_accounts_in_only_to_set_it_up() {
    // A new install asks it of its administrators, and of nobody else until a role says so.
    let fresh = frontline_db::testing::TestDb::new().await.unwrap();
    frontline_db::access::ensure_builtin_roles(&fresh.db).await.unwrap();
    let roles = frontline_db::access::list_roles(&fresh.db).await.unwrap();
    for r in &roles {
        let administrator = frontline_db::access::ADMINISTRATORS.contains(&r.role_key.as_str());
        assert_eq!(r.requires_second_factor, administrator, "{}", r.role_key);
    }

    let app = TestApp::new().await;
    let county = app.api("county_org").await;
    let (_, roles) = county.get("/roles").await;
    let role = roles.as_array().unwrap().iter().find(|r| r["role_key"] == "township_secretary").unwrap().clone();
    let permissions: Vec<&str> = role["permissions"].as_str().unwrap().split(',').collect();
    let (s, body) = county
        .put(
            &format!("/roles/{}", role["id"]),
            json!({"name": role["name"], "data_scope": role["data_scope"], "permissions": permissions,
                   "requires_second_factor": true}),
        )
        .await;
    assert_eq!(s, 204, "{body}");
    // No token before it is set up.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "township_secretary", "password": frontline_app::demo::DEMO_PASSWORD, "name": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "error.second_factor.enrol_first");
    // The password leads only to setting it up.
    let (http, r) = password_only(&app, "township_secretary").await;
    assert_eq!(r.headers().get("hx-redirect").and_then(|v| v.to_str().ok()), Some("/me/second-factor"));
    assert_ne!(http.get(app.url("/todo")).send().await.unwrap().status().as_u16(), 200, "nothing else opens");
    let page = http.get(app.url("/me/second-factor")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"second-factor-required\""), "told why");
    let csrf = between(&page, "\"X-CSRF-Token\": \"", "\"").unwrap().to_string();
    let secret = from_base32(between(&page, "id=\"second-factor-secret\">", "<").unwrap()).unwrap();
    let step = step_of(Utc::now().timestamp());
    let r = http
        .post(app.url("/me/second-factor"))
        .header("x-csrf-token", &csrf)
        .form(&[("code", code_at(&secret, step))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(http.get(app.url("/todo")).send().await.unwrap().status().as_u16(), 200, "set up, logged in");
    let user_id = app.count("SELECT id FROM users WHERE username = 'township_secretary'").await;
    let (stage, lasts): (String, chrono::DateTime<Utc>) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT stage, expires_at FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1",
            vec![user_id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(stage, "done");
    assert!(lasts > Utc::now() + chrono::Duration::hours(11), "a whole session, not the 5 minutes of the wait");
    // It cannot be turned off while the role asks for it.
    let page = http.get(app.url("/me/second-factor")).send().await.unwrap().text().await.unwrap();
    let csrf = between(&page, "\"X-CSRF-Token\": \"", "\"").unwrap().to_string();
    let r = http
        .post(app.url("/me/second-factor/off"))
        .header("x-csrf-token", &csrf)
        .form(&[("code", code_at(&secret, step + 1))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.text().await.unwrap().contains("不能关闭"));
}

/// A key the tests' process seals with once any test installs it (the sealing key is process-wide,
/// as in a server; values sealed under it open in every test, and plain ones still read).
fn test_keys() -> frontline_db::seal::Keyring {
    let current = frontline_core::gm::SealKey::from_bytes(&[42u8; 32]);
    frontline_db::seal::Keyring { current, others: Vec::new() }
}

#[tokio::test]
async fn the_secret_is_sealed_with_sm4_at_rest_and_still_opens_the_login() {
    frontline_db::seal::install(test_keys());
    let app = TestApp::new().await;
    let user = "township_secretary";
    let ui = app.ui(user).await;
    let (_, page) = ui.get("/me/second-factor").await;
    let shown = between(&page, "id=\"second-factor-secret\">", "<").unwrap().to_string();
    let secret = from_base32(&shown).unwrap();
    let (pending,): (String,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT totp_pending FROM users WHERE username = $1", vec![user.into()]))
        .await
        .unwrap();
    assert!(pending.starts_with("sm4$") && !pending.contains(&shown), "{pending}");
    let step = step_of(Utc::now().timestamp());
    let (s, body, _) = ui.post("/me/second-factor", &[("code", &code_at(&secret, step))]).await;
    assert_eq!(s, 200, "{body}");
    let (stored,): (String,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT totp_secret FROM users WHERE username = $1", vec![user.into()]))
        .await
        .unwrap();
    assert_eq!(frontline_core::gm::sealed_key_id(&stored), Some(test_keys().current.id.as_str()));
    assert!(!stored.contains(&shown));
    let (http, _) = password_only(&app, user).await;
    let (s, body, to) = give(&app, &http, &code_at(&secret, step + 1)).await;
    assert_eq!((s, to.as_deref()), (200, Some("/")), "{body}");
}

#[tokio::test]
async fn the_seal_key_lives_outside_the_store_and_rotates() {
    let t = frontline_db::testing::TestDb::new().await.unwrap();
    frontline_db::migrate::migrate(&t.db).await.unwrap();
    frontline_db::access::ensure_builtin_roles(&t.db).await.unwrap();
    let role = frontline_db::access::role_id_by_key(&t.db, "system_admin").await.unwrap().unwrap();
    let user = frontline_db::access::NewUser {
        username: "keeper".into(),
        display_name: "管理员".into(),
        password_hash: frontline_web::auth::hash_password("Keeper-pass-2026").unwrap(),
        person_id: None,
        role_ids: vec![role],
        must_change_password: false,
    };
    let system = frontline_core::access::Actor::system("seal test");
    frontline_db::access::create_user(&t.db, &system, &user).await.unwrap();
    // A secret written before sealing began: plain.
    let plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    t.db.execute_outside_transaction(&frontline_db::Sql::with(
        "UPDATE users SET totp_secret = $1 WHERE username = 'keeper'",
        vec![plain.into()],
    ))
    .await
    .unwrap();
    let data = crate::audit::scratch_data();
    let rotate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
            .args(["--database", &t.url, "--data", &data.display().to_string(), "keys", "rotate"])
            .env_remove("FRONTLINE_SEAL_KEY")
            .output()
            .unwrap()
    };
    let stored = || async {
        let (v,): (String,) =
            t.db.one(&frontline_db::Sql::new("SELECT totp_secret FROM users WHERE username = 'keeper'")).await.unwrap();
        v
    };
    let key_in_file =
        || frontline_core::gm::SealKey::from_hex(&std::fs::read_to_string(data.join("seal.key")).unwrap()).unwrap();
    let out = rotate();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = key_in_file();
    let sealed = stored().await;
    assert_eq!(frontline_core::gm::sealed_key_id(&sealed), Some(first.id.as_str()));
    assert_eq!(first.open(&sealed).as_deref(), Some(plain));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("seal.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");
    }
    // Rotated again: the value opens only under the new key; the old key is kept aside, named.
    let out = rotate();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let second = key_in_file();
    assert_ne!(second.id, first.id);
    let resealed = stored().await;
    assert_eq!(second.open(&resealed).as_deref(), Some(plain));
    assert_eq!(first.open(&resealed), None);
    assert!(data.join(format!("seal.key.retired-{}", first.id)).exists());
    assert!(!data.join("seal.key.next").exists());
    let _ = std::fs::remove_dir_all(data);
}
