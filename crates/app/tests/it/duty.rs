//! Who answers for what, end to end: the chain of a unit on any day, the gap report, the coverage
//! check, succession, role posts and claims, pairing and deployments, through the API and the UI,
//! with bad input refused whole.

use chrono::Datelike;
use frontline_db::Sql;
use serde_json::{Value, json};

use crate::helpers::{Places, TestApp};

async fn one(app: &TestApp, sql: &str, params: Vec<frontline_db::Value>) -> i64 {
    let (v,): (i64,) = app.db.one(&Sql::with(sql, params)).await.unwrap();
    v
}

async fn one_text(app: &TestApp, sql: &str, params: Vec<frontline_db::Value>) -> String {
    let (v,): (String,) = app.db.one(&Sql::with(sql, params)).await.unwrap();
    v
}

async fn count(app: &TestApp, sql: &str, params: Vec<frontline_db::Value>) -> i64 {
    app.db.count(&Sql::with(sql, params)).await.unwrap()
}

/// The secretary post of a village's branch.
async fn secretary_post(app: &TestApp, branch: i64) -> i64 {
    one(app, "SELECT id FROM posts WHERE unit_id = $1 AND kind = 'secretary'", vec![branch.into()]).await
}

fn names(level: &Value) -> Vec<String> {
    level["people"].as_array().unwrap().iter().map(|p| p["role"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_chain_answers_for_today_and_for_a_past_day() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("county_org").await;
    let (s, chain) = api.get(&format!("/units/{}/chain", p.qiyuan)).await;
    assert_eq!(s, 200, "{chain}");
    let levels = chain.as_array().unwrap();
    let level_names: Vec<&str> = levels.iter().map(|l| l["unit_name"].as_str().unwrap()).collect();
    assert_eq!(level_names, vec!["岐元村", "白石街道", "乐清市"], "from the village up to the county");
    assert!(names(&levels[0]).contains(&"village_contact".to_string()), "{}", levels[0]);
    assert!(names(&levels[0]).contains(&"secretary".to_string()), "the branch secretary answers for the village");
    assert!(names(&levels[1]).contains(&"county_responsible".to_string()));
    assert!(names(&levels[1]).contains(&"township_secretary".to_string()));
    assert_eq!(names(&levels[2]), vec!["county_leader".to_string()], "the county's first leader");

    // 包村 changes hands on 2026-02-03: the chain on the 2nd names the old leader, on the 3rd the new.
    let (_, links) = api.get(&format!("/links?unit={}&kind=village_contact", p.qiyuan)).await;
    let old = &links["items"][0];
    let old_person = old["person_id"].as_i64().unwrap();
    let (s, ended) = api.post(&format!("/links/{}/end", old["id"]), json!({"end_date": "2026-02-03"})).await;
    assert_eq!(s, 200, "{ended}");
    let newcomer = one(
        &app,
        "SELECT id FROM people WHERE home_unit_id = $1 AND category = 'cadre' AND id <> $2 ORDER BY id LIMIT 1",
        vec![p.baishi.into(), old_person.into()],
    )
    .await;
    let (s, created) = api
        .post(
            "/links",
            json!({"kind": "village_contact", "person_id": newcomer, "unit_id": p.qiyuan, "start_date": "2026-02-03"}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let contact_on = |day: &'static str| {
        let api = &api;
        async move {
            let (_, chain) = api.get(&format!("/units/{}/chain?on={day}", p.qiyuan)).await;
            chain[0]["people"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["role"] == "village_contact")
                .map(|x| x["person_id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(contact_on("2026-02-02").await, vec![old_person]);
    assert_eq!(contact_on("2026-02-03").await, vec![newcomer]);

    // Bad links change nothing: a 包村 link to a township, an overlap, a bad kind, an unknown unit.
    let before = count(&app, "SELECT COUNT(*) FROM links", vec![]).await;
    for (body, status) in [
        (
            json!({"kind": "village_contact", "person_id": newcomer, "unit_id": p.baishi, "start_date": "2026-03-01"}),
            422,
        ),
        (
            json!({"kind": "village_contact", "person_id": newcomer, "unit_id": p.qiyuan, "start_date": "2026-05-01"}),
            409,
        ),
        (json!({"kind": "boss", "person_id": newcomer, "unit_id": p.qiyuan, "start_date": "2026-05-01"}), 422),
        (
            json!({"kind": "village_contact", "person_id": newcomer, "unit_id": 999_999_999, "start_date": "2026-05-01"}),
            404,
        ),
        (
            json!({"kind": "village_contact", "person_id": newcomer, "unit_id": p.qiyuan, "start_date": "2026-02-31"}),
            422,
        ),
    ] {
        let (s, body) = api.post("/links", body).await;
        assert_eq!(s, status, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM links", vec![]).await, before);
    let (s, _) = api.post(&format!("/links/{}/end", old["id"]), json!({"end_date": "2026-04-01"})).await;
    assert_eq!(s, 409, "ending an ended link");
}

#[tokio::test]
async fn the_gap_report_names_what_each_township_and_village_lacks() {
    let app = TestApp::new().await;
    let county = app.unit_id("330382").await;
    let api = app.api("county_org").await;
    let (s, report) = api.get(&format!("/units/{county}/gaps")).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["townships"], 25);
    assert_eq!(report["villages"], 514);
    let gaps = report["gaps"].as_array().unwrap();
    // Expected straight from the links table, by a different query.
    let villages_without = count(
        &app,
        "SELECT COUNT(*) FROM units u WHERE u.kind = 'village' AND NOT EXISTS (SELECT 1 FROM links l WHERE l.unit_id = u.id \
         AND l.kind = 'village_contact' AND l.end_date IS NULL)",
        vec![],
    )
    .await;
    assert!(villages_without > 0, "the demo leaves a few villages without a 包村 leader");
    assert_eq!(gaps.iter().filter(|g| g["unit_kind"] == "village").count() as i64, villages_without);
    let townships: Vec<&Value> = gaps.iter().filter(|g| g["unit_kind"] == "township").collect();
    assert_eq!(townships.len(), 2, "{townships:?}");
    assert!(townships.iter().any(|g| g["missing"] == json!(["supervisor"])));
    assert!(townships.iter().any(|g| g["missing"] == json!(["first_responsible"])));
    // Filling one gap removes it from the report.
    let gap = gaps.iter().find(|g| g["unit_kind"] == "village").unwrap();
    let village = gap["unit_id"].as_i64().unwrap();
    let township = one(&app, "SELECT parent_id FROM units WHERE id = $1", vec![village.into()]).await;
    let cadre = app.person_in(township).await;
    let (s, body) = api
        .post(
            "/links",
            json!({"kind": "village_contact", "person_id": cadre, "unit_id": village, "start_date": "2026-01-05"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (_, after) = api.get(&format!("/units/{county}/gaps")).await;
    assert_eq!(after["gaps"].as_array().unwrap().len(), gaps.len() - 1);
    assert!(!after["gaps"].as_array().unwrap().iter().any(|g| g["unit_id"] == village));
    // The report as of a day before the link started still shows the gap.
    let (_, past) = api.get(&format!("/units/{county}/gaps?on=2026-01-04")).await;
    assert!(past["gaps"].as_array().unwrap().iter().any(|g| g["unit_id"] == village));
}

#[tokio::test]
async fn coverage_lists_grids_groups_and_lines_without_a_party_member() {
    let app = TestApp::new().await;
    let county = app.unit_id("330382").await;
    let api = app.api("county_org").await;
    let (s, cov) = api.get(&format!("/units/{county}/coverage")).await;
    assert_eq!(s, 200, "{cov}");
    let count_of = |cov: &Value, kind: &str| -> (i64, i64) {
        let c = cov["counts"].as_array().unwrap().iter().find(|c| c["kind"] == kind).unwrap().clone();
        (c["total"].as_i64().unwrap(), c["covered"].as_i64().unwrap())
    };
    assert_eq!(count_of(&cov, "grid").0, 514 * 4, "four territorial grids per village");
    assert_eq!(count_of(&cov, "functional_grid").0, 25 * 2, "two functional lines per township");
    assert_eq!(count_of(&cov, "household_group").0, 514 * 2);
    assert_eq!(count_of(&cov, "party_group").0, 514 * 4, "a party group in every grid");
    assert!(count_of(&cov, "party_group").1 < 514 * 4, "a few grids lack a 包组 cadre, so do their party groups");
    let uncovered = cov["uncovered"].as_array().unwrap();
    assert!(!uncovered.is_empty());
    let total_uncovered: i64 = cov["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["total"].as_i64().unwrap() - c["covered"].as_i64().unwrap())
        .sum();
    let households = count_of(&cov, "household");
    assert_eq!(households.0, 514 * 10);
    assert_eq!(cov["uncovered_total"].as_i64().unwrap(), total_uncovered - (households.0 - households.1));
    // An uncovered grid gains a party member (包组) and leaves the list.
    let grid = uncovered.iter().find(|u| u["kind"] == "grid").expect("an uncovered grid");
    let grid_id = grid["id"].as_i64().unwrap();
    let village = one(&app, "SELECT parent_id FROM units WHERE id = $1", vec![grid_id.into()]).await;
    let member = one(
        &app,
        "SELECT p.id FROM people p JOIN units b ON b.id = p.home_unit_id WHERE b.parent_id = $1 AND p.party_status = 'member' \
         ORDER BY p.id LIMIT 1",
        vec![village.into()],
    )
    .await;
    // Posted there from today: covered today, not on yesterday's coverage.
    let today = frontline_core::time::today_in_china(chrono::Utc::now());
    let yesterday = today.pred_opt().unwrap();
    let (s, body) = api
        .post(
            &format!("/people/{member}/postings"),
            json!({"unit_id": grid_id, "kind": "sent", "start_date": today.to_string()}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let listed = |cov: &Value| cov["uncovered"].as_array().unwrap().iter().any(|u| u["id"] == grid_id);
    let (_, now) = api.get(&format!("/units/{village}/coverage?on={today}")).await;
    assert!(!listed(&now), "covered today by the posting: {now}");
    let (_, then) = api.get(&format!("/units/{village}/coverage?on={yesterday}")).await;
    assert!(listed(&then), "yesterday's coverage reads yesterday's postings: {then}");
    let (s, body) = api
        .post(
            "/links",
            json!({"kind": "group_contact", "person_id": member, "unit_id": grid_id, "start_date": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (_, after) = api.get(&format!("/units/{county}/coverage")).await;
    assert_eq!(count_of(&after, "grid").1, count_of(&cov, "grid").1 + 1);
    assert!(!after["uncovered"].as_array().unwrap().iter().any(|u| u["id"] == grid_id));
    // A covered functional line whose only member link ends shows up.
    let (_, links) = api.get(&format!("/links?unit={county}&kind=group_contact&per_page=200")).await;
    let line = links["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["unit_name"].as_str().unwrap().ends_with("生产网格"))
        .expect("a functional line with a link")
        .clone();
    let today = chrono::Utc::now().date_naive().to_string();
    let (s, body) = api.post(&format!("/links/{}/end", line["id"]), json!({"end_date": today})).await;
    assert_eq!(s, 200, "{body}");
    let (_, later) = api.get(&format!("/units/{county}/coverage")).await;
    assert_eq!(count_of(&later, "functional_grid").1, count_of(&cov, "functional_grid").1 - 1);
    assert!(later["uncovered"].as_array().unwrap().iter().any(|u| u["id"] == line["unit_id"]));
}

#[tokio::test]
async fn removing_a_secretary_makes_the_deputy_act_and_keeps_the_history() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    // The township removes the village secretary (who loses the post's access with it, see
    // `access_that_comes_with_a_post_ends_with_the_tenure`).
    let api = app.api("township_secretary").await;
    let post = secretary_post(&app, p.qiyuan_branch).await;
    let (_, before) = api.get(&format!("/posts/{post}")).await;
    let leaving = before["holder_id"].as_i64().unwrap();
    let deputy = one(
        &app,
        "SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
         WHERE po.unit_id = $1 AND po.kind = 'deputy_secretary'",
        vec![p.qiyuan_branch.into()],
    )
    .await;
    // The secretary answers for a grid too (包组): that duty must move.
    let grid = one(
        &app,
        "SELECT id FROM units WHERE parent_id = $1 AND kind = 'grid' ORDER BY id LIMIT 1",
        vec![p.qiyuan.into()],
    )
    .await;
    let (s, body) = api
        .post(
            "/links",
            json!({"kind": "group_contact", "person_id": leaving, "unit_id": grid, "start_date": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    // The deputy answers for another grid of their own post.
    let own_grid = one(
        &app,
        "SELECT id FROM units WHERE parent_id = $1 AND kind = 'grid' AND id <> $2 ORDER BY id LIMIT 1",
        vec![p.qiyuan.into(), grid.into()],
    )
    .await;
    let (s, body) = api
        .post(
            "/links",
            json!({"kind": "group_contact", "person_id": deputy, "unit_id": own_grid, "start_date": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let own_link = body["id"].as_i64().unwrap();
    let (s, preview) = api.get(&format!("/posts/{post}/succession")).await;
    assert_eq!(s, 200, "{preview}");
    assert_eq!(preview["successor"]["person_id"], deputy, "the deputy is next");
    assert_eq!(preview["successor"]["warnings"], json!([]));
    assert_eq!(preview["duties"].as_array().unwrap().len(), 1, "{preview}");

    // Bad removals change nothing.
    let tenures = count(&app, "SELECT COUNT(*) FROM tenures", vec![]).await;
    for (body, status) in [
        (json!({"reason": "fired", "date": "2026-11-01"}), 422),
        (json!({"reason": "ill", "date": "yesterday"}), 422),
        (json!({"reason": "ill", "date": "2026-11-01", "successor_id": leaving}), 422),
        (json!({"reason": "ill", "date": "2026-11-01", "successor_id": 999_999_999}), 422),
    ] {
        let (s, b) = api.post(&format!("/posts/{post}/remove"), body).await;
        assert_eq!(s, status, "{b}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tenures", vec![]).await, tenures);

    let today = chrono::Utc::now().date_naive();
    let (s, outcome) =
        api.post(&format!("/posts/{post}/remove"), json!({"reason": "ill", "date": today.to_string()})).await;
    assert_eq!(s, 200, "{outcome}");
    assert_eq!(outcome["acting"]["person_id"], deputy);
    assert_eq!(outcome["moved_duties"], 1);
    assert_eq!(outcome["post"]["holder_id"], deputy);
    assert_eq!(outcome["post"]["acting"], true);
    // The grid's 包组 link moved to the deputy from today.
    let (_, chain) = api.get(&format!("/units/{grid}/chain")).await;
    let on_grid: Vec<i64> = chain[0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["role"] == "group_contact")
        .map(|x| x["person_id"].as_i64().unwrap())
        .collect();
    assert!(on_grid.contains(&deputy) && !on_grid.contains(&leaving), "{chain}");
    // Who held the post yesterday, who today.
    let yesterday = today.pred_opt().unwrap();
    let (_, then) = api.get(&format!("/posts/{post}/holder?on={yesterday}")).await;
    assert_eq!(then["person_id"], leaving);
    let (_, now) = api.get(&format!("/posts/{post}/holder?on={today}")).await;
    assert_eq!(now["person_id"], deputy);
    assert_eq!(now["acting"], true);
    // The people concerned are notified, the change is audited.
    assert!(count(&app, "SELECT COUNT(*) FROM notifications WHERE person_id = $1", vec![deputy.into()]).await >= 1);
    assert!(count(&app, "SELECT COUNT(*) FROM notifications WHERE person_id = $1", vec![leaving.into()]).await >= 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'post.succession' AND object_id = $1",
            vec![post.into()]
        )
        .await,
        1
    );
    let (s, body) =
        api.post(&format!("/posts/{post}/remove"), json!({"reason": "ill", "date": today.to_string()})).await;
    assert_eq!(s, 200, "the acting holder can leave too: the next in order acts: {body}");
    assert_eq!(body["moved_duties"], 1, "only the duty that came with the acting moves on: {body}");
    let still_open = count(
        &app,
        "SELECT COUNT(*) FROM links WHERE id = $1 AND person_id = $2 AND end_date IS NULL",
        vec![own_link.into(), deputy.into()],
    )
    .await;
    assert_eq!(still_open, 1, "the deputy keeps the duty of their own post");
    let vacant = secretary_post(&app, p.village_elsewhere_branch).await;
    let county = app.api("county_org").await;
    let (s, _) =
        county.post(&format!("/posts/{vacant}/vacate"), json!({"end_date": "2026-11-01", "reason": "x"})).await;
    assert_eq!(s, 200);
    let (s, body) =
        county.post(&format!("/posts/{vacant}/remove"), json!({"reason": "ill", "date": "2026-11-02"})).await;
    assert_eq!(s, 409, "a vacant post has nobody to remove: {body}");
}

#[tokio::test]
async fn a_post_names_todays_holder_and_the_one_appointed_from_a_later_day() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let post = secretary_post(&app, p.qiyuan_branch).await;
    let (_, before) = api.get(&format!("/posts/{post}")).await;
    let holder = before["holder_id"].as_i64().unwrap();
    let deputy = one(
        &app,
        "SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
         WHERE po.unit_id = $1 AND po.kind = 'deputy_secretary'",
        vec![p.qiyuan_branch.into()],
    )
    .await;
    let today = frontline_core::time::today_in_china(chrono::Utc::now());
    let tomorrow = today.succ_opt().unwrap();
    let (s, body) = api
        .post(&format!("/posts/{post}/assign"), json!({"person_id": deputy, "start_date": tomorrow.to_string()}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["holder_id"], holder, "today's holder is still in post today: {body}");
    assert_eq!(body["next_holder_id"], deputy);
    assert_eq!(body["next_since"], tomorrow.to_string());
    // The post, the list, and "who holds it on a day" agree.
    let (_, detail) = api.get(&format!("/posts/{post}")).await;
    assert_eq!(detail["holder_id"], holder, "{detail}");
    let (_, list) = api.get(&format!("/posts?unit={}&per_page=100", p.qiyuan_branch)).await;
    let row = list["items"].as_array().unwrap().iter().find(|r| r["id"] == post).unwrap().clone();
    assert_eq!(row["holder_id"], holder, "{row}");
    let (_, on_today) = api.get(&format!("/posts/{post}/holder?on={today}")).await;
    assert_eq!(on_today["person_id"], holder);
    let (_, on_tomorrow) = api.get(&format!("/posts/{post}/holder?on={tomorrow}")).await;
    assert_eq!(on_tomorrow["person_id"], deputy);
    // The page says both.
    let ui = app.ui("village_secretary").await;
    let (_, page) = ui.get(&format!("/posts/{post}")).await;
    assert!(page.contains("id=\"next-holder\""), "the page names the holder from tomorrow");
}

#[tokio::test]
async fn removing_the_last_holder_of_a_grid_post_says_it_is_left_vacant() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let (lo, hi) = frontline_core::units::subtree_range(
        &one_text(&app, "SELECT path FROM units WHERE id = $1", vec![p.qiyuan.into()]).await,
    );
    let post = one(
        &app,
        "SELECT po.id FROM posts po JOIN units u ON u.id = po.unit_id JOIN tenures t ON t.post_id = po.id \
         AND t.end_date IS NULL WHERE po.kind = 'grid_worker' AND u.path >= $1 AND u.path < $2 ORDER BY po.id LIMIT 1",
        vec![lo.into(), hi.into()],
    )
    .await;
    let today = frontline_core::time::today_in_china(chrono::Utc::now());
    let (s, preview) = api.get(&format!("/posts/{post}/succession")).await;
    assert_eq!(s, 200, "{preview}");
    assert!(preview["successor"].is_null(), "a grid has one post: {preview}");
    let (s, outcome) =
        api.post(&format!("/posts/{post}/remove"), json!({"reason": "transferred", "date": today.to_string()})).await;
    assert_eq!(s, 200, "{outcome}");
    assert!(outcome["acting"].is_null());
    assert_eq!(outcome["left_vacant"], true, "the answer says nobody acts: {outcome}");
    let ui = app.ui("village_secretary").await;
    let (_, page) = ui.get(&format!("/posts/{post}")).await;
    assert!(page.contains("id=\"vacant-warning\""), "the post page warns that nobody acts");
}

#[tokio::test]
async fn access_that_comes_with_a_post_ends_with_the_tenure() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let post = secretary_post(&app, p.qiyuan_branch).await;
    let secretary = app.api("village_secretary").await;
    let (s, before) = secretary.get(&format!("/posts/{post}")).await;
    assert_eq!(s, 200, "{before}");
    let (me,): (Option<i64>,) = app
        .db
        .one(&Sql::with("SELECT person_id FROM users WHERE username = 'village_secretary'", vec![]))
        .await
        .unwrap();
    assert_eq!(before["holder_id"].as_i64(), me, "the demo's village secretary holds the 书记 post");
    // The deputy has an account of their own, as an ordinary member.
    let deputy = one(
        &app,
        "SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
         WHERE po.unit_id = $1 AND po.kind = 'deputy_secretary'",
        vec![p.qiyuan_branch.into()],
    )
    .await;
    let admin = app.api("admin").await;
    let member_role = one(&app, "SELECT id FROM roles WHERE role_key = 'member'", vec![]).await;
    let (s, body) = admin
        .post(
            "/users",
            json!({"username": "deputy_qiyuan", "display_name": "副书记", "password": "Deputy-pass-2026", "person_id": deputy, "role_ids": [member_role]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let deputy_api = app.api_first("deputy_qiyuan", "Deputy-pass-2026", "Deputy-own-2026").await;
    assert_eq!(deputy_api.get(&format!("/posts/{post}/succession")).await.0, 403, "no secretary's access yet");
    // The township removes the secretary: the deputy acts and the secretary's access goes to them.
    let township = app.api("township_secretary").await;
    let today = frontline_core::time::today_in_china(chrono::Utc::now());
    let (s, outcome) = township
        .post(&format!("/posts/{post}/remove"), json!({"reason": "transferred", "date": today.to_string()}))
        .await;
    assert_eq!(s, 200, "{outcome}");
    assert_eq!(outcome["acting"]["person_id"], deputy);
    let (s, body) = secretary.get(&format!("/posts/{post}")).await;
    assert_eq!(s, 403, "the former secretary's access ended with the tenure: {body}");
    let (s, body) =
        secretary.post(&format!("/posts/{post}/remove"), json!({"reason": "ill", "date": today.to_string()})).await;
    assert_eq!(s, 403, "and cannot remove the next holder: {body}");
    let (s, preview) = deputy_api.get(&format!("/posts/{post}/succession")).await;
    assert_eq!(s, 200, "the acting holder has the post's access from today: {preview}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'post.access' AND object_id = $1",
            vec![post.into()]
        )
        .await,
        1,
        "whose access ended and whose began is audited"
    );
    // Appointed back from tomorrow, the former secretary has no access today, and the deputy keeps theirs.
    let tomorrow = today.succ_opt().unwrap();
    let (s, body) = township
        .post(&format!("/posts/{post}/assign"), json!({"person_id": me, "start_date": tomorrow.to_string()}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(secretary.get(&format!("/posts/{post}")).await.0, 403, "access begins with the tenure, tomorrow");
    assert_eq!(deputy_api.get(&format!("/posts/{post}/succession")).await.0, 200);
}

#[tokio::test]
async fn unavailable_people_are_passed_over_or_chosen_with_a_warning() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let post = secretary_post(&app, p.qiyuan_branch).await;
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::with(
        "UPDATE people SET suspended = TRUE WHERE id IN (SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id \
         AND t.end_date IS NULL WHERE po.unit_id = $1 AND po.kind = 'deputy_secretary')",
        vec![p.qiyuan_branch.into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, preview) = api.get(&format!("/posts/{post}/succession")).await;
    assert_eq!(preview["candidates"][0]["warnings"], json!(["suspended"]));
    assert_eq!(preview["successor"]["post_title"], "委员", "the suspended deputy is passed over: {preview}");
    // With everyone suspended, the first in order is chosen, with the warning.
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::with(
        "UPDATE people SET suspended = TRUE WHERE id IN (SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id \
         AND t.end_date IS NULL WHERE po.unit_id = $1)",
        vec![p.qiyuan_branch.into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, preview) = api.get(&format!("/posts/{post}/succession")).await;
    assert_eq!(preview["successor"]["post_title"], "副书记");
    assert_eq!(preview["successor"]["warnings"], json!(["suspended"]));
}

#[tokio::test]
async fn members_claim_roles_and_secretaries_approve() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let member = app.api("member").await;
    let secretary = app.api("village_secretary").await;
    let (s, roles) = member.get("/role-posts?mine=true").await;
    assert_eq!(s, 200, "{roles}");
    assert_eq!(roles["total"], 8);
    let roles = roles["items"].as_array().unwrap();
    assert_eq!(roles.len(), 8, "the eight roles of 岐元村");
    assert!(roles.iter().all(|r| r["unit_id"] == p.qiyuan));
    let role = roles.iter().find(|r| r["name"] == "民生服务代办员").unwrap();
    let role_id = role["id"].as_i64().unwrap();
    let (s, claim) = member.post(&format!("/role-posts/{role_id}/claim"), json!({})).await;
    assert_eq!(s, 201, "{claim}");
    assert_eq!(claim["status"], "pending");
    let other = roles.iter().find(|r| r["name"] == "宣传员").unwrap();
    let (s, body) = member.post(&format!("/role-posts/{}/claim", other["id"]), json!({})).await;
    assert_eq!(s, 409, "one role per member per village: {body}");
    // A member may not approve their own claim, nor claim another village's role.
    let (s, _) = member.post(&format!("/role-claims/{}/decide", claim["id"]), json!({"status": "approved"})).await;
    assert_eq!(s, 403);
    let foreign_role =
        one(&app, "SELECT id FROM role_posts WHERE unit_id = $1 ORDER BY id LIMIT 1", vec![p.village_elsewhere.into()])
            .await;
    let (s, _) = member.post(&format!("/role-posts/{foreign_role}/claim"), json!({})).await;
    assert_eq!(s, 404);
    // Rejection needs a reason; approval counts the holder.
    let (s, body) =
        secretary.post(&format!("/role-claims/{}/decide", claim["id"]), json!({"status": "rejected"})).await;
    assert_eq!(s, 422, "{body}");
    let (s, approved) =
        secretary.post(&format!("/role-claims/{}/decide", claim["id"]), json!({"status": "approved"})).await;
    assert_eq!(s, 200, "{approved}");
    let (_, roles_after) = member.get("/role-posts?mine=true").await;
    let after = roles_after["items"].as_array().unwrap().iter().find(|r| r["id"] == role_id).unwrap().clone();
    assert_eq!(after["approved"].as_i64().unwrap(), role["approved"].as_i64().unwrap() + 1);
    let (s, _) = secretary.post(&format!("/role-claims/{}/decide", claim["id"]), json!({"status": "approved"})).await;
    assert_eq!(s, 409, "decided once");
    // The holder logs an errand (红色代办); someone without the role cannot be named.
    let me = app.db.one::<(i64,)>(&Sql::new("SELECT person_id FROM users WHERE username = 'member'")).await.unwrap().0;
    let (s, errand) = member
        .post(
            &format!("/role-posts/{role_id}/errands"),
            json!({"person_id": me, "what": "代购药品", "done_on": "2026-11-20"}),
        )
        .await;
    assert_eq!(s, 201, "{errand}");
    let stranger = one(
        &app,
        "SELECT p.id FROM people p WHERE p.home_unit_id = $1 AND NOT EXISTS (SELECT 1 FROM role_claims c \
         WHERE c.person_id = p.id AND c.role_post_id = $2 AND c.status = 'approved') ORDER BY p.id LIMIT 1",
        vec![p.qiyuan_branch.into(), role_id.into()],
    )
    .await;
    let errands = count(&app, "SELECT COUNT(*) FROM errands", vec![]).await;
    let (s, body) = secretary
        .post(
            &format!("/role-posts/{role_id}/errands"),
            json!({"person_id": stranger, "what": "x", "done_on": "2026-11-20"}),
        )
        .await;
    assert_eq!(s, 422, "only a holder of the role: {body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM errands", vec![]).await, errands);
    // The balance view lists a role with no holders and suggests members with a matching specialty.
    let county = app.api("county_org").await;
    let (s, balance) = county.get(&format!("/units/{}/role-balance", app.unit_id("330382").await)).await;
    assert_eq!(s, 200);
    assert!(balance.as_array().unwrap().iter().any(|i| i["state"] == "empty"), "{balance}");
    // Bad limits on a new role are refused.
    let (s, body) = secretary
        .post(&format!("/units/{}/role-posts", p.qiyuan), json!({"name": "护林员", "min_holders": 5, "max_holders": 2}))
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, _) = secretary.post(&format!("/units/{}/role-posts/defaults", p.qiyuan), json!({})).await;
    assert_eq!(s, 409, "the village has its catalogue already");
}

#[tokio::test]
async fn pairing_proposes_the_optimum_and_writes_what_is_accepted() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county = app.unit_id("330382").await;
    let api = app.api("county_org").await;
    // Three enterprises in 白石街道, to be served by the cadres of 市商务局.
    for name in ["乐清电气有限公司", "白石阀门厂", "岐元服饰有限公司"] {
        let (s, b) = api.post("/units", json!({"parent_id": p.baishi, "name": name, "kind": "enterprise"})).await;
        assert_eq!(s, 201, "{b}");
    }
    let commerce = app.unit_named("市商务局").await;
    let sides = json!({"left": "cadres", "left_root": commerce, "right_root": p.baishi, "right_kind": "enterprise", "capacity": 2});
    let (s, proposal) = api.post("/pairing/propose", sides.clone()).await;
    assert_eq!(s, 200, "{proposal}");
    let cadres = proposal["left_count"].as_i64().unwrap();
    assert_eq!(proposal["right_count"], 3);
    assert_eq!(proposal["pairs"].as_array().unwrap().len() as i64, 3.min(cadres * 2));
    let pairs: Vec<(i64, i64)> = proposal["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["left_id"].as_i64().unwrap(), x["right_id"].as_i64().unwrap()))
        .collect();
    // A stale or foreign pair makes the whole acceptance fail and writes nothing.
    let links = count(&app, "SELECT COUNT(*) FROM links", vec![]).await;
    let mut bad = sides.clone();
    bad["pairs"] = json!([[pairs[0].0, pairs[0].1], [pairs[0].0, p.qiyuan]]);
    let (s, body) = api.post("/pairing/accept", bad).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM links", vec![]).await, links);
    let mut good = sides.clone();
    good["pairs"] = json!(pairs);
    let (s, body) = api.post("/pairing/accept", good).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM links WHERE kind = 'enterprise_contact'", vec![]).await,
        pairs.len() as i64
    );
    // Paired enterprises are no longer on offer.
    let (_, again) = api.post("/pairing/propose", sides).await;
    assert_eq!(again["right_count"], 3 - pairs.len() as i64);
    // Organs ↔ villages: the demo paired every village, so the right side is empty; the report says so.
    let (s, organs) = api
        .post(
            "/pairing/propose",
            json!({"left": "units", "left_root": county, "left_kind": "department", "right_root": county, "right_kind": "village", "capacity": 30}),
        )
        .await;
    assert_eq!(s, 200, "{organs}");
    assert_eq!(organs["right_count"], 0);
    // Bad requests: a negative weight, a capacity of 0, an unknown kind.
    for bad in [
        json!({"left": "cadres", "left_root": commerce, "right_root": p.baishi, "right_kind": "enterprise", "capacity": 1, "per_km": -1.0}),
        json!({"left": "cadres", "left_root": commerce, "right_root": p.baishi, "right_kind": "enterprise", "capacity": 0}),
        json!({"left": "units", "left_root": county, "left_kind": "palace", "right_root": county, "right_kind": "village", "capacity": 1}),
    ] {
        let (s, body) = api.post("/pairing/propose", bad).await;
        assert_eq!(s, 422, "{body}");
    }
}

#[tokio::test]
async fn deployments_arrive_and_planners_explain_their_choices() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county = app.unit_id("330382").await;
    let api = app.api("county_org").await;
    let today = chrono::Utc::now().date_naive();
    let (s, before) = api.get(&format!("/units/{county}/arrivals")).await;
    assert_eq!(s, 200, "{before}");
    let sent = count(&app, "SELECT COUNT(*) FROM deployments WHERE start_date <= $1", vec![today.into()]).await;
    assert_eq!(before["sent"].as_i64().unwrap(), sent);
    let arrived = count(&app, "SELECT COUNT(*) FROM deployments WHERE arrived_at IS NOT NULL", vec![]).await;
    assert_eq!(before["arrived"].as_i64().unwrap(), arrived, "a query, not a typed count");
    // Send someone not yet deployed; they arrive; the count moves.
    let dept = app.unit_named("市农业农村局").await;
    let person = one(
        &app,
        "SELECT p.id FROM people p WHERE p.home_unit_id = $1 AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.person_id = p.id) \
         ORDER BY p.id DESC LIMIT 1",
        vec![dept.into()],
    )
    .await;
    let body =
        json!({"person_id": person, "target_unit_id": p.qiyuan, "purpose": "village", "start_date": today.to_string()});
    let (s, d) = api.post("/deployments", body.clone()).await;
    assert_eq!(s, 201, "{d}");
    let (s, again) = api.post("/deployments", body).await;
    assert_eq!(s, 409, "already deployed: {again}");
    for bad in [
        json!({"person_id": person, "target_unit_id": p.qiyuan, "purpose": "holiday", "start_date": "2026-11-01"}),
        json!({"person_id": person, "target_unit_id": dept, "purpose": "village", "start_date": "2026-11-01"}),
        json!({"person_id": person, "target_unit_id": p.qiyuan, "purpose": "village", "start_date": "2026-11-01", "end_date": "2026-10-01"}),
    ] {
        let (s, body) = api.post("/deployments", bad).await;
        assert!(s == 422 || s == 409, "{s} {body}");
    }
    let (s, arrived_now) = api.post(&format!("/deployments/{}/arrive", d["id"]), json!({})).await;
    assert_eq!(s, 200, "{arrived_now}");
    let (s, _) = api.post(&format!("/deployments/{}/arrive", d["id"]), json!({})).await;
    assert_eq!(s, 409);
    let (_, after) = api.get(&format!("/units/{county}/arrivals")).await;
    assert_eq!(after["arrived"].as_i64().unwrap(), arrived + 1);
    assert_eq!(after["sent"].as_i64().unwrap(), sent + 1);
    // The deployments page shows China's clock: 13:51 stored (UTC) is 21:51 at UTC+8.
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T13:51:00Z").unwrap().with_timezone(&chrono::Utc);
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::with(
        "UPDATE deployments SET arrived_at = $1 WHERE id = $2",
        vec![at.into(), d["id"].as_i64().unwrap().into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, page) = app.ui("county_org").await.get(&format!("/duty/deployments?unit={dept}")).await;
    assert!(page.contains("2026-11-30 21:51") && !page.contains("2026-11-30 13:51"), "the page shows China time");
    // The planners list every cadre of the unit with the rule that placed them.
    let staff = count(
        &app,
        "SELECT COUNT(*) FROM people WHERE home_unit_id = $1 AND category IN ('cadre', 'village_cadre')",
        vec![dept.into()],
    )
    .await;
    let (s, thirds) = api.get(&format!("/units/{dept}/plan/thirds")).await;
    assert_eq!(s, 200, "{thirds}");
    let rows = thirds.as_array().unwrap();
    assert_eq!(rows.len() as i64, staff);
    let head = one(
        &app,
        "SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL WHERE po.unit_id = $1 \
         AND po.kind = 'department_head'",
        vec![dept.into()],
    )
    .await;
    let head_row = rows.iter().find(|r| r["person_id"] == head).unwrap();
    assert_eq!(head_row["choice"], "unit");
    assert_eq!(head_row["reason"], "plan.reason.leader_stays");
    let (_, thirty) = api.get(&format!("/units/{dept}/plan/villages?percent=30")).await;
    let chosen = thirty.as_array().unwrap().iter().filter(|r| r["choice"] == "villages").count() as i64;
    let eligible = thirty
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reason"] != "plan.reason.leader_stays" && r["reason"] != "plan.reason.already_deployed")
        .count() as i64;
    let in_villages = count(
        &app,
        "SELECT COUNT(*) FROM people p WHERE p.home_unit_id = $1 AND p.category IN ('cadre', 'village_cadre') \
         AND EXISTS (SELECT 1 FROM deployments d WHERE d.person_id = p.id AND d.purpose = 'village' AND d.end_date IS NULL)",
        vec![dept.into()],
    )
    .await;
    assert!(in_villages >= 1, "the person sent above is in a village");
    assert_eq!(chosen, ((staff * 30 + 99) / 100 - in_villages).max(0).min(eligible), "those out count in the 30 %");
    // The three-thirds plan of a township keeps those already out where they are, and its unchanged
    // default plan can be confirmed: nobody is sent twice.
    let township_cadre = one(
        &app,
        "SELECT p.id FROM people p WHERE p.home_unit_id = $1 AND p.category = 'cadre' \
         AND NOT EXISTS (SELECT 1 FROM posts po JOIN tenures t ON t.post_id = po.id WHERE t.person_id = p.id) \
         AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.person_id = p.id) ORDER BY p.id LIMIT 1",
        vec![p.baishi.into()],
    )
    .await;
    let (s, body) = api
        .post(
            "/deployments",
            json!({"person_id": township_cadre, "target_unit_id": p.qiyuan, "purpose": "village", "start_date": today.to_string()}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (_, plan) = api.get(&format!("/units/{}/plan/thirds", p.baishi)).await;
    let plan = plan.as_array().unwrap().clone();
    let out_row = plan.iter().find(|r| r["person_id"] == township_cadre).unwrap();
    assert_eq!(
        (out_row["choice"].as_str(), out_row["reason"].as_str()),
        (Some("villages"), Some("plan.reason.already_deployed"))
    );
    let ui = app.ui("county_org").await;
    let (_, page) = ui.get(&format!("/duty/plan?unit={}&mode=thirds", p.baishi)).await;
    assert!(
        !page.contains(&format!("name=\"person\" value=\"{township_cadre}\"")),
        "the page offers no second posting"
    );
    let mut form: Vec<(String, String)> = vec![
        ("unit_id".into(), p.baishi.to_string()),
        ("start_date".into(), today.to_string()),
        ("village_target".into(), p.qiyuan.to_string()),
        ("front_target".into(), p.other_village_same_township.to_string()),
    ];
    for r in plan.iter().filter(|r| r["reason"] != "plan.reason.already_deployed") {
        let id = r["person_id"].as_i64().unwrap();
        form.push(("person".into(), id.to_string()));
        form.push((format!("choice_{id}"), r["choice"].as_str().unwrap().to_string()));
    }
    let sent_before = count(&app, "SELECT COUNT(*) FROM deployments", vec![]).await;
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (s, body, headers) = ui.post("/duty/plan/confirm", &pairs).await;
    assert_eq!(s, 200, "{body}");
    assert!(headers.contains_key("hx-redirect"), "the default plan is confirmed: {body}");
    let going_out =
        plan.iter().filter(|r| r["choice"] != "unit" && r["reason"] != "plan.reason.already_deployed").count();
    assert!(going_out > 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM deployments", vec![]).await, sent_before + going_out as i64);
    // Sending one of them again names them.
    let (s, body, _) = ui
        .post(
            "/duty/plan/confirm",
            &[
                ("unit_id", &p.baishi.to_string()),
                ("start_date", &today.to_string()),
                ("village_target", &p.qiyuan.to_string()),
                ("person", &township_cadre.to_string()),
                (&format!("choice_{township_cadre}"), "villages"),
            ],
        )
        .await;
    let name = one_text(&app, "SELECT name FROM people WHERE id = $1", vec![township_cadre.into()]).await;
    assert!(s >= 400 && body.contains(&name), "the refusal names who is already out: {s} {body}");
    // A township's own party secretary (posted in its party committee) stays with the unit.
    let secretary = one(
        &app,
        "SELECT t.person_id FROM posts po JOIN units u ON u.id = po.unit_id JOIN tenures t ON t.post_id = po.id \
         AND t.end_date IS NULL WHERE u.parent_id = $1 AND po.kind = 'township_secretary'",
        vec![p.baishi.into()],
    )
    .await;
    for mode in ["thirds", "villages?percent=30"] {
        let (s, plan) = api.get(&format!("/units/{}/plan/{mode}", p.baishi)).await;
        assert_eq!(s, 200, "{plan}");
        let row =
            plan.as_array().unwrap().iter().find(|r| r["person_id"] == secretary).cloned().expect("on the roster");
        assert_eq!(row["reason"], "plan.reason.leader_stays", "{mode}: {row}");
    }
    let (s, _) = api.get(&format!("/units/{dept}/plan/villages?percent=0")).await;
    assert_eq!(s, 422);
    // Mentoring: three different people.
    let (s, body) = api
        .post(
            &format!("/units/{dept}/mentorships"),
            json!({"leader_id": head, "middle_id": head, "young_id": person, "start_date": "2026-11-01"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    // Mentoring: a leader, a middle and a young cadre (35 or under), by rank and age; it can end.
    let young_born_after = today.with_year(today.year() - 35).unwrap();
    let pick = |cond: String| {
        let app = &app;
        async move {
            one(
                app,
                &format!("SELECT p.id FROM people p WHERE p.home_unit_id = $1 AND p.category = 'cadre' AND {cond} ORDER BY p.id LIMIT 1"),
                vec![p.baishi.into(), young_born_after.into()],
            )
            .await
        }
    };
    let leader = pick("p.rank = 'section_level' AND p.birthday < $2".into()).await;
    let young = pick("p.rank = 'staff' AND p.birthday > $2".into()).await;
    let older = pick(format!(
        "p.rank = 'staff' AND p.birthday < $2 AND p.birthday >= (SELECT l.birthday FROM people l WHERE l.id = {leader})"
    ))
    .await;
    let triple = |l: i64, m: i64, y: i64| json!({"leader_id": l, "middle_id": m, "young_id": y, "start_date": today.to_string()});
    let before = count(&app, "SELECT COUNT(*) FROM mentorships", vec![]).await;
    let (s, body) = api.post(&format!("/units/{}/mentorships", p.baishi), triple(young, older, leader)).await;
    assert_eq!(s, 422, "{body}");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(
        fields.contains(&"leader_id") && fields.contains(&"young_id"),
        "the rules are named on their fields: {body}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM mentorships", vec![]).await, before);
    let (s, body) = api.post(&format!("/units/{}/mentorships", p.baishi), triple(leader, older, young)).await;
    assert_eq!(s, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let end = today.succ_opt().unwrap().to_string();
    let (s, ended) = api.post(&format!("/mentorships/{id}/end"), json!({"end_date": end})).await;
    assert_eq!(s, 200, "{ended}");
    assert_eq!(ended["end_date"], end);
    let (s, _) = api.post(&format!("/mentorships/{id}/end"), json!({"end_date": end})).await;
    assert_eq!(s, 409, "ended once");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'mentorship.end' AND object_id = $1",
            vec![id.into()]
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_pages_render_in_both_languages_and_forms_work() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ui = app.ui("county_org").await;
    let dept = app.unit_named("市公安局").await;
    let post = secretary_post(&app, p.qiyuan_branch).await;
    for path in [
        format!("/duty?unit={}", p.qiyuan),
        format!("/duty/gaps?unit={}", p.baishi),
        format!("/duty/coverage?unit={}", p.baishi),
        format!("/duty/roles?unit={}", p.qiyuan),
        "/duty/pairing".to_string(),
        format!("/duty/deployments?unit={dept}"),
        format!("/duty/plan?unit={dept}&mode=thirds"),
        format!("/duty/plan?unit={dept}&mode=villages&percent=30"),
        format!("/posts/{post}/remove"),
        "/me".to_string(),
    ] {
        let (s, body) = ui.get(&path).await;
        assert_eq!(s, 200, "{path}: {body}");
        assert!(
            !body.contains("duty.") && !body.contains("pairing.") && !body.contains("plan.reason"),
            "{path}: an untranslated key"
        );
    }
    let (s, chain) = ui.get(&format!("/duty?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    assert!(chain.contains("包村") && chain.contains("岐元村"));
    let (_, _) = ui.get("/lang/en").await;
    let (s, en) = ui.get(&format!("/duty?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    assert!(en.contains("Village contact"), "English labels");
    // The plan is confirmed as adjusted: everyone the form sends to villages is deployed, all at once.
    let (_, plan) = ui.get(&format!("/duty/plan?unit={dept}&mode=villages&percent=30")).await;
    let people: Vec<String> = plan
        .match_indices("name=\"person\" value=\"")
        .map(|(i, m)| plan[i + m.len()..].split('"').next().unwrap().to_string())
        .collect();
    assert!(!people.is_empty());
    let mut form: Vec<(String, String)> = vec![
        ("unit_id".into(), dept.to_string()),
        ("village_target".into(), p.baishi.to_string()),
        ("start_date".into(), "2026-11-20".into()),
    ];
    let undeployed: Vec<String> = {
        let mut v = Vec::new();
        for id in &people {
            let n = count(
                &app,
                "SELECT COUNT(*) FROM deployments WHERE person_id = $1",
                vec![id.parse::<i64>().unwrap().into()],
            )
            .await;
            if n == 0 {
                v.push(id.clone());
            }
        }
        v
    };
    for id in &undeployed {
        form.push(("person".into(), id.clone()));
        form.push((format!("choice_{id}"), "villages".into()));
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let before = count(&app, "SELECT COUNT(*) FROM deployments", vec![]).await;
    let (s, body, _) = ui.post("/duty/plan/confirm", &form_ref).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM deployments", vec![]).await, before + undeployed.len() as i64);
    // Spread over 白石街道's villages in turn.
    let targets = count(
        &app,
        "SELECT COUNT(DISTINCT d.target_unit_id) FROM deployments d JOIN units u ON u.id = d.target_unit_id \
         WHERE d.start_date = '2026-11-20' AND u.parent_id = $1",
        vec![p.baishi.into()],
    )
    .await;
    assert_eq!(
        targets,
        (undeployed.len() as i64).min(
            count(&app, "SELECT COUNT(*) FROM units WHERE parent_id = $1 AND kind = 'village'", vec![p.baishi.into()])
                .await
        )
    );
}

#[tokio::test]
async fn the_people_concerned_see_the_notice_until_they_read_it() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let post = secretary_post(&app, p.qiyuan_branch).await;
    // The township removes the village secretary (who has an account): they are notified.
    let township = app.api("township_secretary").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let (s, body) =
        township.post(&format!("/posts/{post}/remove"), json!({"reason": "transferred", "date": today})).await;
    assert_eq!(s, 200, "{body}");
    let ui = app.ui("village_secretary").await;
    let (_, page) = ui.get("/me").await;
    assert!(page.contains("id=\"unread\""), "an unread badge beside the name");
    assert!(page.contains("调离") && page.contains("主持工作"), "the notice names the reason and who acts");
    let (s, _, _) = ui.post("/me/notifications/read", &[]).await;
    assert_eq!(s, 200);
    let (_, page) = ui.get("/me").await;
    assert!(!page.contains("id=\"unread\""));
    // The API lists the caller's own notifications only.
    let (s, mine) = app.api("village_secretary").await.get("/me/notifications").await;
    assert_eq!(s, 200);
    assert!(mine.as_array().unwrap().iter().all(|n| n["read_at"].is_string()));
    let (_, others) = app.api("grid_worker").await.get("/me/notifications").await;
    assert!(
        others.as_array().unwrap().iter().all(|n| !n["kind"].as_str().unwrap().starts_with("succession")),
        "the grid worker gets only their own reminders: {others}"
    );
}

#[tokio::test]
async fn a_member_sees_the_roles_that_suit_their_specialties_first() {
    let app = TestApp::new().await;
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::new(
        "UPDATE people SET specialties = '驾驶' WHERE id = (SELECT person_id FROM users WHERE username = 'member')",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let ui = app.ui("member").await;
    let (s, page) = ui.get("/me").await;
    assert_eq!(s, 200);
    let roles = &page[page.find("id=\"open-roles\"").unwrap()..];
    let first_card = &roles[..roles.find("</li>").unwrap()];
    assert!(first_card.contains("符合您的专长"), "{first_card}");
    assert!(first_card.contains("民生服务代办员") || first_card.contains("交通卡口管制员"), "{first_card}");
    assert_eq!(roles.matches("符合您的专长").count(), 2, "two of the eight roles want drivers");
}
