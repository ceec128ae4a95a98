//! Daily work, end to end: task lists signed off by the doer and verified or returned by the
//! secretary (with commitment letters, notes, photos and records in the ledger), generation and
//! the background jobs, rates over a subtree, checkpoint rosters planned, stood and missed, with
//! bad input refused whole.

use chrono::{Duration, Utc};
use frontline_core::access::{Actor, Scope};
use frontline_core::time::Timing;
use frontline_db::Sql;
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

async fn count(app: &TestApp, sql: &str, params: Vec<frontline_db::Value>) -> i64 {
    app.db.count(&Sql::with(sql, params)).await.unwrap()
}

/// The grid worker's open instance of today's eight-task list.
async fn todays_list(app: &TestApp) -> Value {
    let (s, mine) = app.api("grid_worker").await.get("/me/tasks").await;
    assert_eq!(s, 200, "{mine}");
    let today = frontline_core::time::today_in_china(Utc::now()).to_string();
    mine.as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "疫情防控八项硬性任务" && i["status"] == "open" && i["period_start"] == today.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("no open list today: {mine}"))
}

#[tokio::test]
async fn a_grid_worker_signs_off_and_the_secretary_verifies_or_returns() {
    let app = TestApp::new().await;
    let worker = app.api("grid_worker").await;
    let secretary = app.api("village_secretary").await;
    let list = todays_list(&app).await;
    let id = list["id"].as_i64().unwrap();
    let person = list["person_id"].as_i64().unwrap();
    let (s, detail) = worker.get(&format!("/tasks/{id}")).await;
    assert_eq!(s, 200, "{detail}");
    let items: Vec<i64> = detail["items"].as_array().unwrap().iter().map(|i| i["item_id"].as_i64().unwrap()).collect();
    assert_eq!(items.len(), 8, "the eight rigid tasks");
    assert_eq!(detail["commitment_pending"], true, "the demo leaves the login's commitment unsigned");
    let all: Vec<Value> = items.iter().map(|i| json!({"item_id": i})).collect();

    // The commitment letter comes first, once.
    let (s, body) = worker.post(&format!("/tasks/{id}/submit"), json!({"items": all})).await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(body["code"], "error.task.commitment_first");
    let list_id = list["list_id"].as_i64().unwrap();
    let (s, body) = worker.post(&format!("/task-lists/{list_id}/commitment"), json!({})).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = worker.post(&format!("/task-lists/{list_id}/commitment"), json!({})).await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM commitments WHERE person_id = $1", vec![person.into()]).await, 1);

    // An item left unticked, or one not on the list, refuses the whole sign-off.
    let (s, body) = worker.post(&format!("/tasks/{id}/submit"), json!({"items": all[..7]})).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], format!("item_{}", items[7]));
    let mut extra = all.clone();
    extra.push(json!({"item_id": 999_999}));
    let (s, _) = worker.post(&format!("/tasks/{id}/submit"), json!({"items": extra})).await;
    assert_eq!(s, 404, "an item not on the list names nothing");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM task_checks WHERE instance_id = $1", vec![id.into()]).await, 0);

    // Handed in: every item ticked, a record in the ledger saying on time.
    let (s, body) = worker.post(&format!("/tasks/{id}/submit"), json!({"items": all})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "submitted");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM task_checks WHERE instance_id = $1", vec![id.into()]).await, 8);
    // On time is before the list's due time (China time); the suite may run on either side of it.
    let due: chrono::DateTime<Utc> = list["due_at"].as_str().unwrap().parse().unwrap();
    let on_time = i64::from(Utc::now() <= due);
    let recorded = count(
        &app,
        "SELECT COUNT(*) FROM records WHERE kind = 'task_submitted' AND source_kind = 'task_instance' AND source_id = $1 AND value = $2",
        vec![id.into(), on_time.into()],
    )
    .await;
    assert_eq!(recorded, 1, "one record, value {on_time}");
    let (s, _) = worker.post(&format!("/tasks/{id}/submit"), json!({"items": all})).await;
    assert_eq!(s, 409, "handing in twice");
    // The doer cannot verify (no permission), the secretary must give a reason to return.
    let (s, _) = worker.post(&format!("/tasks/{id}/decide"), json!({"decision": "verify"})).await;
    assert_eq!(s, 403);
    let (s, body) = secretary.post(&format!("/tasks/{id}/decide"), json!({"decision": "return"})).await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = secretary.post(&format!("/tasks/{id}/decide"), json!({"decision": "maybe"})).await;
    assert_eq!(s, 422, "{body}");
    let (s, body) =
        secretary.post(&format!("/tasks/{id}/decide"), json!({"decision": "return", "reason": "消杀照片缺失"})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "returned");
    let notices = count(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND kind = 'task_returned' AND params LIKE '%消杀照片缺失%'",
        vec![person.into()],
    )
    .await;
    assert_eq!(notices, 1, "the doer is told why");
    // Handed in again and verified; the ledger holds each step, the audit log each change.
    let (s, _) = worker.post(&format!("/tasks/{id}/submit"), json!({"items": all})).await;
    assert_eq!(s, 200);
    let (s, body) = secretary.post(&format!("/tasks/{id}/decide"), json!({"decision": "verify"})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "verified");
    let (s, _) = secretary.post(&format!("/tasks/{id}/decide"), json!({"decision": "verify"})).await;
    assert_eq!(s, 409, "verifying twice");
    let kinds: Vec<(String,)> = app
        .db
        .all(&Sql::with(
            "SELECT kind FROM records WHERE source_kind = 'task_instance' AND source_id = $1 ORDER BY id",
            vec![id.into()],
        ))
        .await
        .unwrap();
    // Past the due time the jobs loop has also recorded the list overdue before it was handed in.
    let overdue = kinds.iter().filter(|k| k.0 == "task_overdue").count();
    assert!(overdue <= usize::from(on_time == 0), "overdue recorded only once the list is late: {kinds:?}");
    let kinds: Vec<&str> = kinds.iter().map(|k| k.0.as_str()).filter(|k| *k != "task_overdue").collect();
    assert_eq!(kinds, ["task_submitted", "task_returned", "task_submitted", "task_verified"]);
    let audited = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'task_instance' AND object_id = $1",
        vec![id.into()],
    )
    .await;
    assert_eq!(audited, 4);
    // The ledger drills down: the secretary sees the records of the village, in Chinese labels.
    let (s, records) = secretary.get(&format!("/records?person={person}&kind=task_verified")).await;
    assert_eq!(s, 200, "{records}");
    assert!(records["items"].as_array().unwrap().iter().any(|r| r["source_id"] == id));
}

#[tokio::test]
async fn notes_and_photos_are_required_where_the_list_asks() {
    let app = TestApp::new().await;
    let county = app.unit_id("330382").await;
    let org = app.api("county_org").await;
    // Bad lists are refused field by field and write nothing.
    let before = count(&app, "SELECT COUNT(*) FROM task_lists", vec![]).await;
    let (s, body) = org
        .post(
            &format!("/units/{county}/task-lists"),
            json!({"title": "", "post_kinds": ["网格员"], "period": "hourly", "due_time": "25:61", "items": []}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "post_kinds", "period", "due_time", "items"]);
    assert!(body["fields"][0]["message"].as_str().unwrap().chars().any(|c| c > '\u{2e80}'), "Chinese message: {body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM task_lists", vec![]).await, before);

    // A list for grid workers with a note and a photo item: every grid worker gets it at once.
    let (s, body) = org
        .post(
            &format!("/units/{county}/task-lists"),
            json!({"title": "周末安全巡查", "post_kinds": ["grid_worker"], "period": "weekly", "due_time": "18:00",
                   "items": [{"text": "巡查河道", "needs_note": true}, {"text": "消防通道", "needs_photo": true}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let list = body["id"].as_i64().unwrap();
    let holders = count(
        &app,
        "SELECT COUNT(DISTINCT t.person_id) FROM posts po JOIN tenures t ON t.post_id = po.id WHERE po.kind = 'grid_worker' \
         AND t.end_date IS NULL",
        vec![],
    )
    .await;
    assert!(holders > 2000, "514 villages with four grids each");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM task_instances WHERE list_id = $1", vec![list.into()]).await, holders);
    // The jobs make no second copy, however often they run.
    frontline_db::jobs::run(&app.db, Utc::now()).await.unwrap();
    frontline_db::jobs::run(&app.db, Utc::now()).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM task_instances WHERE list_id = $1", vec![list.into()]).await, holders);

    let worker = app.api("grid_worker").await;
    let (_, mine) = worker.get("/me/tasks").await;
    let inst = mine.as_array().unwrap().iter().find(|i| i["list_id"] == list).unwrap().clone();
    let id = inst["id"].as_i64().unwrap();
    let (_, detail) = worker.get(&format!("/tasks/{id}")).await;
    let note_item = detail["items"][0]["item_id"].as_i64().unwrap();
    let photo_item = detail["items"][1]["item_id"].as_i64().unwrap();
    let (s, body) = worker
        .post(&format!("/tasks/{id}/submit"), json!({"items": [{"item_id": note_item}, {"item_id": photo_item}]}))
        .await;
    assert_eq!(s, 422, "{body}");
    let codes: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["error.task.note_needed", "error.task.photo_needed"]);
    // Only images are kept as photos; an uploaded one completes the list.
    let (s, body) = worker.post_raw("/attachments", "text/plain", b"not a photo".to_vec()).await;
    assert_eq!(s, 422, "{body}");
    // Bytes that are no image are refused whatever label they come with.
    let (s, body) = worker.post_raw("/attachments", "image/jpeg", b"[2147483648]".to_vec()).await;
    assert_eq!((s, body["fields"][0]["code"].as_str()), (422, Some("error.task.photo_type")), "{body}");
    let png = crate::helpers::tiny_png();
    let (s, body) = worker.post_raw("/attachments", "image/png", png.clone()).await;
    assert_eq!(s, 201, "{body}");
    let photo = body["id"].as_i64().unwrap();
    // Someone else's photo cannot be attached.
    let other = app.api("village_secretary").await;
    let (_, theirs) = other.post_raw("/attachments", "image/png", png).await;
    let (s, _) = worker
        .post(
            &format!("/tasks/{id}/submit"),
            json!({"items": [{"item_id": note_item, "note": "河道无异常"}, {"item_id": photo_item, "attachment_id": theirs["id"]}]}),
        )
        .await;
    assert_eq!(s, 422);
    let (s, body) = worker
        .post(
            &format!("/tasks/{id}/submit"),
            json!({"items": [{"item_id": note_item, "note": "河道无异常"}, {"item_id": photo_item, "attachment_id": photo}]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, detail) = worker.get(&format!("/tasks/{id}")).await;
    assert_eq!(detail["items"][0]["note"], "河道无异常");
    assert_eq!(detail["items"][1]["attachment_id"], photo);
    // On the phone page the photo travels with the sign-off: refused, nothing of it is kept.
    let ui = app.ui("grid_worker").await;
    let other_list: i64 = {
        let (s, body) = org
            .post(
                &format!("/units/{county}/task-lists"),
                json!({"title": "消防检查", "post_kinds": ["grid_worker"], "period": "daily", "due_time": "23:59",
                       "items": [{"text": "灭火器", "needs_photo": true}, {"text": "通道", "needs_note": true}]}),
            )
            .await;
        assert_eq!(s, 201, "{body}");
        body["id"].as_i64().unwrap()
    };
    let (_, mine) = worker.get("/me/tasks").await;
    let inst = mine.as_array().unwrap().iter().find(|i| i["list_id"] == other_list).unwrap()["id"].as_i64().unwrap();
    let (_, detail) = worker.get(&format!("/tasks/{inst}")).await;
    let (photo_item, note_item) =
        (detail["items"][0]["item_id"].as_i64().unwrap(), detail["items"][1]["item_id"].as_i64().unwrap());
    let attachments = count(&app, "SELECT COUNT(*) FROM attachments", vec![]).await;
    let send = |with_note: bool| {
        let form = reqwest::multipart::Form::new()
            .text(format!("tick_{photo_item}"), "on")
            .text(format!("tick_{note_item}"), "on")
            .text(format!("note_{note_item}"), if with_note { "通道畅通" } else { "" })
            .part(
                format!("photo_{photo_item}"),
                reqwest::multipart::Part::bytes(crate::helpers::tiny_png())
                    .file_name("a.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
        ui.http
            .post(format!("{}/work/tasks/{inst}/submit", ui.base))
            .header("x-csrf-token", ui.csrf.clone())
            .multipart(form)
            .send()
    };
    let refused = send(false).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("须填写备注"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments", vec![]).await, attachments, "no orphan photo");
    let accepted = send(true).await.unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments", vec![]).await, attachments + 1);
    let (_, detail) = worker.get(&format!("/tasks/{inst}")).await;
    assert_eq!(detail["instance"]["status"], "submitted");
    assert!(detail["items"][0]["attachment_id"].is_i64());
    // Stopping the list is audited, and it generates no more.
    let (s, _) = org.post(&format!("/task-lists/{list}/active"), json!({"active": false})).await;
    assert_eq!(s, 200);
    let (_, lists) = org.get(&format!("/task-lists?unit={county}")).await;
    assert!(lists.as_array().unwrap().iter().any(|l| l["id"] == list && l["active"] == false));
}

#[tokio::test]
async fn rates_overdue_items_and_reminders_come_from_the_instances() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let township = app.api("township_secretary").await;
    let today = frontline_core::time::today_in_china(Utc::now());
    let from = today - Duration::days(6);
    let (s, rates) = township.get(&format!("/units/{}/task-rates?from={from}&to={today}", p.baishi)).await;
    assert_eq!(s, 200, "{rates}");
    let whole = &rates[0];
    assert_eq!(whole["unit_id"], p.baishi);
    // The same figures by another query, straight from the table.
    let (lo, hi) = {
        let (path,): (String,) =
            app.db.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![p.baishi.into()])).await.unwrap();
        frontline_core::units::subtree_range(&path)
    };
    let in_subtree = "FROM task_instances i JOIN units u ON u.id = i.unit_id WHERE u.path >= $1 AND u.path < $2 \
                      AND i.period_start >= $3 AND i.period_start <= $4";
    let params = || vec![lo.clone().into(), hi.clone().into(), from.into(), today.into()];
    let total = count(&app, &format!("SELECT COUNT(*) {in_subtree}"), params()).await;
    let handed_in =
        count(&app, &format!("SELECT COUNT(*) {in_subtree} AND i.status IN ('submitted', 'verified')"), params()).await;
    let verified = count(&app, &format!("SELECT COUNT(*) {in_subtree} AND i.status = 'verified'"), params()).await;
    assert!(total > 100, "a week of lists in 白石街道");
    assert_eq!(whole["rates"]["total"], total);
    assert_eq!(whole["rates"]["submitted"], handed_in);
    assert_eq!(whole["rates"]["verified"], verified);
    assert!(verified > 0 && verified < total);
    // Each village's share adds up to the whole.
    let parts: i64 = rates.as_array().unwrap()[1..].iter().map(|r| r["rates"]["total"].as_i64().unwrap()).sum();
    assert_eq!(parts, total);
    // Overdue items of the township are visible to its secretary, each one past due and not handed in.
    let (s, overdue) = township.get(&format!("/tasks?unit={}&status=overdue&per_page=200", p.baishi)).await;
    assert_eq!(s, 200);
    assert!(overdue["total"].as_i64().unwrap() <= 200, "one page holds them all: {}", overdue["total"]);
    let overdue = overdue["items"].as_array().unwrap();
    assert!(!overdue.is_empty(), "the demo leaves a few lists overdue");
    for i in overdue {
        assert!(i["status"] == "open" || i["status"] == "returned");
        assert!(i["due_at"].as_str().unwrap() < Utc::now().to_rfc3339().as_str());
    }
    // Every overdue instance got one overdue record; running the jobs again adds none.
    let recorded = count(&app, "SELECT COUNT(*) FROM records WHERE kind = 'task_overdue'", vec![]).await;
    let past_due = count(
        &app,
        "SELECT COUNT(*) FROM task_instances WHERE status IN ('open', 'returned') AND due_at < $1",
        vec![Utc::now().into()],
    )
    .await;
    assert_eq!(recorded, past_due);
    let reminders = count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'task_reminder'", vec![]).await;
    assert!(reminders > 0, "周督促 went out");
    let report = frontline_db::jobs::run(&app.db, Utc::now()).await.unwrap();
    assert_eq!(report.tasks.overdue_recorded, 0);
    assert_eq!(report.tasks.reminders, 0, "once a week");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'task_reminder'", vec![]).await, reminders);
    // A grid worker sees only their own grid's lists and their own.
    let (_, theirs) = app.api("grid_worker").await.get("/tasks?per_page=200").await;
    let worker_person = count(&app, "SELECT person_id FROM users WHERE username = 'grid_worker'", vec![]).await;
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["person_id"] == worker_person || i["unit_name"].as_str().unwrap().ends_with("第一网格"))
    );
}

#[tokio::test]
async fn a_checkpoint_roster_is_planned_stood_and_missed() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let org = app.api("county_org").await;
    let (s, checkpoints) = org.get(&format!("/units/{}/checkpoints", p.baishi)).await;
    assert_eq!(s, 200, "{checkpoints}");
    let checkpoints = checkpoints.as_array().unwrap();
    assert_eq!(checkpoints.len(), 3, "three checkpoints around 白石街道");
    let cp = checkpoints[0]["unit_id"].as_i64().unwrap();
    // Bad settings are refused and change nothing.
    let (s, body) = org
        .put(
            &format!("/checkpoints/{cp}"),
            json!({"pattern": "4x6", "headcount": 0, "night_headcount": 1, "min_party": 3, "min_cadre": 0}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["pattern", "headcount", "min_party"]);
    let (s, _) = org
        .put(
            &format!("/checkpoints/{}", p.qiyuan),
            json!({"pattern": "3x8", "headcount": 2, "night_headcount": 1, "min_party": 1, "min_cadre": 0}),
        )
        .await;
    assert_eq!(s, 422, "a village is not a checkpoint");
    // Plan a week ahead: every shift of the three checkpoints, people only from their lists,
    // nobody on two shifts less than 12 hours apart, and the gaps named with their reason.
    let start = frontline_core::time::today_in_china(Utc::now()) + Duration::days(14);
    // Someone on leave for the whole week is left free; a backwards range is refused.
    let (away,): (i64,) = app
        .db
        .one(&Sql::with("SELECT MIN(person_id) FROM checkpoint_people WHERE checkpoint_id = $1", vec![cp.into()]))
        .await
        .unwrap();
    let (s, body) = org
        .post("/duty-away", json!({"person_id": away, "from": start + Duration::days(6), "to": start, "note": "病假"}))
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = org
        .post("/duty-away", json!({"person_id": away, "from": start, "to": start + Duration::days(6), "note": "病假"}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["days"], 7);
    let (s, outcome) =
        org.post(&format!("/units/{}/roster", p.baishi), json!({"start": start, "days": 7, "max_shifts": 5})).await;
    assert_eq!(s, 200, "{outcome}");
    assert_eq!(outcome["checkpoints"], 3);
    assert_eq!(outcome["shifts"], 3 * 7 * 3);
    assert_eq!(outcome["places"], 3 * 7 * 5);
    assert!(outcome["filled"].as_i64().unwrap() > 0);
    let (s, again) = org.post(&format!("/units/{}/roster", p.baishi), json!({"start": start, "days": 7})).await;
    assert_eq!(s, 409, "{again}");
    let on_leave = count(
        &app,
        "SELECT COUNT(*) FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id WHERE a.person_id = $1 AND s.starts_at >= $2",
        vec![away.into(), (start.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(8)).into()],
    )
    .await;
    assert_eq!(on_leave, 0, "nobody stands duty on their days away");
    let strangers = count(
        &app,
        "SELECT COUNT(*) FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id WHERE NOT EXISTS \
         (SELECT 1 FROM checkpoint_people cp WHERE cp.checkpoint_id = s.checkpoint_id AND cp.person_id = a.person_id)",
        vec![],
    )
    .await;
    assert_eq!(strangers, 0);
    let from = start.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(8);
    let mut held: Vec<(i64, chrono::DateTime<Utc>, chrono::DateTime<Utc>)> = app
        .db
        .all(&Sql::with(
            "SELECT a.person_id, s.starts_at, s.ends_at FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id \
             WHERE s.starts_at >= $1",
            vec![from.into()],
        ))
        .await
        .unwrap();
    held.sort();
    for w in held.windows(2) {
        if w[0].0 == w[1].0 {
            assert!(w[1].1 >= w[0].2 + Duration::hours(12), "12 hours of rest between shifts: {w:?}");
        }
    }
    let per_person = held.chunk_by(|a, b| a.0 == b.0).map(|c| c.len()).max().unwrap_or(0);
    assert!(per_person <= 5, "at most five shifts each");
    let (s, shifts) = org.get(&format!("/units/{}/shifts?from={start}", p.baishi)).await;
    assert_eq!(s, 200);
    let shifts = shifts.as_array().unwrap();
    assert_eq!(shifts.len(), 63);
    let short = shifts.iter().filter(|s| !s["unfilled_reason"].is_null()).count() as i64;
    let reasons: i64 = outcome["short"].as_array().unwrap().iter().map(|r| r[1].as_i64().unwrap()).sum();
    assert_eq!(short, reasons, "each short shift carries its reason");

    // Standing duty: a person checks in late on their own shift and hands over; a shift nobody
    // checks in to becomes a missed record once it is over.
    let (assignment, person, starts): (i64, i64, chrono::DateTime<Utc>) = app
        .db
        .one(&Sql::new(
            "SELECT a.id, a.person_id, s.starts_at FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id \
             ORDER BY s.starts_at DESC, a.id LIMIT 1",
        ))
        .await
        .unwrap();
    let actor = Actor {
        user_id: None,
        name: "test".into(),
        ip: "test".into(),
        scope: Scope { person_id: Some(person), ..Scope::default() },
        permissions: vec!["work:roster:check".into()],
    };
    let early =
        frontline_db::roster::check_in(&app.db, &actor, assignment, Timing::at(starts - Duration::hours(2))).await;
    assert!(early.is_err(), "too early to check in");
    let late = frontline_db::roster::check_in(&app.db, &actor, assignment, Timing::at(starts + Duration::minutes(25)))
        .await
        .unwrap();
    assert_eq!(late, 25);
    let attended = count(
        &app,
        "SELECT value FROM records WHERE kind = 'shift_attended' AND source_id = $1",
        vec![assignment.into()],
    )
    .await;
    assert_eq!(attended, 25);
    frontline_db::roster::check_out(
        &app.db,
        &actor,
        assignment,
        "东侧道闸故障已报修",
        Timing::at(starts + Duration::hours(8)),
    )
    .await
    .unwrap();
    let missed_before = count(&app, "SELECT COUNT(*) FROM records WHERE kind = 'shift_missed'", vec![]).await;
    let planned_past = count(
        &app,
        "SELECT COUNT(*) FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id WHERE a.status = 'planned' AND s.ends_at < $1",
        vec![(Utc::now() + Duration::days(40)).into()],
    )
    .await;
    let n = frontline_db::roster::record_missed(&app.db, Utc::now() + Duration::days(40)).await.unwrap();
    assert_eq!(n as i64, planned_past);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM records WHERE kind = 'shift_missed'", vec![]).await,
        missed_before + n as i64
    );
    // The API refuses a check-in of someone else's shift.
    let worker_person = count(&app, "SELECT person_id FROM users WHERE username = 'grid_worker'", vec![]).await;
    let (others,): (i64,) = app
        .db
        .one(&Sql::with("SELECT MIN(id) FROM shift_assignments WHERE person_id <> $1", vec![worker_person.into()]))
        .await
        .unwrap();
    let worker = app.api("grid_worker").await;
    let (s, body) = worker.post(&format!("/shift-assignments/{others}/check-in"), json!({})).await;
    assert_eq!(s, 404, "{body}");
}

#[tokio::test]
async fn households_are_checked_by_those_responsible_and_compiled_for_the_village() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let worker = app.api("grid_worker").await;
    // The grid worker answers for the households of their grid, and only those.
    let (s, mine) = worker.get("/me/households").await;
    assert_eq!(s, 200, "{mine}");
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 10, "two 五户联防 groups of five in 岐元村第一网格");
    let household = mine[0]["id"].as_i64().unwrap();
    let (_, forms) = worker.get("/survey-forms").await;
    let form = forms[0]["id"].as_i64().unwrap();
    let today = frontline_core::time::today_in_china(Utc::now()).to_string();
    // Bad answers are refused field by field; nothing is kept.
    let before = count(&app, "SELECT COUNT(*) FROM survey_responses", vec![]).await;
    let (s, body) = worker
        .post(
            &format!("/households/{household}/responses"),
            json!({"form_id": form, "filled_on": today, "answers": {"members": "四口", "relapse": "破产"}}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"members") && fields.contains(&"relapse") && fields.contains(&"income"), "{fields:?}");
    let (s, _) = worker
        .post(
            &format!("/households/{household}/responses"),
            json!({"form_id": form, "filled_on": "2030-01-01", "answers": {}}),
        )
        .await;
    assert_eq!(s, 422, "a day in the future");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM survey_responses", vec![]).await, before);
    // A household at risk: low income and illness; extra keys are not stored.
    let answers = json!({"members": 3, "income": 6200, "food_clothing": "yes", "schooling": "yes", "medical": "no",
        "housing": "yes", "water": "yes", "relapse": "因病", "needs": ["医疗救助", "就业"], "id_number": "330382199001011234"});
    let (s, filed) = worker
        .post(
            &format!("/households/{household}/responses"),
            json!({"form_id": form, "filled_on": today, "answers": answers}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    assert_eq!(filed["risk"], true);
    assert!(!filed["answers"].as_str().unwrap().contains("330382199001011234"), "only the form's fields are kept");
    assert_eq!(filed["risk_reasons"], "人均年纯收入（元）：6200 < 7500|基本医疗有保障：否|返贫风险：因病");
    let record = count(
        &app,
        "SELECT COUNT(*) FROM records WHERE kind = 'survey_filed' AND source_id = $1 AND value = 1",
        vec![filed["id"].as_i64().unwrap().into()],
    )
    .await;
    assert_eq!(record, 1);
    // Another grid's household is not theirs to see or fill.
    let (other,): (i64,) = app
        .db
        .one(&Sql::with(
            "SELECT h.id FROM units h JOIN units g ON g.id = h.parent_id JOIN units gr ON gr.id = g.parent_id \
             WHERE h.kind = 'household' AND gr.name NOT LIKE '岐元村%' ORDER BY h.id LIMIT 1",
            vec![],
        ))
        .await
        .unwrap();
    let (s, _) = worker.get(&format!("/households/{other}/responses")).await;
    assert_eq!(s, 404);
    let (s, _) = worker
        .post(
            &format!("/households/{other}/responses"),
            json!({"form_id": form, "filled_on": today, "answers": answers}),
        )
        .await;
    assert_eq!(s, 404);
    // The village's compilation and risk list come out of the answers.
    let secretary = app.api("village_secretary").await;
    let (s, comp) = secretary.get(&format!("/units/{}/survey-compilation?on={today}", p.qiyuan)).await;
    assert_eq!(s, 200, "{comp}");
    assert_eq!(comp["households"], 10);
    let latest_risky = count(
        &app,
        "SELECT COUNT(DISTINCT r.household_id) FROM survey_responses r JOIN units h ON h.id = r.household_id \
         JOIN units g ON g.id = h.parent_id JOIN units gr ON gr.id = g.parent_id WHERE gr.name LIKE '岐元村%' AND r.risk = TRUE",
        vec![],
    )
    .await;
    assert_eq!(comp["at_risk"], latest_risky);
    assert!(comp["filed_on_day"].as_i64().unwrap() >= 1);
    let tallies = comp["tallies"].as_array().unwrap();
    assert!(tallies.iter().any(|t| t[0] == "需求" && t[1] == "医疗救助" && t[2].as_i64().unwrap() >= 1), "{tallies:?}");
    let (_, risks) = secretary.get(&format!("/units/{}/risk-list?on={today}&per_page=200", p.qiyuan)).await;
    assert_eq!(risks["total"], latest_risky, "the risk list holds every household at risk");
    let ours = risks["items"].as_array().unwrap().iter().find(|r| r["household_id"] == household).unwrap();
    assert!(ours["place"].as_str().unwrap().starts_with("岐元村"), "named with its village: {ours}");
    // A form defined as data: a county adds its own, with bad definitions refused.
    let org = app.api("county_org").await;
    let county = app.unit_id("330382").await;
    let (s, body) = org
        .post(
            &format!("/units/{county}/survey-forms"),
            json!({"title": "防汛转移摸排", "fields": [{"key": "Bad Key", "label": "", "type": "date"}]}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = org
        .post(
            &format!("/units/{county}/survey-forms"),
            json!({"title": "防汛转移摸排", "fields": [
                {"key": "lowland", "label": "住在低洼地带", "type": "yes_no", "required": true, "risk_values": ["yes"]},
                {"key": "elderly", "label": "独居老人人数", "type": "number"}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let new_form = body["id"].as_i64().unwrap();
    let (s, filed) = worker
        .post(
            &format!("/households/{household}/responses"),
            json!({"form_id": new_form, "filled_on": today, "answers": {"lowland": "yes", "elderly": 1}}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    assert_eq!(filed["risk_reasons"], "住在低洼地带：是");
}

#[tokio::test]
async fn topics_are_answered_by_their_owner_and_training_coverage_is_a_query() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let township = app.api("township_secretary").await;
    let secretary_person =
        count(&app, "SELECT person_id FROM users WHERE username = 'village_secretary'", vec![]).await;
    let today = frontline_core::time::today_in_china(Utc::now());
    // Bad meetings are refused whole.
    let before = count(&app, "SELECT COUNT(*) FROM meeting_topics", vec![]).await;
    let (s, body) = township
        .post(
            &format!("/units/{}/meetings", p.baishi),
            json!({"kind": "party", "title": "", "held_on": today, "topics": [{"title": "x", "owner_id": secretary_person, "due_date": today - Duration::days(1)}]}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, _) = township
        .post(
            &format!("/units/{}/meetings", p.baishi),
            json!({"kind": "secretary_meeting", "title": "例会", "held_on": today, "topics": [{"title": "x", "owner_id": 1, "due_date": today}]}),
        )
        .await;
    assert_eq!(s, 404, "the county's first person is not the township's to set topics for");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meeting_topics", vec![]).await, before);
    let (s, body) = township
        .post(
            &format!("/units/{}/meetings", p.baishi),
            json!({"kind": "secretary_meeting", "title": "第七期村书记例会", "held_on": today,
                   "topics": [{"title": "岐元村集体经济增收路径", "owner_id": secretary_person, "due_date": today + Duration::days(7)}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let secretary = app.api("village_secretary").await;
    let (_, mine) = secretary.get(&format!("/topics?owner={secretary_person}")).await;
    let topic = mine.as_array().unwrap().iter().find(|t| t["title"] == "岐元村集体经济增收路径").unwrap()["id"]
        .as_i64()
        .unwrap();
    // Only the owner answers, once; the answer is a record, on time.
    let (s, _) = township.post(&format!("/topics/{topic}/answer"), json!({"answer": "代答"})).await;
    assert_eq!(s, 404);
    let (s, _) = secretary.post(&format!("/topics/{topic}/answer"), json!({"answer": ""})).await;
    assert_eq!(s, 422);
    let (s, body) = secretary
        .post(&format!("/topics/{topic}/answer"), json!({"answer": "发展民宿和来料加工，年内增收20万元"}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "answered");
    let (s, _) = secretary.post(&format!("/topics/{topic}/answer"), json!({"answer": "again"})).await;
    assert_eq!(s, 409);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM records WHERE kind = 'topic_answered' AND source_id = $1 AND value = 1",
            vec![topic.into()]
        )
        .await,
        1
    );
    // A party lesson for every member of 岐元村: the village's coverage is full, the county's not.
    let (s, body) = secretary
        .post(
            &format!("/units/{}/trainings", p.qiyuan),
            json!({"kind": "party_lesson", "title": "学习贯彻全会精神", "held_on": today, "hours": 2, "members_of": p.qiyuan}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let members = count(
        &app,
        "SELECT COUNT(*) FROM people p JOIN units u ON u.id = p.home_unit_id JOIN units v ON v.id = $1 \
         WHERE u.path LIKE v.path || '%' AND p.party_status <> 'none'",
        vec![p.qiyuan.into()],
    )
    .await;
    assert_eq!(body["attendees"], members);
    let (s, cov) = secretary.get(&format!("/units/{}/training-coverage", p.qiyuan)).await;
    assert_eq!(s, 200, "{cov}");
    assert_eq!(cov[0]["members"], members);
    assert_eq!(cov[0]["trained"], members);
    assert_eq!(cov[0]["percent"], 100.0);
    let (_, county_cov) =
        app.api("county_org").await.get(&format!("/units/{}/training-coverage", app.unit_id("330382").await)).await;
    assert!(county_cov[0]["percent"].as_f64().unwrap() < 100.0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM records WHERE kind = 'training_attended' AND source_id = $1",
            vec![body["id"].as_i64().unwrap().into()]
        )
        .await,
        members
    );
}

/// A topic (党委点题) left unanswered past its date is flagged on the pages and escalated once: its
/// owner and the secretary of the township that set it are told; an answered topic is not.
#[tokio::test]
async fn topics_past_their_date_are_flagged_and_escalated_once() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let township = app.api("township_secretary").await;
    let owner = count(&app, "SELECT person_id FROM users WHERE username = 'village_secretary'", vec![]).await;
    let setter = count(&app, "SELECT person_id FROM users WHERE username = 'township_secretary'", vec![]).await;
    let today = frontline_core::time::today_in_china(Utc::now());
    let (s, body) = township
        .post(
            &format!("/units/{}/meetings", p.baishi),
            json!({"kind": "secretary_meeting", "title": "第八期村书记例会", "held_on": today,
                   "topics": [{"title": "人居环境整治短板", "owner_id": owner, "due_date": today + Duration::days(1)},
                              {"title": "已答的题", "owner_id": owner, "due_date": today + Duration::days(1)}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let id_of = |title: &'static str| {
        let app = &app;
        async move { count(app, "SELECT id FROM meeting_topics WHERE title = $1", vec![title.to_string().into()]).await }
    };
    let (late, answered) = (id_of("人居环境整治短板").await, id_of("已答的题").await);
    let (s, _) = app
        .api("village_secretary")
        .await
        .post(&format!("/topics/{answered}/answer"), json!({"answer": "已整改"}))
        .await;
    assert_eq!(s, 200);
    // Not yet due: the jobs loop leaves it alone.
    assert_eq!(frontline_db::jobs::run(&app.db, Utc::now()).await.unwrap().topics_escalated, 0);
    // Three days on, unanswered: escalated once, to the owner and the township's secretary.
    let later = Utc::now() + Duration::days(3);
    let notices = |who: i64| {
        let app = &app;
        async move {
            count(
                app,
                "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND kind = 'topic_overdue'",
                vec![who.into()],
            )
            .await
        }
    };
    assert_eq!(frontline_db::meetings::escalate_overdue_topics(&app.db, later).await.unwrap(), 1);
    assert_eq!(frontline_db::meetings::escalate_overdue_topics(&app.db, later).await.unwrap(), 0, "once");
    assert_eq!(notices(owner).await, 1);
    assert_eq!(notices(setter).await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meeting_topics WHERE id = $1 AND escalated = TRUE", vec![late.into()]).await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meeting_topics WHERE id = $1 AND escalated = TRUE", vec![answered.into()])
            .await,
        0
    );
    // The page lists it as overdue and escalated once its date has passed (moved back to see it today).
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::with(
        "UPDATE meeting_topics SET due_date = $1 WHERE id = $2",
        vec![(today - Duration::days(2)).into(), late.into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (s, html) = app.ui("township_secretary").await.get(&format!("/work/meetings?unit={}", p.baishi)).await;
    assert_eq!(s, 200);
    assert!(html.contains("topic-overdue") && html.contains("已督办"), "{html}");
}

/// The doer's own shifts are on the roster page too, even where their checkpoint lies outside
/// the units they may see (a grid worker on duty at a checkpoint of another village).
#[tokio::test]
async fn the_roster_page_shows_the_callers_own_shifts() {
    let app = TestApp::new().await;
    let worker = count(&app, "SELECT person_id FROM users WHERE username = 'grid_worker'", vec![]).await;
    let now = Utc::now();
    // A checkpoint the worker's scope does not reach, with a shift tomorrow they stand.
    let (checkpoint, name): (i64, String) = app
        .db
        .one(&Sql::with(
            "SELECT u.id, u.name FROM units u WHERE u.kind = 'checkpoint' AND NOT EXISTS \
             (SELECT 1 FROM users a JOIN people p ON p.id = a.person_id JOIN units h ON h.id = p.home_unit_id \
              WHERE a.username = 'grid_worker' AND u.path LIKE h.path || '%') ORDER BY u.id LIMIT 1",
            vec![],
        ))
        .await
        .unwrap();
    let starts = now + Duration::hours(20);
    let mut tx = app.db.begin().await.unwrap();
    let shift: (i64,) = tx
        .one(&Sql::with(
            "INSERT INTO shifts (checkpoint_id, starts_at, ends_at, night, headcount, min_party, min_cadre, created_at) \
             VALUES ($1, $2, $3, FALSE, 1, 0, 0, $4) RETURNING id",
            vec![checkpoint.into(), starts.into(), (starts + Duration::hours(8)).into(), now.into()],
        ))
        .await
        .unwrap();
    tx.execute(&Sql::with(
        "INSERT INTO shift_assignments (shift_id, person_id, status) VALUES ($1, $2, 'planned')",
        vec![shift.0.into(), worker.into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (s, html) = app.ui("grid_worker").await.get("/work/rosters").await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"my-shifts\"") && html.contains(&name), "the worker's own shift at {name}: {html}");
}

/// 批量核验: the secretary ticks several handed-in lists and verifies them at once; one that
/// cannot be verified stops the whole batch, and nothing is half done.
#[tokio::test]
async fn a_batch_of_lists_is_verified_together_or_not_at_all() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ids = |status: &'static str| {
        let app = &app;
        let village = p.qiyuan;
        async move {
            let rows: Vec<(i64,)> = app
                .db
                .all(&Sql::with(
                    "SELECT i.id FROM task_instances i JOIN units u ON u.id = i.unit_id JOIN units v ON v.id = $1 \
                     WHERE u.path LIKE v.path || '%' AND i.status = $2 ORDER BY i.id LIMIT 3",
                    vec![village.into(), status.into()],
                ))
                .await
                .unwrap();
            rows.into_iter().map(|r| r.0).collect::<Vec<i64>>()
        }
    };
    let handed_in = ids("submitted").await;
    assert!(handed_in.len() >= 3, "the demo has lists waiting in 岐元村: {handed_in:?}");
    let open = ids("open").await;
    assert!(!open.is_empty());
    let status_of = |id: i64| {
        let app = &app;
        async move {
            let s: (String,) = app
                .db
                .one(&Sql::with("SELECT status FROM task_instances WHERE id = $1", vec![id.into()]))
                .await
                .unwrap();
            s.0
        }
    };
    let ui = app.ui("village_secretary").await;
    // The queue offers the batch: a box per list and one button.
    let (_, page) = ui.get(&format!("/work/verify?unit={}", p.qiyuan)).await;
    assert!(page.contains("id=\"verify-chosen\""), "the batch button");
    assert!(page.contains(&format!("name=\"ids\" value=\"{}\"", handed_in[0])), "a box for each list");
    // One list not handed in: nothing is verified, and the answer says why.
    let (a, b) = (handed_in[0].to_string(), handed_in[1].to_string());
    let o = open[0].to_string();
    let (status, body, _) = ui.post("/work/verify/batch", &[("ids", &a), ("ids", &o), ("ids", &b)]).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(status_of(handed_in[0]).await, "submitted");
    assert_eq!(status_of(handed_in[1]).await, "submitted");
    // Nothing ticked: a clear message.
    let (status, body, _) = ui.post("/work/verify/batch", &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("请先勾选要核验的清单"), "{body}");
    // The two handed-in lists: both verified, each audited and in the ledger.
    let (status, body, _) = ui.post("/work/verify/batch", &[("ids", &a), ("ids", &b)]).await;
    assert!(status < 400, "{status} {body}");
    for id in &handed_in[..2] {
        assert_eq!(status_of(*id).await, "verified");
        let audited = app
            .count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'task.verify' AND object_id = {id}"))
            .await;
        assert_eq!(audited, 1);
        let recorded = app
            .count(&format!(
                "SELECT COUNT(*) FROM records WHERE kind = 'task_verified' AND source_kind = 'task_instance' AND source_id = {id}"
            ))
            .await;
        assert_eq!(recorded, 1);
    }
    // A grid worker cannot verify.
    let grid = app.ui("grid_worker").await;
    let (status, _, _) = grid.post("/work/verify/batch", &[("ids", &a)]).await;
    assert_eq!(status, 403);
    // The API verifies a batch the same way: all or none, and says how many.
    let api = app.api("village_secretary").await;
    let third = handed_in[2];
    let (status, body) = api.post("/tasks/verify", json!({"ids": [third, open[0]]})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(status_of(third).await, "submitted");
    let (status, body) = api.post("/tasks/verify", json!({"ids": []})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api.post("/tasks/verify", json!({"ids": [third, third]})).await;
    assert_eq!((status, &body["verified"]), (200, &json!(1)), "{body}");
    assert_eq!(status_of(third).await, "verified");
    let (status, _) = app.api("grid_worker").await.post("/tasks/verify", json!({"ids": [third]})).await;
    assert_eq!(status, 403);
}
