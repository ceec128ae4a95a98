//! The deployed binary's own hardening: with logging turned all the way up, no password or token
//! reaches the log; cookies carry `Secure` when served behind HTTPS; a fresh install ships no
//! account and no default password — the first administrator's password is generated, different
//! on every install.

use std::path::Path;

use frontline_app::bench::process::ServerProcess;
use frontline_app::demo::{self, DEMO_PASSWORD, Scale};
use frontline_db::testing::TestDb;
use serde_json::{Value, json};

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_frontline"))
}

fn scratch(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ft-hardening-{tag}-{}-{}", std::process::id(), rand::random::<u32>()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_or_token_reaches_the_log_even_at_trace_level() {
    let t = TestDb::new().await.unwrap();
    frontline_db::access::ensure_builtin_roles(&t.db).await.unwrap();
    demo::seed(&t.db, Scale::SMALL, 7).await.unwrap();
    let log = scratch("log");
    let server = ServerProcess::start_with(exe(), &t.url, &log, &[("RUST_LOG", "trace")]).unwrap();
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let base = server.base.clone();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut r = http.post(format!("{base}/api/v1{path}")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    // A wrong password, a right one, a token, a new account and a password change.
    let wrong = "Wrong-Guess-4711";
    let r = post("/auth/token", None, json!({"username": "admin", "password": wrong, "name": "t"})).await.unwrap();
    assert_eq!(r.status(), 409);
    let r =
        post("/auth/token", None, json!({"username": "admin", "password": DEMO_PASSWORD, "name": "t"})).await.unwrap();
    assert_eq!(r.status(), 201);
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let role = frontline_db::access::role_id_by_key(&t.db, "member").await.unwrap().unwrap();
    let created = "Created-Secret-2026";
    let body = json!({"username": "log_check", "display_name": "日志检查", "password": created, "role_ids": [role]});
    let r = post("/users", Some(&token), body).await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let changed = "Changed-Secret-2026";
    let r = post("/me/password", Some(&token), json!({"current_password": DEMO_PASSWORD, "new_password": changed}))
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    // And through the login form.
    let page = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = crate::helpers::between(&page, "\"X-CSRF-Token\": \"", "\"").unwrap().to_string();
    let r = http
        .post(format!("{base}/login"))
        .header("x-csrf-token", csrf)
        .form(&[("username", "log_check"), ("password", created)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.kill().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().count() > 20, "trace logging was on: {} lines", text.lines().count());
    for secret in [wrong, DEMO_PASSWORD, created, changed, token.as_str()] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
    let _ = std::fs::remove_file(log);
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_a_fresh_install_has_no_default_account() {
    // A fresh store served: no account exists, and the server says how to make the first.
    let t = TestDb::new().await.unwrap();
    let log = scratch("secure");
    let server = ServerProcess::start_with(exe(), &t.url, &log, &[("FRONTLINE_SECURE_COOKIES", "true")]).unwrap();
    let r = reqwest::get(format!("{}/login", server.base)).await.unwrap();
    let cookies: Vec<String> =
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(!cookies.is_empty());
    for c in &cookies {
        assert!(c.contains("Secure") && c.contains("HttpOnly") && c.contains("SameSite"), "{c}");
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"username": "admin", "password": DEMO_PASSWORD, "name": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "no demo account on a real install");
    server.kill().unwrap();
    assert_eq!(frontline_db::access::user_count(&t.db).await.unwrap(), 0);

    // The first administrator's password is generated, and differs from one install to the next.
    let mut passwords = Vec::new();
    for _ in 0..2 {
        let fresh = TestDb::new().await.unwrap();
        let out = std::process::Command::new(exe())
            .args(["user", "add", "chief"])
            .env("FRONTLINE_DATABASE_URL", &fresh.url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let password = stdout.split("shown this once: ").nth(1).unwrap().lines().next().unwrap().trim().to_string();
        assert!(password.chars().count() >= 16, "{password}");
        passwords.push(password);
    }
    assert_ne!(passwords[0], passwords[1]);
    let _ = std::fs::remove_file(log);
}
