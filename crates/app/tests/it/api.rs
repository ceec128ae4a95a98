//! The JSON API does what the UI does: units, people, postings, posts and holders.

use serde_json::json;

use crate::helpers::{Places, TestApp};

#[tokio::test]
async fn health_and_openapi() {
    let app = TestApp::new().await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    let (status, doc) = app.anonymous().get("/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"].as_str().map(|s| &s[..2]), Some("3."));
    for path in
        ["/api/v1/units", "/api/v1/people", "/api/v1/posts/{id}/assign", "/api/v1/people/import", "/api/v1/audit"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    // Every path parameter is in its path template and every template variable is a path
    // parameter; list filters are query parameters a client can send.
    let mut queries = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let in_template: std::collections::BTreeSet<&str> =
            path.split('{').skip(1).filter_map(|s| s.split('}').next()).collect();
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let documented: std::collections::BTreeSet<&str> =
                params.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect();
            for p in params.iter().filter(|p| p["in"] == "path") {
                assert_eq!(p["required"], true, "{method} {path}: path parameter {} is required", p["name"]);
            }
            assert_eq!(documented, in_template, "{method} {path}: path parameters and template agree");
            assert!(op["responses"].get("429").is_some(), "{method} {path}: the limiter's 429 is documented");
            queries += params.iter().filter(|p| p["in"] == "query").count();
        }
    }
    let people = doc["paths"]["/api/v1/people"]["get"]["parameters"].as_array().unwrap();
    let filters: Vec<&str> =
        people.iter().filter(|p| p["in"] == "query").map(|p| p["name"].as_str().unwrap()).collect();
    assert!(
        filters.contains(&"page") && filters.len() > 3,
        "the people list's filters are query parameters: {filters:?}"
    );
    assert!(queries > 150, "list filters across the API are query parameters: {queries}");
}

#[tokio::test]
async fn the_demo_holds_leqing() {
    let app = TestApp::new().await;
    assert_eq!(app.summary.townships, 25);
    assert_eq!(app.summary.villages, 514);
    let api = app.api("county_org").await;
    let county = app.unit_id("330382").await;
    let (s, page) = api.get(&format!("/units?under={county}&kind=village&per_page=1")).await;
    assert_eq!(s, 200);
    assert_eq!(page["total"], 514);
    let (_, page) = api.get(&format!("/units?under={county}&kind=township&per_page=50")).await;
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 25);
    assert!(names.contains(&"白石街道") && names.contains(&"柳市镇") && names.contains(&"雁荡镇"));
    let qiyuan = app.unit_id("330382006205").await;
    let (_, unit) = api.get(&format!("/units/{qiyuan}")).await;
    assert_eq!(unit["name"], "岐元村");
    assert_eq!(unit["code"], "330382006205");
    // The seed's audit entry counts what it wrote: the units without a division code, and everyone.
    let (after,): (String,) = app
        .db
        .one(&frontline_db::Sql::new("SELECT after_state FROM audit_log WHERE action = 'demo.seed'"))
        .await
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(&after).unwrap();
    let (duty,): (String,) = app
        .db
        .one(&frontline_db::Sql::new("SELECT after_state FROM audit_log WHERE action = 'demo.duty'"))
        .await
        .unwrap();
    let duty: serde_json::Value = serde_json::from_str(&duty).unwrap();
    // The work demo adds its checkpoints, and organisational life its temporary branch, through
    // the ordinary, individually audited path.
    let created = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'unit.create'").await;
    let temporary = app.count("SELECT COUNT(*) FROM temporary_orgs").await;
    assert_eq!(temporary, 1);
    assert_eq!(created - temporary, app.count("SELECT COUNT(*) FROM units WHERE kind = 'checkpoint'").await);
    assert_eq!(
        after["units"].as_i64().unwrap() + duty["units"].as_i64().unwrap() + created,
        app.count("SELECT COUNT(*) FROM units WHERE code IS NULL").await
    );
    // Members' responsibility areas and vanguard posts come with organisational life.
    let member_links =
        app.count("SELECT COUNT(*) FROM links WHERE kind IN ('responsibility_area', 'vanguard_post')").await;
    assert!(member_links > 0);
    assert_eq!(duty["links"].as_i64().unwrap() + member_links, app.count("SELECT COUNT(*) FROM links").await);
    assert_eq!(after["people"].as_i64().unwrap(), app.count("SELECT COUNT(*) FROM people").await);
}

#[tokio::test]
async fn units_are_added_renamed_moved_and_closed() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let (s, group) =
        api.post("/units", json!({"parent_id": p.qiyuan, "name": "岐元村第一村民小组", "kind": "village_group"})).await;
    assert_eq!(s, 201, "{group}");
    let gid = group["id"].as_i64().unwrap();
    let seg = frontline_core::units::path_segment;
    assert!(group["path"].as_str().unwrap().ends_with(&format!("/{}/{}/", seg(p.qiyuan), seg(gid))));
    let (s, grid) = api.post("/units", json!({"parent_id": gid, "name": "一组网格", "kind": "grid", "tags": []})).await;
    assert_eq!(s, 201);
    let grid_id = grid["id"].as_i64().unwrap();

    let (s, renamed) = api
        .put(&format!("/units/{gid}"), json!({"name": "岐元村一组", "kind": "village_group", "tags": ["key"]}))
        .await;
    assert_eq!(s, 200, "{renamed}");
    assert_eq!(renamed["name"], "岐元村一组");
    assert_eq!(renamed["tags"], ",key,");

    // Move the grid straight under the village: its path follows.
    let (s, moved) = api.post(&format!("/units/{grid_id}/move"), json!({"parent_id": p.qiyuan})).await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["parent_id"], p.qiyuan);
    assert!(moved["path"].as_str().unwrap().ends_with(&format!("/{}/{}/", seg(p.qiyuan), seg(grid_id))));
    // A unit cannot move under its own descendant.
    let (s, _) = api.post(&format!("/units/{grid_id}/move"), json!({"parent_id": grid_id})).await;
    assert_eq!(s, 409);

    let (s, closed) = api.post(&format!("/units/{gid}/close"), json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(closed["closed"], true);
    let (s, err) = api.post(&format!("/units/{gid}/close"), json!({})).await;
    assert_eq!(s, 409);
    assert_eq!(err["code"], "error.unit.already_closed");
    // A village with open children cannot be closed.
    let (s, err) = api.post(&format!("/units/{}/close", p.qiyuan), json!({})).await;
    assert_eq!((s, err["code"].as_str()), (409, Some("error.unit.has_open_children")));
    // Closed units leave the default list but stay findable.
    let (_, list) = api.get(&format!("/units?under={}&kind=village_group", p.qiyuan)).await;
    assert_eq!(list["total"], 0);
    let (_, list) = api.get(&format!("/units?under={}&kind=village_group&include_closed=true", p.qiyuan)).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn moving_a_subtree_rewrites_every_path() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("county_org").await;
    // Move 岐元村 (with its branch, grids and people) to another township.
    let (s, moved) = api.post(&format!("/units/{}/move", p.qiyuan), json!({"parent_id": p.other_township})).await;
    assert_eq!(s, 200, "{moved}");
    let new_path = moved["path"].as_str().unwrap().to_string();
    let (_, kids) = api.get(&format!("/units/{}/children", p.qiyuan)).await;
    for k in kids.as_array().unwrap() {
        assert!(k["path"].as_str().unwrap().starts_with(&new_path));
        assert_eq!(k["depth"].as_i64(), moved["depth"].as_i64().map(|d| d + 1));
    }
    // The township secretary of 白石 no longer reaches it; the village secretary still does.
    let (s, _) = app.api("township_secretary").await.get(&format!("/units/{}", p.qiyuan)).await;
    assert_eq!(s, 404);
    let (s, _) = app.api("village_secretary").await.get(&format!("/units/{}", p.qiyuan)).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn people_are_created_edited_and_posted() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let body = json!({"home_unit_id": p.qiyuan_branch, "name": "陈建国", "category": "member", "party_status": "member",
        "specialties": "医疗", "birthday": "1978-05-04", "phone": "13812345678"});
    let (s, person) = api.post("/people", body.clone()).await;
    assert_eq!(s, 201, "{person}");
    let id = person["id"].as_i64().unwrap();
    // The same person twice is refused, as the roster import refuses it.
    let people_now = app.count("SELECT COUNT(*) FROM people").await;
    let (s, again) = api.post("/people", body.clone()).await;
    assert_eq!(s, 409, "{again}");
    assert!(again["message"].as_str().unwrap().contains("同姓名"), "{again}");
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, people_now);
    // 互派互挂 with a county in another province, outside this install: the other side in words.
    let (s, resp) = api
        .post(
            &format!("/people/{id}/postings"),
            json!({"unit_id": p.qiyuan, "kind": "secondment", "start_date": "2026-03-01", "partner_place": "四川省阿坝州汶川县"}),
        )
        .await;
    assert_eq!(s, 201, "{resp}");
    let (s, resp) = api
        .post(
            &format!("/people/{id}/postings"),
            json!({"unit_id": p.qiyuan, "kind": "stationed", "start_date": "2026-03-01", "partner_place": "四川省"}),
        )
        .await;
    assert_eq!(s, 422, "only a secondment names a partner outside: {resp}");
    let (_, postings) = api.get(&format!("/people/{id}/postings")).await;
    assert!(
        postings
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "secondment" && x["partner_place"] == "四川省阿坝州汶川县"),
        "{postings}"
    );
    // Lists mask the phone; the detail shows it to those who may edit.
    let (_, list) = api.get(&format!("/people?unit={}&name=陈建国", p.qiyuan)).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["phone"], "138****5678");
    let (_, detail) = api.get(&format!("/people/{id}")).await;
    assert_eq!(detail["phone"], "13812345678");
    let (_, detail) = app.api("grid_worker").await.get(&format!("/people/{id}")).await;
    assert_ne!(detail["phone"], "13812345678", "a grid worker does not reach or read the full number");

    let mut edited = body.clone();
    edited["rank"] = json!("village");
    edited["name"] = json!("陈建国");
    let (s, after) = api.put(&format!("/people/{id}"), edited).await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(after["rank"], "village");

    // A county cadre posted to 岐元村 (驻村) becomes visible to its secretary.
    let county_api = app.api("county_org").await;
    let dept = app.unit_named("市农业农村局").await;
    let cadre = app.person_in(dept).await;
    let (s, _) = api.get(&format!("/people/{cadre}")).await;
    assert_eq!(s, 404, "not visible before the posting");
    let (s, _) = county_api
        .post(
            &format!("/people/{cadre}/postings"),
            json!({"unit_id": p.qiyuan, "kind": "stationed", "start_date": "2026-02-03"}),
        )
        .await;
    assert_eq!(s, 201);
    let postings_now = app.count("SELECT COUNT(*) FROM postings").await;
    let (s, body) = county_api
        .post(
            &format!("/people/{cadre}/postings"),
            json!({"unit_id": p.qiyuan, "kind": "stationed", "start_date": "2026-03-01"}),
        )
        .await;
    assert_eq!(s, 409, "the same posting twice is refused: {body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("同一方式"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM postings").await, postings_now);
    let (s, postings) = api.get(&format!("/people/{cadre}/postings")).await;
    assert_eq!(s, 200);
    let posting = postings
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit_id"] == p.qiyuan && x["kind"] == "stationed")
        .unwrap()
        .clone();
    // The host village sees the stationed cadre but does not own their record.
    let (_, cadre_view) = api.get(&format!("/people/{cadre}")).await;
    assert!(cadre_view["phone"].as_str().unwrap().contains("****"), "the host sees the masked number");
    let takeover = json!({"home_unit_id": p.qiyuan, "name": cadre_view["name"], "category": "cadre"});
    let (s, _) = api.put(&format!("/people/{cadre}"), takeover).await;
    assert_eq!(s, 403);
    // When the posting ends, the cadre leaves the secretary's sight again.
    let pid = posting["id"].as_i64().unwrap();
    let (s, body) = county_api.post(&format!("/postings/{pid}/end"), json!({"end_date": "2026-01-01"})).await;
    assert_eq!(s, 422, "an end before the start: {body}");
    let (s, _) = county_api.post(&format!("/postings/{pid}/end"), json!({"end_date": "2026-10-31"})).await;
    assert_eq!(s, 204);
    let (s, body) = county_api.post(&format!("/postings/{pid}/end"), json!({"end_date": "2026-11-01"})).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.posting.already_ended")));
    let (s, _) = api.get(&format!("/people/{cadre}")).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn posts_change_hands_with_history() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let (s, post) = api
        .post("/posts", json!({"unit_id": p.qiyuan_branch, "kind": "committee_member", "title": "组织委员", "seq": 6}))
        .await;
    assert_eq!(s, 201, "{post}");
    let post_id = post["id"].as_i64().unwrap();
    assert!(post["holder_id"].is_null());
    let a = app.person_in(p.qiyuan_branch).await;
    let (s, held) =
        api.post(&format!("/posts/{post_id}/assign"), json!({"person_id": a, "start_date": "2025-01-10"})).await;
    assert_eq!(s, 200, "{held}");
    assert_eq!(held["holder_id"], a);
    let (b,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT id FROM people WHERE home_unit_id = $1 AND id <> $2 ORDER BY id LIMIT 1",
            vec![p.qiyuan_branch.into(), a.into()],
        ))
        .await
        .unwrap();
    // An earlier start than the current holder's is refused.
    let (s, err) =
        api.post(&format!("/posts/{post_id}/assign"), json!({"person_id": b, "start_date": "2024-01-01"})).await;
    assert_eq!(s, 422, "{err}");
    let (s, _) =
        api.post(&format!("/posts/{post_id}/assign"), json!({"person_id": b, "start_date": "2026-03-01"})).await;
    assert_eq!(s, 200);
    let (_, history) = api.get(&format!("/posts/{post_id}/tenures")).await;
    let h = history.as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["person_id"], b);
    assert!(h[0]["end_date"].is_null());
    assert_eq!(h[1]["end_date"], "2026-03-01");
    assert_eq!(h[1]["end_reason"], "replaced");
    let (s, vacated) =
        api.post(&format!("/posts/{post_id}/vacate"), json!({"end_date": "2026-06-30", "reason": "调任"})).await;
    assert_eq!(s, 200);
    assert!(vacated["holder_id"].is_null());
    let (s, err) =
        api.post(&format!("/posts/{post_id}/vacate"), json!({"end_date": "2026-07-01", "reason": "x"})).await;
    assert_eq!((s, err["code"].as_str()), (409, Some("error.post.already_vacant")));
    let (_, vacant) = api.get(&format!("/posts?unit={}&vacant=true", p.qiyuan)).await;
    assert!(vacant["items"].as_array().unwrap().iter().any(|x| x["id"] == post_id));
}

/// Every answer carries an id of its own in `X-Request-Id`; an error repeats it in its body, for
/// the user to quote and the administrator to find in the log.
#[tokio::test]
async fn every_answer_names_its_request() {
    let app = TestApp::new().await;
    let api = app.api("county_org").await;
    let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let first = http.get(app.url("/healthz")).send().await.unwrap();
    let second = http.get(app.url("/login")).send().await.unwrap();
    let (a, b) = (id_of(&first), id_of(&second));
    assert_eq!(a.len(), 16, "{a}");
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert_ne!(a, b, "each request its own id");
    let missing = http
        .get(format!("{}/api/v1/units/999999999", app.base))
        .bearer_auth(api.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let id = id_of(&missing);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str(), "{body}");
}
