//! No one sees what is not theirs: for every list, detail, export and change route of the API
//! and the UI, a village secretary gets nothing of another village and a township secretary
//! nothing outside the township. Every route is tried, not a sample; a test also checks that
//! every `{id}` route the API documents is in the table.

use serde_json::{Value, json};

use crate::helpers::{Api, Places, TestApp, Ui};

/// Objects of one place: its village unit, a member of its branch, a post in its branch.
struct Foreign {
    unit: i64,
    person: i64,
    post: i64,
    /// A current posting of someone whose home unit lies in the place, if there is one.
    posting: Option<i64>,
}

async fn foreign(app: &TestApp, unit: i64, member_unit: i64) -> Foreign {
    let posting: Option<(i64,)> = app
        .db
        .opt(&frontline_db::Sql::with(
            "SELECT ps.id FROM postings ps JOIN people p ON p.id = ps.person_id JOIN units hu ON hu.id = p.home_unit_id \
             JOIN units root ON root.id = $1 WHERE ps.end_date IS NULL AND hu.path LIKE root.path || '%' ORDER BY ps.id LIMIT 1",
            vec![unit.into()],
        ))
        .await
        .unwrap();
    Foreign {
        unit,
        person: app.person_in(member_unit).await,
        post: app.post_in(member_unit).await,
        posting: posting.map(|p| p.0),
    }
}

const API_READS: &[&str] = &[
    "/units/{unit}",
    "/units/{unit}/children",
    "/units?under={unit}",
    "/people/{person}",
    "/people/{person}/postings",
    "/people?unit={unit}",
    "/people/export?unit={unit}",
    "/posts/{post}",
    "/posts/{post}/tenures",
    "/posts?unit={unit}",
];

/// Paths with `{id}` in the OpenAPI document that the tables above and below cover.
const COVERED_ID_PATHS: &[&str] = &[
    "/api/v1/units/{id}",
    "/api/v1/units/{id}/children",
    "/api/v1/units/{id}/move",
    "/api/v1/units/{id}/close",
    "/api/v1/people/{id}",
    "/api/v1/people/{id}/postings",
    "/api/v1/posts/{id}",
    "/api/v1/posts/{id}/tenures",
    "/api/v1/posts/{id}/assign",
    "/api/v1/posts/{id}/vacate",
    "/api/v1/postings/{id}/end",
    // Roles are not held by units; who may change them is tested in `admin`.
    "/api/v1/roles/{id}",
    // Only the caller's own tokens; tested in `auth`.
    "/api/v1/me/tokens/{id}/revoke",
];

fn fill(template: &str, f: &Foreign) -> String {
    template
        .replace("{unit}", &f.unit.to_string())
        .replace("{person}", &f.person.to_string())
        .replace("{post}", &f.post.to_string())
}

async fn api_cannot_reach(app: &TestApp, api: &Api, f: &Foreign, own_unit: i64, own_person: i64, who: &str) {
    for t in API_READS {
        let path = fill(t, f);
        let (status, body) =
            if path.contains("/export") { (api.get_bytes(&path).await.0, Value::Null) } else { api.get(&path).await };
        assert_eq!(status, 404, "{who}: GET {path} must not reach another place: {body}");
    }
    let before = snapshot(app).await;
    let writes: Vec<(String, Value)> = vec![
        (format!("/units/{}/move", f.unit), json!({"parent_id": own_unit})),
        (format!("/units/{}/close", f.unit), json!({})),
        (
            format!("/people/{}/postings", f.person),
            json!({"unit_id": own_unit, "kind": "sent", "start_date": "2026-01-01"}),
        ),
        (format!("/posts/{}/assign", f.post), json!({"person_id": own_person, "start_date": "2026-11-01"})),
        (format!("/posts/{}/vacate", f.post), json!({"end_date": "2026-11-01", "reason": "x"})),
        ("/units".to_string(), json!({"parent_id": f.unit, "name": "越权小组", "kind": "village_group"})),
        ("/people".to_string(), json!({"home_unit_id": f.unit, "name": "越权", "category": "member"})),
        ("/posts".to_string(), json!({"unit_id": f.unit, "kind": "staff", "title": "越权"})),
    ];
    for (path, body) in writes {
        let (status, resp) = api.post(&path, body).await;
        assert!(status == 404 || status == 422, "{who}: POST {path} answered {status}: {resp}");
    }
    if let Some(posting) = f.posting {
        let (status, resp) = api.post(&format!("/postings/{posting}/end"), json!({"end_date": "2026-11-01"})).await;
        assert_eq!(status, 404, "{who}: ending a foreign posting: {resp}");
    }
    for (path, body) in [
        (format!("/units/{}", f.unit), json!({"name": "改名", "kind": "village"})),
        (format!("/people/{}", f.person), json!({"home_unit_id": own_unit, "name": "改名", "category": "member"})),
        (format!("/posts/{}", f.post), json!({"title": "改名", "seq": 1})),
    ] {
        let (status, resp) = api.put(&path, body).await;
        assert_eq!(status, 404, "{who}: PUT {path}: {resp}");
    }
    assert_eq!(snapshot(app).await, before, "{who}: nothing may change");
}

async fn ui_cannot_reach(app: &TestApp, ui: &Ui, f: &Foreign, who: &str) {
    let reads = [
        "/units/{unit}",
        "/units/{unit}/edit",
        "/units/tree/{unit}",
        "/units?under={unit}",
        "/units/new?parent={unit}",
        "/people/{person}",
        "/people/{person}/edit",
        "/people?unit={unit}",
        "/people/new?unit={unit}",
        "/people/export.xlsx?unit={unit}",
        "/posts/{post}",
        "/posts?unit={unit}",
        "/posts/new?unit={unit}",
    ];
    for t in reads {
        let path = fill(t, f);
        let (status, body) = ui.get(&path).await;
        if t == "/units/tree/{unit}" {
            // The tree answers with the children it may show: none.
            assert!(status == 404 || (status == 200 && !body.contains("<li")), "{who}: {path} showed {body}");
        } else {
            assert_eq!(status, 404, "{who}: GET {path}");
        }
    }
    let before = snapshot(app).await;
    let unit = f.unit.to_string();
    let unit_ref = format!("#{unit}");
    let writes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/units/{}", f.unit), vec![("name", "改名"), ("kind", "village")]),
        (format!("/units/{}/move", f.unit), vec![("parent", "330382006")]),
        (format!("/units/{}/close", f.unit), vec![]),
        (
            format!("/people/{}", f.person),
            vec![("name", "改名"), ("category", "member"), ("home_unit", "330382006205")],
        ),
        (
            format!("/people/{}/postings", f.person),
            vec![("unit", "330382006205"), ("kind", "sent"), ("start_date", "2026-01-01")],
        ),
        (format!("/posts/{}/assign", f.post), vec![("person_id", "1"), ("start_date", "2026-11-01")]),
        (format!("/posts/{}/vacate", f.post), vec![("end_date", "2026-11-01"), ("reason", "x")]),
        (format!("/posts/{}", f.post), vec![("title", "改名"), ("seq", "1")]),
        (format!("/postings/{}/end", f.posting.unwrap_or(i64::MAX)), vec![("end_date", "2026-11-01")]),
        ("/units?parent=".to_string() + &unit, vec![("name", "越权小组"), ("kind", "village_group")]),
        ("/people".to_string(), vec![("name", "越权"), ("category", "member"), ("home_unit", &unit_ref)]),
    ];
    for (path, form) in writes {
        let (status, body, _) = ui.post(&path, &form).await;
        assert!(status == 404 || status == 422, "{who}: POST {path} answered {status}: {body}");
    }
    assert_eq!(snapshot(app).await, before, "{who}: nothing may change");
}

/// Row counts and a checksum of names and parents: any change shows.
async fn snapshot(app: &TestApp) -> Vec<i64> {
    let mut v = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM units",
        "SELECT COUNT(*) FROM people",
        "SELECT COUNT(*) FROM posts",
        "SELECT COUNT(*) FROM tenures WHERE end_date IS NULL",
        "SELECT COUNT(*) FROM postings",
        "SELECT COUNT(*) FROM postings WHERE end_date IS NOT NULL",
        "SELECT COUNT(*) FROM posts WHERE title LIKE '%改名%'",
        "SELECT COUNT(*) FROM units WHERE closed = TRUE",
        "SELECT COUNT(*) FROM units WHERE name LIKE '%改名%'",
        "SELECT COUNT(*) FROM people WHERE name LIKE '%改名%'",
    ] {
        v.push(app.count(sql).await);
    }
    v
}

#[tokio::test]
async fn a_village_secretary_reaches_nothing_of_other_villages() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let ui = app.ui("village_secretary").await;
    let own_person = app.person_in(p.qiyuan_branch).await;
    // Another village of the same township, and a village of another township.
    let branch_of = |v: i64| {
        let db = app.db.clone();
        async move {
            let (id,): (i64,) = db
                .one(&frontline_db::Sql::with(
                    "SELECT id FROM units WHERE parent_id = $1 AND kind = 'party_branch'",
                    vec![v.into()],
                ))
                .await
                .unwrap();
            id
        }
    };
    let neighbour = foreign(&app, p.other_village_same_township, branch_of(p.other_village_same_township).await).await;
    let elsewhere = foreign(&app, p.village_elsewhere, p.village_elsewhere_branch).await;
    // The township itself is outside a village secretary's scope too.
    let township = foreign(&app, p.baishi, p.baishi).await;
    assert!(township.posting.is_some(), "township cadres are posted to villages (包村)");
    for f in [&neighbour, &elsewhere, &township] {
        api_cannot_reach(&app, &api, f, p.qiyuan, own_person, "village secretary").await;
        ui_cannot_reach(&app, &ui, f, "village secretary").await;
    }
}

#[tokio::test]
async fn a_township_secretary_reaches_nothing_outside_the_township() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("township_secretary").await;
    let ui = app.ui("township_secretary").await;
    let own_person = app.person_in(p.qiyuan_branch).await;
    let elsewhere = foreign(&app, p.village_elsewhere, p.village_elsewhere_branch).await;
    let other_township = foreign(&app, p.other_township, p.other_township).await;
    assert!(other_township.posting.is_some());
    let dept = app.unit_named("市公安局").await;
    let county_dept = foreign(&app, dept, dept).await;
    for f in [&elsewhere, &other_township, &county_dept] {
        api_cannot_reach(&app, &api, f, p.qiyuan, own_person, "township secretary").await;
        ui_cannot_reach(&app, &ui, f, "township secretary").await;
    }
    // And it does reach its own villages.
    let (s, _) = api.get(&format!("/units/{}", p.other_village_same_township)).await;
    assert_eq!(s, 200);
}

/// Everything an unfiltered list returns lies in the caller's subtree (or is posted into it).
#[tokio::test]
async fn unfiltered_lists_hold_only_what_is_in_scope() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    for (who, root) in [("village_secretary", p.qiyuan), ("township_secretary", p.baishi)] {
        let api = app.api(who).await;
        let (root_path,): (String,) = app
            .db
            .one(&frontline_db::Sql::with("SELECT path FROM units WHERE id = $1", vec![root.into()]))
            .await
            .unwrap();
        let mut page = 1;
        let mut units_seen = 0;
        loop {
            let (s, list) = api.get(&format!("/units?per_page=200&page={page}")).await;
            assert_eq!(s, 200);
            let items = list["items"].as_array().unwrap();
            for u in items {
                assert!(u["path"].as_str().unwrap().starts_with(&root_path), "{who} saw unit {u}");
            }
            units_seen += items.len();
            if items.len() < 200 {
                break;
            }
            page += 1;
        }
        assert!(units_seen > 1, "{who} sees their own units");
        let (s, people) = api.get("/people?per_page=200").await;
        assert_eq!(s, 200);
        let items = people["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for person in items {
            let id = person["id"].as_i64().unwrap();
            let inside = app
                .db
                .count(&frontline_db::Sql::with(
                    "SELECT COUNT(*) FROM people p JOIN units u ON u.id = p.home_unit_id WHERE p.id = $1 AND u.path LIKE $2 \
                     OR EXISTS (SELECT 1 FROM postings ps JOIN units pu ON pu.id = ps.unit_id WHERE ps.person_id = $1 AND ps.end_date IS NULL AND pu.path LIKE $2)",
                    vec![id.into(), format!("{root_path}%").into()],
                ))
                .await
                .unwrap();
            assert!(inside > 0, "{who} saw person {person}");
        }
        let (_, posts) = api.get("/posts?per_page=200").await;
        for post in posts["items"].as_array().unwrap() {
            let unit = post["unit_id"].as_i64().unwrap();
            let (path,): (String,) = app
                .db
                .one(&frontline_db::Sql::with("SELECT path FROM units WHERE id = $1", vec![unit.into()]))
                .await
                .unwrap();
            assert!(path.starts_with(&root_path), "{who} saw post {post}");
        }
    }
    // A grid worker sees their own grid and themselves, nothing of the village around.
    let grid_api = app.api("grid_worker").await;
    let (_, units) = grid_api.get("/units").await;
    assert_eq!(units["total"], 1);
    assert!(units["items"][0]["name"].as_str().unwrap().ends_with("第一网格"));
    let (s, _) = grid_api.get(&format!("/units/{}", p.qiyuan)).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn users_and_audit_entries_are_scoped_too() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county = app.api("county_org").await;
    // Something happens in another township, and something in 岐元村.
    let (s, _) = county
        .post("/units", json!({"parent_id": p.village_elsewhere, "name": "外镇小组", "kind": "village_group"}))
        .await;
    assert_eq!(s, 201);
    let (s, _) =
        county.post("/units", json!({"parent_id": p.qiyuan, "name": "岐元小组", "kind": "village_group"})).await;
    assert_eq!(s, 201);
    let township = app.api("township_secretary").await;
    let (s, audit) = township.get("/audit?per_page=200").await;
    assert_eq!(s, 200);
    let entries = audit["items"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["after"].as_str().unwrap_or("").contains("岐元小组")));
    assert!(
        !entries.iter().any(|e| e["after"].as_str().unwrap_or("").contains("外镇小组")),
        "foreign audit entry leaked"
    );
    // The township secretary lists only accounts whose person is in the township.
    let (s, users) = township.get("/users").await;
    assert_eq!(s, 200);
    let names: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert!(names.contains(&"village_secretary") && names.contains(&"township_secretary"));
    assert!(!names.contains(&"admin") && !names.contains(&"county_org"), "{names:?}");
    // A village secretary has no access to the user list at all.
    let (s, _) = app.api("village_secretary").await.get("/users").await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn every_documented_id_route_is_in_the_scope_tables() {
    let app = TestApp::new().await;
    let (_, doc) = app.anonymous().get("/openapi.json").await;
    for path in doc["paths"].as_object().unwrap().keys() {
        if path.contains("{id}") {
            assert!(COVERED_ID_PATHS.contains(&path.as_str()), "{path} is not covered by the scope tests");
        }
    }
}
