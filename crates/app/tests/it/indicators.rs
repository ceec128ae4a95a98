//! Indicators end to end: a scheme built from data scores a township's villages over a quiet
//! period whose records the test writes itself, and every number is checked against a hand
//! computation — caps, targets, per-day rates, a veto that makes a laggard, a veto that resets the
//! score, the rollup, ranks and stars; the explanation leads to exactly the records counted; the
//! what-if preview; publishing and the star history; laggard plans; bad schemes refused with
//! every field named and nothing written; and scope on all of it.

use chrono::{NaiveDate, TimeZone, Utc};
use frontline_core::records::RecordKind;
use frontline_db::Sql;
use frontline_db::records::{self, NewRecord};
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

/// A week long ago, when the demo recorded nothing.
const FROM: &str = "2020-03-02";
const TO: &str = "2020-03-08";

fn day(n: u32) -> chrono::DateTime<Utc> {
    // Noon in China on 2 March 2020 + n days.
    Utc.with_ymd_and_hms(2020, 3, 2 + n, 4, 0, 0).unwrap()
}

async fn write(app: &TestApp, unit: i64, person: Option<i64>, facts: &[(RecordKind, i64, u32)]) {
    let mut tx = app.db.begin().await.unwrap();
    for &(kind, value, n) in facts {
        records::append(
            &mut tx,
            NewRecord {
                kind,
                unit_id: unit,
                person_id: person,
                occurred_at: day(n),
                value,
                source_kind: "test",
                source_id: 0,
                note: None,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

fn scheme_definition(duty_weight: f64, survey_weight: f64) -> Value {
    json!({
        "subject": "unit", "unit_kind": "village",
        "indicators": [
            {"code": "duty", "name": "卡点值守", "weight": duty_weight, "key": true,
             "formula": "rate(count(shift_attended), count(shift_attended) + count(shift_missed))"},
            {"code": "surveys", "name": "日均排查", "weight": survey_weight, "formula": "count(survey_filed) / days"},
            {"code": "tasks", "name": "按时交清单", "weight": 20,
             "formula": "rate(count(task_submitted, value = 1), count(task_submitted))"}
        ],
        "bonuses": [{"code": "praised", "name": "通报表扬", "formula": "count(praised)", "points": 4, "cap": 6}],
        "deductions": [{"code": "findings", "name": "督查问题", "formula": "sum(finding_raised)", "points": 2, "cap": 10}],
        "vetoes": [
            {"code": "lost", "name": "隔离人员脱管", "formula": "count(isolation_lost)", "reset": true},
            {"code": "lapse", "name": "卡点形同虚设", "formula": "count(checkpoint_lapse)", "at_least": 2}
        ],
        "stars": {"mode": "bands", "bands": [60, 75, 90]},
        "laggard_below": 50
    })
}

fn subject(ranking: &Value, unit: i64) -> &Value {
    ranking["subjects"].as_array().unwrap().iter().find(|s| s["unit_id"] == unit).expect("scored")
}

fn line(score: &Value, section: &str, code: &str) -> (f64, f64) {
    let l = score[section].as_array().unwrap().iter().find(|l| l["code"] == code).expect("line");
    (l["value"].as_f64().unwrap(), l["points"].as_f64().unwrap())
}

#[tokio::test]
async fn a_scheme_from_data_scores_every_village_as_worked_out_by_hand() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let (good, vetoed) = (p.other_village_same_township, p.qiyuan);
    let (grid,): (i64,) = app
        .db
        .one(&Sql::with("SELECT MIN(id) FROM units WHERE parent_id = $1 AND kind = 'grid'", vec![good.into()]))
        .await
        .unwrap();
    use RecordKind::*;
    // The good village: shifts on its grid count for the village (3 stood of 4), 14 household
    // checks in 7 days, 3 of 4 lists on time, 2 praises, findings of severity 2 and 3.
    write(
        &app,
        grid,
        None,
        &[(ShiftAttended, 0, 0), (ShiftAttended, 12, 1), (ShiftAttended, 0, 2), (ShiftMissed, 1, 3)],
    )
    .await;
    let surveys: Vec<(RecordKind, i64, u32)> = (0..14u32).map(|i| (SurveyFiled, i64::from(i % 2), i / 2)).collect();
    write(&app, good, None, &surveys).await;
    write(
        &app,
        good,
        None,
        &[(TaskSubmitted, 1, 0), (TaskSubmitted, 1, 1), (TaskSubmitted, 0, 2), (TaskSubmitted, 1, 3)],
    )
    .await;
    write(&app, good, None, &[(Praised, 1, 4), (Praised, 1, 5), (FindingRaised, 2, 5), (FindingRaised, 3, 6)]).await;
    // The vetoed village: 7 household checks, one person lost from isolation, one checkpoint lapse
    // (below the lapse rule's threshold of 2). A record the day after the period is not counted.
    let surveys: Vec<(RecordKind, i64, u32)> = (0..7u32).map(|i| (SurveyFiled, 0, i)).collect();
    write(&app, vetoed, None, &surveys).await;
    write(&app, vetoed, None, &[(IsolationLost, 1, 2), (CheckpointLapse, 1, 3), (Praised, 1, 7)]).await;

    let org = app.api("township_secretary").await;
    let before = app.count("SELECT COUNT(*) FROM schemes").await;
    let (s, created) = org
        .post("/schemes", json!({"unit_id": p.baishi, "code": "test_bastion", "name": "测试堡垒指数", "definition": scheme_definition(50.0, 30.0)}))
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(app.count("SELECT COUNT(*) FROM schemes").await, before + 1);
    let id = created["id"].as_i64().unwrap();

    let (s, r) = org.get(&format!("/schemes/{id}/scores?unit={}&from={FROM}&to={TO}", p.baishi)).await;
    assert_eq!(s, 200, "{r}");
    let villages = app
        .count(&format!(
            "SELECT COUNT(*) FROM units WHERE parent_id = {} AND kind = 'village' AND NOT closed",
            p.baishi
        ))
        .await;
    assert_eq!(r["total"].as_i64().unwrap(), villages);

    // The good village: duty 3/4 × 50 = 37.5; surveys 14/7 = 2, over the target of 1 → 30;
    // tasks 3/4 × 20 = 15; praise 2 × 4 = 8 capped at 6; findings (2 + 3) × 2 = 10 (the cap);
    // 37.5 + 30 + 15 + 6 − 10 = 78.5 → 2 stars (bands 60, 75, 90), ranked first.
    let g = &subject(&r, good)["score"];
    assert_eq!(line(g, "indicators", "duty"), (0.75, 37.5));
    assert_eq!(line(g, "indicators", "surveys"), (2.0, 30.0));
    assert_eq!(line(g, "indicators", "tasks"), (0.75, 15.0));
    assert_eq!(line(g, "bonuses", "praised"), (2.0, 6.0));
    assert_eq!(line(g, "deductions", "findings"), (5.0, 10.0));
    assert_eq!(
        (g["total"].as_f64().unwrap(), g["stars"].as_i64().unwrap(), g["laggard"].as_bool().unwrap()),
        (78.5, 2, false)
    );
    assert_eq!(subject(&r, good)["rank"], 1);
    // The vetoed village: no shifts (nothing asked, nothing missed) 50 + surveys 7/7 = 1 → 30 + no
    // lists 20 = 100 points, reset to 0 by the isolation veto; one lapse does not fire its rule.
    let v = &subject(&r, vetoed)["score"];
    assert_eq!((v["points"].as_f64().unwrap(), v["total"].as_f64().unwrap()), (100.0, 0.0));
    assert_eq!(
        (v["reset"].as_bool().unwrap(), v["laggard"].as_bool().unwrap(), v["stars"].as_i64().unwrap()),
        (true, true, 0)
    );
    assert_eq!(
        v["vetoes"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap()).collect::<Vec<_>>(),
        vec!["lost"]
    );
    assert_eq!(line(v, "bonuses", "praised"), (0.0, 0.0), "the praise after the period is not counted");
    // Every other village recorded nothing: no data (无数据), which is neither the full marks a
    // rate of nothing used to give nor a laggard's zero: not scored, no stars, ranked together
    // after the two villages with data.
    let others: Vec<&Value> =
        r["subjects"].as_array().unwrap().iter().filter(|s| s["unit_id"] != good && s["unit_id"] != vetoed).collect();
    assert_eq!(others.len() as i64, villages - 2);
    assert!(
        others.iter().all(|s| s["score"]["measured"] == false
            && s["score"]["total"] == 0.0
            && s["score"]["stars"] == 0
            && s["score"]["laggard"] == false
            && s["rank"] == 3),
        "{others:?}"
    );
    // The laggard is last of those with data; no village without data is below it in standing.
    assert_eq!(subject(&r, vetoed)["rank"], 2);
    assert_eq!(r["laggards"], 1);
    assert_eq!(r["unmeasured"].as_i64().unwrap(), villages - 2);
    let stars: Vec<i64> = r["star_counts"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
    assert_eq!(stars, vec![1, 0, 1, 0, 0, 0], "stars are counted among the villages with data");
    // The township as a whole (the rollup adds every tally below it): shifts 3/4 → 37.5, surveys
    // 21/7 = 3 → 30, tasks 15, praise 6, findings −10 = 78.5 points; the veto below makes its
    // village a laggard, not the township.
    let whole = &r["whole"];
    assert_eq!(
        (whole["points"].as_f64().unwrap(), whole["total"].as_f64().unwrap(), whole["reset"].as_bool().unwrap()),
        (78.5, 78.5, false)
    );

    // The explanation: every line with its measures, each leading to exactly the records counted.
    let (s, e) = org.get(&format!("/schemes/{id}/explain?unit={good}&from={FROM}&to={TO}")).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["subject"]["score"]["total"], 78.5);
    let lines = e["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 7, "3 indicators, a bonus, a deduction and 2 vetoes");
    for l in lines {
        for m in l["measures"].as_array().unwrap() {
            let (s, page) = org.get(&format!("/records?{}&per_page=100", m["records_query"].as_str().unwrap())).await;
            assert_eq!(s, 200, "{page}");
            let listed = page["total"].as_f64().unwrap();
            let expected = if m["text"].as_str().unwrap().starts_with("sum(") {
                page["items"].as_array().unwrap().iter().map(|x| x["value"].as_f64().unwrap()).sum::<f64>()
            } else {
                listed
            };
            assert_eq!(m["value"].as_f64().unwrap(), expected, "{m}");
        }
    }
    let duty = lines.iter().find(|l| l["code"] == "duty").unwrap();
    let measured: Vec<(&str, f64)> = duty["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["text"].as_str().unwrap(), m["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(measured, vec![("count(shift_attended)", 3.0), ("count(shift_missed)", 1.0)]);
    let tasks = lines.iter().find(|l| l["code"] == "tasks").unwrap();
    assert_eq!(tasks["measures"][0]["text"], "count(task_submitted, value = 1)");
    assert_eq!(tasks["measures"][0]["value"], 3.0);

    // What if surveys weighed 60 and duty 20? good: 15 + 60 + 15 + 6 − 10 = 86; the quiet villages
    // still have no data, and no laggard is added. Nothing is saved.
    let (s, pv) = org
        .post(
            &format!("/schemes/{id}/preview"),
            json!({"unit_id": p.baishi, "from": FROM, "to": TO, "definition": scheme_definition(20.0, 60.0)}),
        )
        .await;
    assert_eq!(s, 200, "{pv}");
    let first = &pv["changes"][0];
    assert_eq!(
        (
            first["unit_id"].as_i64().unwrap(),
            first["before_total"].as_f64().unwrap(),
            first["after_total"].as_f64().unwrap()
        ),
        (good, 78.5, 86.0)
    );
    assert_eq!(pv["after_laggards"], 1);
    assert_eq!(pv["before_laggards"], 1);
    let (_, stored) = org.get(&format!("/schemes/{id}")).await;
    assert_eq!(stored["version"], 1, "a preview changes nothing");

    // Publishing keeps each score; a period not yet over cannot be published.
    let (s, body) = org
        .post(&format!("/schemes/{id}/runs"), json!({"unit_id": p.baishi, "from": FROM, "to": chrono::Utc::now().date_naive() + chrono::Duration::days(1)}))
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, run) = org.post(&format!("/schemes/{id}/runs"), json!({"unit_id": p.baishi, "from": FROM, "to": TO})).await;
    assert_eq!(s, 201, "{run}");
    let run = run["id"].as_i64().unwrap();
    let (s, detail) = org.get(&format!("/score-runs/{run}?laggards=true")).await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(detail["run"]["laggards"], 1);
    assert_eq!(detail["rows"]["items"][0]["unit_id"], vetoed);
    // The published rows keep the live ranking's ranks (ties shared) and which subjects had no data.
    let (_, rows) = org.get(&format!("/score-runs/{run}?per_page=200")).await;
    let (_, live) = org.get(&format!("/schemes/{id}/scores?unit={}&from={FROM}&to={TO}&per_page=200", p.baishi)).await;
    let live = live["subjects"].as_array().unwrap();
    // A search by name keeps each village's rank in the whole list, on the API and the page.
    let last = live.last().unwrap();
    let name = last["unit_name"].as_str().unwrap();
    let (_, found) = org.get(&format!("/schemes/{id}/scores?unit={}&from={FROM}&to={TO}&name={name}", p.baishi)).await;
    let found = found["subjects"].as_array().unwrap();
    assert!(!found.is_empty() && found.iter().all(|f| f["unit_name"].as_str().unwrap().contains(name)), "{found:?}");
    let hit = found.iter().find(|f| f["unit_id"] == last["unit_id"]).unwrap();
    assert_eq!(hit["rank"], last["rank"], "the rank of the whole list");
    let ui = app.ui("county_org").await;
    let (_, page) = ui.get(&format!("/schemes/{id}?unit={}&from={FROM}&to={TO}&name={name}", p.baishi)).await;
    assert!(page.contains(&format!("value=\"{name}\"")) && page.contains(name), "the page keeps the search");
    let rows = rows["rows"]["items"].as_array().unwrap();
    assert_eq!(rows.len(), live.len());
    assert!(rows.iter().any(|r| r["measured"] == false), "villages without records that week: {rows:?}");
    for r in rows {
        let l = live.iter().find(|l| l["unit_id"] == r["unit_id"]).unwrap();
        assert_eq!((&r["position"], &r["measured"]), (&l["rank"], &l["score"]["measured"]), "{r}");
    }
    let (_, run_page) = app.ui("county_org").await.get(&format!("/score-runs/{run}?per_page=200")).await;
    assert!(run_page.contains("无数据"), "the run page says which had no data");
    let (_, history) = org.get(&format!("/schemes/{id}/history?unit={good}")).await;
    let history = history.as_array().unwrap();
    assert_eq!(
        (history.len(), history[0]["stars"].as_i64().unwrap(), history[0]["total_centi"].as_i64().unwrap()),
        (1, 2, 7850)
    );
    let audited = app
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE object_kind = 'score_run' AND object_id = {run}"))
        .await;
    assert_eq!(audited, 1);

    // Scope: the village secretary sees the scheme (it scores their village) and their own
    // village's score, nothing of the township, and cannot change the scheme.
    let village = app.api("village_secretary").await;
    let (s, list) = village.get("/schemes").await;
    assert_eq!(s, 200, "{list}");
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == id));
    let (s, _) = village.get(&format!("/schemes/{id}/scores?unit={}&from={FROM}&to={TO}", p.baishi)).await;
    assert_eq!(s, 404);
    let (s, own) = village.get(&format!("/schemes/{id}/scores?unit={vetoed}&from={FROM}&to={TO}")).await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(own["total"], 1);
    let (s, _) = village.get(&format!("/schemes/{id}/explain?unit={good}&from={FROM}&to={TO}")).await;
    assert_eq!(s, 404, "another village's explanation is out of reach");
    let (s, _) =
        village.put(&format!("/schemes/{id}"), json!({"name": "改", "definition": scheme_definition(1.0, 1.0)})).await;
    assert_eq!(s, 403);
    let (s, _) = app.api("village_secretary").await.get(&format!("/score-runs/{run}")).await;
    assert_eq!(s, 404, "the run is of the township, out of the village's reach");
    let (s, _) = app.api("township_secretary").await.get("/schemes").await;
    assert_eq!(s, 200);
    let elsewhere = app.api("admin").await;
    let (s, _) = elsewhere.get(&format!("/schemes/{id}/scores?unit={}&from={FROM}&to={TO}", p.other_township)).await;
    assert_eq!(s, 200, "the admin reaches everything");
}

#[tokio::test]
async fn a_person_scheme_scores_a_member_from_their_own_records() {
    let app = TestApp::new().await;
    let (person,): (i64,) =
        app.db.one(&Sql::with("SELECT person_id FROM users WHERE username = 'member'", vec![])).await.unwrap();
    let (home,): (i64,) =
        app.db.one(&Sql::with("SELECT home_unit_id FROM people WHERE id = $1", vec![person.into()])).await.unwrap();
    use RecordKind::*;
    // Lists on time 1 of 2 → 15 of 30; shifts on time 1 of 2 (one 10 minutes late) → 15 of 30;
    // 1 household in 7 days = 1 a week of target 2 → 10 of 20; 1 hour in 7 days = 4.29 a month,
    // over the target of 2 → 20; one criticism −5: 55 → a laggard (below 60), no stars.
    write(
        &app,
        home,
        Some(person),
        &[(TaskSubmitted, 1, 0), (TaskSubmitted, 0, 1), (ShiftAttended, 0, 1), (ShiftAttended, 10, 2)],
    )
    .await;
    write(&app, home, Some(person), &[(SurveyFiled, 0, 3), (TrainingAttended, 1, 4), (Criticised, 1, 5)]).await;
    let org = app.api("county_org").await;
    let (_, schemes) = org.get("/schemes").await;
    let pioneer = schemes.as_array().unwrap().iter().find(|s| s["code"] == "pioneer").expect("installed with the demo")
        ["id"]
        .as_i64()
        .unwrap();
    let (s, e) = org.get(&format!("/schemes/{pioneer}/explain?person={person}&from={FROM}&to={TO}")).await;
    assert_eq!(s, 200, "{e}");
    let score = &e["subject"]["score"];
    assert_eq!(line(score, "indicators", "tasks"), (0.5, 15.0));
    assert_eq!(line(score, "indicators", "duty"), (0.5, 15.0));
    assert_eq!(line(score, "indicators", "households"), (1.0, 10.0));
    assert_eq!(line(score, "indicators", "learning"), (4.29, 20.0));
    assert_eq!(line(score, "deductions", "criticised"), (1.0, 5.0));
    assert_eq!(
        (score["total"].as_f64().unwrap(), score["laggard"].as_bool().unwrap(), score["stars"].as_i64().unwrap()),
        (55.0, true, 0)
    );
    assert_eq!(e["subject"]["person_id"], person);
    // The records behind a line are this person's only.
    let households = e["lines"].as_array().unwrap().iter().find(|l| l["code"] == "households").unwrap();
    let q = households["measures"][0]["records_query"].as_str().unwrap();
    assert!(q.starts_with(&format!("person={person}&")), "{q}");
    let (_, page) = org.get(&format!("/records?{q}")).await;
    assert_eq!(page["total"], 1);
}

#[tokio::test]
async fn bad_schemes_and_plans_are_refused_whole_and_plans_run_their_course() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let org = app.api("township_secretary").await;
    let before = (app.count("SELECT COUNT(*) FROM schemes").await, app.count("SELECT COUNT(*) FROM audit_log").await);
    let bad = json!({"subject": "unit", "unit_kind": "village",
        "indicators": [{"code": "x", "name": "", "weight": 10, "formula": "count(shift_attended"},
                       {"code": "x", "name": "重复", "weight": 5000, "formula": "count(nothing)"}],
        "stars": {"mode": "bands", "bands": [90, 60]}});
    let (s, body) = org
        .post("/schemes", json!({"unit_id": p.baishi, "code": "bad code", "name": "坏方案", "definition": bad}))
        .await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for f in [
        "code",
        "definition.indicators[0].name",
        "definition.indicators[0].formula",
        "definition.indicators[1].code",
        "definition.indicators[1].weight",
        "definition.indicators[1].formula",
        "definition.stars.bands",
    ] {
        assert!(fields.contains(&f), "{f} missing from {body}");
    }
    assert!(
        body["fields"].as_array().unwrap().iter().all(|f| !f["message"].as_str().unwrap_or_default().is_empty()),
        "{body}"
    );
    let (s, body) =
        org.post("/schemes", json!({"unit_id": p.baishi, "code": "x", "name": "不是方案", "definition": [1, 2]})).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        (app.count("SELECT COUNT(*) FROM schemes").await, app.count("SELECT COUNT(*) FROM audit_log").await),
        before,
        "nothing written"
    );
    let (s, body) = org
        .post("/schemes", json!({"unit_id": p.other_township, "code": "mine", "name": "越界方案", "definition": scheme_definition(50.0, 30.0)}))
        .await;
    assert_eq!(s, 404, "a unit out of reach is refused like an unknown one: {body}");

    // A plan for the village: the township opens it, the village notes progress, the township closes it.
    let (secretary,): (i64,) = app
        .db
        .one(&Sql::with("SELECT person_id FROM users WHERE username = 'village_secretary'", vec![]))
        .await
        .unwrap();
    let (s, resident) = org
        .post("/people", json!({"home_unit_id": p.qiyuan, "name": "林阿婆", "category": "resident", "party_status": "none", "rank": "none"}))
        .await;
    assert_eq!(s, 201, "{resident}");
    let resident = resident["id"].as_i64().unwrap();
    let deadline = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    let plan = |who: i64, deadline: NaiveDate, reason: &str| json!({"unit_id": p.qiyuan, "reason": reason, "plan": "包村指导，每周报告", "deadline": deadline, "responsible_id": who});
    let plans_before = app.count("SELECT COUNT(*) FROM laggard_plans").await;
    let (s, body) = org.post("/laggard-plans", plan(resident, NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(), "")).await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["reason", "deadline"], "{body}");
    let (s, body) = org.post("/laggard-plans", plan(resident, deadline, "后进")).await;
    assert_eq!(s, 422, "a resident cannot answer for a plan: {body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM laggard_plans").await, plans_before);
    let (s, created) = org.post("/laggard-plans", plan(secretary, deadline, "评估为后进党组织")).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (s, _) = org.post("/laggard-plans", plan(secretary, deadline, "再开一个")).await;
    assert_eq!(s, 409, "one open plan per unit");
    let told = app
        .count(&format!("SELECT COUNT(*) FROM notifications WHERE person_id = {secretary} AND kind = 'laggard_plan'"))
        .await;
    assert_eq!(told, 1);
    let village = app.api("village_secretary").await;
    let (s, body) = village.post(&format!("/laggard-plans/{id}/steps"), json!({"note": "已逐户核实台账"})).await;
    assert_eq!(s, 201, "{body}");
    let (s, _) = village
        .post(&format!("/laggard-plans/{id}/decision"), json!({"converted": true, "outcome": "自己说整好了"}))
        .await;
    assert_eq!(s, 403, "the village does not judge its own plan");
    let (s, body) = org.post(&format!("/laggard-plans/{id}/decision"), json!({"converted": true, "outcome": ""})).await;
    assert_eq!(s, 422, "{body}");
    let (s, _) = org
        .post(&format!("/laggard-plans/{id}/decision"), json!({"converted": true, "outcome": "整转完成，摘掉后进帽子"}))
        .await;
    assert_eq!(s, 204);
    let (s, _) =
        org.post(&format!("/laggard-plans/{id}/decision"), json!({"converted": false, "outcome": "再判一次"})).await;
    assert_eq!(s, 409);
    let (s, _) = village.post(&format!("/laggard-plans/{id}/steps"), json!({"note": "closed"})).await;
    assert_eq!(s, 409);
    let (s, d) = village.get(&format!("/laggard-plans/{id}")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["plan"]["status"].as_str().unwrap(), d["steps"].as_array().unwrap().len()), ("converted", 1));
    let (s, _) = app.api("grid_worker").await.get(&format!("/laggard-plans/{id}")).await;
    assert!(s == 403 || s == 404);
    let audited = app
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE object_kind = 'laggard_plan' AND object_id = {id}"))
        .await;
    assert_eq!(audited, 3, "opened, noted, closed");
}

#[tokio::test]
async fn the_judgement_pages_work_for_the_county_and_the_village() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let (bastion,): (i64,) =
        app.db.one(&Sql::with("SELECT MIN(id) FROM schemes WHERE code = 'bastion'", vec![])).await.unwrap();
    let county = app.ui("county_org").await;
    let (s, body) = county.get("/schemes").await;
    assert_eq!(s, 200);
    assert!(body.contains("堡垒指数") && body.contains("先锋指数") && body.contains("五星争创"), "the default schemes");
    let (s, body) = county.get(&format!("/schemes/{bastion}?unit={}", p.baishi)).await;
    assert_eq!(s, 200);
    assert!(body.contains("id=\"ranking\"") && body.contains("岐元村") && body.contains("id=\"publish\""));
    let (s, body) = county.get(&format!("/schemes/{bastion}/explain?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    assert!(body.contains("卡点值守与集中隔离") && body.contains("/ledger?unit="), "lines lead to the ledger");
    let (s, body) = county.get(&format!("/schemes/{bastion}/edit")).await;
    assert_eq!(s, 200);
    assert!(body.contains("checkpoint_duty"), "the definition is shown for editing");
    // Trying a definition shows the moves and saves nothing; a bad one is refused with its fields named.
    let (_, definition) = app.api("county_org").await.get(&format!("/schemes/{bastion}")).await;
    let definition = definition["definition"].as_str().unwrap().replace("\"weight\": 25.0", "\"weight\": 20.0");
    let (s, body, _) = county
        .post(
            &format!("/schemes/{bastion}/preview"),
            &[("definition", &definition), ("from", FROM), ("to", TO), ("unit_id", &p.baishi.to_string())],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("id=\"preview-changes\""), "{body}");
    let (s, body, _) = county
        .post(
            &format!("/schemes/{bastion}/edit"),
            &[("name", "堡垒指数"), ("definition", "{\"subject\": \"unit\"}"), ("active", "true")],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("方案定义"), "the field is named: {body}");
    let (_, after) = app.api("county_org").await.get(&format!("/schemes/{bastion}")).await;
    assert_eq!(after["version"], 1, "nothing saved");
    // Publishing through the page, then the run, a plan opened from it, progress from the village.
    let (s, body, headers) = county
        .post(&format!("/schemes/{bastion}/publish"), &[("unit_id", &p.baishi.to_string()), ("from", FROM), ("to", TO)])
        .await;
    assert_eq!(s, 200, "{body}");
    let run_page = headers["hx-redirect"].to_str().unwrap().to_string();
    let (s, body) = county.get(&run_page).await;
    assert_eq!(s, 200);
    assert!(body.contains("id=\"run-rows\"") && body.contains("公示中"), "on notice");
    let (s, body) = county.get("/score-runs").await;
    assert_eq!(s, 200);
    assert!(body.contains(&run_page));
    let (secretary,): (i64,) = app
        .db
        .one(&Sql::with("SELECT person_id FROM users WHERE username = 'village_secretary'", vec![]))
        .await
        .unwrap();
    let (s, body) = county.get(&format!("/laggard-plans/new?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    assert!(body.contains(&format!("value=\"{secretary}\"")), "the secretary can answer for it");
    let deadline = (chrono::Utc::now().date_naive() + chrono::Duration::days(40)).to_string();
    let (s, body, headers) = county
        .post(
            "/laggard-plans",
            &[
                ("unit_id", &p.qiyuan.to_string()),
                ("reason", "测试后进"),
                ("plan", "包村指导"),
                ("deadline", &deadline),
                ("responsible_id", &secretary.to_string()),
            ],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let plan_page = headers["hx-redirect"].to_str().unwrap().to_string();
    let village = app.ui("village_secretary").await;
    let (s, body) = village.get(&plan_page).await;
    assert_eq!(s, 200);
    assert!(
        body.contains("id=\"add-step\"") && !body.contains("id=\"close-plan\""),
        "the village reports, the county judges"
    );
    let (s, _, _) = village.post(&format!("{plan_page}/steps"), &[("note", "台账已核实")]).await;
    assert_eq!(s, 200);
    let (_, body) = county.get(&plan_page).await;
    assert!(body.contains("台账已核实") && body.contains("id=\"close-plan\""));
    let (s, body) = village.get("/laggard-plans").await;
    assert_eq!(s, 200);
    assert!(body.contains(&plan_page));
    // A person's frontline record (守边档案): their records counted by kind.
    let (s, body) = county.get(&format!("/ledger?person={secretary}")).await;
    assert_eq!(s, 200);
    assert!(body.contains("id=\"kind-counts\"") && body.contains("id=\"records\""));
}

/// One rank, one truth: a village's rank and stars read the same on the township's ranking, its
/// breakdown and the township's dashboard; the county's groups are its townships only; a quiet
/// week long ago leaves every village without data, and none of them is a laggard or starred.
#[tokio::test]
async fn a_village_has_one_rank_on_every_page_and_groups_are_townships() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let org = app.api("county_org").await;
    let (_, schemes) = org.get("/schemes").await;
    let bastion = schemes.as_array().unwrap().iter().find(|x| x["code"] == "bastion").unwrap()["id"].as_i64().unwrap();
    let to = frontline_core::time::today_in_china(Utc::now());
    let from = to - chrono::Duration::days(6);
    let (s, r) =
        org.get(&format!("/schemes/{bastion}/scores?unit={}&from={from}&to={to}&per_page=200", p.baishi)).await;
    assert_eq!(s, 200, "{r}");
    let subjects = r["subjects"].as_array().unwrap();
    assert!(subjects.len() > 5);
    let (_, d) = org.get(&format!("/dashboard?unit={}&from={from}&to={to}", p.baishi)).await;
    let by_unit = d["ranking"]["by_unit"].as_array().unwrap();
    for s in subjects {
        let unit = s["unit_id"].as_i64().unwrap();
        let (status, e) = org.get(&format!("/schemes/{bastion}/explain?unit={unit}&from={from}&to={to}")).await;
        assert_eq!(status, 200, "{e}");
        assert_eq!(e["subject"]["rank"], s["rank"], "the breakdown of {} ranks it as the ranking does", s["unit_name"]);
        assert_eq!(e["ranked"].as_u64().unwrap() as usize, subjects.len(), "among its township's villages");
        assert_eq!(e["subject"]["score"]["total"], s["score"]["total"]);
        let row = by_unit.iter().find(|x| x["unit_id"] == unit).expect("on the dashboard");
        assert_eq!(
            (&row["rank"], &row["stars"], &row["laggard"]),
            (&s["rank"], &s["score"]["stars"], &s["score"]["laggard"]),
            "the dashboard agrees on {}",
            s["unit_name"]
        );
    }
    // Ranks never go back up the list, and the laggards are its true bottom among those with data.
    let ranks: Vec<i64> = subjects.iter().map(|s| s["rank"].as_i64().unwrap()).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    let first_laggard = subjects.iter().position(|s| s["score"]["laggard"] == true).unwrap_or(subjects.len());
    assert!(subjects[first_laggard..].iter().all(|s| s["score"]["laggard"] == true || s["score"]["measured"] == false));

    // The county's groups are its townships and streets, never its departments or party committee.
    let county = app.unit_id("330382").await;
    let (_, whole) = org.get(&format!("/schemes/{bastion}/scores?unit={county}&from={from}&to={to}&per_page=1")).await;
    let groups: Vec<i64> = whole["groups"].as_array().unwrap().iter().map(|g| g["unit_id"].as_i64().unwrap()).collect();
    // The county's dashboard shows the scheme's own roll-up of the county, as its ranking page does.
    let (_, county_dash) = org.get(&format!("/dashboard?unit={county}&from={from}&to={to}")).await;
    assert!(whole["whole"]["total"].is_number(), "{}", whole["whole"]);
    assert_eq!(county_dash["ranking"]["whole"]["total"], whole["whole"]["total"]);
    // A breakdown asked within the county ranks the village among the county's villages.
    let (_, all) = org.get(&format!("/schemes/{bastion}/scores?unit={county}&from={from}&to={to}&per_page=1")).await;
    let first = &all["subjects"][0];
    let (_, e) = org
        .get(&format!("/schemes/{bastion}/explain?unit={}&within={county}&from={from}&to={to}", first["unit_id"]))
        .await;
    assert_eq!(e["subject"]["rank"], first["rank"]);
    assert_eq!(e["ranked"], all["total"]);
    assert_eq!(e["ranked_within"], "乐清市");
    let (s, _) = org
        .get(&format!("/schemes/{bastion}/explain?unit={county}&within={}&from={from}&to={to}", first["unit_id"]))
        .await;
    assert_eq!(s, 422, "a ranking that does not hold the unit");
    let townships = app
        .count(&format!("SELECT COUNT(*) FROM units WHERE parent_id = {county} AND kind = 'township' AND NOT closed"))
        .await;
    assert_eq!(groups.len() as i64, townships);
    let listed = groups.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(",");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM units WHERE id IN ({listed}) AND kind <> 'township'")).await,
        0
    );
    assert!(
        app.count(&format!(
            "SELECT COUNT(*) FROM units WHERE parent_id = {county} AND kind IN ('department', 'party_committee')"
        ))
        .await
            > 0,
        "the demo county has departments that must not be ranked"
    );

    // A week with no records at all: no data for anyone — not 514 laggards, not 514 perfect scores.
    let (_, quiet) = org.get(&format!("/schemes/{bastion}/scores?unit={county}&from={FROM}&to={TO}&per_page=5")).await;
    assert_eq!(quiet["laggards"], 0);
    assert_eq!(quiet["unmeasured"], quiet["total"]);
    assert!(quiet["star_counts"].as_array().unwrap().iter().all(|n| n == 0), "{}", quiet["star_counts"]);
    let (_, page) =
        app.ui("county_org").await.get(&format!("/schemes/{bastion}?unit={county}&from={FROM}&to={TO}")).await;
    assert!(page.contains("无数据"), "the ranking page says there is no data");
}
