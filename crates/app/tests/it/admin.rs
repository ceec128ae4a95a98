//! The system pages and routes: roles with listed units, accounts, passwords, enabling.

use serde_json::json;

use crate::helpers::{Places, TestApp};

#[tokio::test]
async fn a_county_admin_makes_a_role_and_an_account_in_the_ui() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ui = app.ui("county_org").await;
    // A role that reaches two listed townships.
    let (s, body, _) = ui
        .post(
            "/roles",
            &[
                ("role_key", "inspector"),
                ("name", "督导组"),
                ("data_scope", "listed"),
                ("units", "330382006, 330382101"),
                ("permissions", "units:unit:list"),
                ("permissions", "people:person:list"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, roles) = app.api("county_org").await.get("/roles").await;
    let role = roles.as_array().unwrap().iter().find(|r| r["role_key"] == "inspector").unwrap().clone();
    assert_eq!(role["data_scope"], "listed");
    assert_eq!(role["permissions"], "people:person:list,units:unit:list");
    let role_id = role["id"].as_i64().unwrap().to_string();
    // An account for a person of the county, with that role.
    let dept = app.unit_named("市委组织部").await;
    let person = app.person_in(dept).await.to_string();
    let (s, body, _) = ui
        .post(
            "/users",
            &[
                ("username", "duda_1"),
                ("display_name", "督导员"),
                ("password", "Inspect-2026-go"),
                ("person_id", &person),
                ("role_ids", &role_id),
            ],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, page) = ui.get("/users").await;
    assert!(page.contains("duda_1") && page.contains("督导组"));
    // The new account reaches both listed townships and nothing else, and may only read.
    let inspector = app.api_first("duda_1", "Inspect-2026-go", "Inspect-2026-own").await;
    let (_, me) = inspector.get("/me").await;
    assert_eq!(me["subtrees"].as_array().unwrap().len(), 2, "{me}");
    for unit in [p.qiyuan, p.village_elsewhere] {
        let (s, _) = inspector.get(&format!("/units/{unit}")).await;
        assert_eq!(s, 200);
    }
    let county = app.unit_id("330382").await;
    let (s, _) = inspector.get(&format!("/units/{county}")).await;
    assert_eq!(s, 404);
    let (s, _) = inspector.post("/units", json!({"parent_id": p.qiyuan, "name": "x", "kind": "village_group"})).await;
    assert_eq!(s, 403);

    // The administrator resets the password; the old one stops working, the new one works.
    let (uid,): (i64,) =
        app.db.one(&frontline_db::Sql::new("SELECT id FROM users WHERE username = 'duda_1'")).await.unwrap();
    let (s, body, _) =
        ui.post(&format!("/users/{uid}/password"), &[("username", "duda_1"), ("password", "short")]).await;
    assert_eq!(s, 422, "{body}");
    let (s, _, _) =
        ui.post(&format!("/users/{uid}/password"), &[("username", "duda_1"), ("password", "Inspect-2027-go")]).await;
    assert_eq!(s, 200);
    let old = json!({"username": "duda_1", "password": "Inspect-2026-own", "name": "x"});
    let (s, _) = app.anonymous().post("/auth/token", old).await;
    assert_eq!(s, 409);
    // A password the administrator set is changed by its holder before anything else.
    let (s, body) = app
        .anonymous()
        .post("/auth/token", json!({"username": "duda_1", "password": "Inspect-2027-go", "name": "x"}))
        .await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.password.change_due")), "{body}");
    app.api_first("duda_1", "Inspect-2027-go", "Inspect-2027-own").await;
    // Disable and enable again.
    let (s, _, _) = ui.post(&format!("/users/{uid}/disable"), &[]).await;
    assert_eq!(s, 200);
    let new = json!({"username": "duda_1", "password": "Inspect-2027-own", "name": "x"});
    let (s, _) = app.anonymous().post("/auth/token", new).await;
    assert_eq!(s, 409);
    let (s, _, _) = ui.post(&format!("/users/{uid}/enable"), &[]).await;
    assert_eq!(s, 200);
    app.api_with("duda_1", "Inspect-2027-own").await;
    // Nobody can disable themselves.
    let (cid,): (i64,) =
        app.db.one(&frontline_db::Sql::new("SELECT id FROM users WHERE username = 'county_org'")).await.unwrap();
    let (s, body, _) = ui.post(&format!("/users/{cid}/disable"), &[]).await;
    assert_eq!(s, 409);
    assert!(body.contains("不能停用自己的账号"));
    let audited = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action IN ('role.create', 'user.create', 'user.password', 'user.disable', 'user.enable')")
        .await;
    assert!(audited >= 5 + 5, "the demo's roles and accounts plus these changes: {audited}");

    // Edit the role in the UI: one township only, and it may now also list posts.
    let role_id: i64 = role_id.parse().unwrap();
    let (s, page) = ui.get(&format!("/roles/{role_id}/edit")).await;
    assert_eq!(s, 200);
    assert!(page.contains("修改角色") && page.contains("checked"));
    let (s, body, _) = ui
        .post(
            &format!("/roles/{role_id}"),
            &[
                ("name", "督导一组"),
                ("data_scope", "listed"),
                ("units", "330382006"),
                ("permissions", "units:unit:list"),
                ("permissions", "people:post:list"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let inspector = app.api_with("duda_1", "Inspect-2027-own").await;
    let (s, _) = inspector.get(&format!("/units/{}", p.village_elsewhere)).await;
    assert_eq!(s, 404, "the second township was taken out of the role");
    let (s, _) = inspector.get("/posts").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn roles_cannot_be_taken_over_from_below() {
    let app = TestApp::new().await;
    let admin_role = frontline_db::access::role_id_by_key(&app.db, "admin").await.unwrap().unwrap();
    let county_role = frontline_db::access::role_id_by_key(&app.db, "county_org").await.unwrap().unwrap();
    let county = app.api("county_org").await;
    // The county department cannot rewrite the administrators' role, nor widen its own.
    let body = json!({"role_key": "admin", "name": "x", "data_scope": "own_unit", "permissions": []});
    let (s, _) = county.put(&format!("/roles/{admin_role}"), body.clone()).await;
    assert_eq!(s, 403);
    // Nor can an administrator: the role that holds everything stays whole (found by schemathesis).
    let (s, resp) = app.api("admin").await.put(&format!("/roles/{admin_role}"), body).await;
    assert_eq!((s, resp["code"].as_str()), (409, Some("error.role.admin_fixed")), "{resp}");
    let (perms,): (String,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT permissions FROM roles WHERE id = $1", vec![admin_role.into()]))
        .await
        .unwrap();
    assert_eq!(perms, "*:*:*");
    let body = json!({"role_key": "county_org", "name": "县委组织部", "data_scope": "all", "permissions": ["units:unit:list"]});
    let (s, resp) = county.put(&format!("/roles/{county_role}"), body).await;
    assert_eq!(s, 422, "{resp}");
    // A township secretary may not edit roles at all.
    let body = json!({"role_key": "county_org", "name": "x", "data_scope": "own_unit", "permissions": []});
    let (s, _) = app.api("township_secretary").await.put(&format!("/roles/{county_role}"), body).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .api("admin")
        .await
        .put("/roles/987654", json!({"role_key": "x", "name": "x", "data_scope": "own_unit"}))
        .await;
    assert_eq!(s, 404);
    let (name,): (String,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT name FROM roles WHERE id = $1", vec![admin_role.into()]))
        .await
        .unwrap();
    assert_eq!(name, "超级管理员");
}

#[tokio::test]
async fn the_api_exports_what_the_list_shows() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let (_, list) = api.get(&format!("/people?unit={}&per_page=200", p.qiyuan)).await;
    let (s, bytes) = api.get_bytes(&format!("/people/export?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    let rows = frontline_reports::read_first_sheet(&bytes).unwrap();
    assert_eq!(rows.len() as i64 - 1, list["total"].as_i64().unwrap());
    assert_eq!(rows[0][0], "姓名");
    assert!(rows.iter().skip(1).all(|r| r[6].is_empty() || r[6].contains("****")), "phones masked");
    // In English when asked.
    let mut en = app.api("village_secretary").await;
    en.lang = Some("en");
    let (_, bytes) = en.get_bytes(&format!("/people/export?unit={}", p.qiyuan)).await;
    let rows = frontline_reports::read_first_sheet(&bytes).unwrap();
    assert_eq!(rows[0][0], "Name");
}
