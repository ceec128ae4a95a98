//! Dashboards through the API on the demo's data: the county's figures add up from the
//! townships', a new request shows on the day it came in, the period is checked, units outside
//! the caller's reach are not shown, and a grid worker's day counts their own lists.

use chrono::Utc;
use frontline_core::access::Scope;
use frontline_core::time::today_in_china;
use frontline_db::Sql;
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

fn collected(d: &Value, i: usize) -> i64 {
    d["orders"][i]["counts"]["collected"].as_i64().unwrap()
}

#[tokio::test]
async fn the_county_dashboard_adds_up_and_follows_a_new_request() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county_id = app.unit_id("330382").await;
    let county = app.api("county_org").await;
    let (s, d) = county.get(&format!("/dashboard?unit={county_id}")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["unit"]["id"], county_id);
    // The subtree's figures are the sum of the units directly below it and what the county
    // itself owns (requests its departments handle).
    let rows = d["orders"].as_array().unwrap().len();
    assert!(rows > 2, "the county and its townships: {rows}");
    let below: i64 = (1..rows).map(|i| collected(&d, i)).sum();
    let from = frontline_core::time::start_of_china_day(d["from"].as_str().unwrap().parse().unwrap());
    let own = app
        .db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM work_orders WHERE owner_unit_id = $1 AND duplicate_of IS NULL AND received_at >= $2",
            vec![county_id.into(), from.into()],
        ))
        .await
        .unwrap();
    assert_eq!(collected(&d, 0), below + own);
    let received: i64 = d["orders_by_day"].as_array().unwrap().iter().map(|c| c["received"].as_i64().unwrap()).sum();
    assert_eq!(received, collected(&d, 0), "each request received in the period falls on one day of it");
    assert_eq!(d["orders_by_day"].as_array().unwrap().len(), 30, "the last 30 days by default");
    let findings_below: i64 =
        d["supervision"].as_array().unwrap().iter().skip(1).map(|r| r["findings"].as_i64().unwrap()).sum();
    assert_eq!(d["supervision"][0]["findings"].as_i64().unwrap(), findings_below);
    // The 堡垒指数 is the county's: every scored village has a star count.
    let ranking = &d["ranking"];
    assert!(ranking.is_object(), "the demo county has a bastion index: {d}");
    let stars: i64 = ranking["stars"].as_array().unwrap().iter().map(|n| n.as_i64().unwrap()).sum();
    let villages = ranking["by_unit"].as_array().unwrap().iter().filter(|u| u["parent_name"].is_string()).count();
    assert_eq!(stars as usize, villages, "{ranking}");
    assert!(stars > 0);

    // A request taken in now counts today, in the county and in the township that owns it.
    let (s, created) = county
        .post(
            "/orders",
            json!({"category": "road_light", "channel": "hotline", "place_unit_id": p.qiyuan, "title": "看板测试路灯",
                   "description": "村口路灯不亮。", "reporter_name": "林秀英", "reporter_phone": "13857712345"}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let (_, after) = county.get(&format!("/dashboard?unit={county_id}")).await;
    assert_eq!(collected(&after, 0), collected(&d, 0) + 1);
    let today = today_in_china(Utc::now()).to_string();
    let day = |v: &Value| {
        v["orders_by_day"].as_array().unwrap().iter().find(|c| c["day"] == today.as_str()).unwrap()["received"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(day(&after), day(&d) + 1);
    let (_, township) = county.get(&format!("/dashboard?unit={}", p.baishi)).await;
    let (owner_path,): (String,) = app
        .db
        .one(&Sql::with(
            "SELECT u.path FROM work_orders o JOIN units u ON u.id = o.owner_unit_id WHERE o.id = $1",
            vec![created["id"].as_i64().unwrap().into()],
        ))
        .await
        .unwrap();
    let township_path = township["unit"]["path"].as_str().unwrap();
    assert!(owner_path.starts_with(township_path), "the request is owned inside 白石街道");
    let owned_now = app
        .db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM work_orders o JOIN units u ON u.id = o.owner_unit_id \
             WHERE u.path LIKE $1 AND o.duplicate_of IS NULL AND o.received_at >= $2",
            vec![
                format!("{township_path}%").into(),
                frontline_core::time::start_of_china_day(township["from"].as_str().unwrap().parse().unwrap()).into(),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(collected(&township, 0), owned_now);
}

#[tokio::test]
async fn a_dashboard_checks_its_period_and_shows_only_the_callers_units() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county_id = app.unit_id("330382").await;
    let county = app.api("county_org").await;
    let (s, e) = county.get(&format!("/dashboard?unit={county_id}&from=2026-11-20&to=2026-11-01")).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["fields"][0]["field"], "from");
    assert!(e["fields"][0]["message"].as_str().unwrap().contains("开始日期不能晚于截止日期"), "{e}");
    let (s, e) = county.get(&format!("/dashboard?unit={county_id}&from=2024-01-01&to=2026-11-01")).await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = county.get(&format!("/dashboard?unit={county_id}&to=2026-13-01")).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["fields"][0]["field"], "to");
    let (s, d) = county.get(&format!("/dashboard?unit={county_id}&from=2026-11-01&to=2026-11-07")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["orders_by_day"].as_array().unwrap().len(), 7);

    // A village secretary sees their village, not the county nor another village.
    let village = app.api("village_secretary").await;
    let (s, own) = village.get("/dashboard").await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(own["unit"]["id"], p.qiyuan);
    assert!(own["orders"].as_array().unwrap().iter().all(|r| r["unit_id"] != county_id));
    for unit in [county_id, p.other_village_same_township, p.village_elsewhere] {
        let (s, _) = village.get(&format!("/dashboard?unit={unit}")).await;
        assert_eq!(s, 404, "unit {unit} is not the village secretary's");
    }
    let (s, _) = app.api("grid_worker").await.get(&format!("/dashboard?unit={}", p.qiyuan)).await;
    assert_eq!(s, 403, "a grid worker has their own day, not the village's dashboard");
}

#[tokio::test]
async fn a_grid_workers_day_counts_their_own_lists() {
    let app = TestApp::new().await;
    let worker = app.api("grid_worker").await;
    let (person,): (i64,) = app
        .db
        .one(&Sql::with("SELECT person_id FROM users WHERE username = $1", vec!["grid_worker".into()]))
        .await
        .expect("the demo grid worker is a person");
    let (s, day) = worker.get("/today").await;
    assert_eq!(s, 200, "{day}");
    let today = today_in_china(Utc::now());
    let mine = frontline_db::tasks::mine(&app.db, person, today).await.unwrap();
    assert_eq!(day["tasks"].as_i64().unwrap(), mine.len() as i64);
    assert_eq!(day["day"], today.to_string());
    let (s, _) = app.api("county_org").await.get("/today").await;
    assert_ne!(s, 500);
    // An account that is no person (the administrator) has an empty day, as on its page.
    let (s, day) = app.api("admin").await.get("/today").await;
    assert_eq!(s, 200, "{day}");
    assert_eq!((day["tasks"].as_i64(), day["day"].as_str()), (Some(0), Some(today.to_string().as_str())));
}

#[tokio::test]
async fn the_ranking_of_the_units_below_needs_the_whole_subtree_in_scope() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let township = frontline_db::units::get(&app.db, &Scope::everything(), p.baishi).await.unwrap();
    let now = Utc::now();
    let to = today_in_china(now);
    let from = to - chrono::Duration::days(29);
    let subtree = Scope { subtrees: vec![township.path.clone()], ..Default::default() };
    let d = frontline_db::dashboard::dashboard(&app.db, &subtree, p.baishi, from, to, now).await.unwrap();
    assert!(
        d.ranking.as_ref().is_some_and(|r| !r.by_unit.is_empty()),
        "the township's own secretary sees its villages ranked"
    );
    // A role that reaches the township's unit alone (own_unit) sees its figures, not its villages.
    let unit_only = Scope { units: vec![township.path.clone()], ..Default::default() };
    let d = frontline_db::dashboard::dashboard(&app.db, &unit_only, p.baishi, from, to, now).await.unwrap();
    assert!(d.ranking.is_none());
    assert!(d.orders.iter().skip(1).all(|o| o.counts.collected == 0), "nothing from the villages below either");
}
