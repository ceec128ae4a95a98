//! Work done without signal (issue 27), on the server's side: a change sent again with the same
//! idempotency key is written once and answered with the first answer; a change made offline
//! counts from the phone's time within the tolerated gap and keeps both times; a list returned
//! while the phone was offline answers with a conflict; photos lose their EXIF, keep a content
//! hash, and are shown only to whoever may see the list. The browser side is in `browser.rs`.

use chrono::{Duration, SecondsFormat, Utc};
use frontline_db::Sql;
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp, tiny_png};

/// A village secretary's account in another township than the grid worker's.
pub async fn outsider(app: &TestApp) -> String {
    let p = Places::load(app).await;
    let person = app.person_in(p.village_elsewhere).await;
    let role_id = frontline_db::access::role_id_by_key(&app.db, "village_secretary").await.unwrap().unwrap();
    let user = frontline_db::access::NewUser {
        username: "offline_outsider".into(),
        display_name: "外乡书记".into(),
        password_hash: frontline_web::auth::hash_password(frontline_app::demo::DEMO_PASSWORD).unwrap(),
        person_id: Some(person),
        role_ids: vec![role_id],
        must_change_password: false,
    };
    let system = frontline_core::access::Actor::system("offline test");
    frontline_db::access::create_user(&app.db, &system, &user).await.unwrap();
    "offline_outsider".into()
}

/// A moment to the second (what the phone sends).
fn to_second(t: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    use chrono::Timelike;
    t.with_nanosecond(0).unwrap()
}

async fn count(app: &TestApp, sql: &str, params: Vec<frontline_db::sql::Value>) -> i64 {
    app.db.count(&Sql::with(sql, params)).await.unwrap()
}

/// The grid worker's open instance of today's eight rigid tasks (no notes or photos asked), its
/// commitment letter signed.
pub async fn open_list(worker: &crate::helpers::Api) -> (i64, Vec<i64>) {
    let (_, mine) = worker.get("/me/tasks").await;
    let inst = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["status"] == "open" && i["title"] == "疫情防控八项硬性任务")
        .unwrap_or_else(|| panic!("an open list: {mine}"))
        .clone();
    let (s, body) = worker.post(&format!("/task-lists/{}/commitment", inst["list_id"]), json!({})).await;
    assert!(s == 200 || s == 201 || s == 409, "{s} {body}");
    let inst = inst["id"].as_i64().unwrap();
    let (_, detail) = worker.get(&format!("/tasks/{inst}")).await;
    let items = detail["items"].as_array().unwrap().iter().map(|i| i["item_id"].as_i64().unwrap()).collect();
    (inst, items)
}

/// A POST to the API with an idempotency key and, if given, the phone's time.
async fn send(
    api: &crate::helpers::Api,
    path: &str,
    body: &Value,
    key: &str,
    device: Option<chrono::DateTime<Utc>>,
) -> (u16, Value, bool) {
    let mut r = api
        .http
        .post(format!("{}/api/v1{path}", api.base))
        .bearer_auth(api.token.as_deref().unwrap())
        .header("idempotency-key", key)
        .json(body);
    if let Some(d) = device {
        r = r.header("x-device-time", d.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), replayed)
}

#[tokio::test]
async fn a_sign_off_sent_again_is_written_once_and_answered_as_the_first_time() {
    let app = TestApp::new().await;
    let worker = app.api("grid_worker").await;
    let (inst, items) = open_list(&worker).await;
    let ticks = json!({"items": items.iter().map(|i| json!({"item_id": i})).collect::<Vec<_>>()});
    // Signed off on the phone two hours ago, without signal; it arrives now.
    let done = to_second(Utc::now() - Duration::hours(2));
    let (s, first, replayed) =
        send(&worker, &format!("/tasks/{inst}/submit"), &ticks, "phone-1-aaaa", Some(done)).await;
    assert_eq!((s, replayed), (200, false), "{first}");
    assert_eq!(first["status"], "submitted");
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().with_timezone(&Utc);
    assert_eq!(at(&first["device_at"]), done, "the phone's time is kept: {first}");
    assert_eq!(at(&first["submitted_at"]), done, "and counts, within the tolerated gap: {first}");
    assert!(at(&first["received_at"]) > done + Duration::minutes(119), "the arrival is kept beside it: {first}");
    let records = "SELECT COUNT(*) FROM records WHERE kind = 'task_submitted' AND source_id = $1";
    let audits = "SELECT COUNT(*) FROM audit_log WHERE action = 'task.submit' AND object_id = $1";
    assert_eq!(count(&app, records, vec![inst.into()]).await, 1);
    assert_eq!(count(&app, audits, vec![inst.into()]).await, 1);
    // The phone did not hear the answer and sends it again, twice: the first answer, nothing written.
    for _ in 0..2 {
        let (s, again, replayed) =
            send(&worker, &format!("/tasks/{inst}/submit"), &ticks, "phone-1-aaaa", Some(done)).await;
        assert_eq!((s, replayed), (200, true));
        assert_eq!(again, first, "the same answer");
    }
    assert_eq!(count(&app, records, vec![inst.into()]).await, 1, "written once");
    assert_eq!(count(&app, audits, vec![inst.into()]).await, 1, "audited once");
    // The same change under a new key is a new change, and the list is no longer open.
    let (s, body, _) = send(&worker, &format!("/tasks/{inst}/submit"), &ticks, "phone-1-bbbb", Some(done)).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.task.not_open")), "{body}");
    // A key used for another change is refused, in the caller's words.
    let (s, body, _) = send(&worker, "/tasks/0/submit", &ticks, "phone-1-aaaa", None).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["code"], "error.offline.key_reused", "{body}");
    // A key the server took but never answered (it stopped mid-change): nobody can say whether
    // it was written, so it is not made again; the phone is told.
    let user: (i64,) =
        app.db.one(&Sql::with("SELECT id FROM users WHERE username = 'grid_worker'", vec![])).await.unwrap();
    frontline_db::offline::see(&app.db, user.0, "phone-1-cccc", "POST", "/api/v1/me/life-check-in", Utc::now())
        .await
        .unwrap();
    let (s, body, _) = send(&worker, "/me/life-check-in", &json!({}), "phone-1-cccc", None).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.offline.unanswered")), "{body}");
    // Refused for who asks (no permission): nothing kept, so the key may be used once that is right.
    let member = app.api("member").await;
    let (s, _, _) = send(&member, "/tasks/verify", &json!({"ids": [1]}), "member-key-1", None).await;
    assert_eq!(s, 403);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM idempotent_requests WHERE idem_key = 'member-key-1'", vec![]).await,
        0
    );
    // A bad key.
    let (s, body, _) = send(&worker, "/me/life-check-in", &json!({}), "with space", None).await;
    assert_eq!((s, body["fields"][0]["code"].as_str()), (422, Some("error.offline.bad_key")), "{body}");
}

#[tokio::test]
async fn a_list_returned_while_the_phone_was_offline_comes_back_as_a_conflict() {
    let app = TestApp::new().await;
    let worker = app.api("grid_worker").await;
    let (inst, items) = open_list(&worker).await;
    let ticks = json!({"items": items.iter().map(|i| json!({"item_id": i})).collect::<Vec<_>>()});
    // Handed in from the office computer; the phone, offline, does the list again meanwhile.
    let (s, _) = worker.post(&format!("/tasks/{inst}/submit"), ticks.clone()).await;
    assert_eq!(s, 200);
    let on_phone = Utc::now();
    let secretary = app.api("village_secretary").await;
    let (s, body) =
        secretary.post(&format!("/tasks/{inst}/decide"), json!({"decision": "return", "reason": "第三项未落实"})).await;
    assert_eq!(s, 200, "{body}");
    // The phone comes back: its sign-off predates the return, so it is not taken as the answer.
    let (s, body, _) = send(&worker, &format!("/tasks/{inst}/submit"), &ticks, "phone-2-aaaa", Some(on_phone)).await;
    assert_eq!((s, body["code"].as_str()), (409, Some("error.task.returned_meanwhile")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("退回"), "{body}");
    let (_, detail) = worker.get(&format!("/tasks/{inst}")).await;
    assert_eq!(detail["instance"]["status"], "returned", "nothing changed");
    // Having read why, the worker hands it in again: taken.
    let (s, body, _) = send(
        &worker,
        &format!("/tasks/{inst}/submit"),
        &ticks,
        "phone-2-bbbb",
        Some(Utc::now() + Duration::seconds(1)),
    )
    .await;
    assert_eq!((s, body["status"].as_str()), (200, Some("submitted")), "{body}");
}

#[tokio::test]
async fn a_household_check_made_days_ago_counts_from_its_arrival_beyond_the_tolerance() {
    let app = TestApp::new().await;
    let worker = app.api("grid_worker").await;
    let (_, mine) = worker.get("/me/households").await;
    let household = mine[0]["id"].as_i64().unwrap();
    let (_, forms) = worker.get("/survey-forms").await;
    let form = forms[0]["id"].as_i64().unwrap();
    let answers = json!({"members": 3, "income": 9000, "food_clothing": "yes", "schooling": "yes", "medical": "yes",
        "housing": "yes", "water": "yes", "relapse": "无"});
    let today = frontline_core::time::today_in_china(Utc::now());
    let occurred = "SELECT occurred_at FROM records WHERE kind = 'survey_filed' AND source_id = $1";
    for (hours, believed) in [(20, true), (24 * 4, false)] {
        let device = to_second(Utc::now() - Duration::hours(hours));
        let key = format!("household-{hours}");
        let body = json!({"form_id": form, "filled_on": today.to_string(), "answers": answers});
        let (s, filed, _) =
            send(&worker, &format!("/households/{household}/responses"), &body, &key, Some(device)).await;
        assert_eq!(s, 201, "{filed}");
        let id = filed["id"].as_i64().unwrap();
        let (at,): (chrono::DateTime<Utc>,) = app.db.one(&Sql::with(occurred, vec![id.into()])).await.unwrap();
        let (kept,): (Option<chrono::DateTime<Utc>>,) = app
            .db
            .one(&Sql::with("SELECT device_at FROM survey_responses WHERE id = $1", vec![id.into()]))
            .await
            .unwrap();
        assert_eq!(kept, Some(device), "the phone's time is kept either way");
        if believed {
            assert_eq!(at, device, "{hours} h offline: the check counts from the phone's time");
        } else {
            assert!(at > Utc::now() - Duration::minutes(5), "{hours} h offline: beyond 72 h the arrival counts ({at})");
        }
    }
}

#[tokio::test]
async fn photos_lose_their_exif_keep_a_hash_and_are_shown_only_within_reach() {
    let app = TestApp::new().await;
    let worker = app.api("grid_worker").await;
    // Sent with the place the worker chose to share; the file's own EXIF block is dropped.
    let (s, body) = worker.post_raw("/attachments?latitude=28.12&longitude=120.98", "image/png", tiny_png()).await;
    assert_eq!(s, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (column, stored, hash, lat, lon): (Vec<u8>, String, String, Option<f64>, Option<f64>) = app
        .db
        .one(&Sql::with(
            "SELECT data, stored, sha256, latitude, longitude FROM attachments WHERE id = $1",
            vec![id.into()],
        ))
        .await
        .unwrap();
    let (uploader,): (i64,) =
        app.db.one(&Sql::with("SELECT person_id FROM attachments WHERE id = $1", vec![id.into()])).await.unwrap();
    let own = frontline_core::access::Scope { person_id: Some(uploader), ..Default::default() };
    let (kind, data) = frontline_db::evidence::attachment(&app.db, &own, id).await.unwrap();
    assert_eq!(kind, "image/png");
    // Beside SQLite the photo is a file in the data folder named by its hash; on PostgreSQL it
    // is in the database.
    let file = if app.db.is_postgres() {
        assert_eq!((stored.as_str(), column.len()), ("db", data.len()));
        None
    } else {
        assert_eq!((stored.as_str(), column.len()), ("folder", 0), "the bytes are not in the database");
        let (store,): (String,) =
            app.db.one(&Sql::new("SELECT file FROM pragma_database_list WHERE name = 'main'")).await.unwrap();
        let file = frontline_db::evidence::folder_of(&store).unwrap().join(&hash[..2]).join(&hash);
        assert_eq!(std::fs::read(&file).unwrap(), data, "the file holds the photo");
        Some(file)
    };
    assert!(!data.windows(4).any(|w| w == b"eXIf") && !data.windows(3).any(|w| w == b"GPS"), "EXIF stripped");
    assert_eq!(data.len(), tiny_png().len() - 19, "only the EXIF chunk went");
    use sha2::Digest;
    assert_eq!(hash, hex::encode(sha2::Sha256::digest(&data)), "the content hash of what is kept");
    assert_eq!((lat, lon), (Some(28.12), Some(120.98)));
    // A place that is no place is refused.
    let (s, body) = worker.post_raw("/attachments?latitude=128&longitude=0", "image/png", tiny_png()).await;
    assert_eq!((s, body["fields"][0]["code"].as_str()), (422, Some("error.task.photo_place")), "{body}");
    // Attached to a sign-off: the worker, their village's secretary and township see it; another
    // township's secretary does not (the same answer as for a photo that does not exist).
    let (inst, items) = open_list(&worker).await;
    let ticks: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            if n == 0 {
                json!({"item_id": i, "note": "已查", "attachment_id": id})
            } else {
                json!({"item_id": i, "note": "已查"})
            }
        })
        .collect();
    let (s, body) = worker.post(&format!("/tasks/{inst}/submit"), json!({"items": ticks})).await;
    assert_eq!(s, 200, "{body}");
    let elsewhere = outsider(&app).await;
    for (user, seen) in
        [("grid_worker", true), ("village_secretary", true), ("township_secretary", true), (elsewhere.as_str(), false)]
    {
        let ui = app.ui(user).await;
        let (s, bytes) = ui.get_bytes(&format!("/work/attachments/{id}")).await;
        if seen {
            assert_eq!((s, bytes.as_slice()), (200, data.as_slice()), "{user}");
        } else {
            assert_eq!(s, 404, "{user}");
        }
    }
    // A photo file changed on disk is never shown as evidence.
    if let Some(file) = file {
        std::fs::write(&file, b"not the photo").unwrap();
        let (s, bytes) = app.ui("grid_worker").await.get_bytes(&format!("/work/attachments/{id}")).await;
        assert_eq!(s, 500);
        assert!(!bytes.starts_with(b"not the photo"));
        // The same photo sent again writes the damaged file whole again.
        let (s, _) = worker.post_raw("/attachments", "image/png", tiny_png()).await;
        assert_eq!(s, 201);
        let (s, bytes) = app.ui("grid_worker").await.get_bytes(&format!("/work/attachments/{id}")).await;
        assert_eq!((s, bytes), (200, data.clone()));
    }
}

#[tokio::test]
async fn a_visit_and_its_rectification_carry_photos_seen_only_within_reach() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    // An inspector visits a village of 白石街道 and finds a problem to fix.
    let round = crate::supervision::round_over(&app, p.baishi, 20).await;
    let inspector = app.api("inspector").await;
    let (_, d) = inspector.get(&format!("/inspection-rounds/{round}")).await;
    let target = d["targets"][0]["id"].as_i64().unwrap();
    // The team photographs what it saw (uploaded first, then named by the visit).
    let (s, seen) = inspector.post_raw("/attachments", "image/png", tiny_png()).await;
    assert_eq!(s, 201, "an inspector may upload a photo: {seen}");
    let (s, v) = inspector
        .post(
            "/inspection-visits",
            json!({"target_id": target, "task_progress": "正常", "grid_management": "正常", "attachment_id": seen["id"],
                   "findings": [{"category": "service", "severity": "minor", "description": "公开栏未更新",
                                 "deadline": frontline_core::time::today_in_china(Utc::now())}]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (_, visits) = app.api("county_org").await.get(&format!("/inspection-visits?unit={}", p.baishi)).await;
    let logged = visits["items"].as_array().unwrap().iter().find(|x| x["id"] == v["id"]).unwrap().clone();
    assert_eq!(logged["attachment_id"], seen["id"], "the visit keeps its photo: {logged}");
    let finding = app.count(&format!("SELECT id FROM findings WHERE visit_id = {}", v["id"])).await;
    // Someone else's uploaded photo is not evidence of mine.
    let (_, theirs) = app.api("grid_worker").await.post_raw("/attachments", "image/png", tiny_png()).await;
    let township = app.api("township_secretary").await;
    let (s, e) = township
        .post(
            &format!("/findings/{finding}/rectifications"),
            json!({"text": "已整改", "evidence": "见照片", "attachment_id": theirs["id"]}),
        )
        .await;
    assert_eq!((s, e["fields"][0]["code"].as_str()), (422, Some("error.photo.unknown")), "{e}");
    // The finding's page sends the photo with the hand-in.
    let ui = app.ui("township_secretary").await;
    let form = reqwest::multipart::Form::new()
        .text("text", "已更新村务公开栏")
        .text("evidence", "更新后的公开栏照片")
        .part("photo", reqwest::multipart::Part::bytes(tiny_png()).file_name("a.png").mime_str("image/png").unwrap());
    let r = ui
        .http
        .post(format!("{}/findings/{finding}/rectify", ui.base))
        .header("x-csrf-token", ui.csrf.clone())
        .header("hx-request", "true")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let (_, d) = township.get(&format!("/findings/{finding}")).await;
    let last = d["rectifications"].as_array().unwrap().last().unwrap().clone();
    let photo = last["attachment_id"].as_i64().unwrap_or_else(|| panic!("the hand-in has its photo: {last}"));
    let (_, page) = ui.get(&format!("/findings/{finding}")).await;
    assert!(page.contains(&format!("/work/attachments/{photo}")), "the photo is on the finding's page");
    // The county sees it; another township does not.
    let (s, _) = app.ui("county_org").await.get_bytes(&format!("/work/attachments/{photo}")).await;
    assert_eq!(s, 200);
    let elsewhere = outsider(&app).await;
    let (s, _) = app.ui(&elsewhere).await.get_bytes(&format!("/work/attachments/{photo}")).await;
    assert_eq!(s, 404);
    let (s, _) = app.ui(&elsewhere).await.get_bytes(&format!("/work/attachments/{}", seen["id"])).await;
    assert_eq!(s, 404, "nor the visit's photo");
    let (s, _) = app.ui("county_org").await.get_bytes(&format!("/work/attachments/{}", seen["id"])).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn a_work_orders_reply_carries_a_photo_seen_only_within_reach() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let order = app
        .count(&format!(
            "SELECT COALESCE(MIN(o.id), 0) FROM work_orders o JOIN units ou ON ou.id = o.owner_unit_id \
             JOIN units t ON t.id = {} WHERE o.status IN ('dispatched', 'signed') AND ou.path LIKE t.path || '%'",
            p.baishi
        ))
        .await;
    assert!(order > 0, "the demo has an order on its way in 白石街道");
    let township = app.api("township_secretary").await;
    let (_, d) = township.get(&format!("/orders/{order}")).await;
    if d["order"]["status"] == "dispatched" {
        let (s, e) = township.post(&format!("/orders/{order}/steps"), json!({"step": "sign"})).await;
        assert_eq!(s, 200, "{e}");
    }
    let ui = app.ui("township_secretary").await;
    let send = |step: &'static str| {
        let form =
            reqwest::multipart::Form::new().text("step", step).text("text", "路灯已修复").text("note", "请尽快").part(
                "photo",
                reqwest::multipart::Part::bytes(tiny_png()).file_name("a.png").mime_str("image/png").unwrap(),
            );
        ui.http
            .post(format!("{}/orders/{order}/steps", ui.base))
            .header("x-csrf-token", ui.csrf.clone())
            .header("hx-request", "true")
            .multipart(form)
            .send()
    };
    // Only a reply carries a photo; a chase with one is refused and keeps nothing.
    let before = app.count("SELECT COUNT(*) FROM attachments").await;
    let r = send("chase").await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("只有回复可以附照片"));
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, before);
    // The order's page sends the reply with its photo.
    let r = send("reply").await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let (_, d) = township.get(&format!("/orders/{order}")).await;
    let reply = d["steps"].as_array().unwrap().iter().rev().find(|s| s["step"] == "reply").unwrap().clone();
    let photo = reply["attachment_id"].as_i64().unwrap_or_else(|| panic!("the reply has its photo: {reply}"));
    let (s, _) = app.ui("county_org").await.get_bytes(&format!("/work/attachments/{photo}")).await;
    assert_eq!(s, 200);
    let elsewhere = outsider(&app).await;
    let (s, _) = app.ui(&elsewhere).await.get_bytes(&format!("/work/attachments/{photo}")).await;
    assert_eq!(s, 404);
}

/// A timestamp the API answered.
fn instant(v: &Value) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn every_kind_of_queued_change_keeps_the_phones_time_beside_its_arrival_and_shows_both() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let worker = app.api("grid_worker").await;
    let (me, home): (i64, i64) = app
        .db
        .one(&Sql::new(
            "SELECT p.id, p.home_unit_id FROM users u JOIN people p ON p.id = u.person_id WHERE u.username = 'grid_worker'",
        ))
        .await
        .unwrap();

    // Check-in on post, done on the phone 40 minutes ago in the mountains; 25 minutes late then.
    let (checkpoint,): (i64,) = app
        .db
        .one(&Sql::with(
            "SELECT s.checkpoint_id FROM shifts s JOIN units u ON u.id = s.checkpoint_id JOIN units t ON t.id = $1 \
             WHERE u.path LIKE t.path || '%' ORDER BY s.id LIMIT 1",
            vec![p.baishi.into()],
        ))
        .await
        .unwrap();
    let starts = to_second(Utc::now() - Duration::minutes(65));
    let mut tx = app.db.begin().await.unwrap();
    let shift = tx
        .insert(&Sql::with(
            "INSERT INTO shifts (checkpoint_id, starts_at, ends_at, night, headcount, min_party, min_cadre, created_at) \
             VALUES ($1, $2, $3, FALSE, 1, 0, 0, $4) RETURNING id",
            vec![checkpoint.into(), starts.into(), (starts + Duration::hours(8)).into(), Utc::now().into()],
        ))
        .await
        .unwrap();
    let assignment = tx
        .insert(&Sql::with(
            "INSERT INTO shift_assignments (shift_id, person_id, status) VALUES ($1, $2, 'planned') RETURNING id",
            vec![shift.into(), me.into()],
        ))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let on_phone = starts + Duration::minutes(25);
    let (s, body, _) = send(
        &worker,
        &format!("/shift-assignments/{assignment}/check-in"),
        &json!({}),
        "shift-in-0001",
        Some(on_phone),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (late, at, device, arrived): (i64, chrono::DateTime<Utc>, chrono::DateTime<Utc>, chrono::DateTime<Utc>) = app
        .db
        .one(&Sql::with(
            "SELECT late_minutes, checked_in_at, check_in_device_at, check_in_arrived_at FROM shift_assignments WHERE id = $1",
            vec![assignment.into()],
        ))
        .await
        .unwrap();
    assert_eq!((late, at, device), (25, on_phone, on_phone), "late as the phone says, not as it arrived");
    assert!(arrived > on_phone + Duration::minutes(39), "the arrival is kept beside it");
    let (s, _, _) = send(
        &worker,
        &format!("/shift-assignments/{assignment}/check-out"),
        &json!({"handover": "无异常"}),
        "shift-out-0001",
        Some(on_phone + Duration::minutes(10)),
    )
    .await;
    assert_eq!(s, 200);
    let township = app.ui("township_secretary").await;
    let (_, roster) = township.get(&format!("/work/rosters?unit={}", p.baishi)).await;
    let shown =
        |t: chrono::DateTime<Utc>| t.with_timezone(&frontline_core::time::china()).format("%Y-%m-%d %H:%M").to_string();
    assert!(
        roster.contains("check-in-phone") && roster.contains(&shown(on_phone)) && roster.contains(&shown(arrived)),
        "the roster shows the check-in's phone time beside its arrival"
    );
    assert!(roster.contains("check-out-phone"), "and the check-out's");

    // A resident's request taken down on the phone an hour ago: received then, its clock from then.
    let taken = to_second(Utc::now() - Duration::hours(1));
    let request = json!({"category": "road_light", "channel": "visit", "place_unit_id": home,
        "title": "路灯不亮", "description": "村口路灯三天不亮"});
    let (s, created, _) = send(&worker, "/orders", &request, "order-new-0001", Some(taken)).await;
    assert_eq!(s, 201, "{created}");
    let order = created["id"].as_i64().unwrap();
    let (_, d) = worker.get(&format!("/orders/{order}")).await;
    assert_eq!(instant(&d["order"]["received_at"]), taken, "received when the phone took it down: {d}");
    let receive = &d["steps"][0];
    assert_eq!(instant(&receive["device_at"]), taken);
    assert!(instant(&receive["arrived_at"]) > taken + Duration::minutes(59), "{receive}");

    // The township answers it from a phone without signal, with the photo uploaded as it was taken.
    let handler = app.api("township_secretary").await;
    let (s, d) = handler.get(&format!("/orders/{order}")).await;
    assert_eq!(s, 200, "{d}");
    let steps_before = d["steps"].as_array().unwrap().len();
    if d["order"]["status"] == "dispatched" {
        let (s, e) = handler.post(&format!("/orders/{order}/steps"), json!({"step": "sign"})).await;
        assert_eq!(s, 200, "{e}");
    }
    let replied = to_second(Utc::now() - Duration::minutes(20));
    let (s, d, _) = send(
        &handler,
        &format!("/orders/{order}/steps"),
        &json!({"step": "reply", "text": "已更换灯泡"}),
        "order-reply-0001",
        Some(replied),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert!(d["steps"].as_array().unwrap().len() > steps_before);
    let reply = d["steps"].as_array().unwrap().iter().rev().find(|s| s["step"] == "reply").unwrap();
    assert_eq!(instant(&reply["at"]), replied, "the reply counts when the phone made it: {reply}");
    assert_eq!(instant(&reply["device_at"]), replied);
    assert_eq!(instant(&d["order"]["replied_at"]), replied, "and so does the order's clock");
    let (_, page) = township.get(&format!("/orders/{order}")).await;
    assert!(page.contains("phone-times") && page.contains(&shown(replied)), "the order's timeline shows both times");

    // An inspection visit logged on the phone two hours ago, and the rectification handed in
    // from another phone an hour ago.
    let round = crate::supervision::round_over(&app, p.baishi, 20).await;
    let inspector = app.api("inspector").await;
    let (_, r) = inspector.get(&format!("/inspection-rounds/{round}")).await;
    let target = r["targets"][0]["id"].as_i64().unwrap();
    let visited = to_second(Utc::now() - Duration::hours(2));
    let visit = json!({"target_id": target, "task_progress": "正常", "grid_management": "正常",
        "findings": [{"category": "service", "severity": "minor", "description": "公开栏未更新",
                      "deadline": frontline_core::time::today_in_china(Utc::now())}]});
    let (s, v, _) = send(&inspector, "/inspection-visits", &visit, "visit-0001", Some(visited)).await;
    assert_eq!(s, 201, "{v}");
    let (_, visits) = app.api("county_org").await.get(&format!("/inspection-visits?unit={}", p.baishi)).await;
    let logged = visits["items"].as_array().unwrap().iter().find(|x| x["id"] == v["id"]).unwrap().clone();
    assert_eq!(instant(&logged["visited_at"]), visited, "{logged}");
    assert_eq!(instant(&logged["device_at"]), visited);
    assert!(instant(&logged["arrived_at"]) > visited + Duration::minutes(119));
    let (_, round_page) = app.ui("county_org").await.get(&format!("/inspections/rounds/{round}")).await;
    assert!(round_page.contains("phone-times") && round_page.contains(&shown(visited)), "the round shows both times");
    let finding = app.count(&format!("SELECT id FROM findings WHERE visit_id = {}", v["id"])).await;
    let (_, raised) = app.api("county_org").await.get(&format!("/findings/{finding}")).await;
    assert_eq!(instant(&raised["finding"]["raised_at"]), visited, "the finding was raised at the visit: {raised}");
    // The findings to fix are on 今日工作, each kept on the phone for work without signal.
    let (_, open) = handler.get("/findings?status=open&per_page=1").await;
    let (_, returned) = handler.get("/findings?status=returned&per_page=1").await;
    let to_fix = open["total"].as_i64().unwrap() + returned["total"].as_i64().unwrap();
    assert!(to_fix >= 1);
    let (_, today) = township.get("/today").await;
    assert!(today.contains(&format!("<span class=\"muted\">{to_fix}</span>")), "how many there are in all");
    let kept = today
        .split("<a href=\"/findings/")
        .skip(1)
        .filter(|link| link.split('>').next().unwrap_or("").contains("data-keep"))
        .count();
    assert_eq!(kept as i64, to_fix.min(10), "the first ten are kept on the phone");
    let handed = to_second(Utc::now() - Duration::hours(1));
    let (s, f, _) = send(
        &handler,
        &format!("/findings/{finding}/rectifications"),
        &json!({"text": "已更新村务公开栏", "evidence": "见公开栏"}),
        "rectify-0001",
        Some(handed),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    let last = f["rectifications"].as_array().unwrap().last().unwrap();
    assert_eq!(instant(&last["submitted_at"]), handed, "{last}");
    assert_eq!(instant(&last["device_at"]), handed);
    assert!(instant(&last["arrived_at"]) > handed + Duration::minutes(59));
    let (_, finding_page) = township.get(&format!("/findings/{finding}")).await;
    assert!(finding_page.contains("phone-times") && finding_page.contains(&shown(handed)));

    // A photo uploaded from the queue keeps the phone's time too.
    let snapped = to_second(Utc::now() - Duration::minutes(30));
    let r = worker
        .http
        .post(format!("{}/api/v1/attachments", worker.base))
        .bearer_auth(worker.token.as_deref().unwrap())
        .header("idempotency-key", "photo-0001")
        .header("x-device-time", snapped.to_rfc3339_opts(SecondsFormat::Secs, true))
        .header("content-type", "image/png")
        .body(tiny_png())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let photo = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (device,): (Option<chrono::DateTime<Utc>>,) =
        app.db.one(&Sql::with("SELECT device_at FROM attachments WHERE id = $1", vec![photo.into()])).await.unwrap();
    assert_eq!(device, Some(snapped));

    // Only a reply is made in the field: any other step is dated by its arrival, whatever time
    // comes with it.
    let county = app.api("county_org").await;
    let (s, d, _) = send(
        &county,
        &format!("/orders/{order}/steps"),
        &json!({"step": "chase", "note": "尽快"}),
        "order-chase-0001",
        Some(replied),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    let chase = d["steps"].as_array().unwrap().iter().rev().find(|s| s["step"] == "chase").unwrap();
    assert!(chase["device_at"].is_null(), "{chase}");
    assert_eq!(chase["at"], chase["arrived_at"], "{chase}");
}
