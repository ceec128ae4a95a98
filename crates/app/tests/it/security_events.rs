//! Security events (issue 29, 等保 安全审计): failed logins (a known account's and an unknown
//! name's), lockouts, permission denials (once a minute per account and route) and exports are
//! written to the audit log with who and from where; the audit administrator lists them alone and
//! reads a daily summary.

use serde_json::Value;

use crate::helpers::{Places, TestApp};

async fn events(app: &TestApp, action: &str) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await
}

#[tokio::test]
async fn failed_logins_denials_and_exports_are_events_the_auditor_sees_by_day() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let failed_before = events(&app, "login.failed").await;
    // A wrong password for a real account, and a name no account has.
    app.login_form("grid_worker", "Wrong-pass-2026").await;
    app.login_form("nobody_here", "Wrong-pass-2026").await;
    assert_eq!(events(&app, "login.failed").await, failed_before + 2);
    let (after,): (String,) = app
        .db
        .one(&frontline_db::Sql::new(
            "SELECT after_state FROM audit_log WHERE action = 'login.failed' ORDER BY seq DESC LIMIT 1",
        ))
        .await
        .unwrap();
    assert!(after.contains("nobody_here"), "{after}");
    // A grid worker knocking on the audit log twice: refused twice, written once.
    let grid = app.api("grid_worker").await;
    assert_eq!(grid.get("/audit").await.0, 403);
    assert_eq!(grid.get("/audit").await.0, 403);
    let (denied,): (String,) = app
        .db
        .one(&frontline_db::Sql::new("SELECT after_state FROM audit_log WHERE action = 'access.denied'"))
        .await
        .unwrap();
    assert!(denied.contains("/api/v1/audit"), "{denied}");
    assert_eq!(events(&app, "access.denied").await, 1, "once a minute per account and route");
    // An export by the county: written, with what was asked.
    let county = app.api("county_org").await;
    let (s, _) = county.get_bytes(&format!("/people/export?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    assert_eq!(events(&app, "data.export").await, 1);
    // The auditor lists the security events alone, and reads them per day.
    let auditor = app.api("auditor").await;
    let (s, page) = auditor.get("/audit?security=true&per_page=200").await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.iter().all(|a| frontline_core::audit::SECURITY_ACTIONS.contains(a)), "{actions:?}");
    for a in ["login.failed", "access.denied", "data.export"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let (s, summary) = auditor.get("/audit/security-summary?days=7").await;
    assert_eq!(s, 200);
    let today = frontline_core::time::today_in_china(chrono::Utc::now()).to_string();
    let count = |action: &str| {
        summary
            .as_array()
            .unwrap()
            .iter()
            .find(|d: &&Value| d["day"] == today.as_str() && d["action"] == action)
            .map(|d| d["events"].as_i64().unwrap())
            .unwrap_or(0)
    };
    assert!(count("login.failed") >= 2, "{summary}");
    assert_eq!(count("access.denied"), 1, "{summary}");
    assert_eq!(count("data.export"), 1, "{summary}");
    assert_eq!(app.api("county_org").await.get("/audit/security-summary").await.0, 200, "the county reads its own");
    assert_eq!(grid.get("/audit/security-summary").await.0, 403);
    // In the browser: the summary above the list.
    let ui = app.ui("auditor").await;
    let (s, html) = ui.get("/audit?security=true").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"security-summary\"") && html.contains("登录失败") && html.contains("数据导出"),
        "{html}"
    );
}
