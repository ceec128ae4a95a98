//! 三员分立 (issue 29, 等保 2.0 level 3): the system administrator keeps accounts and roles, the
//! security administrator the security settings, the audit administrator reads the audit log;
//! every documented route outside a role's part is refused to it and writes nothing; none can
//! give itself, or take over the account of, another's powers; a new install starts split and an
//! old one splits on command.

use std::process::Command;

use frontline_db::Sql;
use frontline_db::testing::TestDb;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

/// Whether a route (its documented path under `/api/v1`, its method) is part of a role's work.
fn in_part(role: &str, method: &str, path: &str) -> bool {
    let own = path.starts_with("/me") || path.starts_with("/auth/");
    let read = method == "get";
    own || match role {
        // The unit tree, to place accounts and roles in (no people, no figures).
        "system_admin" => {
            path.starts_with("/users")
                || path.starts_with("/roles")
                || (read && ["/units", "/units/1", "/units/1/children"].contains(&path))
        }
        "security_admin" => path.starts_with("/security"),
        "audit_admin" => read && (path.starts_with("/audit") || path == "/security" || path == "/security/self-check"),
        _ => false,
    }
}

async fn send(api: &Api, method: &str, path: &str) -> u16 {
    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut r = api.req(m, path);
    if method != "get" {
        r = r.json(&json!({}));
    }
    r.send().await.unwrap().status().as_u16()
}

/// Every documented route and method, its path parameters filled with 1.
async fn documented_routes(app: &TestApp) -> Vec<(String, String)> {
    let (_, doc) = app.anonymous().get("/openapi.json").await;
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        let filled: String =
            path.split('/').map(|part| if part.starts_with('{') { "1" } else { part }).collect::<Vec<_>>().join("/");
        for method in item.as_object().unwrap().keys() {
            routes.push((method.clone(), filled.clone()));
        }
    }
    routes
}

#[tokio::test]
async fn each_administrator_does_only_its_own_part_on_every_route() {
    let app = TestApp::new().await;
    let anonymous = app.anonymous();
    let routes = documented_routes(&app).await;
    assert!(routes.len() > 100, "the document lists the routes: {}", routes.len());
    let written_before = app.count("SELECT COUNT(*) FROM audit_log").await;
    let mut wrong = Vec::new();
    for (username, role) in [("sysadmin", "system_admin"), ("secadmin", "security_admin"), ("auditor", "audit_admin")] {
        let api = app.api(username).await;
        for (method, path) in &routes {
            if in_part(role, method, path) {
                continue;
            }
            // A route open to anyone (the resident's Open311 services) is no one's power.
            if method == "get" && (200..300).contains(&send(&anonymous, method, path).await) {
                continue;
            }
            let status = send(&api, method, path).await;
            if (200..300).contains(&status) {
                wrong.push(format!("{role}: {} {path} answered {status}", method.to_uppercase()));
            }
        }
    }
    assert!(wrong.is_empty(), "outside their part:\n{}", wrong.join("\n"));
    // Nothing was changed by any of them (making their tokens aside).
    let mut ids = Vec::new();
    for who in ["sysadmin", "secadmin", "auditor"] {
        ids.push(user_id(&app, who).await.to_string());
    }
    let written = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action NOT IN ('token.create', 'access.denied') AND actor_user_id IN ({})",
            ids.join(", ")
        ))
        .await;
    assert_eq!(written, 0, "no change outside their part");
    let denied = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND actor_user_id IN ({})",
            ids.join(", ")
        ))
        .await;
    assert!(denied > 50, "each refusal is a security event: {denied}");
    assert!(app.count("SELECT COUNT(*) FROM audit_log").await >= written_before);
    // Their own part works.
    let sysadmin = app.api("sysadmin").await;
    assert_eq!(sysadmin.get("/users").await.0, 200);
    assert_eq!(sysadmin.get("/roles").await.0, 200);
    assert_eq!(sysadmin.get("/people").await.0, 403, "no business data");
    assert_eq!(sysadmin.get("/audit").await.0, 403);
    assert_eq!(sysadmin.get("/security").await.0, 403);
    let secadmin = app.api("secadmin").await;
    assert_eq!(secadmin.get("/security").await.0, 200);
    assert_eq!(secadmin.put("/security/password-policy", json!({"max_age_days": 60, "history": 5})).await.0, 200);
    assert_eq!(secadmin.get("/users").await.0, 403, "no accounts");
    let auditor = app.api("auditor").await;
    let (s, audit) = auditor.get("/audit?action=security.password_policy").await;
    assert_eq!(s, 200);
    assert_eq!(audit["items"][0]["actor_name"], "安全管理员 (secadmin)", "{audit}");
    assert_eq!(auditor.get("/security").await.0, 200, "reads the settings");
    assert_eq!(auditor.put("/security/password-policy", json!({"max_age_days": 0, "history": 1})).await.0, 403);
    // In the browser: each lands on its own page and its menu holds only its part.
    for (username, landing, absent) in
        [("sysadmin", "/users", "/audit"), ("secadmin", "/security", "/users"), ("auditor", "/audit", "/users")]
    {
        let ui = app.ui(username).await;
        let (s, page) = ui.get(landing).await;
        assert_eq!(s, 200, "{username} on {landing}");
        assert!(!page.contains(&format!("href=\"{absent}\"")), "{username}'s menu has no {absent}");
        assert_eq!(ui.get(absent).await.0, 403, "{username} on {absent}");
    }
    let (_, page) = app.ui("auditor").await.get("/security").await;
    assert!(!page.contains("hx-post=\"/security/password-policy\""), "the auditor changes nothing");
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    let (id,): (i64,) =
        app.db.one(&Sql::with("SELECT id FROM users WHERE username = $1", vec![username.into()])).await.unwrap();
    id
}

async fn role(app: &TestApp, key: &str) -> Value {
    let (_, roles) = app.api("admin").await.get("/roles").await;
    roles.as_array().unwrap().iter().find(|r| r["role_key"] == key).unwrap().clone()
}

#[tokio::test]
async fn no_administrator_gives_itself_or_takes_over_another_s_powers() {
    let app = TestApp::new().await;
    let sysadmin = app.api("sysadmin").await;
    let own = role(&app, "system_admin").await;
    let audit_role = role(&app, "audit_admin").await;
    // Its own role cannot take the auditor's power; the auditor's role cannot be touched.
    let mut wider: Vec<Value> = own["permissions"].as_str().unwrap().split(',').map(|p| json!(p)).collect();
    wider.push(json!("system:audit:list"));
    let body = json!({"role_key": "system_admin", "name": "系统管理员", "data_scope": "all", "permissions": wider});
    let (s, answer) = sysadmin.put(&format!("/roles/{}", own["id"]), body).await;
    assert_eq!(s, 422, "{answer}");
    assert_eq!(answer["fields"][0]["code"], "error.role.permission_not_yours");
    let body = json!({"role_key": "audit_admin", "name": "x", "data_scope": "all", "permissions": ["units:unit:list"]});
    assert_eq!(sysadmin.put(&format!("/roles/{}", audit_role["id"]), body).await.0, 403);
    // It cannot make an account with the auditor's role, nor a role with the security powers.
    let (s, answer) = sysadmin
        .post(
            "/users",
            json!({"username": "second_auditor", "display_name": "审计", "password": "Audit-pass-2026", "role_ids": [audit_role["id"]]}),
        )
        .await;
    assert_eq!((s, answer["fields"][0]["code"].as_str()), (422, Some("error.role.permission_not_yours")), "{answer}");
    let (s, _) = sysadmin
        .post(
            "/roles",
            json!({"role_key": "sec2", "name": "x", "data_scope": "all", "permissions": ["system:security:edit"]}),
        )
        .await;
    assert_eq!(s, 422);
    // It cannot take over the auditor's or the security administrator's account, in the browser.
    let ui = app.ui("sysadmin").await;
    for target in ["auditor", "secadmin", "admin"] {
        let id = user_id(&app, target).await;
        let (s, body, _) =
            ui.post(&format!("/users/{id}/password"), &[("username", target), ("password", "Taken-over-2026")]).await;
        assert_eq!(s, 403, "{target}: {body}");
        assert_eq!(ui.post(&format!("/users/{id}/disable"), &[]).await.0, 403, "{target}");
    }
    app.api("auditor").await; // still the demo's password
    // Accounts within its powers it manages: one it made itself, with its own role.
    let (s, made) = sysadmin
        .post(
            "/users",
            json!({"username": "second_sysadmin", "display_name": "系统管理员二", "password": "Sysadmin-pass-2026", "role_ids": [own["id"]]}),
        )
        .await;
    assert_eq!(s, 201, "{made}");
    let id = user_id(&app, "second_sysadmin").await;
    let (s, body, _) = ui
        .post(&format!("/users/{id}/password"), &[("username", "second_sysadmin"), ("password", "Sysadmin-reset-2026")])
        .await;
    assert_eq!(s, 200, "{body}");
    // The security administrator and the auditor hand out nothing.
    for who in ["secadmin", "auditor"] {
        let api = app.api(who).await;
        let (s, _) = api
            .post(
                "/users",
                json!({"username": "x_user", "display_name": "x", "password": "Xuser-pass-2026", "role_ids": []}),
            )
            .await;
        assert_eq!(s, 403, "{who}");
        let (s, _) = api
            .post("/roles", json!({"role_key": "x_role", "name": "x", "data_scope": "all", "permissions": []}))
            .await;
        assert_eq!(s, 403, "{who}");
    }
    // The county organisation department, with every business power, manages none of the three.
    let county = app.ui("county_org").await;
    let id = user_id(&app, "auditor").await;
    let (s, _, _) = county.post(&format!("/users/{id}/disable"), &[]).await;
    assert!(s == 403 || s == 404, "{s}");
    let (disabled,): (bool,) =
        app.db.one(&Sql::with("SELECT disabled FROM users WHERE id = $1", vec![id.into()])).await.unwrap();
    assert!(!disabled);
}

fn frontline(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_frontline")).arg("--database").arg(url).args(args).output().unwrap()
}

#[tokio::test]
async fn a_new_install_starts_split_and_an_old_one_splits_on_command() {
    // New: the first account is a system administrator, and the superuser role is given to no one.
    let fresh = TestDb::new().await.unwrap();
    let out = frontline(&fresh.url, &["user", "add", "chief"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = frontline(&fresh.url, &["user", "add", "boss", "--role", "admin"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("split its administrator into three"));
    let roles: Vec<(String, String)> = fresh
        .db
        .all(&Sql::new(
            "SELECT u.username, r.role_key FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id",
        ))
        .await
        .unwrap();
    assert_eq!(roles, [("chief".to_string(), "system_admin".to_string())]);

    // Old: an install made before the split, its administrator all-powerful, splits on command.
    let old = TestDb::new().await.unwrap();
    frontline_db::migrate::migrate(&old.db).await.unwrap();
    frontline_db::access::ensure_builtin_roles(&old.db).await.unwrap();
    let admin_role = frontline_db::access::role_id_by_key(&old.db, "admin").await.unwrap().unwrap();
    let user = frontline_db::access::NewUser {
        username: "old_admin".into(),
        display_name: "老管理员".into(),
        password_hash: frontline_web::auth::hash_password("Old-admin-2026").unwrap(),
        person_id: None,
        role_ids: vec![admin_role],
        must_change_password: false,
    };
    let system = frontline_core::access::Actor::system("old install");
    frontline_db::access::create_user(&old.db, &system, &user).await.unwrap();
    assert!(!frontline_db::security::separation_of_duties(&old.db).await.unwrap());
    let out = frontline(&old.url, &["admin", "split"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("old_admin"));
    assert!(frontline_db::security::separation_of_duties(&old.db).await.unwrap());
    let (key,): (String,) = old
        .db
        .one(&Sql::new(
            "SELECT r.role_key FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
             WHERE u.username = 'old_admin'",
        ))
        .await
        .unwrap();
    assert_eq!(key, "system_admin");
    let audited = old
        .db
        .count(&Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('user.roles', 'security.separation_of_duties')",
        ))
        .await
        .unwrap();
    assert_eq!(audited, 2);
    let out = frontline(&old.url, &["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // An administrator no account may manage is reset on the server: a new password, printed
    // once and changed at the first login.
    let out = frontline(&old.url, &["user", "reset", "old_admin", "--second-factor"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let password = stdout.split("shown this once: ").nth(1).unwrap().lines().next().unwrap().trim().to_string();
    let (hash, must): (String, bool) = old
        .db
        .one(&Sql::new("SELECT password_hash, must_change_password FROM users WHERE username = 'old_admin'"))
        .await
        .unwrap();
    assert!(frontline_web::auth::verify_password(&password, &hash));
    assert!(must, "changed at the first login");
    assert!(!frontline(&old.url, &["user", "reset", "nobody"]).status.success());
}
