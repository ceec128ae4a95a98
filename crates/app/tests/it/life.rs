//! Organisational life (003.3) through the API: a branch's compliance over a quarter against a
//! count made by hand, the rules as data, a member's check-in by the meeting's code and the
//! recorder's ticks, each in the ledger; bad input and the wrong caller turned away.

use chrono::{Datelike, NaiveDate, Utc};
use frontline_core::life::last_quarter;
use frontline_core::time::today_in_china;
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

fn find<'a>(kinds: &'a Value, kind: &str) -> &'a Value {
    kinds.as_array().unwrap().iter().find(|k| k["kind"] == kind).unwrap_or_else(|| panic!("{kind} in {kinds}"))
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test]
async fn a_branch_quarter_of_organisational_life_is_judged_as_counted_by_hand() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let secretary = app.api("village_secretary").await;
    // A new branch under 岐元村, so that only the meetings below count.
    let (status, branch) = secretary
        .post("/units", json!({"parent_id": places.qiyuan, "name": "岐元村第二党支部", "kind": "party_branch"}))
        .await;
    assert_eq!(status, 201, "{branch}");
    let branch = branch["id"].as_i64().unwrap();
    let today = today_in_china(Utc::now());
    let (from, to) = last_quarter(today);
    let month = |n: u32, day: u32| d(from.year(), from.month() + n, day);
    // The last full quarter, by hand: a theme day in its first and third month (not the second),
    // one members' meeting, a committee meeting every month, no party-group meeting, no lesson.
    let held = [
        ("theme_day", month(0, 3)),
        ("theme_day", month(2, 28)),
        ("members_meeting", month(1, 15)),
        ("committee_meeting", month(0, 10)),
        ("committee_meeting", month(1, 10)),
        ("committee_meeting", month(2, 10)),
    ];
    for (kind, on) in held {
        let (status, body) = secretary
            .post(
                &format!("/units/{branch}/life-meetings"),
                json!({"kind": kind, "held_on": on, "place": "村党群服务中心", "topic": "学习传达上级会议精神"}),
            )
            .await;
        assert_eq!(status, 201, "{kind} {on}: {body}");
    }
    // A meeting the day before the quarter began does not count in it.
    let (status, _) = secretary
        .post(
            &format!("/units/{branch}/life-meetings"),
            json!({"kind": "party_lesson", "held_on": from.pred_opt().unwrap(), "place": "村委会", "topic": "党课"}),
        )
        .await;
    assert_eq!(status, 201);

    let (status, c) = secretary.get(&format!("/units/{branch}/life-compliance?from={from}&to={to}")).await;
    assert_eq!(status, 200, "{c}");
    let whole = &c["whole"];
    assert_eq!(whole["organisations"], 1);
    let expect = |kind: &str, held: i64, due: i64, met: i64| {
        let k = find(&whole["kinds"], kind);
        assert_eq!(
            (k["held"].as_i64(), k["due"].as_i64(), k["met"].as_i64()),
            (Some(held), Some(due), Some(met)),
            "{kind}"
        );
        assert_eq!(k["missed"].as_i64(), Some(due - met), "{kind}");
    };
    expect("theme_day", 2, 3, 2);
    expect("members_meeting", 1, 1, 1);
    expect("committee_meeting", 3, 3, 3);
    expect("group_meeting", 0, 3, 0);
    expect("party_lesson", 0, 1, 0);
    // 6 of the 11 periods met.
    assert_eq!((whole["total"]["met"].as_i64(), whole["total"]["due"].as_i64()), (Some(6), Some(11)));
    assert_eq!(whole["percent"].as_f64(), Some(54.5));
    assert_eq!(c["behind"]["total"], 1);
    let behind = &c["behind"]["items"][0];
    assert_eq!(behind["unit_id"], branch);
    assert_eq!(behind["missed"], 5);
    assert_eq!(behind["last_held"], json!(month(2, 28)));

    // The village counts both its branches; the new one is among those behind.
    let (_, village) = secretary.get(&format!("/units/{}/life-compliance?from={from}&to={to}", places.qiyuan)).await;
    assert_eq!(village["whole"]["organisations"], 2, "{village}");
    let ids: Vec<i64> =
        village["behind"]["items"].as_array().unwrap().iter().map(|b| b["unit_id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&branch), "{ids:?}");

    // Every meeting is a record of the branch in the ledger.
    let recorded =
        app.count(&format!("SELECT COUNT(*) FROM records WHERE kind = 'meeting_held' AND unit_id = {branch}")).await;
    assert_eq!(recorded, 7);

    // A period still running is not judged: nothing due is no score.
    let (_, running) = secretary.get(&format!("/units/{branch}/life-compliance?from={today}&to={today}")).await;
    assert_eq!(running["whole"]["total"]["due"], 0);
    assert_eq!(running["whole"]["percent"], Value::Null);

    // The rules are data: the county makes party groups meet once a quarter.
    let county = app.api("county_org").await;
    let (status, rule) =
        county.put("/life-rules", json!({"kind": "group_meeting", "cadence": "quarter", "times": 1})).await;
    assert_eq!(status, 200, "{rule}");
    let (_, c) = secretary.get(&format!("/units/{branch}/life-compliance?from={from}&to={to}")).await;
    let k = find(&c["whole"]["kinds"], "group_meeting");
    assert_eq!((k["due"].as_i64(), k["missed"].as_i64()), (Some(1), Some(1)));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'life_rule.set' AND actor_name IS NOT NULL").await,
        1
    );
    let (status, _) =
        secretary.put("/life-rules", json!({"kind": "group_meeting", "cadence": "month", "times": 1})).await;
    assert_eq!(status, 403);
    let (status, e) = county.put("/life-rules", json!({"kind": "group_meeting", "cadence": "week", "times": 0})).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"cadence") && fields.contains(&"times"), "{e}");
}

#[tokio::test]
async fn members_check_in_by_the_code_and_the_recorder_ticks_the_rest() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let secretary = app.api("village_secretary").await;
    let today = today_in_china(Utc::now());
    let (member_id,): (i64,) =
        app.db.one(&frontline_db::Sql::new("SELECT person_id FROM users WHERE username = 'member'")).await.unwrap();
    let (home,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT home_unit_id FROM people WHERE id = $1", vec![member_id.into()]))
        .await
        .unwrap();
    assert_eq!(home, places.qiyuan_branch, "the demo member belongs to 岐元村's branch");

    // Bad input is named field by field; nothing is written.
    let before = app.count("SELECT COUNT(*) FROM life_meetings").await;
    let (status, e) = secretary
        .post(
            &format!("/units/{}/life-meetings", places.qiyuan_branch),
            json!({"kind": "picnic", "held_on": today.succ_opt().unwrap(), "place": " ", "topic": ""}),
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for f in ["kind", "held_on", "place", "topic"] {
        assert!(fields.contains(&f), "{f} in {e}");
    }
    // A village is not a party organisation.
    let (status, e) = secretary
        .post(
            &format!("/units/{}/life-meetings", places.qiyuan),
            json!({"kind": "theme_day", "held_on": today, "place": "村委会", "topic": "主题党日"}),
        )
        .await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (422, Some("unit_id")), "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM life_meetings").await, before);
    // Members do not record meetings, and nobody records one outside their units.
    let member = app.api("member").await;
    let (status, _) = member
        .post(
            &format!("/units/{}/life-meetings", places.qiyuan_branch),
            json!({"kind": "theme_day", "held_on": today, "place": "村委会", "topic": "主题党日"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = secretary
        .post(
            &format!("/units/{}/life-meetings", places.village_elsewhere_branch),
            json!({"kind": "theme_day", "held_on": today, "place": "村委会", "topic": "主题党日"}),
        )
        .await;
    assert_eq!(status, 404, "a unit outside the caller's is as unknown as one that does not exist");

    // A theme day today; the recorder sees its code, the member scans it.
    let (status, created) = secretary
        .post(
            &format!("/units/{}/life-meetings", places.qiyuan_branch),
            json!({"kind": "theme_day", "held_on": today, "place": "村党群服务中心", "topic": "党员志愿服务进卡点"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let meeting = created["id"].as_i64().unwrap();
    let (_, view) = secretary.get(&format!("/life-meetings/{meeting}")).await;
    let code = view["check_in_code"].as_str().unwrap().to_string();
    assert_eq!(view["check_in_open"], true);
    let mine = |view: &Value| {
        view["attendance"].as_array().unwrap().iter().find(|a| a["person_id"] == member_id).cloned().unwrap()
    };
    assert_eq!(mine(&view)["status"], Value::Null, "the member is listed before anything is recorded");

    let (status, e) = member.post("/me/life-check-in", json!({"code": "not-a-code"})).await;
    assert_eq!(status, 422, "{e}");
    let (status, done) = member.post("/me/life-check-in", json!({"code": code})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!((done["meeting_id"].as_i64(), done["already"].as_bool()), (Some(meeting), Some(false)));
    let (_, again) = member.post("/me/life-check-in", json!({"code": code})).await;
    assert_eq!(again["already"], true, "a second scan changes nothing");
    let attended_sql = format!(
        "SELECT COUNT(*) FROM records r WHERE r.kind = 'meeting_attended' AND r.source_id = {meeting} \
         AND r.person_id = {member_id} AND NOT EXISTS (SELECT 1 FROM records c WHERE c.source_kind = 'record' AND c.source_id = r.id)"
    );
    assert_eq!(app.count(&attended_sql).await, 1);
    let (_, view) = secretary.get(&format!("/life-meetings/{meeting}")).await;
    assert_eq!((mine(&view)["status"].as_str(), mine(&view)["taken_by"].as_str()), (Some("present"), Some("scan")));
    assert_eq!(view["present"], 1);
    // The member does not read meetings, and another township does not see this one.
    assert_eq!(member.get(&format!("/life-meetings/{meeting}")).await.0, 403);
    let (status, _) = app.api("inspector").await.get(&format!("/life-meetings/{meeting}")).await;
    assert!(status == 403 || status == 404, "{status}");

    // The recorder corrects it: on leave needs a reason; then the attendance no longer counts.
    let path = format!("/life-meetings/{meeting}/attendance");
    let (status, e) = secretary.post(&path, json!({"person_id": member_id, "status": "leave"})).await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (422, Some("reason")), "{e}");
    let (status, r) =
        secretary.post(&path, json!({"person_id": member_id, "status": "leave", "reason": "卡点值守"})).await;
    assert_eq!((status, r["changed"].as_bool()), (200, Some(true)), "{r}");
    assert_eq!(app.count(&attended_sql).await, 0);
    let (_, view) = secretary.get(&format!("/life-meetings/{meeting}")).await;
    assert_eq!((mine(&view)["status"].as_str(), mine(&view)["reason"].as_str()), (Some("leave"), Some("卡点值守")));
    // Ticked present again, the ledger counts the attendance once more.
    let (_, r) = secretary.post(&path, json!({"person_id": member_id, "status": "present"})).await;
    assert_eq!(r["changed"], true);
    assert_eq!(app.count(&attended_sql).await, 1);
    let (_, r) = secretary.post(&path, json!({"person_id": member_id, "status": "present"})).await;
    assert_eq!(r["changed"], false, "the same tick twice is one change");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'life_meeting' AND object_id = {meeting}"
        ))
        .await,
        4
    );

    // Scanning closes the day after the meeting.
    let (status, old) = secretary
        .post(
            &format!("/units/{}/life-meetings", places.qiyuan_branch),
            json!({"kind": "party_lesson", "held_on": today - chrono::Duration::days(2), "place": "村委会", "topic": "党课"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, view) = secretary.get(&format!("/life-meetings/{}", old["id"])).await;
    assert_eq!(view["check_in_open"], false);
    let (status, e) = member.post("/me/life-check-in", json!({"code": view["check_in_code"].as_str().unwrap()})).await;
    assert_eq!(status, 409, "{e}");
}

#[tokio::test]
async fn the_five_none_creation_stars_each_none_only_where_households_were_checked() {
    use frontline_core::records::RecordKind;
    use frontline_db::records::{self, NewRecord};
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let county = app.api("county_org").await;
    let (id,): (i64,) = app
        .db
        .one(&frontline_db::Sql::new("SELECT id FROM schemes WHERE code = 'five_none' ORDER BY id LIMIT 1"))
        .await
        .unwrap();
    // A week two months back, clear of the demo's records: 岐元村 checked its households and had a
    // drug case; another village of 白石 checked its households and had nothing; the rest nothing.
    let today = today_in_china(Utc::now());
    let (from, to) = (today - chrono::Duration::days(60), today - chrono::Duration::days(54));
    let mut tx = app.db.begin().await.unwrap();
    for village in [places.qiyuan, places.other_village_same_township] {
        for n in 0..3 {
            let at =
                frontline_core::time::start_of_china_day(from + chrono::Duration::days(n)) + chrono::Duration::hours(3);
            records::append(
                &mut tx,
                NewRecord {
                    kind: RecordKind::SurveyFiled,
                    unit_id: village,
                    person_id: None,
                    occurred_at: at,
                    value: 0,
                    source_kind: "test",
                    source_id: 0,
                    note: None,
                },
            )
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
    let (status, r) = county
        .post(
            "/ledger-notes",
            json!({"kind": "drug_case", "unit_id": places.qiyuan, "occurred_on": from + chrono::Duration::days(2), "value": 1, "note": "查获涉毒人员1名"}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let (status, e) = county
        .post(
            "/ledger-notes",
            json!({"kind": "drug_case", "unit_id": places.qiyuan, "occurred_on": from, "value": 0, "note": "零起"}),
        )
        .await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (422, Some("value")), "{e}");

    let (status, r) =
        county.get(&format!("/schemes/{id}/scores?unit={}&from={from}&to={to}&per_page=200", places.baishi)).await;
    assert_eq!(status, 200, "{r}");
    let subject = |unit: i64| r["subjects"].as_array().unwrap().iter().find(|s| s["unit_id"] == unit).cloned().unwrap();
    let clean = subject(places.other_village_same_township);
    assert_eq!(clean["score"]["stars"], 5, "checked and nothing found: a model village");
    assert_eq!(clean["score"]["total"].as_f64(), Some(100.0));
    let drugs = subject(places.qiyuan);
    assert_eq!(drugs["score"]["stars"], 4, "{drugs}");
    assert_eq!(drugs["score"]["domain_stars"], json!([true, true, true, false, true]));
    // A village nobody checked is not a model village: nothing to measure, no stars.
    let unchecked = r["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["unit_id"] != places.qiyuan && s["unit_id"] != places.other_village_same_township)
        .cloned()
        .unwrap();
    assert_eq!(unchecked["score"]["stars"], 0, "{unchecked}");
    assert_eq!(unchecked["score"]["measured"], false, "{unchecked}");
}

#[tokio::test]
async fn only_party_members_answer_for_a_responsibility_area_or_a_vanguard_post() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let secretary = app.api("village_secretary").await;
    let member = app
        .count(&format!(
            "SELECT MIN(id) FROM people WHERE home_unit_id = {} AND party_status = 'member'",
            places.qiyuan_branch
        ))
        .await;
    // A grid the member does not answer for yet (the demo gave members some already).
    let grid = app
        .count(&format!(
            "SELECT MIN(g.id) FROM units g WHERE g.parent_id = {} AND g.kind = 'grid' AND NOT EXISTS \
             (SELECT 1 FROM links l WHERE l.unit_id = g.id AND l.person_id = {member})",
            places.qiyuan
        ))
        .await;
    let (outsider, outsider_home): (i64, i64) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT p.id, p.home_unit_id FROM people p JOIN units u ON u.id = p.home_unit_id \
             WHERE u.parent_id = $1 AND p.party_status = 'none' ORDER BY p.id LIMIT 1",
            vec![places.qiyuan.into()],
        ))
        .await
        .unwrap();
    assert!(outsider_home > 0);
    let today = today_in_china(Utc::now());
    let (status, link) = secretary
        .post(
            "/links",
            json!({"kind": "responsibility_area", "person_id": member, "unit_id": grid, "start_date": today}),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let (status, e) = secretary
        .post("/links", json!({"kind": "vanguard_post", "person_id": outsider, "unit_id": grid, "start_date": today}))
        .await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (422, Some("person_id")), "{e}");
    // A responsibility area is households or a grid, not a whole village.
    let (status, e) = secretary
        .post(
            "/links",
            json!({"kind": "responsibility_area", "person_id": member, "unit_id": places.qiyuan, "start_date": today}),
        )
        .await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (422, Some("unit_id")), "{e}");
    let (_, links) = secretary.get(&format!("/links?unit={grid}")).await;
    let items = links.get("items").unwrap_or(&links);
    assert!(
        items.as_array().unwrap().iter().any(|l| l["kind"] == "responsibility_area" && l["person_id"] == member),
        "{links}"
    );
}

#[tokio::test]
async fn a_temporary_organisation_is_judged_while_it_lasts_and_alliances_gather_units() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let secretary = app.api("village_secretary").await;
    let today = today_in_china(Utc::now());
    let (from, to) = last_quarter(today);
    let month2 = (d(from.year(), from.month() + 1, 1), d(from.year(), from.month() + 2, 1).pred_opt().unwrap());
    // A temporary branch at a checkpoint for the quarter's second month, with one theme day.
    let (status, branch) = secretary
        .post("/units", json!({"parent_id": places.qiyuan, "name": "岐元村卡点临时党支部", "kind": "party_branch"}))
        .await;
    assert_eq!(status, 201, "{branch}");
    let branch = branch["id"].as_i64().unwrap();
    let (status, e) = secretary
        .post(
            &format!("/units/{branch}/temporary-orgs"),
            json!({"purpose": "卡点值守", "starts_on": month2.1, "ends_on": month2.0}),
        )
        .await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (422, Some("ends_on")), "{e}");
    let (status, r) = secretary
        .post(
            &format!("/units/{branch}/temporary-orgs"),
            json!({"purpose": "卡点值守", "starts_on": month2.0, "ends_on": month2.1}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let (status, r) = secretary
        .post(
            &format!("/units/{branch}/life-meetings"),
            json!({"kind": "theme_day", "held_on": month2.0 + chrono::Duration::days(4), "place": "卡点", "topic": "卡点主题党日"}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let (_, c) = secretary.get(&format!("/units/{branch}/life-compliance?from={from}&to={to}")).await;
    // Only its one month is judged: a theme day, a committee and a group meeting were due then;
    // the quarter's members' meeting and lesson were not (the branch did not last the quarter).
    let whole = &c["whole"];
    assert_eq!(find(&whole["kinds"], "theme_day")["met"], 1, "{c}");
    assert_eq!(find(&whole["kinds"], "theme_day")["due"], 1);
    assert_eq!(find(&whole["kinds"], "committee_meeting")["due"], 1);
    assert_eq!(find(&whole["kinds"], "members_meeting")["due"], 0);
    assert_eq!((whole["total"]["met"].as_i64(), whole["total"]["due"].as_i64()), (Some(1), Some(3)));
    let (_, list) = secretary.get(&format!("/units/{}/temporary-orgs", places.qiyuan)).await;
    assert_eq!(list[0]["unit_id"], branch, "{list}");

    // A 红色抗疫联盟 of the village's organisations; a unit outside the caller's is refused.
    let (status, r) = secretary
        .post(
            &format!("/units/{}/alliances", places.qiyuan),
            json!({"name": "岐元村红色抗疫联盟", "purpose": "联防联控", "members": [places.qiyuan_branch]}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let alliance = r["id"].as_i64().unwrap();
    let (status, r) = secretary
        .post(&format!("/alliances/{alliance}/members"), json!({"members": [branch, places.qiyuan_branch]}))
        .await;
    assert_eq!((status, r["added"].as_i64()), (200, Some(1)), "{r}");
    let (status, _) = secretary
        .post(&format!("/alliances/{alliance}/members"), json!({"members": [places.village_elsewhere_branch]}))
        .await;
    assert!(status == 404 || status == 422, "{status}");
    let (_, list) = secretary.get(&format!("/units/{}/alliances", places.qiyuan)).await;
    assert_eq!(list[0]["members"].as_array().unwrap().len(), 2, "{list}");
    let (status, _) =
        app.api("member").await.post(&format!("/alliances/{alliance}/members"), json!({"members": [branch]})).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_meeting_keeps_its_photos_for_those_within_reach() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let secretary = app.api("village_secretary").await;
    let meeting =
        app.count(&format!("SELECT MIN(id) FROM life_meetings WHERE unit_id = {}", places.qiyuan_branch)).await;
    assert!(meeting > 0, "the demo's branch has meetings");
    // Not a photo: refused, nothing kept.
    let before = app.count("SELECT COUNT(*) FROM attachments").await;
    let (s, e) =
        secretary.post_raw(&format!("/life-meetings/{meeting}/photos"), "image/png", b"minutes".to_vec()).await;
    assert_eq!((s, e["fields"][0]["code"].as_str()), (422, Some("error.task.photo_type")), "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, before);
    // A photo: kept without its EXIF, on the meeting, audited.
    let (s, body) =
        secretary.post_raw(&format!("/life-meetings/{meeting}/photos"), "image/png", crate::helpers::tiny_png()).await;
    assert_eq!(s, 201, "{body}");
    let photo = body["id"].as_i64().unwrap();
    let (_, m) = secretary.get(&format!("/life-meetings/{meeting}")).await;
    assert_eq!(m["photos"], json!([photo]), "{m}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'life.photo' AND object_id = {meeting} AND after_state LIKE '%{photo}%'"
        ))
        .await,
        1
    );
    // Within reach (the branch's township) it is shown; from another township it does not exist.
    let township = app.ui("township_secretary").await;
    let (s, bytes) = township.get_bytes(&format!("/work/attachments/{photo}")).await;
    assert_eq!(s, 200);
    assert!(!bytes.windows(4).any(|w| w == b"eXIf"), "EXIF stripped");
    let elsewhere = crate::offline::outsider(&app).await;
    let (s, _) = app.ui(&elsewhere).await.get_bytes(&format!("/work/attachments/{photo}")).await;
    assert_eq!(s, 404);
    let outsider_api = app.api(&elsewhere).await;
    let (s, _) = outsider_api
        .post_raw(&format!("/life-meetings/{meeting}/photos"), "image/png", crate::helpers::tiny_png())
        .await;
    assert_eq!(s, 404, "a meeting out of reach does not exist");
    // On the meeting's page: the photo, and the form to add one.
    let ui = app.ui("village_secretary").await;
    let (_, page) = ui.get(&format!("/life/meetings/{meeting}")).await;
    assert!(page.contains(&format!("/work/attachments/{photo}")) && page.contains("id=\"life-photo-form\""));
}
