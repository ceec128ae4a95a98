//! Work orders end to end: intake routed to the owning unit, the whole lifecycle through the API
//! with its timeline, records and audit; the county's calendar moving due dates; the three rates;
//! the overdue yellow card; scope; bad input refused with nothing changed; and Open311 GeoReport v2
//! — by hand and through a client library someone else wrote (PyPI `georeport`).

use chrono::{DateTime, Utc};
use frontline_db::Sql;
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

async fn count(app: &TestApp, sql: &str, params: Vec<frontline_db::Value>) -> i64 {
    app.db.count(&Sql::with(sql, params)).await.unwrap()
}

/// A road-light request in 岐源村 taken in by the county's hotline.
async fn hotline_request(app: &TestApp, village: i64) -> i64 {
    let (s, created) = app
        .api("county_org")
        .await
        .post(
            "/orders",
            json!({"category": "road_light", "channel": "hotline", "place_unit_id": village, "title": "村口路灯不亮",
                   "description": "村口至文化礼堂一段路灯已坏一周。", "reporter_name": "林秀英", "reporter_phone": "13857712345"}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    created["id"].as_i64().unwrap()
}

async fn step(app: &TestApp, user: &str, id: i64, body: Value) -> (u16, Value) {
    app.api(user).await.post(&format!("/orders/{id}/steps"), body).await
}

#[tokio::test]
async fn a_request_runs_from_intake_to_call_back_with_timeline_records_and_audit() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let id = hotline_request(&app, places.qiyuan).await;
    let secretary = app.api("village_secretary").await;
    // Routed by category (handled at the village) and place: it waits in the village.
    let (s, d) = secretary.get(&format!("/orders/{id}")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["status"], "dispatched");
    assert_eq!(d["order"]["owner_unit_id"], places.qiyuan);
    assert_eq!(d["order"]["reporter_phone"], "13857712345", "the handler sees the number to call");
    let (_, list) = secretary.get(&format!("/orders?unit={}", places.qiyuan)).await;
    let mine = list["items"].as_array().unwrap().iter().find(|o| o["id"] == id).cloned().unwrap();
    assert_eq!(mine["reporter_phone"], "138****2345", "lists mask the caller's phone");
    let due: DateTime<Utc> = d["order"]["due_at"].as_str().unwrap().parse().unwrap();
    assert!(due > Utc::now() + chrono::Duration::days(4), "five working days: {due}");

    assert_eq!(step(&app, "village_secretary", id, json!({"step": "sign"})).await.0, 200);
    let (s, d) =
        step(&app, "village_secretary", id, json!({"step": "request_extension", "days": 2, "reason": "需采购灯具"}))
            .await;
    assert_eq!(s, 200, "{d}");
    let (s, d) = step(&app, "county_org", id, json!({"step": "decide_extension", "approve": true})).await;
    assert_eq!(s, 200, "{d}");
    let new_due: DateTime<Utc> = d["order"]["due_at"].as_str().unwrap().parse().unwrap();
    assert!(new_due >= due + chrono::Duration::days(2), "two more working days: {due} → {new_due}");
    let (s, d) =
        step(&app, "village_secretary", id, json!({"step": "reply", "text": "已更换灯具6盏，恢复照明。"})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["status"], "replied");
    let (s, d) = step(
        &app,
        "county_org",
        id,
        json!({"step": "call_back", "satisfied": true, "solved": true, "note": "群众表示满意"}),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["status"], "closed");
    let steps: Vec<&str> = d["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["receive", "dispatch", "sign", "request_extension", "approve_extension", "reply", "call_back"]);
    // The ledger has the closure (on time) and the caller's verdict, both on the handler.
    let me: (i64,) =
        app.db.one(&Sql::new("SELECT person_id FROM users WHERE username = 'village_secretary'")).await.unwrap();
    for (kind, value) in [("order_closed", 1), ("order_rated", 1)] {
        let n = count(
            &app,
            "SELECT COUNT(*) FROM records WHERE kind = $1 AND source_kind = 'work_order' AND source_id = $2 AND person_id = $3 AND value = $4",
            vec![kind.into(), id.into(), me.0.into(), value.into()],
        )
        .await;
        assert_eq!(n, 1, "{kind}");
    }
    let audited = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'work_order' AND object_id = $1",
        vec![id.into()],
    )
    .await;
    assert_eq!(audited, 6, "intake and five steps, each audited");
    // The handler was told when it arrived.
    let told = count(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND kind = 'order_dispatched'",
        vec![me.0.into()],
    )
    .await;
    assert!(told >= 1);
}

#[tokio::test]
async fn returns_reopening_duplicates_cards_and_chasing_follow_the_rules() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let first = hotline_request(&app, places.qiyuan).await;
    let second = hotline_request(&app, places.qiyuan).await;
    // Wrongly dispatched: the village hands it back; the dispatcher sends it to the township.
    let (s, d) = step(&app, "village_secretary", first, json!({"step": "return", "reason": "属供电所职责"})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["status"], "received");
    let (s, d) = step(&app, "county_org", first, json!({"step": "dispatch", "unit_id": places.baishi})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["owner_unit_id"], places.baishi);
    assert_eq!(d["order"]["returns"], 1);
    // The same complaint twice: linked and closed with the first.
    let (s, d) = step(&app, "county_org", second, json!({"step": "link_duplicate", "of": first})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["status"], "closed");
    assert_eq!(d["order"]["duplicate_of"], first);
    // Cards go up only; chasing is counted.
    assert_eq!(step(&app, "county_org", first, json!({"step": "supervise", "card": "yellow"})).await.0, 200);
    let (s, e) = step(&app, "county_org", first, json!({"step": "supervise", "card": "yellow"})).await;
    assert_eq!((s, e["code"].as_str()), (409, Some("error.order.card_not_higher")));
    let (_, d) = step(&app, "county_org", first, json!({"step": "chase", "note": "请今日内签收"})).await;
    assert_eq!(d["order"]["chases"], 1);
    // Not satisfied: 重办 with a new limit.
    assert_eq!(step(&app, "township_secretary", first, json!({"step": "sign"})).await.0, 200);
    assert_eq!(
        step(&app, "township_secretary", first, json!({"step": "reply", "text": "已联系供电所检修"})).await.0,
        200
    );
    let (s, d) = step(
        &app,
        "county_org",
        first,
        json!({"step": "call_back", "satisfied": false, "solved": false, "reopen": true}),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["status"], "dispatched");
    assert_eq!(d["order"]["reopens"], 1);
    let rated = count(
        &app,
        "SELECT COUNT(*) FROM records WHERE kind = 'order_rated' AND source_id = $1 AND value = 0",
        vec![first.into()],
    )
    .await;
    assert_eq!(rated, 1, "the verdict is a record even when the order goes back");
}

#[tokio::test]
async fn bad_steps_and_bad_intake_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let county = app.api("county_org").await;
    let orders_before = app.count("SELECT COUNT(*) FROM work_orders").await;
    let (s, e) = county
        .post(
            "/orders",
            json!({"category": "no_such_thing", "channel": "hotline", "place_unit_id": places.qiyuan, "title": "x", "description": "y"}),
        )
        .await;
    // A category that does not exist is a missing object, as an unknown id is: 404, naming it.
    assert_eq!(s, 404, "{e}");
    assert!(
        e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "category" && f["code"] == "error.order.unknown_category")
    );
    assert!(e["fields"][0]["message"].as_str().unwrap().contains("工单类别不存在"), "{e}");
    let (s, e) = county
        .post(
            "/orders",
            json!({"category": "road_light", "channel": "pigeon", "place_unit_id": places.qiyuan, "title": "", "description": "y",
                   "reporter_phone": "12"}),
        )
        .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"channel") && fields.contains(&"title") && fields.contains(&"reporter_phone"), "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM work_orders").await, orders_before, "nothing half-written");

    let id = hotline_request(&app, places.qiyuan).await;
    step(&app, "village_secretary", id, json!({"step": "sign"})).await;
    // An extension past the category's limit (5 working days).
    let (s, e) =
        step(&app, "village_secretary", id, json!({"step": "request_extension", "days": 9, "reason": "x"})).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["fields"][0]["code"], "error.order.extension_days");
    step(&app, "village_secretary", id, json!({"step": "reply", "text": "已修复"})).await;
    step(&app, "county_org", id, json!({"step": "call_back", "satisfied": true, "solved": true})).await;
    let secretary = app.api("village_secretary").await;
    let steps_before = count(&app, "SELECT COUNT(*) FROM order_steps WHERE order_id = $1", vec![id.into()]).await;
    let audit_before = app.count("SELECT COUNT(*) FROM audit_log").await;
    // A reply to a closed order.
    let (s, e) = secretary.post(&format!("/orders/{id}/steps"), json!({"step": "reply", "text": "再次回复"})).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["code"], "error.order.wrong_status");
    assert!(e["message"].as_str().unwrap().contains("已办结"), "{e}");
    // Unknown steps and malformed bodies.
    let (s, _) = county.post(&format!("/orders/{id}/steps"), json!({"step": "teleport"})).await;
    assert_eq!(s, 400);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM order_steps WHERE order_id = $1", vec![id.into()]).await,
        steps_before
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audit_before);
    let (_, d) = county.get(&format!("/orders/{id}")).await;
    assert_eq!(d["order"]["reply"], "已修复");
}

#[tokio::test]
async fn orders_are_scoped_to_the_units_that_own_them_or_where_they_happened() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let mine = hotline_request(&app, places.qiyuan).await;
    let elsewhere = hotline_request(&app, places.village_elsewhere).await;
    let secretary = app.api("village_secretary").await;
    assert_eq!(secretary.get(&format!("/orders/{mine}")).await.0, 200);
    assert_eq!(secretary.get(&format!("/orders/{elsewhere}")).await.0, 404);
    let (s, _) = step(&app, "village_secretary", elsewhere, json!({"step": "sign"})).await;
    assert_eq!(s, 404, "no step on another village's order");
    let (_, list) = secretary.get("/orders?per_page=200").await;
    assert!(list["items"].as_array().unwrap().iter().all(|o| o["id"] != elsewhere));
    let (s, _) = secretary.get(&format!("/units/{}/order-counts", places.village_elsewhere)).await;
    assert_eq!(s, 404);
    // A grid worker may take requests in but not steer them.
    let (s, _) = step(&app, "grid_worker", mine, json!({"step": "chase"})).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn the_county_calendar_moves_due_dates_and_overdue_orders_get_a_yellow_card_once() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let county = app.api("county_org").await;
    let county_id = app.unit_id("330382").await;
    // Declare the next five days holidays: a 5-working-day order is due at least 7 days out.
    let today = frontline_core::time::today_in_china(Utc::now());
    for d in 1..=5 {
        let day = today + chrono::Duration::days(d);
        let (s, e) = county
            .put(&format!("/units/{county_id}/calendar"), json!({"day": day, "working": false, "name": "测试假日"}))
            .await;
        assert_eq!(s, 200, "{e}");
    }
    let (s, e) = county
        .put(&format!("/units/{}/calendar", places.qiyuan), json!({"day": today, "working": false, "name": "x"}))
        .await;
    assert_eq!((s, e["fields"][0]["code"].as_str()), (422, Some("error.order.not_a_county")));
    let (_, days) = county.get(&format!("/units/{county_id}/calendar")).await;
    assert!(days.as_array().unwrap().iter().filter(|d| d["name"] == "测试假日").count() == 5);
    let id = hotline_request(&app, places.qiyuan).await;
    let (_, d) = county.get(&format!("/orders/{id}")).await;
    let due: DateTime<Utc> = d["order"]["due_at"].as_str().unwrap().parse().unwrap();
    assert!(due > Utc::now() + chrono::Duration::days(7), "holidays do not count: {due}");
    // Past due: the jobs loop cards it once.
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::with(
        "UPDATE work_orders SET due_at = $1 WHERE id = $2",
        vec![(Utc::now() - chrono::Duration::hours(1)).into(), id.into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let first = frontline_db::jobs::run(&app.db, Utc::now()).await.unwrap();
    assert!(first.orders_escalated >= 1);
    let again = frontline_db::jobs::run(&app.db, Utc::now()).await.unwrap();
    assert_eq!(again.orders_escalated, 0, "idempotent");
    let (_, d) = county.get(&format!("/orders/{id}")).await;
    assert_eq!(d["order"]["supervision"], "yellow");
    assert!(d["steps"].as_array().unwrap().iter().any(|s| s["step"] == "overdue_card"));
}

#[tokio::test]
async fn the_three_rates_add_up_over_the_demo_month() {
    let app = TestApp::new().await;
    let county = app.api("county_org").await;
    let county_id = app.unit_id("330382").await;
    let today = frontline_core::time::today_in_china(Utc::now());
    let from = today - chrono::Duration::days(30);
    let (s, rows) = county.get(&format!("/units/{county_id}/order-counts?from={from}&to={today}")).await;
    assert_eq!(s, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    let total = &rows[0];
    let c = &total["counts"];
    let in_db = app.count("SELECT COUNT(*) FROM work_orders WHERE duplicate_of IS NULL").await;
    assert!(in_db > 0, "the demo has a month of orders");
    assert_eq!(c["collected"], in_db);
    assert_eq!(c["collected"].as_i64().unwrap(), c["closed"].as_i64().unwrap() + c["in_progress"].as_i64().unwrap());
    let closed = app.count("SELECT COUNT(*) FROM work_orders WHERE status = 'closed' AND duplicate_of IS NULL").await;
    let on_time = app
        .count(
            "SELECT COUNT(*) FROM work_orders WHERE status = 'closed' AND duplicate_of IS NULL AND closed_at <= due_at",
        )
        .await;
    assert_eq!(c["closed"], closed);
    let expected = (on_time as f64 * 1000.0 / closed as f64).round() / 10.0;
    assert!((total["on_time_rate"].as_f64().unwrap() - expected).abs() < 0.06, "{total} vs {expected}");
    // The townships' rows add up to the county's.
    let sum: i64 = rows[1..].iter().map(|r| r["counts"]["collected"].as_i64().unwrap()).sum();
    let at_county = app.count("SELECT COUNT(*) FROM work_orders o JOIN units u ON u.id = o.owner_unit_id WHERE u.kind = 'county' AND o.duplicate_of IS NULL").await;
    assert_eq!(sum + at_county, in_db);
}

/// The form body of an Open311 POST.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

#[tokio::test]
async fn open311_lists_services_files_requests_and_reports_their_status() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let key = app.api("county_org").await.token.unwrap();
    let http = reqwest::Client::new();
    let base = app.url("/open311/v2");
    let services: Value = http.get(format!("{base}/services.json")).send().await.unwrap().json().await.unwrap();
    let codes: Vec<&str> = services.as_array().unwrap().iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"road_light") && codes.contains(&"hazard_fire"));
    assert!(!codes.contains(&"enterprise_sales"), "enterprise problems are not public services");
    let xml = http.get(format!("{base}/services.xml")).send().await.unwrap().text().await.unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<service_code>road_light</service_code>"), "{xml}");
    let qiyuan_code = "330382006205";
    let before = app.count("SELECT COUNT(*) FROM work_orders").await;
    let r = http
        .post(format!("{base}/requests.json"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("api_key", &key),
            ("service_code", "sanitation"),
            ("address_id", qiyuan_code),
            ("lat", "28.1234"),
            ("long", "120.9876"),
            ("description", "垃圾分类亭两天没有清运"),
            ("first_name", "秀英"),
            ("last_name", "林"),
            ("phone", "13857700001"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(created[0]["service_notice"].as_str().unwrap().contains("已受理"));
    // Anyone may follow an online request, without the caller's name or phone.
    let got: Value = http.get(format!("{base}/requests/{id}.json")).send().await.unwrap().json().await.unwrap();
    let req = &got[0];
    assert_eq!(req["status"], "open");
    assert_eq!(req["service_code"], "sanitation");
    assert!(!req["agency_responsible"].as_str().unwrap().is_empty());
    assert_eq!(req["lat"], 28.1234);
    assert_eq!(req["address_id"], qiyuan_code, "the division code it was filed with");
    let expected: DateTime<Utc> =
        DateTime::parse_from_rfc3339(req["expected_datetime"].as_str().unwrap()).unwrap().into();
    let (_, d) = app.api("county_org").await.get(&format!("/orders/{id}")).await;
    let due: DateTime<Utc> = d["order"]["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expected, due, "expected_datetime is the due date of the time limit");
    assert_eq!(d["order"]["place_unit_id"], places.qiyuan);
    assert_eq!(d["order"]["reporter_name"], "林秀英");
    assert!(!got.to_string().contains("13857700001") && !got.to_string().contains("林秀英"));
    // A hotline request is not public, but the key's account sees it.
    let hotline = hotline_request(&app, places.qiyuan).await;
    assert_eq!(http.get(format!("{base}/requests/{hotline}.json")).send().await.unwrap().status(), 404);
    let with_key = http.get(format!("{base}/requests/{hotline}.json?api_key={key}")).send().await.unwrap();
    assert_eq!(with_key.status(), 200);
    // Filters: status, service_code, a list of ids; a window over 90 days is refused.
    let open: Value = http
        .get(format!("{base}/requests.json?status=open&service_code=sanitation"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(open.as_array().unwrap().iter().any(|r| r["service_request_id"] == id.as_str()));
    assert!(open.as_array().unwrap().iter().all(|r| r["status"] == "open" && r["service_code"] == "sanitation"));
    let closed: Value =
        http.get(format!("{base}/requests.json?status=closed")).send().await.unwrap().json().await.unwrap();
    assert!(closed.as_array().unwrap().iter().all(|r| r["status"] == "closed"));
    let r = http
        .get(format!("{base}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let xml = http.get(format!("{base}/requests/{id}.xml")).send().await.unwrap().text().await.unwrap();
    assert!(xml.contains(&format!("<service_request_id>{id}</service_request_id>")), "{xml}");
    assert_eq!(app.count("SELECT COUNT(*) FROM work_orders").await, before + 2);
}

#[tokio::test]
async fn malformed_open311_posts_get_a_clear_error_and_file_nothing() {
    let app = TestApp::new().await;
    let key = app.api("county_org").await.token.unwrap();
    let http = reqwest::Client::new();
    let url = app.url("/open311/v2/requests.json");
    let before = app.count("SELECT COUNT(*) FROM work_orders").await;
    let post = |body: String, ct: &'static str| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http.post(url).header("content-type", ct).body(body).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let form_ct = "application/x-www-form-urlencoded";
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (form(&[("api_key", &key), ("address_id", "330382006205")]), form_ct, 400, "service_code"),
        (form(&[("api_key", &key), ("service_code", "nope"), ("address_id", "330382006205")]), form_ct, 400, "类别"),
        (form(&[("api_key", &key), ("service_code", "sanitation")]), form_ct, 400, "位置"),
        (
            form(&[("api_key", "wrong"), ("service_code", "sanitation"), ("address_id", "330382006205")]),
            form_ct,
            403,
            "api_key",
        ),
        (form(&[("service_code", "sanitation"), ("address_id", "330382006205")]), form_ct, 403, "api_key"),
        (
            form(&[("api_key", &key), ("service_code", "sanitation"), ("lat", "north"), ("long", "1")]),
            form_ct,
            400,
            "lat",
        ),
        (
            json!({"api_key": key, "service_code": "sanitation"}).to_string(),
            "application/json",
            400,
            "x-www-form-urlencoded",
        ),
        (
            form(&[("api_key", &key), ("service_code", "sanitation"), ("address_id", "999999999999")]),
            form_ct,
            400,
            "address_id",
        ),
    ];
    for (body, ct, status, words) in cases {
        let (s, e) = post(body.clone(), ct).await;
        assert_eq!(s, status, "{body}: {e}");
        let d = e[0]["description"].as_str().unwrap_or_default();
        assert_eq!(e[0]["code"], status, "{e}");
        assert!(d.contains(words), "{body}: {d}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM work_orders").await, before);
    let r = reqwest::Client::new().get(app.url("/open311/v2/services/nope.json")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

/// The Python virtual environment with the `georeport` client, made on first use.
fn georeport_python() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv");
    let python = root.join("bin/python");
    let ready = std::process::Command::new(&python)
        .args(["-c", "import georeport"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ready {
        let made =
            std::process::Command::new("python3").args(["-m", "venv"]).arg(&root).status().expect("python3 -m venv");
        assert!(made.success(), "python3 -m venv failed (Debian: python3-venv)");
        let pip = std::process::Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "georeport==0.3.1"])
            .status()
            .expect("pip");
        assert!(pip.success(), "pip install georeport failed");
    }
    python
}

#[tokio::test]
async fn a_third_party_open311_client_reads_what_it_filed() {
    let app = TestApp::new().await;
    let key = app.api("county_org").await.token.unwrap();
    let python = georeport_python();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/open311_client_check.py");
    let base = app.url("/open311/v2");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python).arg(script).arg(base).arg(key).output().expect("run the client")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "client failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(report["services_json"].as_i64().unwrap() >= 10, "{report}");
    assert_eq!(report["services_json"], report["services_xml"]);
    assert_eq!(report["definition_code"], "road_light");
    assert_eq!(report["filed_status_json"], "open");
    assert_eq!(report["filed_status_xml"], "open");
    assert_eq!(report["found_in_list"], true);
    let id: i64 = report["filed_id"].as_str().unwrap().parse().unwrap();
    let channel: (String,) =
        app.db.one(&Sql::with("SELECT channel FROM work_orders WHERE id = $1", vec![id.into()])).await.unwrap();
    assert_eq!(channel.0, "online");
}

/// The handling side never rates its own order: the village secretary who signed and replied is
/// refused the call-back (and is offered no call-back form); the township above makes it. After a
/// failed call-back (重办) and a successful one, 满意率 counts both, as the ledger does: 50 %, not
/// 100 %.
#[tokio::test]
async fn the_call_back_is_made_above_the_handler_and_every_verdict_counts() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let id = hotline_request(&app, places.qiyuan).await;
    let handle = |text: &'static str| {
        let app = &app;
        async move {
            assert_eq!(step(app, "village_secretary", id, json!({"step": "sign"})).await.0, 200);
            assert_eq!(step(app, "village_secretary", id, json!({"step": "reply", "text": text})).await.0, 200);
        }
    };
    handle("已更换灯具").await;
    let steps_before = count(&app, "SELECT COUNT(*) FROM order_steps WHERE order_id = $1", vec![id.into()]).await;
    let (s, e) =
        step(&app, "village_secretary", id, json!({"step": "call_back", "satisfied": true, "solved": true})).await;
    assert_eq!((s, e["code"].as_str()), (403, Some("error.order.own_call_back")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("回访"), "{e}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM order_steps WHERE order_id = $1", vec![id.into()]).await,
        steps_before,
        "nothing written"
    );
    let (s, d) = app.api("village_secretary").await.get(&format!("/orders/{id}")).await;
    assert_eq!((s, &d["may_call_back"]), (200, &json!(false)), "{d}");
    let (_, page) = app.ui("village_secretary").await.get(&format!("/orders/{id}")).await;
    assert!(!page.contains("id=\"call-back\""), "no call-back form for the handler");

    // The township above calls back: not satisfied, 重办; handled again; satisfied.
    let township = app.api("township_secretary").await;
    let (s, d) = township.get(&format!("/orders/{id}")).await;
    assert_eq!((s, &d["may_call_back"]), (200, &json!(true)), "{d}");
    let (s, d) = step(
        &app,
        "township_secretary",
        id,
        json!({"step": "call_back", "satisfied": false, "solved": false, "reopen": true}),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    handle("重新更换灯具并检修线路").await;
    let (s, d) =
        step(&app, "township_secretary", id, json!({"step": "call_back", "satisfied": true, "solved": true})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["order"]["status"], "closed");

    // Only this order in its own period: 2 call-backs, 1 satisfied → 50 %, as the ledger says.
    let (ratings, satisfied): (i64, i64) = app
        .db
        .one(&Sql::with(
            "SELECT COUNT(*), CAST(SUM(value) AS BIGINT) FROM records WHERE kind = 'order_rated' AND source_id = $1",
            vec![id.into()],
        ))
        .await
        .unwrap();
    assert_eq!((ratings, satisfied), (2, 1));
    app.db
        .execute_outside_transaction(&Sql::with(
            "UPDATE work_orders SET received_at = $1 WHERE id = $2",
            vec![chrono::Utc::now().checked_sub_signed(chrono::Duration::days(400)).unwrap().into(), id.into()],
        ))
        .await
        .unwrap();
    let day = frontline_core::time::today_in_china(Utc::now()) - chrono::Duration::days(400);
    let (s, rows) = township.get(&format!("/units/{}/order-counts?from={day}&to={day}", places.qiyuan)).await;
    assert_eq!(s, 200, "{rows}");
    assert_eq!(rows[0]["counts"]["visited"], 2, "{rows}");
    assert_eq!(rows[0]["counts"]["satisfied"], 1, "{rows}");
    assert_eq!(rows[0]["satisfaction_rate"], 50.0, "{rows}");
}

/// Open311 files a request where it happened or not at all: an address naming a village outside
/// the key's units is refused (not filed in the key's own village); a key that reaches a county
/// must say where (a lat/long alone is not filed at its root); a village's key may leave the
/// place out, and the request lands in its village.
#[tokio::test]
async fn open311_places_a_request_where_it_happened_or_refuses_it() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let url = app.url("/open311/v2/requests.json");
    let http = reqwest::Client::new();
    let post = |fields: Vec<(&'static str, String)>| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http.post(url).form(&fields).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let village_key = app.api("village_secretary").await.token.unwrap();
    let county_key = app.api("county_org").await.token.unwrap();
    let (elsewhere,): (String,) =
        app.db.one(&Sql::with("SELECT name FROM units WHERE id = $1", vec![p.village_elsewhere.into()])).await.unwrap();
    let before = app.count("SELECT COUNT(*) FROM work_orders").await;
    let (s, e) = post(vec![
        ("api_key", village_key.clone()),
        ("service_code", "sanitation".into()),
        ("address_string", format!("{elsewhere}村口")),
        ("description", "垃圾未清运".into()),
    ])
    .await;
    assert_eq!(s, 400, "{e}");
    assert!(e[0]["description"].as_str().unwrap().contains("不在本接口受理范围内"), "{e}");
    let (s, e) = post(vec![
        ("api_key", county_key),
        ("service_code", "sanitation".into()),
        ("lat", "28.1".into()),
        ("long", "120.9".into()),
    ])
    .await;
    assert_eq!(s, 400, "{e}");
    assert!(e[0]["description"].as_str().unwrap().contains("无法确定"), "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM work_orders").await, before, "nothing filed");
    // The village's own key, with coordinates only: filed in its village.
    let (s, e) = post(vec![
        ("api_key", village_key),
        ("service_code", "sanitation".into()),
        ("lat", "28.1".into()),
        ("long", "120.9".into()),
    ])
    .await;
    assert_eq!(s, 201, "{e}");
    let placed = app.count("SELECT place_unit_id FROM work_orders ORDER BY id DESC LIMIT 1").await;
    let (mine,): (i64,) = app
        .db
        .one(&Sql::new(
            "SELECT u.id FROM users us JOIN people pe ON pe.id = us.person_id JOIN units u ON u.id = pe.home_unit_id \
             WHERE us.username = 'village_secretary'",
        ))
        .await
        .unwrap();
    assert_eq!(placed, mine, "the key's own village");
    assert_eq!(mine, p.qiyuan);
}
