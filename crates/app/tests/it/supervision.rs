//! Supervision end to end: the random draw stratified by township, sealed from all but the team
//! and re-checked from its stored input (and caught when tampered with); a visit with findings
//! that name the post holder of the day; rectification handed in, returned, accepted; overdue
//! escalation; notices and accountability only on cadres and party members, with reviews and
//! tolerance requests; the trace-back to the holder of the moment; the counts; the burden view
//! with its repeated asks; bad input refused with nothing changed.

use frontline_db::Sql;
use serde_json::{Value, json};

use crate::helpers::{Api, Places, TestApp};

async fn person_of(app: &TestApp, username: &str) -> i64 {
    let (id,): (i64,) =
        app.db.one(&Sql::with("SELECT person_id FROM users WHERE username = $1", vec![username.into()])).await.unwrap();
    id
}

fn today() -> chrono::NaiveDate {
    frontline_core::time::today_in_china(chrono::Utc::now())
}

/// A team of the `inspector` login and a round over `unit` drawing `per_township` villages per
/// township, organised by `county_org`: drawn at random over the county, targeted (定点督查)
/// over anything smaller. Returns the round's id.
pub(crate) async fn round_over(app: &TestApp, unit: i64, per_township: i64) -> i64 {
    let org = app.api("county_org").await;
    let county = app.unit_id("330382").await;
    let inspector = person_of(app, "inspector").await;
    let (s, team) = org
        .post(
            "/inspection-teams",
            json!({"unit_id": county, "name": "测试督导组", "leader_id": inspector, "member_ids": []}),
        )
        .await;
    assert_eq!(s, 201, "{team}");
    let (s, round) = org
        .post(
            "/inspection-rounds",
            json!({"unit_id": unit, "title": "测试督查", "starts_on": today(), "ends_on": today() + chrono::Duration::days(3),
                   "per_township": per_township, "team_ids": [team["id"]], "targeted": unit != county}),
        )
        .await;
    assert_eq!(s, 201, "{round}");
    round["id"].as_i64().unwrap()
}

/// The target of a round in a given village, as its team sees it.
pub(crate) async fn target_in(api: &Api, round: i64, village: i64) -> i64 {
    let (s, d) = api.get(&format!("/inspection-rounds/{round}")).await;
    assert_eq!(s, 200, "{d}");
    d["targets"].as_array().unwrap().iter().find(|t| t["unit_id"] == village).expect("drawn")["id"].as_i64().unwrap()
}

async fn visit_with_finding(app: &TestApp, target: i64, description: &str) -> (i64, i64) {
    let inspector = app.api("inspector").await;
    let (s, h) = inspector.get(&format!("/inspection-targets/{target}/holders")).await;
    assert_eq!(s, 200, "{h}");
    let ids: std::collections::HashSet<i64> =
        h["holders"].as_array().unwrap().iter().map(|x| x["person_id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), h["holders"].as_array().unwrap().len(), "each cadre once, whatever posts they hold: {h}");
    let on_post: Vec<Value> = h["holders"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, x)| json!({"person_id": x["person_id"], "present": i != 0}))
        .collect();
    let (s, v) = inspector
        .post(
            "/inspection-visits",
            json!({"target_id": target, "on_post": on_post, "task_progress": "清单任务按期推进", "grid_management": "网格台账清楚",
                   "findings": [{"category": "on_post", "severity": "major", "description": description,
                                 "deadline": today() + chrono::Duration::days(7)}]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let visit = v["id"].as_i64().unwrap();
    let (f,): (i64,) =
        app.db.one(&Sql::with("SELECT id FROM findings WHERE visit_id = $1", vec![visit.into()])).await.unwrap();
    (visit, f)
}

#[tokio::test]
async fn the_draw_is_stratified_sealed_until_visited_and_rechecked_from_its_input() {
    let app = TestApp::new().await;
    let county = app.unit_id("330382").await;
    let round = round_over(&app, county, 2).await;
    let org = app.api("county_org").await;
    let (s, d) = org.get(&format!("/inspection-rounds/{round}")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["sees_all"], true, "the organiser sees every target");
    let targets = d["targets"].as_array().unwrap().clone();
    // Two villages in every township with six candidates or more; one for every three below that;
    // none where fewer than three wait (a pool of one or two is not a draw).
    let per_town: Vec<(i64, i64)> = app
        .db
        .all(&Sql::with(
            "SELECT t.id, COUNT(*) FROM units v JOIN units t ON t.id = v.parent_id WHERE v.kind = 'village' AND NOT v.closed \
             AND t.kind = 'township' AND t.path LIKE (SELECT path FROM units WHERE id = $1) || '%' GROUP BY t.id",
            vec![county.into()],
        ))
        .await
        .unwrap();
    let expected: i64 = per_town.iter().map(|(_, n)| (*n / 3).min(2)).sum();
    assert_eq!(targets.len() as i64, expected);
    let distinct: std::collections::HashSet<i64> = targets.iter().map(|t| t["unit_id"].as_i64().unwrap()).collect();
    assert_eq!(distinct.len(), targets.len(), "no village twice");
    // The team sees its own targets; nobody else sees any before the visit — not the township,
    // not the village, not even an administrator who reaches everything.
    let (_, mine) = app.api("inspector").await.get("/inspection-targets/mine").await;
    assert!(mine.as_array().unwrap().iter().filter(|t| t["round_id"] == round).count() == targets.len());
    let (s, admin_view) = app.api("admin").await.get(&format!("/inspection-rounds/{round}")).await;
    assert_eq!(s, 200, "{admin_view}");
    assert_eq!(admin_view["targets"].as_array().unwrap().len(), 0, "sealed: {admin_view}");
    for who in ["township_secretary", "village_secretary", "grid_worker"] {
        let (s, body) = app.api(who).await.get(&format!("/inspection-rounds/{round}")).await;
        assert!(s == 404 || s == 403, "{who}: {s} {body}");
    }
    for who in ["admin", "inspector"] {
        let (s, body) = app.api(who).await.get(&format!("/inspection-rounds/{round}/draw")).await;
        assert_eq!(s, 409, "{who}: the draw's seed is sealed too (it gives every team's list): {body}");
    }
    let audit: Vec<(String,)> = app
        .db
        .all(&Sql::with(
            "SELECT after_state FROM audit_log WHERE object_kind = 'inspection_round' AND object_id = $1",
            vec![round.into()],
        ))
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(audit[0].0.contains("\"targets\""), "{}", audit[0].0);
    for t in &targets {
        let name = t["unit_name"].as_str().unwrap();
        assert!(!audit[0].0.contains(name), "the audit trail does not give the targets away: {}", audit[0].0);
    }

    // Anyone allowed can run the draw again from the stored seed and candidates and get the same list.
    let (s, check) = org.get(&format!("/inspection-rounds/{round}/draw")).await;
    assert_eq!(s, 200, "{check}");
    assert_eq!(check["matches"], true, "{check}");
    assert_eq!(check["random"], true, "a county-wide draw under the pool rule: {check}");
    assert_eq!(check["stored"], check["redrawn"]);
    let villages = app
        .count(&format!(
            "SELECT COUNT(*) FROM units WHERE kind = 'village' AND NOT closed AND path LIKE (SELECT path FROM units WHERE id = {county}) || '%'"
        ))
        .await;
    assert_eq!(check["input"]["candidates"].as_array().unwrap().len() as i64, villages);
    // The same input outside the server gives the same list (the draw is a pure function).
    let input: frontline_core::inspections::DrawInput = serde_json::from_value(check["input"].clone()).unwrap();
    let again: Vec<i64> = frontline_core::inspections::draw(&input).unwrap().iter().map(|d| d.unit_id).collect();
    assert_eq!(json!(again), check["stored"]);
    // A target swapped after the draw is caught.
    let first = targets[0]["id"].as_i64().unwrap();
    let outsider = app
        .count(&format!(
            "SELECT MIN(id) FROM units WHERE kind = 'village' AND id NOT IN (SELECT unit_id FROM inspection_targets WHERE round_id = {round})"
        ))
        .await;
    app.db
        .execute_outside_transaction(&Sql::with(
            "UPDATE inspection_targets SET unit_id = $1 WHERE id = $2",
            vec![outsider.into(), first.into()],
        ))
        .await
        .unwrap();
    let (_, check) = org.get(&format!("/inspection-rounds/{round}/draw")).await;
    assert_eq!(check["matches"], false, "a tampered list does not pass: {check}");

    // Once a target is visited it is no longer secret.
    let second = &targets[1];
    let (s, v) = app
        .api("inspector")
        .await
        .post(
            "/inspection-visits",
            json!({"target_id": second["id"], "task_progress": "正常", "grid_management": "正常"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (_, admin_view) = app.api("admin").await.get(&format!("/inspection-rounds/{round}")).await;
    let seen: Vec<&Value> = admin_view["targets"].as_array().unwrap().iter().collect();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["id"], second["id"]);
}

#[tokio::test]
async fn a_visit_names_the_holder_and_the_finding_runs_through_rectification() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let round = round_over(&app, p.qiyuan, 1).await;
    let inspector = app.api("inspector").await;
    let target = target_in(&inspector, round, p.qiyuan).await;

    // Bad input: every field named, and nothing written — the target stays unvisited.
    let before = (
        app.count("SELECT COUNT(*) FROM inspection_visits").await,
        app.count("SELECT COUNT(*) FROM findings").await,
        app.count("SELECT COUNT(*) FROM records").await,
    );
    let (s, body) = inspector
        .post(
            "/inspection-visits",
            json!({"target_id": target, "task_progress": "", "grid_management": "正常",
                   "findings": [{"category": "gossip", "severity": "dire", "description": "", "deadline": "2020-01-01"}]}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for f in ["task_progress", "category", "severity", "description", "deadline"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert!(
        body["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "in Chinese: {body}"
    );
    let (s, body) = inspector
        .post(
            "/inspection-visits",
            json!({"target_id": target, "task_progress": "正常", "grid_management": "正常",
                   "on_post": [{"person_id": person_of(&app, "county_org").await, "present": true}]}),
        )
        .await;
    assert_eq!(s, 422, "someone who holds no post there: {body}");
    let after = (
        app.count("SELECT COUNT(*) FROM inspection_visits").await,
        app.count("SELECT COUNT(*) FROM findings").await,
        app.count("SELECT COUNT(*) FROM records").await,
    );
    assert_eq!(before, after);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM inspection_targets WHERE id = {target} AND visited_at IS NULL")).await,
        1
    );

    let (visit, finding) = visit_with_finding(&app, target, "便民服务中心上午无人值守").await;
    let (s, again) = inspector
        .post("/inspection-visits", json!({"target_id": target, "task_progress": "x", "grid_management": "x"}))
        .await;
    assert_eq!(s, 409, "a target is visited once: {again}");
    let (expected, found): (i64, i64) = app
        .db
        .one(&Sql::with(
            "SELECT on_post_expected, on_post_found FROM inspection_visits WHERE id = $1",
            vec![visit.into()],
        ))
        .await
        .unwrap();
    assert!(expected >= 1 && found == expected - 1, "{found} of {expected} found on post");
    // The finding names the village secretary on the day, and reaches them.
    let secretary = person_of(&app, "village_secretary").await;
    let secretary_api = app.api("village_secretary").await;
    let (s, d) = secretary_api.get(&format!("/findings/{finding}")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["finding"]["person_id"], secretary);
    assert_eq!(d["finding"]["status"], "open");
    let raised = app
        .count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'finding_raised' AND source_id = {finding} AND person_id = {secretary} AND value = 2"
        ))
        .await;
    assert_eq!(raised, 1);
    assert!(
        app.count(&format!(
            "SELECT COUNT(*) FROM notifications WHERE person_id = {secretary} AND kind = 'finding_raised'"
        ))
        .await
            >= 1
    );

    // The team cannot accept what was not handed in; the village hands in, the team returns it
    // with a reason, the village hands in again, the team accepts: fixed, on time.
    let (s, body) = inspector.post(&format!("/findings/{finding}/decision"), json!({"accept": true})).await;
    assert_eq!(s, 409, "{body}");
    let (s, body) =
        secretary_api.post(&format!("/findings/{finding}/rectifications"), json!({"text": "", "evidence": ""})).await;
    assert_eq!(s, 422, "{body}");
    let (s, d) = secretary_api
        .post(
            &format!("/findings/{finding}/rectifications"),
            json!({"text": "已排定值班表并公示", "evidence": "值班表照片"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["finding"]["status"], "submitted");
    let (s, body) = inspector.post(&format!("/findings/{finding}/decision"), json!({"accept": false})).await;
    assert_eq!(s, 422, "a return says why: {body}");
    let (s, d) = inspector
        .post(&format!("/findings/{finding}/decision"), json!({"accept": false, "note": "缺少现场照片"}))
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["finding"]["status"], "returned");
    let (s, _) = secretary_api
        .post(&format!("/findings/{finding}/rectifications"), json!({"text": "补充现场照片", "evidence": "照片3张"}))
        .await;
    assert_eq!(s, 200);
    let (s, d) = inspector.post(&format!("/findings/{finding}/decision"), json!({"accept": true})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["finding"]["status"], "fixed");
    assert_eq!(d["rectifications"].as_array().unwrap().len(), 2);
    assert_eq!(d["rectifications"][0]["decision"], "returned");
    assert_eq!(d["rectifications"][1]["decision"], "accepted");
    let fixed = app
        .count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'finding_fixed' AND source_id = {finding} AND value = 1"
        ))
        .await;
    assert_eq!(fixed, 1);
    let audited = app
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE object_kind = 'finding' AND object_id = {finding}"))
        .await;
    assert_eq!(audited, 4, "two hand-ins and two decisions");
    let (s, body) = secretary_api
        .post(&format!("/findings/{finding}/rectifications"), json!({"text": "再交", "evidence": "x"}))
        .await;
    assert_eq!(s, 409, "a fixed finding is closed: {body}");

    // The counts for the township and the village.
    let (s, c) = app.api("township_secretary").await.get(&format!("/units/{}/supervision-counts", p.baishi)).await;
    assert_eq!(s, 200, "{c}");
    let village = c.as_array().unwrap().iter().find(|r| r["unit_id"] == p.qiyuan).unwrap();
    assert!(village["visits"].as_i64().unwrap() >= 1 && village["rounds"].as_i64().unwrap() >= 1, "{village}");
    assert!(village["fixed"].as_i64().unwrap() >= 1, "{village}");
    assert!(c[0]["findings"].as_i64().unwrap() >= village["findings"].as_i64().unwrap());
}

#[tokio::test]
async fn findings_past_their_deadline_are_escalated_once() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let round = round_over(&app, p.qiyuan, 1).await;
    let target = target_in(&app.api("inspector").await, round, p.qiyuan).await;
    let (_, finding) = visit_with_finding(&app, target, "网格台账与实际户数不符").await;
    // Time passes: the deadline is behind us and nothing was handed in.
    app.db
        .execute_outside_transaction(&Sql::with(
            "UPDATE findings SET deadline = $1 WHERE id = $2",
            vec![(today() - chrono::Duration::days(1)).into(), finding.into()],
        ))
        .await
        .unwrap();
    let secretary = person_of(&app, "village_secretary").await;
    let township = person_of(&app, "township_secretary").await;
    let told = |person: i64| {
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT COUNT(*) FROM notifications WHERE person_id = {person} AND kind = 'finding_overdue'"
            ))
            .await
        }
    };
    let (before_v, before_t) = (told(secretary).await, told(township).await);
    let first = frontline_db::jobs::run(&app.db, chrono::Utc::now()).await.unwrap();
    assert!(first.findings_escalated >= 1);
    assert_eq!(told(secretary).await, before_v + 1, "the holder is told");
    assert_eq!(told(township).await, before_t + 1, "and the township's secretary");
    let again = frontline_db::jobs::run(&app.db, chrono::Utc::now()).await.unwrap();
    assert_eq!(again.findings_escalated, 0, "once");
    let (_, list) = app.api("village_secretary").await.get("/findings?overdue=true").await;
    assert!(list["items"].as_array().unwrap().iter().any(|f| f["id"] == finding && f["escalated"] == true), "{list}");

    // Another finding handed in on time, then left waiting for the team past its deadline: not
    // overdue on any page or count, not escalated; accepted later, it counts as fixed on time.
    // Each finding on a place of a fresh round (a place is visited once per round).
    let fresh = || {
        let app = &app;
        async move {
            let round = round_over(app, p.qiyuan, 1).await;
            target_in(&app.api("inspector").await, round, p.qiyuan).await
        }
    };
    let (_, waiting) = visit_with_finding(&app, fresh().await, "卡点值班表未公示").await;
    let secretary_api = app.api("village_secretary").await;
    let (s, d) = secretary_api
        .post(&format!("/findings/{waiting}/rectifications"), json!({"text": "已公示", "evidence": "照片"}))
        .await;
    assert_eq!(s, 200, "{d}");
    app.db
        .execute_outside_transaction(&Sql::with(
            "UPDATE findings SET deadline = $1, handed_in_on = $2 WHERE id = $3",
            vec![
                (today() - chrono::Duration::days(2)).into(),
                (today() - chrono::Duration::days(3)).into(),
                waiting.into(),
            ],
        ))
        .await
        .unwrap();
    let escalated = frontline_db::jobs::run(&app.db, chrono::Utc::now()).await.unwrap();
    assert_eq!(escalated.findings_escalated, 0, "handed in on time: nothing to escalate");
    let (_, list) = secretary_api.get("/findings?overdue=true&per_page=200").await;
    assert!(!list["items"].as_array().unwrap().iter().any(|f| f["id"] == waiting), "{list}");
    let (_, c) = app.api("township_secretary").await.get(&format!("/units/{}/supervision-counts", p.qiyuan)).await;
    let overdue_before = c[0]["overdue"].as_i64().unwrap();
    let (s, d) =
        app.api("inspector").await.post(&format!("/findings/{waiting}/decision"), json!({"accept": true})).await;
    assert_eq!(s, 200, "{d}");
    let on_time = app
        .count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'finding_fixed' AND source_id = {waiting} AND value = 1"
        ))
        .await;
    assert_eq!(on_time, 1, "fixed on time: handed in by the deadline");
    let (_, c) = app.api("township_secretary").await.get(&format!("/units/{}/supervision-counts", p.qiyuan)).await;
    assert_eq!(c[0]["overdue"].as_i64().unwrap(), overdue_before);
    // Handed in late and left undecided: overdue, and escalated.
    let (_, late) = visit_with_finding(&app, fresh().await, "巡查记录缺失").await;
    secretary_api.post(&format!("/findings/{late}/rectifications"), json!({"text": "已补", "evidence": "记录"})).await;
    app.db
        .execute_outside_transaction(&Sql::with(
            "UPDATE findings SET deadline = $1 WHERE id = $2",
            vec![(today() - chrono::Duration::days(1)).into(), late.into()],
        ))
        .await
        .unwrap();
    let escalated = frontline_db::jobs::run(&app.db, chrono::Utc::now()).await.unwrap();
    assert_eq!(escalated.findings_escalated, 1, "handed in after the deadline and not decided");
    let (_, list) = secretary_api.get("/findings?overdue=true&per_page=200").await;
    assert!(list["items"].as_array().unwrap().iter().any(|f| f["id"] == late), "{list}");
}

#[tokio::test]
async fn notices_and_accountability_name_only_cadres_and_members_and_follow_reviews() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let round = round_over(&app, p.qiyuan, 1).await;
    let target = target_in(&app.api("inspector").await, round, p.qiyuan).await;
    let (_, finding) = visit_with_finding(&app, target, "出租房消防通道堵塞").await;
    let org = app.api("county_org").await;
    let secretary = person_of(&app, "village_secretary").await;
    // A resident of the village, on the books for a checkpoint.
    let (s, r) = org
        .post(
            "/people",
            json!({"home_unit_id": p.qiyuan, "name": "林阿婆", "category": "resident", "party_status": "none", "rank": "none"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let resident = r["id"].as_i64().unwrap();
    let counted = || async {
        (
            app.count("SELECT COUNT(*) FROM notices").await,
            app.count("SELECT COUNT(*) FROM accountability_actions").await,
            app.count("SELECT COUNT(*) FROM records").await,
        )
    };
    let before = counted().await;
    let (s, body) = org
        .post(
            "/notices",
            json!({"unit_id": p.qiyuan, "kind": "criticism", "title": "通报", "body": "消防通道堵塞", "finding_id": finding,
                   "person_ids": [resident]}),
        )
        .await;
    assert_eq!(s, 422, "a resident is never named: {body}");
    assert_eq!(body["fields"][0]["code"], "error.account.not_a_subject");
    let (s, body) = org
        .post(
            "/accountability-actions",
            json!({"person_id": resident, "kind": "interview", "reason": "x", "decision": "x", "decided_on": today()}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = org
        .post(
            "/accountability-actions",
            json!({"person_id": secretary, "kind": "flogging", "reason": "", "decision": "", "decided_on": today() + chrono::Duration::days(3),
                   "source_kind": "finding"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for f in ["kind", "reason", "decision", "decided_on", "source_id"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert_eq!(counted().await, before, "nothing written");

    let (s, n) = org
        .post(
            "/notices",
            json!({"unit_id": p.qiyuan, "kind": "criticism", "title": "关于岐元村消防隐患的通报", "body": "限期整改",
                   "finding_id": finding, "person_ids": [secretary]}),
        )
        .await;
    assert_eq!(s, 201, "{n}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'criticised' AND person_id = {secretary} AND source_id = {}",
            n["id"]
        ))
        .await,
        1
    );
    // In effect at once: a record. Through a review: only once the review approves it.
    let (s, a) = org
        .post(
            "/accountability-actions",
            json!({"person_id": secretary, "kind": "interview", "reason": "消防隐患整改不力", "decision": "乐组问〔2026〕1号",
                   "decided_on": today(), "source_kind": "finding", "source_id": finding}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let direct = a["id"].as_i64().unwrap();
    let held = |id: i64| {
        let app = &app;
        async move {
            app.count(&format!("SELECT COUNT(*) FROM records WHERE kind = 'held_accountable' AND source_id = {id}"))
                .await
        }
    };
    assert_eq!(held(direct).await, 1);
    let (s, a) = org
        .post(
            "/accountability-actions",
            json!({"person_id": secretary, "kind": "candidacy", "reason": "年度考核排名末位", "decided_on": today(), "review": true}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let reviewed = a["id"].as_i64().unwrap();
    assert_eq!(held(reviewed).await, 0, "proposed, not in effect");
    let (_, d) = org.get(&format!("/accountability-actions/{reviewed}")).await;
    assert_eq!(d["action"]["status"], "proposed");
    let review = d["reviews"][0]["id"].as_i64().unwrap();
    let (s, body) = org
        .post(&format!("/accountability-actions/{reviewed}/reviews"), json!({"kind": "review", "request": "再审"}))
        .await;
    assert_eq!(s, 409, "one pending item at a time: {body}");
    let (s, d) = org
        .post(&format!("/accountability-reviews/{review}/decision"), json!({"approve": true, "decision": "会审同意"}))
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["action"]["status"], "effective");
    assert_eq!(held(reviewed).await, 1);
    let (s, _) = org
        .post(&format!("/accountability-reviews/{review}/decision"), json!({"approve": false, "decision": "x"}))
        .await;
    assert_eq!(s, 409, "decided once");
    // 容错纠错: granted, the action is exempted and the ledger says so.
    let (s, t) = org
        .post(
            &format!("/accountability-actions/{direct}/reviews"),
            json!({"kind": "tolerance", "request": "台风抢险所致"}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let (s, d) = org
        .post(
            &format!("/accountability-reviews/{}/decision", t["id"]),
            json!({"approve": true, "decision": "符合容错情形"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["action"]["status"], "exempted");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'accountability_lifted' AND source_id = {direct}"
        ))
        .await,
        1
    );
    let (s, _) = org
        .post(&format!("/accountability-actions/{direct}/reviews"), json!({"kind": "tolerance", "request": "再申请"}))
        .await;
    assert_eq!(s, 409, "an exempted action is closed");
    // The counts by kind (003.14) include the action in effect, not the exempted one.
    let (s, c) = org.get(&format!("/units/{}/accountability-counts?from={}&to={}", p.baishi, today(), today())).await;
    assert_eq!(s, 200, "{c}");
    let kinds: std::collections::HashMap<String, i64> = c[0]["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k[0].as_str().unwrap().to_string(), k[1].as_i64().unwrap()))
        .collect();
    assert!(kinds["candidacy"] >= 1 && c[0]["people"].as_i64().unwrap() >= 1, "{c}");
    let (_, list) = org.get(&format!("/accountability-actions?unit={}&status=exempted", p.qiyuan)).await;
    assert!(list["items"].as_array().unwrap().iter().any(|a| a["id"] == direct));
    // A village secretary may not take actions.
    let (s, _) = app
        .api("village_secretary")
        .await
        .post(
            "/accountability-actions",
            json!({"person_id": secretary, "kind": "interview", "reason": "x", "decision": "x", "decided_on": today()}),
        )
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn a_missed_item_traces_back_to_who_held_the_post_at_that_moment() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let org = app.api("county_org").await;
    // A record of the ledger from an earlier day in the village (the demo's week of work).
    let (record, day): (i64, chrono::DateTime<chrono::Utc>) = app
        .db
        .one(&Sql::with(
            "SELECT r.id, r.occurred_at FROM records r WHERE r.unit_id = $1 AND r.occurred_at < $2 ORDER BY r.occurred_at LIMIT 1",
            vec![p.qiyuan.into(), frontline_core::time::start_of_china_day(today()).into()],
        ))
        .await
        .unwrap_or_else(|_| panic!("the demo has an earlier record in the village"));
    let secretary = person_of(&app, "village_secretary").await;
    let (s, t) = org.get(&format!("/trace?source_kind=record&source_id={record}")).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["holder_id"], secretary, "{t}");
    assert_eq!(t["day"], json!(frontline_core::time::today_in_china(day)));
    assert!(!t["chain"].as_array().unwrap().is_empty());
    // The post changes hands today; the old record still traces to who held it then.
    let (post,): (i64,) = app
        .db
        .one(&Sql::with(
            "SELECT p.id FROM posts p JOIN tenures t ON t.post_id = p.id WHERE p.unit_id = $1 AND p.kind = 'secretary' AND t.end_date IS NULL",
            vec![p.qiyuan_branch.into()],
        ))
        .await
        .unwrap();
    let successor = app
        .count(&format!(
            "SELECT MIN(p.id) FROM people p WHERE p.home_unit_id = {} AND p.category IN ('member', 'village_cadre') AND p.id <> {secretary}",
            p.qiyuan_branch
        ))
        .await;
    let yesterday = today() - chrono::Duration::days(1);
    let (s, body) = org.post(&format!("/posts/{post}/vacate"), json!({"end_date": yesterday, "reason": "调任"})).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) =
        org.post(&format!("/posts/{post}/assign"), json!({"person_id": successor, "start_date": today()})).await;
    assert_eq!(s, 200, "{body}");
    let (_, t) = org.get(&format!("/trace?source_kind=record&source_id={record}")).await;
    assert_eq!(t["holder_id"], secretary, "the holder at that moment, not today's: {t}");
    // Something missed today traces to the successor.
    let round = round_over(&app, p.qiyuan, 1).await;
    let target = target_in(&app.api("inspector").await, round, p.qiyuan).await;
    let (_, finding) = visit_with_finding(&app, target, "村务公开栏未更新").await;
    let (_, t) = org.get(&format!("/trace?source_kind=finding&source_id={finding}")).await;
    assert_eq!(t["holder_id"], successor, "{t}");
    // Bad input and foreign items.
    let (s, _) = org.get("/trace?source_kind=gossip&source_id=1").await;
    assert_eq!(s, 422);
    let (s, _) =
        app.api("township_secretary").await.get(&format!("/trace?source_kind=record&source_id={record}")).await;
    assert_eq!(s, 200, "the township reaches its village");
    let elsewhere: Option<(i64,)> = app
        .db
        .opt(&Sql::with(
            "SELECT id FROM records WHERE unit_id = $1 ORDER BY id LIMIT 1",
            vec![p.village_elsewhere.into()],
        ))
        .await
        .unwrap();
    if let Some((r,)) = elsewhere {
        let (s, _) = app.api("township_secretary").await.get(&format!("/trace?source_kind=record&source_id={r}")).await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn the_burden_view_counts_what_reached_each_village_and_finds_what_was_asked_twice() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let secretary = app.api("village_secretary").await;
    // A task list that reached the village this period, and one of its items.
    let (day, item): (chrono::NaiveDate, String) = app
        .db
        .one(&Sql::with(
            "SELECT ti.period_start, i.text FROM task_instances ti JOIN units u ON u.id = ti.unit_id \
             JOIN task_items i ON i.list_id = ti.list_id \
             WHERE u.path LIKE (SELECT path FROM units WHERE id = $1) || '%' ORDER BY ti.period_start DESC, i.seq LIMIT 1",
            vec![p.qiyuan.into()],
        ))
        .await
        .unwrap();
    let (s, before) = secretary.get(&format!("/units/{}/burden?to={day}", p.qiyuan)).await;
    assert_eq!(s, 200, "{before}");
    let row = &before["villages"][0];
    assert_eq!(row["unit_id"], p.qiyuan);
    assert!(row["month"]["task_lists"].as_i64().unwrap() >= 1, "{row}");
    // A form asking the same thing again (with other punctuation), filled for a household.
    let (s, form) = secretary
        .post(
            &format!("/units/{}/survey-forms", p.qiyuan),
            json!({"title": "镇级专项排查表", "fields": [{"key": "q1", "label": format!("{item}？"), "type": "text"}]}),
        )
        .await;
    assert_eq!(s, 201, "{form}");
    let household = app
        .count(&format!(
            "SELECT MIN(h.id) FROM units h WHERE h.kind = 'household' AND h.path LIKE (SELECT path FROM units WHERE id = {}) || '%'",
            p.qiyuan
        ))
        .await;
    let (s, filed) = secretary
        .post(
            &format!("/households/{household}/responses"),
            json!({"form_id": form["id"], "filled_on": day, "answers": {"q1": "已完成"}}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    let (_, after) = secretary.get(&format!("/units/{}/burden?to={day}", p.qiyuan)).await;
    let row = &after["villages"][0];
    assert_eq!(row["month"]["forms"].as_i64().unwrap(), before["villages"][0]["month"]["forms"].as_i64().unwrap() + 1);
    let repeat = row["repeats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sources"].as_array().unwrap().iter().any(|s| s[0] == "form"));
    let repeat = repeat.unwrap_or_else(|| panic!("the form repeats a task item: {row}"));
    assert!(repeat["sources"].as_array().unwrap().iter().any(|s| s[0] == "task_list"), "{repeat}");
    // A township sees all its villages; a village secretary cannot look at another village.
    let (s, t) = app.api("township_secretary").await.get(&format!("/units/{}/burden", p.baishi)).await;
    assert_eq!(s, 200, "{t}");
    let villages = app
        .count(&format!(
            "SELECT COUNT(*) FROM units WHERE parent_id = {} AND kind = 'village' AND NOT closed",
            p.baishi
        ))
        .await;
    assert_eq!(t["villages"].as_array().unwrap().len() as i64, villages);
    let (s, _) = secretary.get(&format!("/units/{}/burden", p.other_village_same_township)).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn the_supervision_pages_render_and_their_forms_work() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county = app.unit_id("330382").await;
    let org = app.ui("county_org").await;
    let ok = |r: (u16, String, reqwest::header::HeaderMap)| {
        assert_eq!(r.0, 200, "{}", r.1);
        r
    };
    let (s, page) = org.get(&format!("/inspections?unit={county}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("督导检查") && page.contains("第一督导组"), "the demo's teams are listed");
    let inspector = person_of(&app, "inspector").await.to_string();
    ok(org
        .post(
            "/inspections/teams",
            &[("unit_id", &county.to_string()), ("name", "界面督导组"), ("leader_id", &inspector)],
        )
        .await);
    let team = app.count("SELECT MAX(id) FROM inspection_teams").await.to_string();
    let day = today().to_string();
    let (_, _, headers) = ok(org
        .post(
            "/inspections/rounds",
            &[
                ("unit_id", &p.qiyuan.to_string()),
                ("title", "界面督查"),
                ("starts_on", &day),
                ("ends_on", &day),
                ("per_township", "1"),
                ("targeted", "true"),
                ("team_ids", &team),
            ],
        )
        .await);
    let to = headers["hx-redirect"].to_str().unwrap().to_string();
    let round: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    let (_, page) = org.get(&to).await;
    assert!(page.contains("复核抽签") && page.contains("岐元村"), "the organiser sees the target");
    let (_, check) = org.get(&format!("/inspections/rounds/{round}/draw")).await;
    assert!(check.contains("复核一致"), "{check}");

    let team_ui = app.ui("inspector").await;
    let target = target_in(&app.api("inspector").await, round, p.qiyuan).await;
    let (_, mine) = team_ui.get("/inspections/mine").await;
    assert!(mine.contains(&format!("/inspections/targets/{target}")));
    let (_, form) = team_ui.get(&format!("/inspections/targets/{target}")).await;
    assert!(form.contains("干部在岗情况"));
    let deadline = (today() + chrono::Duration::days(5)).to_string();
    let (_, _, headers) = ok(team_ui
        .post(
            &format!("/inspections/targets/{target}"),
            &[
                ("task_progress", "按期推进"),
                ("grid_management", "台账清楚"),
                ("category_0", "work_style"),
                ("severity_0", "minor"),
                ("description_0", "村务公开栏内容未按月更新"),
                ("deadline_0", &deadline),
            ],
        )
        .await);
    assert_eq!(headers["hx-redirect"], "/inspections/mine?logged=1");
    let finding = app.count("SELECT MAX(id) FROM findings WHERE description = '村务公开栏内容未按月更新'").await;

    let village = app.ui("village_secretary").await;
    let (_, list) = village.get("/findings").await;
    assert!(list.contains("村务公开栏内容未按月更新") && list.contains("整改中"));
    ok(village.post(&format!("/findings/{finding}/rectify"), &[("text", "已更新公开栏"), ("evidence", "照片")]).await);
    let (_, detail) = team_ui.get(&format!("/findings/{finding}")).await;
    assert!(detail.contains("待验收") && detail.contains("验收销号"));
    ok(team_ui.post(&format!("/findings/{finding}/decide"), &[("accept", "true")]).await);
    ok(org
        .post(
            "/notices",
            &[
                ("unit_id", &p.qiyuan.to_string()),
                ("kind", "praise"),
                ("title", "岐元村整改及时"),
                ("body", "予以表扬"),
            ],
        )
        .await);
    let (_, list) = org.get(&format!("/findings?unit={}", p.qiyuan)).await;
    assert!(list.contains("已销号") && list.contains("岐元村整改及时"));

    let secretary = person_of(&app, "village_secretary").await.to_string();
    let (s, page) = org
        .get(&format!("/accountability?unit={}&person={secretary}&source_kind=finding&source_id={finding}", p.qiyuan))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("问责处理") && page.contains("仅限干部和党员"));
    let (_, _, headers) = ok(org
        .post(
            "/accountability",
            &[
                ("person_id", &secretary),
                ("kind", "interview"),
                ("reason", "公开栏长期未更新"),
                ("decision", "乐组问〔2026〕9号"),
                ("decided_on", &day),
                ("source_kind", "finding"),
                ("source_id", &finding.to_string()),
            ],
        )
        .await);
    let action = headers["hx-redirect"].to_str().unwrap().to_string();
    let (_, page) = org.get(&action).await;
    assert!(page.contains("约谈") && page.contains("已生效"));
    ok(org.post(&format!("{action}/reviews"), &[("kind", "tolerance"), ("request", "客观原因")]).await);
    let review = app.count("SELECT MAX(id) FROM accountability_reviews").await;
    ok(org
        .post(
            &format!("/accountability/reviews/{review}/decide"),
            &[("approve", "false"), ("decision", "不符合容错情形")],
        )
        .await);
    let (_, page) = org.get(&action).await;
    assert!(page.contains("不符合容错情形") && page.contains("已生效"));
    let (s, trace) = org.get(&format!("/accountability/trace?source_kind=finding&source_id={finding}")).await;
    assert_eq!(s, 200);
    assert!(trace.contains("当时责任人") && trace.contains("当日责任链"));
    let (s, burden) = app.ui("township_secretary").await.get(&format!("/burden?unit={}", p.baishi)).await;
    assert_eq!(s, 200);
    assert!(burden.contains("基层减负") && burden.contains("岐元村"));
    // A form with bad input answers with the error, in Chinese, and writes nothing.
    let before = app.count("SELECT COUNT(*) FROM accountability_actions").await;
    let (s, body, _) = org
        .post(
            "/accountability",
            &[("person_id", &secretary), ("kind", "flogging"), ("reason", ""), ("decided_on", &day)],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("问责方式无效"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM accountability_actions").await, before);
}

/// The 督查统计 above the findings counts a round whole: its default period starts on the first
/// day of the latest round that concerns the unit, not on the first of the month.
#[tokio::test]
async fn supervision_figures_cover_the_round() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let today = today();
    let (from, to) = frontline_db::inspections::figures_period(&app.db, p.qiyuan, today).await.unwrap();
    assert_eq!((from, to), (today - chrono::Duration::days(29), today), "no round: the last 30 days");
    let round = round_over(&app, p.baishi, 1).await;
    let began = today - chrono::Duration::days(45);
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&frontline_db::Sql::with(
        "UPDATE inspection_rounds SET starts_on = $1, ends_on = $2 WHERE id = $3",
        vec![began.into(), (today - chrono::Duration::days(3)).into(), round.into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for unit in [p.qiyuan, p.baishi, app.unit_id("330382").await] {
        let (from, _) = frontline_db::inspections::figures_period(&app.db, unit, today).await.unwrap();
        assert_eq!(from, began, "a round over 白石街道 concerns {unit}");
    }
    let (from, _) = frontline_db::inspections::figures_period(&app.db, p.village_elsewhere, today).await.unwrap();
    assert_eq!(from, today - chrono::Duration::days(29), "not a village of another township");
    let (s, html) = app.ui("county_org").await.get(&format!("/findings?unit={}", p.baishi)).await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("{began} – {today}")), "the page says which days it counts");
}

/// No one closes their own case: only the team that raised a finding, or the round's organiser,
/// accepts or returns it. The township's secretary (on no team) and an inspector of another team
/// are refused with a message that says why; the finding stays handed in; the page offers them no
/// buttons; the raising team and the organiser may.
#[tokio::test]
async fn only_the_raising_team_or_its_organiser_decides_a_finding() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let round = round_over(&app, p.qiyuan, 1).await;
    let target = target_in(&app.api("inspector").await, round, p.qiyuan).await;
    let (_, finding) = visit_with_finding(&app, target, "党群服务中心无人值守").await;
    let hand_in = || async {
        let (s, d) = app
            .api("village_secretary")
            .await
            .post(&format!("/findings/{finding}/rectifications"), json!({"text": "已安排值守", "evidence": "值班表"}))
            .await;
        assert_eq!(s, 200, "{d}");
    };
    hand_in().await;

    // Another team's inspector: a second team of the county, led by someone else, with an account.
    let org = app.api("county_org").await;
    let county = app.unit_id("330382").await;
    let other = app
        .count(&format!(
            "SELECT MIN(p.id) FROM people p JOIN units u ON u.id = p.home_unit_id WHERE p.category = 'cadre' \
             AND u.path LIKE (SELECT path FROM units WHERE id = {county}) || '%' \
             AND p.id NOT IN (SELECT person_id FROM users WHERE person_id IS NOT NULL)"
        ))
        .await;
    let (s, team) = org
        .post(
            "/inspection-teams",
            json!({"unit_id": county, "name": "第二督导组", "leader_id": other, "member_ids": []}),
        )
        .await;
    assert_eq!(s, 201, "{team}");
    let role = frontline_db::access::role_id_by_key(&app.db, "inspection_team").await.unwrap().unwrap();
    let (s, body) = app
        .api("admin")
        .await
        .post(
            "/users",
            json!({"username": "second_team", "display_name": "第二督导组成员", "password": "Second-team-2026",
                   "person_id": other, "role_ids": [role]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let second = app.api_first("second_team", "Second-team-2026", "Second-own-2026").await;

    for (who, api) in [("township_secretary", app.api("township_secretary").await), ("second team", second)] {
        let (s, d) = api.get(&format!("/findings/{finding}")).await;
        if s == 200 {
            assert_eq!(d["may_decide"], false, "{who}: {d}");
        }
        let (s, body) = api.post(&format!("/findings/{finding}/decision"), json!({"accept": true})).await;
        assert_eq!(s, 403, "{who}: {body}");
        assert_eq!(body["code"], "error.inspect.not_the_team", "{who}: {body}");
        assert!(body["message"].as_str().unwrap().contains("督导组"), "{who}: the message says why: {body}");
    }
    let township_ui = app.ui("township_secretary").await;
    let (s, page) = township_ui.get(&format!("/findings/{finding}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("待验收") && !page.contains("验收销号"), "no decision buttons for the township");
    let status =
        app.count(&format!("SELECT COUNT(*) FROM findings WHERE id = {finding} AND status = 'submitted'")).await;
    assert_eq!(status, 1, "still waiting for the team");

    // The raising team returns it; the organiser (the county's organisation department) accepts it.
    let (s, d) = app.api("inspector").await.get(&format!("/findings/{finding}")).await;
    assert_eq!((s, &d["may_decide"]), (200, &json!(true)), "{d}");
    let (s, d) = app
        .api("inspector")
        .await
        .post(&format!("/findings/{finding}/decision"), json!({"accept": false, "note": "值班表未公示"}))
        .await;
    assert_eq!(s, 200, "{d}");
    hand_in().await;
    let (s, d) = org.post(&format!("/findings/{finding}/decision"), json!({"accept": true})).await;
    assert_eq!(s, 200, "the organiser: {d}");
    assert_eq!(d["finding"]["status"], "fixed");
}

/// A "random draw" over one village would hand-pick its target: refused unless the organiser says
/// it is a targeted round (定点督查), which every page then shows as not random.
#[tokio::test]
async fn a_round_over_too_few_places_is_no_draw_and_says_it_is_targeted() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let org = app.api("county_org").await;
    let county = app.unit_id("330382").await;
    let inspector = person_of(&app, "inspector").await;
    let (_, team) = org
        .post(
            "/inspection-teams",
            json!({"unit_id": county, "name": "定点督导组", "leader_id": inspector, "member_ids": []}),
        )
        .await;
    let rounds_before = app.count("SELECT COUNT(*) FROM inspection_rounds").await;
    let body = |targeted: bool| {
        json!({"unit_id": p.qiyuan, "title": "岐元村督查", "starts_on": today(), "ends_on": today(),
               "per_township": 1, "team_ids": [team["id"]], "targeted": targeted})
    };
    let (s, e) = org.post("/inspection-rounds", body(false)).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["fields"][0]["code"], "error.inspect.pool_too_small", "{e}");
    assert!(e["fields"][0]["message"].as_str().unwrap().contains("定点督查"), "the message says what to do: {e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM inspection_rounds").await, rounds_before, "nothing written");

    let (s, round) = org.post("/inspection-rounds", body(true)).await;
    assert_eq!(s, 201, "{round}");
    let id = round["id"].as_i64().unwrap();
    let (_, d) = org.get(&format!("/inspection-rounds/{id}")).await;
    assert_eq!(d["round"]["targeted"], true, "{d}");
    assert_eq!(d["targets"].as_array().unwrap().len(), 1);
    let (_, check) = org.get(&format!("/inspection-rounds/{id}/draw")).await;
    assert_eq!((&check["matches"], &check["random"]), (&json!(true), &json!(false)), "{check}");
    let ui = app.ui("county_org").await;
    let (_, page) = ui.get(&format!("/inspections/rounds/{id}")).await;
    assert!(page.contains("定点督查：由组织者指定，非随机抽取"), "the round says how its places were chosen");
    let (_, fragment) = ui.get(&format!("/inspections/rounds/{id}/draw")).await;
    assert!(fragment.contains("非随机抽取"), "{fragment}");
}
