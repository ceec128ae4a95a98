//! Bad input gets a clear error in the user's language and changes nothing.

use serde_json::json;

use crate::helpers::{Places, TestApp};

async fn people_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM people").await
}

#[tokio::test]
async fn malformed_missing_wrong_type_too_long() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let before = people_count(&app).await;
    // Not JSON at all.
    let (s, body) = api.post_raw("/people", "application/json", b"{name: oops".to_vec()).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.bad_json")));
    assert!(body["message"].as_str().unwrap().contains("JSON"));
    // A required field missing: the answer names it.
    let (s, body) = api.post("/people", json!({"name": "王芳"})).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.bad_json")));
    assert_eq!(
        (body["fields"][0]["field"].as_str(), body["fields"][0]["code"].as_str()),
        (Some("home_unit_id"), Some("error.required")),
        "{body}"
    );
    // A wrong type: named too, with its label.
    let (s, body) = api.post("/people", json!({"home_unit_id": "岐元村", "name": "王芳", "category": "member"})).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.bad_json")));
    assert_eq!(body["fields"][0]["field"], "home_unit_id", "{body}");
    assert_eq!(body["fields"][0]["code"], "error.bad_type", "{body}");
    // An array where an object belongs.
    let (s, body) = api.post("/people", json!([{"name": "王芳"}])).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.bad_json")));
    assert_eq!(body["fields"][0]["message"], "请求内容: 请求内容应为一个 JSON 对象", "{body}");
    // A query without its required parameters names them.
    let (s, body) = api.get("/trace").await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.bad_query")));
    assert_eq!(body["fields"][0]["code"], "error.required", "{body}");
    // Every bad field reported at once, translated.
    let long_name = "张".repeat(33);
    let (s, body) = api
        .post("/people", json!({"home_unit_id": p.qiyuan_branch, "name": long_name, "category": "king", "birthday": "1990-13-40", "phone": "12345"}))
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["code"], "error.invalid");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["name", "category", "birthday", "phone"]);
    let messages: Vec<&str> =
        body["fields"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(messages[0], "名称/姓名: 太长");
    assert_eq!(messages[3], "手机号: 应为11位手机号");
    assert_eq!(people_count(&app).await, before);
}

#[tokio::test]
async fn errors_speak_english_when_asked() {
    let app = TestApp::new().await;
    let mut api = app.api("village_secretary").await;
    api.lang = Some("en-US,en;q=0.9");
    let (s, body) = api.post("/units", json!({"parent_id": 999_999_999, "name": "x", "kind": "village_group"})).await;
    assert_eq!(s, 404);
    assert_eq!(body["message"], "Not found, or not yours to see");
    let (s, body) = api.get("/units/abc").await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.bad_id")));
    assert_eq!(body["message"], "The id in the address is not a number");
    let (s, body) = api.get("/units?page=first").await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.bad_query")));
    let (s, body) = api.get("/no/such/route").await;
    assert_eq!((s, body["code"].as_str()), (404, Some("error.not_found")));
}

#[tokio::test]
async fn unknown_ids_and_impossible_changes() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("county_org").await;
    for path in [
        "/units/987654321",
        "/people/987654321",
        "/posts/987654321",
        "/units/987654321/children",
        "/posts/987654321/tenures",
    ] {
        let (s, body) = api.get(path).await;
        assert_eq!((s, body["code"].as_str()), (404, Some("error.not_found")), "{path}");
    }
    // A village cannot sit under a grid, and a unit cannot take an unknown kind or a taken code.
    let (_, grids) = api.get(&format!("/units/{}/children", p.qiyuan)).await;
    let grid = grids.as_array().unwrap().iter().find(|u| u["kind"] == "grid").unwrap()["id"].as_i64().unwrap();
    let (s, body) = api.post("/units", json!({"parent_id": grid, "name": "错村", "kind": "village"})).await;
    assert_eq!(s, 422);
    assert_eq!(body["fields"][0]["code"], "error.unit.kind_not_allowed_here");
    let (s, body) = api.post("/units", json!({"parent_id": p.qiyuan, "name": "x", "kind": "castle"})).await;
    assert_eq!((s, body["fields"][0]["code"].as_str()), (422, Some("error.unit.bad_kind")));
    let (s, body) = api
        .post("/units", json!({"parent_id": p.baishi, "name": "重复", "kind": "village", "code": "330382006205"}))
        .await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.unit.duplicate_code")));
    assert_eq!(app.count("SELECT COUNT(*) FROM units WHERE name IN ('错村', '重复')").await, 0);
    // Control characters are refused, not stored.
    let (s, body) =
        api.post("/units", json!({"parent_id": p.qiyuan, "name": "坏\u{0007}名", "kind": "village_group"})).await;
    assert_eq!((s, body["fields"][0]["code"].as_str()), (422, Some("error.bad_characters")));
    // Dates that are not dates.
    let person = app.person_in(p.qiyuan_branch).await;
    let (s, body) = api
        .post(
            &format!("/people/{person}/postings"),
            json!({"unit_id": p.qiyuan, "kind": "sent", "start_date": "yesterday"}),
        )
        .await;
    assert_eq!((s, body["fields"][0]["code"].as_str()), (422, Some("error.bad_date")));
    let (s, body) = api
        .post(
            &format!("/people/{person}/postings"),
            json!({"unit_id": p.qiyuan, "kind": "parachuted", "start_date": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
}

#[tokio::test]
async fn ui_forms_answer_with_readable_errors() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ui = app.ui("village_secretary").await;
    let (s, body, _) =
        ui.post(&format!("/units?parent={}", p.qiyuan), &[("name", ""), ("kind", "village_group")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("alert-error") && body.contains("必填"), "{body}");
    let (s, body, _) =
        ui.post("/people", &[("name", "测试李明"), ("category", "member"), ("home_unit", "no-such-code")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("找不到该单位"), "{body}");
    let (s, body, _) = ui
        .post(
            "/people",
            &[("name", "测试李明"), ("category", "member"), ("home_unit", "330382006205"), ("phone", "999")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("data-field=\"phone\""), "{body}");
    // Nothing was written by any of these.
    assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE name = '测试李明'").await, 0);
}
