//! Weak or lax organisations (003.5) through the API: a branch with no organisational life and a
//! secretary post vacant for forty days is found by the yearly screening with both reasons,
//! confirmed, given a plan and a strong partner, reported on, refused 销号 while its records still
//! meet the criteria, and cleared once they do not; the wrong caller and bad input turned away.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use frontline_core::life::{Cadence, LifeKind, last_quarter};
use frontline_core::time::today_in_china;
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

fn reasons_of(case: &Value) -> Vec<String> {
    case["reasons"].as_array().unwrap().iter().map(|r| r["criterion"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_weak_branch_is_found_with_its_reasons_rectified_and_cleared_when_its_records_clear() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let county = app.api("county_org").await;
    let village = app.api("village_secretary").await;
    let today = today_in_china(Utc::now());
    let year = today.year();
    // The latest ranking is left out: this test is about the records of organisational life and posts.
    let (status, r) =
        county.put("/weak-criteria", json!({"criterion": "laggard", "threshold": 1, "enabled": false})).await;
    assert_eq!(status, 200, "{r}");

    // A new branch under 岐元村 with a secretary who left forty days ago.
    let (status, branch) = county
        .post("/units", json!({"parent_id": places.qiyuan, "name": "岐元村第三党支部", "kind": "party_branch"}))
        .await;
    assert_eq!(status, 201, "{branch}");
    let branch = branch["id"].as_i64().unwrap();
    let (status, post) = county.post("/posts", json!({"unit_id": branch, "kind": "secretary", "title": "书记"})).await;
    assert_eq!(status, 201, "{post}");
    let post = post["id"].as_i64().unwrap();
    let holder = app.person_in(places.qiyuan_branch).await;
    let started = NaiveDate::from_ymd_opt(year, 1, 1).unwrap().min(today - Duration::days(60));
    let (status, r) =
        county.post(&format!("/posts/{post}/assign"), json!({"person_id": holder, "start_date": started})).await;
    assert_eq!(status, 200, "{r}");
    let left = today - Duration::days(40);
    let (status, r) = county.post(&format!("/posts/{post}/vacate"), json!({"end_date": left, "reason": "调离"})).await;
    assert_eq!(status, 200, "{r}");

    // The village may read but not screen.
    assert_eq!(village.post(&format!("/units/{}/weak-screenings", places.qiyuan), json!({"year": year})).await.0, 403);
    let (status, e) =
        county.post(&format!("/units/{}/weak-screenings", places.qiyuan), json!({"year": year + 1})).await;
    assert_eq!(status, 422, "{e}");
    let (status, s) = county.post(&format!("/units/{}/weak-screenings", places.qiyuan), json!({"year": year})).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["screened"], 2, "{s}");
    assert!(s["candidates"].as_i64().unwrap() >= 1 && s["new_cases"].as_i64().unwrap() >= 1, "{s}");
    let (_, list) = village.get(&format!("/units/{}/weak-cases?year={year}", places.qiyuan)).await;
    let case = list["cases"]["items"].as_array().unwrap().iter().find(|c| c["unit_id"] == branch).cloned().unwrap();
    assert_eq!(case["status"], "candidate");
    let why = reasons_of(&case);
    assert!(why.contains(&"life_missed".to_string()) && why.contains(&"secretary_vacant".to_string()), "{case}");
    let vacant = case["reasons"].as_array().unwrap().iter().find(|r| r["criterion"] == "secretary_vacant").unwrap();
    assert_eq!(vacant["value"].as_f64(), Some(40.0), "the days since the secretary left");
    let id = case["id"].as_i64().unwrap();
    // Screening again changes nothing but the reasons of candidates.
    let (_, again) = county.post(&format!("/units/{}/weak-screenings", places.qiyuan), json!({"year": year})).await;
    assert_eq!(again["new_cases"], 0);

    // Dismissing needs a note; the county confirms it instead.
    let (status, e) = county.post(&format!("/weak-cases/{id}/decision"), json!({"confirm": false})).await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (422, Some("note")), "{e}");
    assert_eq!(village.post(&format!("/weak-cases/{id}/decision"), json!({"confirm": true})).await.0, 403);
    let (status, r) =
        county.post(&format!("/weak-cases/{id}/decision"), json!({"confirm": true, "note": "列为整顿对象"})).await;
    assert_eq!(status, 200, "{r}");
    let (status, _) = county.post(&format!("/weak-cases/{id}/decision"), json!({"confirm": true})).await;
    assert_eq!(status, 409, "a case is decided once");

    // The plan, and a strong partner from the pairing.
    let leader = app.person_in(places.baishi).await;
    let (status, e) = county
        .post(
            &format!("/weak-cases/{id}/plan"),
            json!({"measures": "", "leader_id": leader, "deadline": today - Duration::days(1)}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, r) = county
        .post(
            &format!("/weak-cases/{id}/plan"),
            json!({"measures": "七个一：一名包联领导、一个帮带支部、一套整顿方案……", "leader_id": leader, "deadline": today + Duration::days(90)}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    // A strong branch beside it: every meeting of every period this year.
    let (_, strong) = county
        .post("/units", json!({"parent_id": places.qiyuan, "name": "岐元村第四党支部", "kind": "party_branch"}))
        .await;
    let strong = strong["id"].as_i64().unwrap();
    hold_every_meeting(&village, strong, NaiveDate::from_ymd_opt(year, 1, 1).unwrap(), today).await;
    let (status, pairs) = county.post(&format!("/units/{}/weak-pairings", places.qiyuan), json!({"year": year})).await;
    assert_eq!(status, 200, "{pairs}");
    let pair =
        pairs.as_array().unwrap().iter().find(|p| p["case_id"] == id).cloned().unwrap_or_else(|| panic!("{pairs}"));
    assert_eq!(pair["same_township"], true);
    let (_, view) = county.get(&format!("/weak-cases/{id}")).await;
    assert_eq!(view["partner_id"], pair["partner_id"]);
    assert_ne!(pair["partner_id"], branch);
    let partner_is_a_case = app
        .count(&format!("SELECT COUNT(*) FROM weak_cases WHERE year = {year} AND unit_id = {}", pair["partner_id"]))
        .await;
    assert_eq!(partner_is_a_case, 0, "a partner is not itself a case");

    // The village reports progress; 销号 is refused while the records still meet the criteria.
    let (status, r) =
        village.post(&format!("/weak-cases/{id}/reports"), json!({"note": "已召开支部党员大会，补选书记"})).await;
    assert_eq!(status, 200, "{r}");
    let (status, e) = county.post(&format!("/weak-cases/{id}/clear"), json!({})).await;
    assert_eq!(status, 409, "{e}");
    let (_, view) = county.get(&format!("/weak-cases/{id}")).await;
    assert!(!view["reasons_now"].as_array().unwrap().is_empty(), "{view}");
    assert_eq!(view["steps"].as_array().unwrap().len(), 1);

    // The records clear: every meeting held in every period of the last quarter, a new secretary.
    let (from, to) = last_quarter(today);
    hold_every_meeting(&village, branch, from, to).await;
    let (status, r) =
        county.post(&format!("/posts/{post}/assign"), json!({"person_id": holder, "start_date": today})).await;
    assert_eq!(status, 200, "{r}");
    let (_, view) = county.get(&format!("/weak-cases/{id}")).await;
    assert_eq!(view["reasons_now"], json!([]), "{view}");
    let (status, r) = county.post(&format!("/weak-cases/{id}/clear"), json!({})).await;
    assert_eq!(status, 200, "{r}");
    let (_, view) = county.get(&format!("/weak-cases/{id}")).await;
    assert_eq!((view["status"].as_str(), view["cleared_on"].as_str()), (Some("cleared"), Some(&*today.to_string())));
    let (_, list) = county.get(&format!("/units/{}/weak-cases?year={year}&status=cleared", places.qiyuan)).await;
    assert!(list["cleared"].as_i64().unwrap() >= 1);
    assert!(list["cases"]["items"].as_array().unwrap().iter().all(|c| c["status"] == "cleared"));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE object_kind = 'weak_case' AND object_id = {id}"))
            .await,
        4,
        "confirmed, planned, reported, cleared"
    );
}

/// Holds every kind of meeting once in every period of its cadence that begins in `from..=to`
/// (the built-in norm: quarterly members' meetings and lessons, monthly the rest), on the tenth
/// day of the period or on `to` if that is earlier.
async fn hold_every_meeting(api: &crate::helpers::Api, branch: i64, from: NaiveDate, to: NaiveDate) {
    for kind in LifeKind::ALL {
        let cadence = if matches!(kind, LifeKind::MembersMeeting | LifeKind::PartyLesson) {
            Cadence::Quarter
        } else {
            Cadence::Month
        };
        let mut day = from;
        while day <= to {
            let (start, end) = cadence.period_of(day);
            let on = (start + Duration::days(9)).min(to);
            let (status, r) = api
                .post(
                    &format!("/units/{branch}/life-meetings"),
                    json!({"kind": kind.as_str(), "held_on": on, "place": "村党群服务中心", "topic": "整顿提升"}),
                )
                .await;
            assert_eq!(status, 201, "{r}");
            day = end.succ_opt().unwrap();
        }
    }
}
