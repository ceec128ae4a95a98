//! Appraisals and incentives end to end, on both stores: leaders' notes and mass evaluations
//! written into the ledger, a correction that stops a record counting, an appraisal that reads
//! exactly the ledger of its period and becomes the 鉴定书 (a PDF whose text is real Chinese in an
//! embedded CJK font), the reserve and candidacy that follow from results and accountability, the
//! frontline share of the promoted, a 五述五评 review rated and closed, a selection nominated,
//! voted and closed, commendations, a typical deed published, and the care reminders of a day.
//! Bad input is refused with the field named and nothing written.

use chrono::{NaiveDate, TimeZone, Utc};
use frontline_core::records::RecordKind;
use frontline_db::Sql;
use frontline_db::records::{self, NewRecord};
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

/// Noon in China on `day` of March 2020, a month the demo recorded nothing in.
fn march(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, day, 4, 0, 0).unwrap()
}

async fn write(app: &TestApp, unit: i64, person: i64, facts: &[(RecordKind, i64, u32)]) -> Vec<i64> {
    let mut tx = app.db.begin().await.unwrap();
    let mut ids = Vec::new();
    for &(kind, value, day) in facts {
        let id = records::append(
            &mut tx,
            NewRecord {
                kind,
                unit_id: unit,
                person_id: Some(person),
                occurred_at: march(day),
                value,
                source_kind: "test",
                source_id: 0,
                note: None,
            },
        )
        .await
        .unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

/// Subjects (cadres and members) whose home unit is `unit`, by id.
async fn subjects(app: &TestApp, unit: i64) -> Vec<i64> {
    let rows: Vec<(i64,)> = app
        .db
        .all(&Sql::with(
            "SELECT id FROM people WHERE home_unit_id = $1 AND category IN ('village_cadre', 'member') ORDER BY id",
            vec![unit.into()],
        ))
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

fn count_of(counts: &Value, kind: &str) -> i64 {
    counts.as_array().unwrap().iter().find(|c| c["kind"] == kind).map_or(0, |c| c["records"].as_i64().unwrap())
}

#[tokio::test]
async fn an_appraisal_reads_its_ledger_and_prints_a_chinese_certificate() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let org = app.api("township_secretary").await;
    let person = subjects(&app, p.qiyuan).await[0];
    let ids = write(
        &app,
        p.qiyuan,
        person,
        &[
            (RecordKind::ShiftAttended, 0, 3),
            (RecordKind::ShiftAttended, 0, 4),
            (RecordKind::ShiftAttended, 5, 5),
            (RecordKind::FindingRaised, 1, 6),
        ],
    )
    .await;

    // Leaders' notes and mass evaluations go into the ledger; a bad one is refused whole.
    let notes_before = app.count("SELECT COUNT(*) FROM ledger_notes").await;
    let (s, body) = org
        .post(
            "/ledger-notes",
            json!({"kind": "leader_inquiry", "person_id": person, "occurred_on": "2020-03-03", "value": 7, "note": ""}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"value") && fields.contains(&"note"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_notes").await, notes_before, "nothing written");
    for (kind, value, day, note) in [
        ("leader_inquiry", 1, "2020-03-03", "电话询问：卡点值守情况清楚"),
        ("leader_observation", 0, "2020-03-05", "现场察看：登记台账基本完整"),
        ("mass_evaluation", 4, "2020-03-06", "群众评价12人"),
        ("mass_evaluation", 2, "2020-03-07", "同事评价5人"),
    ] {
        let (s, body) = org
            .post(
                "/ledger-notes",
                json!({"kind": kind, "person_id": person, "occurred_on": day, "value": value, "note": note}),
            )
            .await;
        assert_eq!(s, 201, "{kind}: {body}");
    }

    // A correction: the third shift no longer counts; it is not corrected twice, and a
    // correction is not itself corrected.
    let (s, correction) = org.post(&format!("/records/{}/correction", ids[2]), json!({"reason": "重复登记"})).await;
    assert_eq!(s, 201, "{correction}");
    let (s, _) = org.post(&format!("/records/{}/correction", ids[2]), json!({"reason": "again"})).await;
    assert_eq!(s, 409);
    let (s, _) = org.post(&format!("/records/{}/correction", correction["id"]), json!({"reason": "again"})).await;
    assert_eq!(s, 409);
    let (_, ledger) =
        org.get(&format!("/records?person={person}&kind=shift_attended&from=2020-03-01&to=2020-03-31")).await;
    let corrected: Vec<bool> =
        ledger["items"].as_array().unwrap().iter().map(|r| r["corrected"].as_bool().unwrap()).collect();
    assert_eq!(
        corrected.iter().filter(|c| **c).count(),
        1,
        "the corrected record stays in the ledger, marked: {ledger}"
    );

    // The appraisal of the campaign reads exactly the ledger of its period.
    let input = json!({"person_id": person, "campaign": "2020年春季疫情防控", "period_from": "2020-03-02", "period_to": "2020-03-08"});
    let (s, created) = org.post("/appraisals", input.clone()).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (s, _) = org.post("/appraisals", input).await;
    assert_eq!(s, 409, "one appraisal per person and campaign");
    let (s, d) = org.get(&format!("/appraisals/{id}")).await;
    assert_eq!(s, 200, "{d}");
    let counts = &d["figures"]["counts"];
    assert_eq!(count_of(counts, "shift_attended"), 2, "the corrected shift is not counted: {counts}");
    assert_eq!(count_of(counts, "finding_raised"), 1);
    assert_eq!(count_of(counts, "leader_inquiry"), 1);
    assert_eq!(count_of(counts, "leader_observation"), 1);
    assert_eq!(count_of(counts, "mass_evaluation"), 2);
    assert_eq!(d["figures"]["notes"].as_array().unwrap().len(), 4);
    assert_eq!(d["figures"]["mass_mean"].as_f64(), Some(3.0), "(4 + 2) / 2");
    assert_eq!(d["appraisal"]["status"], "draft");

    // No certificate before the conclusion; a bad conclusion changes nothing.
    let (s, body) = org.get(&format!("/appraisals/{id}/certificate.pdf")).await;
    assert_eq!(s, 409, "{body}");
    let (s, body) = org.post(&format!("/appraisals/{id}/conclusion"), json!({"grade": "best", "conclusion": ""})).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM appraisals WHERE id = {id} AND status = 'draft'")).await, 1);
    let conclusion = "该同志在疫情防控一线坚守卡点，认真开展入户排查，群众评价较好，鉴定为优秀。";
    // The record holds a finding against them: 优秀 is refused without a reason, and stands with one.
    let (s, body) = org
        .post(&format!("/appraisals/{id}/conclusion"), json!({"grade": "excellent", "conclusion": conclusion}))
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "reason", "{body}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM appraisals WHERE id = {id} AND status = 'draft'")).await, 1);
    let reason = "问题系前任遗留，本人已牵头整改销号。";
    let (s, body) = org
        .post(
            &format!("/appraisals/{id}/conclusion"),
            json!({"grade": "excellent", "conclusion": conclusion, "reason": reason}),
        )
        .await;
    assert_eq!(s, 204, "{body}");
    let (_, d) = org.get(&format!("/appraisals/{id}")).await;
    assert_eq!(d["figures"]["grade_override"], json!({"warnings": ["findings"], "reason": reason}));
    let (s, _) = org.post(&format!("/appraisals/{id}/conclusion"), json!({"grade": "basic", "conclusion": "改"})).await;
    assert_eq!(s, 409, "a final appraisal is not edited");

    // Final: the figures are fixed, the ledger has the grade, the person is in the reserve.
    write(&app, p.qiyuan, person, &[(RecordKind::ShiftAttended, 0, 7)]).await;
    let (_, d) = org.get(&format!("/appraisals/{id}")).await;
    assert_eq!(d["appraisal"]["status"], "final");
    assert_eq!(count_of(&d["figures"]["counts"], "shift_attended"), 2, "fixed when made final");
    assert!(d["tiers"].as_array().unwrap().contains(&json!("reserve")), "{d}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'appraised' AND person_id = {person} AND value = 4"
        ))
        .await,
        1
    );

    // The 鉴定书 as a PDF: real text in an embedded CJK font.
    let (s, pdf) = org.get_bytes(&format!("/appraisals/{id}/certificate.pdf")).await;
    assert_eq!(s, 200);
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("certificates");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("appraisal-{}-{id}.pdf", std::process::id()));
    std::fs::write(&file, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    let (name,): (String,) =
        app.db.one(&Sql::with("SELECT name FROM people WHERE id = $1", vec![person.into()])).await.unwrap();
    for expected in [
        "一线考察鉴定书",
        name.as_str(),
        "优秀",
        "2020年春季疫情防控",
        "电话询问",
        "鉴定人",
        "考核单位（盖章）",
        "问题系前任遗留",
    ] {
        assert!(text.contains(expected), "the certificate reads {expected:?}: {text}");
    }
    let fonts = std::process::Command::new("pdffonts").arg(&file).output().expect("pdffonts");
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(fonts.contains("CJK") && fonts.contains(" yes "), "an embedded CJK font: {fonts}");
    // The printable page says the same.
    let ui = app.ui("township_secretary").await;
    let (s, html) = ui.get(&format!("/appraisals/{id}/certificate")).await;
    assert_eq!(s, 200);
    assert!(html.contains(conclusion) && html.contains(&name));

    // Scope: the village secretary may not see appraisals; audit has every change.
    let (s, _) = app.api("village_secretary").await.get(&format!("/appraisals/{id}")).await;
    assert_eq!(s, 403);
    for action in ["note.create", "record.correct", "appraisal.create", "appraisal.conclude", "talent.add"] {
        assert!(
            app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await > 0,
            "{action} audited"
        );
    }
}

#[tokio::test]
async fn results_and_accountability_decide_candidacy_and_the_reserve() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let org = app.api("township_secretary").await;
    let people = subjects(&app, p.qiyuan).await;
    assert!(people.len() >= 3, "the demo village has cadres and members");
    let (poor, barred, promoted) = (people[0], people[1], people[2]);
    let (s, a) = org
        .post(
            "/appraisals",
            json!({"person_id": poor, "campaign": "2020年春", "period_from": "2020-03-02", "period_to": "2020-03-08"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let (s, _) = org
        .post(&format!("/appraisals/{}/conclusion", a["id"]), json!({"grade": "incompetent", "conclusion": "履职不力"}))
        .await;
    assert_eq!(s, 204);
    let today = frontline_core::time::today_in_china(Utc::now());
    let (s, body) = org
        .post(
            "/accountability-actions",
            json!({"person_id": barred, "kind": "candidacy", "reason": "卡点脱岗", "decision": "白石街道〔2020〕1号", "decided_on": today}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (_, list) = org.get("/candidates?barred=true").await;
    let bars =
        |id: i64| -> Vec<String> {
            list["items"].as_array().unwrap().iter().find(|c| c["person_id"] == id).map_or(vec![], |c| {
                c["bars"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_string()).collect()
            })
        };
    assert_eq!(bars(poor), vec!["poor_appraisal"], "{list}");
    assert_eq!(bars(barred), vec!["accountability"], "{list}");
    assert!(bars(promoted).is_empty(), "{list}");
    assert!(list["items"].as_array().unwrap().iter().all(|c| !c["bars"].as_array().unwrap().is_empty()));

    // Promotion and the frontline share: evidence is deployments or frontline records before it.
    let (s, body) =
        org.post("/talent", json!({"person_id": promoted, "tier": "promoted", "reason": "提拔为副书记"})).await;
    assert_eq!(s, 201, "{body}");
    let (s, _) = org.post("/talent", json!({"person_id": promoted, "tier": "promoted", "reason": "again"})).await;
    assert_eq!(s, 409);
    let (s, body) = org.post("/talent", json!({"person_id": promoted, "tier": "chief", "reason": ""})).await;
    assert_eq!(s, 422, "{body}");
    let (s, r) = org.get(&format!("/frontline-share?from={today}&to={today}")).await;
    assert_eq!(s, 200, "{r}");
    let people = r["people"].as_array().unwrap();
    let mine = people.iter().find(|x| x["person_id"] == promoted).expect("the promoted person is listed");
    let with = people
        .iter()
        .filter(|x| x["deployments"].as_i64().unwrap() > 0 || x["frontline_records"].as_i64().unwrap() > 0)
        .count();
    assert_eq!(r["share"]["promoted"].as_i64().unwrap() as usize, people.len());
    assert_eq!(r["share"]["with_frontline"].as_i64().unwrap() as usize, with);
    assert_eq!(r["share"]["met"].as_bool().unwrap(), with * 5 >= people.len() * 4 && !people.is_empty());
    assert!(mine["since_on"] == json!(today));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM records WHERE kind = 'promoted' AND person_id = {promoted}")).await,
        1
    );
}

#[tokio::test]
async fn a_review_a_selection_commendations_deeds_and_care_end_in_the_ledger() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county_org = app.api("county_org").await;
    let township = app.api("township_secretary").await;
    let village = app.api("village_secretary").await;
    let people = subjects(&app, p.qiyuan).await;
    let (secretary, other) = (people[0], people[1]);

    // 五述五评: the village secretary reports; two raters; closed with the verdict of the mean.
    let (s, r) = township
        .post(
            "/reviews",
            json!({"unit_id": p.qiyuan, "person_id": secretary, "year": 2025, "report": "发动群众守好边境"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let review = r["id"].as_i64().unwrap();
    let (_, d) = township.get(&format!("/reviews/{review}")).await;
    assert_eq!(d["review"]["track"], "village");
    // Only the holder of the secretary post reports: an ordinary member typed in is refused.
    let (s, e) = township
        .post("/reviews", json!({"unit_id": p.qiyuan, "person_id": other, "year": 2025, "report": "代为述职"}))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["fields"][0]["code"], "error.review.not_the_secretary", "{e}");
    // The secretary reviewed reads their own review (without the right to list reviews), and
    // cannot rate it.
    let (me,): (i64,) =
        app.db.one(&Sql::new("SELECT person_id FROM users WHERE username = 'village_secretary'")).await.unwrap();
    assert_eq!(me, secretary, "the village_secretary login is the secretary reviewed");
    let (s, d) = village.get(&format!("/reviews/{review}")).await;
    assert_eq!((s, &d["review"]["person_id"]), (200, &json!(secretary)), "{d}");
    let (s, _) = village.post(&format!("/reviews/{review}/ratings"), json!({"rating": "good"})).await;
    assert_eq!(s, 403);
    let (s, _) = app.api("member").await.get(&format!("/reviews/{review}")).await;
    assert_eq!(s, 404, "nobody else without the right reads it");
    let (s, _) = township.post(&format!("/reviews/{review}/close"), json!({})).await;
    assert_eq!(s, 409, "not closed without ratings");
    assert_eq!(township.post(&format!("/reviews/{review}/ratings"), json!({"rating": "good"})).await.0, 204);
    assert_eq!(
        township.post(&format!("/reviews/{review}/ratings"), json!({"rating": "good"})).await.0,
        409,
        "once per rater"
    );
    assert_eq!(county_org.post(&format!("/reviews/{review}/ratings"), json!({"rating": "nice"})).await.0, 422);
    assert_eq!(
        county_org
            .post(&format!("/reviews/{review}/ratings"), json!({"rating": "poor", "comment": "群众发动不够"}))
            .await
            .0,
        204
    );
    assert_eq!(township.post(&format!("/reviews/{review}/close"), json!({})).await.0, 204);
    let (_, d) = township.get(&format!("/reviews/{review}")).await;
    // Points (4 + 1) / 2 = 2.5 → fair; one of two favourable.
    assert_eq!(d["review"]["verdict"], "fair");
    assert_eq!(d["review"]["favourable_permille"], 500);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'reviewed' AND person_id = {secretary} AND value = 3"
        ))
        .await,
        1
    );

    // A selection of the county: the township nominates, the committee votes, the result is fixed.
    let county = app.unit_id("330382").await;
    let (s, sel) = county_org
        .post("/selections", json!({"unit_id": county, "year": 2025, "title": "实干担当好干部", "seats": 1}))
        .await;
    assert_eq!(s, 201, "{sel}");
    let sel = sel["id"].as_i64().unwrap();
    let (s, list) = village.get("/selections").await;
    assert_eq!(s, 200);
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == sel), "the village sees its county's selection");
    let (s, a) = township
        .post(&format!("/selections/{sel}/nominations"), json!({"person_id": secretary, "reason": "坚守卡点"}))
        .await;
    assert_eq!(s, 201, "{a}");
    let (s, b) = township
        .post(&format!("/selections/{sel}/nominations"), json!({"person_id": other, "reason": "入户排查"}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    assert_eq!(
        township.post(&format!("/selections/{sel}/nominations"), json!({"person_id": other, "reason": "x"})).await.0,
        409
    );
    assert_eq!(
        county_org.post(&format!("/selections/{sel}/votes"), json!({"nominations": [a]})).await.0,
        409,
        "not voting yet"
    );
    assert_eq!(
        township.post(&format!("/selections/{sel}/advance"), json!({})).await.0,
        404,
        "only the organiser moves it on"
    );
    // The county nominates someone of another township: the township does not see it while
    // nominating, but from the vote on every voter sees the same ballot.
    let elsewhere = subjects(&app, p.village_elsewhere).await[0];
    let (s, c) = county_org
        .post(&format!("/selections/{sel}/nominations"), json!({"person_id": elsewhere, "reason": "组织推荐"}))
        .await;
    assert_eq!(s, 201, "{c}");
    let ids = |d: &Value| -> Vec<i64> {
        d["nominations"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect()
    };
    let (_, d) = township.get(&format!("/selections/{sel}")).await;
    assert_eq!(ids(&d), vec![a, b], "each nominating unit sees its own while nominating");
    assert_eq!(county_org.post(&format!("/selections/{sel}/advance"), json!({})).await.0, 200);
    let (_, on_county) = county_org.get(&format!("/selections/{sel}")).await;
    let (_, on_township) = township.get(&format!("/selections/{sel}")).await;
    assert_eq!(ids(&on_county).len(), 3);
    assert_eq!(ids(&on_township), ids(&on_county), "one ballot for every voter");
    let (s, e) = township.post(&format!("/selections/{sel}/votes"), json!({"nominations": [a, a]})).await;
    assert_eq!((s, e["fields"][0]["code"].as_str()), (422, Some("error.honour.duplicate_vote")), "{e}");
    assert_eq!(
        township
            .post(&format!("/selections/{sel}/nominations"), json!({"person_id": people[2], "reason": "x"}))
            .await
            .0,
        409
    );
    assert_eq!(
        township.post(&format!("/selections/{sel}/votes"), json!({"nominations": [a, b]})).await.0,
        422,
        "more votes than seats"
    );
    assert_eq!(county_org.post(&format!("/selections/{sel}/votes"), json!({"nominations": [a]})).await.0, 204);
    assert_eq!(
        county_org.post(&format!("/selections/{sel}/votes"), json!({"nominations": [b]})).await.0,
        409,
        "one ballot"
    );
    assert_eq!(township.post(&format!("/selections/{sel}/votes"), json!({"nominations": [b]})).await.0, 204);
    assert_eq!(
        app.api("admin").await.post(&format!("/selections/{sel}/votes"), json!({"nominations": [a]})).await.0,
        204
    );
    let (_, d) = township.get(&format!("/selections/{sel}")).await;
    assert!(d["nominations"].as_array().unwrap().iter().all(|n| n["votes"] == 0), "votes are secret until closed");
    assert_eq!(county_org.post(&format!("/selections/{sel}/advance"), json!({})).await.0, 200);
    let (_, d) = county_org.get(&format!("/selections/{sel}")).await;
    let votes = |id: i64| d["nominations"].as_array().unwrap().iter().find(|n| n["id"] == id).unwrap().clone();
    assert_eq!((votes(a)["votes"].as_i64(), votes(a)["selected"].as_bool()), (Some(2), Some(true)));
    assert_eq!((votes(b)["votes"].as_i64(), votes(b)["selected"].as_bool()), (Some(1), Some(false)));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM records WHERE kind = 'selected' AND person_id = {secretary}")).await,
        1
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM records WHERE kind = 'selected' AND person_id = {other}")).await,
        0
    );

    // Commendations of a collective and of a person; a resident is never a subject.
    let (s, body) = township
        .post("/commendations", json!({"kind": "honour", "title": "先进基层党组织", "reason": "疫情防控", "unit_id": p.qiyuan, "issued_on": "2020-03-20"}))
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = township
        .post("/commendations", json!({"kind": "notice", "title": "通报表扬", "reason": "坚守卡点", "person_id": secretary, "issued_on": "2020-03-20"}))
        .await;
    assert_eq!(s, 201, "{body}");
    let (_, list) = village.get("/commendations").await;
    assert_eq!(list["total"], 2, "the village sees both: {list}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM records WHERE kind = 'commended' AND unit_id = {} AND person_id IS NULL",
            p.qiyuan
        ))
        .await,
        1
    );
    // Praise is not accountability: a grid worker outside the party may be commended, a resident not.
    let (helper, resident) = (people[people.len() - 1], people[people.len() - 2]);
    for (id, category) in [(helper, "grid_worker"), (resident, "resident")] {
        app.db
            .execute_outside_transaction(&Sql::with(
                "UPDATE people SET category = $1, party_status = 'none' WHERE id = $2",
                vec![category.into(), id.into()],
            ))
            .await
            .unwrap();
    }
    let (s, body) = township
        .post("/commendations", json!({"kind": "notice", "title": "通报表扬", "reason": "网格巡查", "person_id": helper, "issued_on": "2020-03-21"}))
        .await;
    assert_eq!(s, 201, "a non-member grid worker is commended: {body}");
    let (s, body) = township
        .post("/commendations", json!({"kind": "notice", "title": "通报表扬", "reason": "x", "person_id": resident, "issued_on": "2020-03-21"}))
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "person_id", "{body}");
    let (s, body) = township
        .post("/commendations", json!({"kind": "medal", "title": "", "reason": "x", "issued_on": "2099-01-01"}))
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"].as_array().unwrap().len(), 4, "kind, title, date and the subject: {body}");

    // A deed written by the village, published by the township.
    let (s, deed) = village
        .post("/deeds", json!({"person_id": secretary, "title": "卡点上的守边人", "body": "连续三十天坚守卡点。"}))
        .await;
    assert_eq!(s, 201, "{deed}");
    let deed = deed["id"].as_i64().unwrap();
    assert_eq!(village.post(&format!("/deeds/{deed}/publish"), json!({})).await.0, 403);
    let member = app.api("member").await;
    assert_eq!(member.get(&format!("/deeds/{deed}")).await.0, 404, "a draft stays with its writers");
    assert_eq!(township.post(&format!("/deeds/{deed}/publish"), json!({})).await.0, 204);
    assert_eq!(township.post(&format!("/deeds/{deed}/publish"), json!({})).await.0, 409);
    // Once published, members of the county read it; they see no drafts.
    let (s, read) = member.get(&format!("/deeds/{deed}")).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["title"], "卡点上的守边人");
    let (s, list) = member.get("/deeds").await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert!(items.iter().any(|d| d["id"] == deed) && items.iter().all(|d| d["status"] == "published"), "{list}");
    let (s, page) = app.ui("member").await.get("/deeds").await;
    assert_eq!(s, 200);
    assert!(page.contains("卡点上的守边人") && page.contains("href=\"/deeds\""), "the member's menu and list");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM records WHERE kind = 'deed_published' AND source_id = {deed}")).await,
        1
    );

    // Care on a fixed day: a birthday on a duty day, a streak, a referral not followed up.
    let deployed = people[2];
    app.db
        .execute_outside_transaction(&Sql::with(
            "UPDATE people SET birthday = $1 WHERE id = $2",
            vec![NaiveDate::from_ymd_opt(1985, 3, 20).unwrap().into(), deployed.into()],
        ))
        .await
        .unwrap();
    app.db
        .execute_outside_transaction(&Sql::with(
            "INSERT INTO deployments (person_id, home_unit_id, target_unit_id, purpose, start_date, end_date, arrived_at, created_at) \
             VALUES ($1, $2, $3, 'epidemic', $4, $5, $6, $6)",
            vec![
                deployed.into(),
                p.qiyuan.into(),
                p.qiyuan.into(),
                NaiveDate::from_ymd_opt(2020, 3, 1).unwrap().into(),
                NaiveDate::from_ymd_opt(2020, 3, 31).unwrap().into(),
                march(1).into(),
            ],
        ))
        .await
        .unwrap();
    // A county cadre stationed in the village: their birthday reminder reaches the village they serve.
    let dept = app.unit_named("市农业农村局").await;
    let stationed = app.person_in(dept).await;
    app.db
        .execute_outside_transaction(&Sql::with(
            "UPDATE people SET birthday = $1 WHERE id = $2",
            vec![NaiveDate::from_ymd_opt(1990, 3, 20).unwrap().into(), stationed.into()],
        ))
        .await
        .unwrap();
    app.db
        .execute_outside_transaction(&Sql::with(
            "INSERT INTO deployments (person_id, home_unit_id, target_unit_id, purpose, start_date, end_date, arrived_at, created_at) \
             VALUES ($1, $2, $3, 'village', $4, $5, $6, $6)",
            vec![
                stationed.into(),
                dept.into(),
                p.qiyuan.into(),
                NaiveDate::from_ymd_opt(2020, 3, 1).unwrap().into(),
                NaiveDate::from_ymd_opt(2020, 3, 31).unwrap().into(),
                march(1).into(),
            ],
        ))
        .await
        .unwrap();
    let streak: Vec<(RecordKind, i64, u32)> = (5..=19).map(|d| (RecordKind::ShiftAttended, 0, d)).collect();
    write(&app, p.qiyuan, other, &streak).await;
    let (s, body) = village
        .post("/care", json!({"person_id": secretary, "kind": "counselling_referral", "given_on": "2020-03-18"}))
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, reminders) = village.get("/care/reminders?day=2020-03-20").await;
    assert_eq!(s, 200, "{reminders}");
    let has = |r: &Value, kind: &str, person: i64| {
        r.as_array().unwrap().iter().any(|x| x["kind"] == kind && x["person_id"] == person)
    };
    assert!(has(&reminders, "birthday", deployed), "{reminders}");
    assert!(has(&reminders, "birthday", stationed), "the village they serve is reminded: {reminders}");
    assert!(has(&reminders, "streak", other), "15 days in a row: {reminders}");
    assert!(has(&reminders, "counselling", secretary), "{reminders}");
    let streak_days = reminders
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "streak" && x["person_id"] == other)
        .unwrap()["days"]
        .clone();
    assert_eq!(streak_days, 15);
    // The day before the birthday, no birthday reminder.
    let (_, before) = village.get("/care/reminders?day=2020-03-19").await;
    assert!(!has(&before, "birthday", deployed));
    // Leave after the streak and a counselling session clear their reminders.
    assert_eq!(
        village.post("/care", json!({"person_id": other, "kind": "leave", "given_on": "2020-03-20"})).await.0,
        201
    );
    assert_eq!(
        village
            .post(
                "/care",
                json!({"person_id": secretary, "kind": "counselling", "given_on": "2020-03-19", "note": "谈心谈话"})
            )
            .await
            .0,
        201
    );
    let (_, after) = village.get("/care/reminders?day=2020-03-20").await;
    assert!(!has(&after, "streak", other) && !has(&after, "counselling", secretary), "{after}");
    assert!(has(&after, "birthday", deployed));
    let (s, body) =
        village.post("/care", json!({"person_id": secretary, "kind": "party", "given_on": "2020-03-20"})).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM records WHERE kind = 'cared_for' AND person_id = {secretary}")).await,
        2
    );
}
