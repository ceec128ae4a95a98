//! No one sees what is not theirs: for every list, detail, export and change route of the API
//! and the UI, a village secretary gets nothing of another village and a township secretary
//! nothing outside the township. Every route is tried, not a sample; a test also checks that
//! every `{id}` route the API documents is in the table.

use serde_json::{Value, json};

use crate::helpers::{Api, Places, TestApp, Ui};

/// Objects of one place: its village unit, a member of its branch, a post in its branch.
struct Foreign {
    unit: i64,
    person: i64,
    post: i64,
    /// A current posting of someone whose home unit lies in the place, if there is one.
    posting: Option<i64>,
    /// A responsibility link, a role post, a pending claim and a deployment of the place.
    link: Option<i64>,
    role_post: Option<i64>,
    claim: Option<i64>,
    deployment: Option<i64>,
    /// A mentoring triple of the place.
    mentorship: Option<i64>,
    /// A task instance, a checkpoint and a shift assignment of the place.
    task: Option<i64>,
    checkpoint: Option<i64>,
    assignment: Option<i64>,
}

async fn first_id(app: &TestApp, sql: &str, unit: i64) -> Option<i64> {
    let row: Option<(i64,)> = app.db.opt(&frontline_db::Sql::with(sql, vec![unit.into()])).await.unwrap();
    row.map(|r| r.0)
}

async fn foreign(app: &TestApp, unit: i64, member_unit: i64) -> Foreign {
    let posting: Option<(i64,)> = app
        .db
        .opt(&frontline_db::Sql::with(
            "SELECT ps.id FROM postings ps JOIN people p ON p.id = ps.person_id JOIN units hu ON hu.id = p.home_unit_id \
             JOIN units root ON root.id = $1 WHERE ps.end_date IS NULL AND hu.path LIKE root.path || '%' ORDER BY ps.id LIMIT 1",
            vec![unit.into()],
        ))
        .await
        .unwrap();
    let within = "JOIN units root ON root.id = $1 WHERE u.path LIKE root.path || '%'";
    Foreign {
        unit,
        person: app.person_in(member_unit).await,
        post: app.post_in(member_unit).await,
        posting: posting.map(|p| p.0),
        link: first_id(app, &format!("SELECT l.id FROM links l JOIN units u ON u.id = l.unit_id {within} AND l.end_date IS NULL ORDER BY l.id LIMIT 1"), unit).await,
        role_post: first_id(app, &format!("SELECT r.id FROM role_posts r JOIN units u ON u.id = r.unit_id {within} ORDER BY r.id LIMIT 1"), unit).await,
        mentorship: first_id(app, &format!("SELECT m.id FROM mentorships m JOIN units u ON u.id = m.unit_id {within} AND m.end_date IS NULL ORDER BY m.id LIMIT 1"), unit).await,
        claim: first_id(app, &format!("SELECT c.id FROM role_claims c JOIN role_posts r ON r.id = c.role_post_id JOIN units u ON u.id = r.unit_id {within} AND c.status = 'pending' ORDER BY c.id LIMIT 1"), unit).await,
        deployment: first_id(app, &format!("SELECT d.id FROM deployments d JOIN units u ON u.id = d.home_unit_id {within} AND d.end_date IS NULL ORDER BY d.id LIMIT 1"), unit).await
            .or(first_id(app, &format!("SELECT d.id FROM deployments d JOIN units u ON u.id = d.target_unit_id {within} AND d.end_date IS NULL ORDER BY d.id LIMIT 1"), unit).await),
        task: first_id(app, &format!("SELECT i.id FROM task_instances i JOIN units u ON u.id = i.unit_id {within} ORDER BY i.id LIMIT 1"), unit).await,
        checkpoint: first_id(app, &format!("SELECT u.id FROM units u {within} AND u.kind = 'checkpoint' ORDER BY u.id LIMIT 1"), unit).await,
        assignment: first_id(app, &format!("SELECT a.id FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id JOIN units u ON u.id = s.checkpoint_id {within} AND a.status = 'planned' ORDER BY a.id LIMIT 1"), unit).await,
    }
}

const API_READS: &[&str] = &[
    "/units/{unit}",
    "/units/{unit}/children",
    "/units?under={unit}",
    "/people/{person}",
    "/people/{person}/postings",
    "/people?unit={unit}",
    "/people/export?unit={unit}",
    "/posts/{post}",
    "/posts/{post}/tenures",
    "/posts?unit={unit}",
    "/units/{unit}/chain",
    "/units/{unit}/gaps",
    "/units/{unit}/coverage",
    "/units/{unit}/role-balance",
    "/units/{unit}/arrivals",
    "/units/{unit}/plan/thirds",
    "/units/{unit}/plan/villages",
    "/units/{unit}/mentorships",
    "/posts/{post}/succession",
    "/posts/{post}/holder",
    "/links?unit={unit}",
    "/role-posts?unit={unit}",
    "/role-claims?unit={unit}",
    "/deployments?unit={unit}",
    "/units/{unit}/task-rates",
    "/units/{unit}/checkpoints",
    "/units/{unit}/shifts",
    "/units/{unit}/duty-streaks",
    "/tasks?unit={unit}",
    "/task-lists?unit={unit}",
    "/records?unit={unit}",
    "/units/{unit}/survey-compilation",
    "/units/{unit}/risk-list",
    "/units/{unit}/meetings",
    "/units/{unit}/trainings",
    "/units/{unit}/training-coverage",
    "/units/{unit}/life-meetings",
    "/units/{unit}/life-compliance",
    "/units/{unit}/weak-cases",
    "/units/{unit}/temporary-orgs",
    "/units/{unit}/alliances",
    "/topics?unit={unit}",
    "/me/households?unit={unit}",
    "/units/{unit}/order-counts",
    "/units/{unit}/calendar",
    "/orders?unit={unit}",
    "/findings?unit={unit}",
    "/notices?unit={unit}",
    "/units/{unit}/supervision-counts",
    "/units/{unit}/burden",
];

/// Reads of supervision a village secretary has no permission for (403) and a township
/// secretary has, but not outside the township (404).
const API_SUPERVISION_READS: &[&str] =
    &["/inspection-visits?unit={unit}", "/accountability-actions?unit={unit}", "/units/{unit}/accountability-counts"];

/// Paths with `{id}` in the OpenAPI document that the tables above and below cover.
const COVERED_ID_PATHS: &[&str] = &[
    // A bulletin of another place is neither listed nor readable: tested in `bulletins`.
    "/api/v1/bulletins/{id}",
    "/api/v1/bulletins/{id}/pdf",
    "/api/v1/bulletins/{id}/xlsx",
    "/api/v1/records/{id}/correction",
    "/api/v1/appraisals/{id}",
    "/api/v1/appraisals/{id}/conclusion",
    "/api/v1/appraisals/{id}/certificate.pdf",
    "/api/v1/talent/{id}/removal",
    "/api/v1/reviews/{id}",
    "/api/v1/reviews/{id}/ratings",
    "/api/v1/reviews/{id}/close",
    "/api/v1/deeds/{id}",
    "/api/v1/deeds/{id}/publish",
    "/api/v1/selections/{id}",
    "/api/v1/selections/{id}/nominations",
    "/api/v1/selections/{id}/votes",
    "/api/v1/selections/{id}/advance",
    "/api/v1/units/{id}",
    "/api/v1/units/{id}/children",
    "/api/v1/units/{id}/move",
    "/api/v1/units/{id}/close",
    "/api/v1/people/{id}",
    "/api/v1/people/{id}/postings",
    "/api/v1/posts/{id}",
    "/api/v1/posts/{id}/tenures",
    "/api/v1/posts/{id}/assign",
    "/api/v1/posts/{id}/vacate",
    "/api/v1/postings/{id}/end",
    // Roles are not held by units; who may change them is tested in `admin`.
    "/api/v1/roles/{id}",
    // Only the caller's own tokens; tested in `auth`.
    "/api/v1/me/tokens/{id}/revoke",
    "/api/v1/links/{id}/end",
    "/api/v1/units/{id}/chain",
    "/api/v1/units/{id}/gaps",
    "/api/v1/units/{id}/coverage",
    "/api/v1/posts/{id}/succession",
    "/api/v1/posts/{id}/remove",
    "/api/v1/posts/{id}/holder",
    "/api/v1/units/{id}/role-posts",
    "/api/v1/units/{id}/role-posts/defaults",
    "/api/v1/units/{id}/role-balance",
    "/api/v1/role-posts/{id}",
    "/api/v1/role-posts/{id}/claim",
    "/api/v1/role-posts/{id}/errands",
    "/api/v1/role-claims/{id}/decide",
    "/api/v1/deployments/{id}/arrive",
    "/api/v1/deployments/{id}/end",
    "/api/v1/units/{id}/arrivals",
    "/api/v1/units/{id}/plan/thirds",
    "/api/v1/units/{id}/plan/villages",
    "/api/v1/units/{id}/mentorships",
    "/api/v1/mentorships/{id}/end",
    "/api/v1/units/{id}/task-lists",
    // Task lists of the demo belong to the county, outside both secretaries' scope.
    "/api/v1/task-lists/{id}/active",
    "/api/v1/task-lists/{id}/commitment",
    "/api/v1/tasks/{id}",
    "/api/v1/tasks/{id}/submit",
    "/api/v1/tasks/{id}/decide",
    "/api/v1/units/{id}/task-rates",
    "/api/v1/units/{id}/checkpoints",
    "/api/v1/checkpoints/{id}",
    "/api/v1/checkpoints/{id}/people",
    "/api/v1/units/{id}/roster",
    "/api/v1/units/{id}/shifts",
    "/api/v1/units/{id}/duty-streaks",
    "/api/v1/shift-assignments/{id}/check-in",
    "/api/v1/shift-assignments/{id}/check-out",
    "/api/v1/units/{id}/survey-forms",
    "/api/v1/households/{id}/responses",
    "/api/v1/units/{id}/survey-compilation",
    "/api/v1/units/{id}/risk-list",
    "/api/v1/units/{id}/meetings",
    // Only the owner answers; tested in `work`.
    "/api/v1/topics/{id}/answer",
    "/api/v1/units/{id}/trainings",
    "/api/v1/units/{id}/training-coverage",
    "/api/v1/units/{id}/life-meetings",
    "/api/v1/units/{id}/life-compliance",
    "/api/v1/life-meetings/{id}",
    "/api/v1/life-meetings/{id}/attendance",
    "/api/v1/life-meetings/{id}/photos",
    "/api/v1/units/{id}/weak-screenings",
    "/api/v1/units/{id}/weak-cases",
    "/api/v1/units/{id}/weak-pairings",
    "/api/v1/weak-cases/{id}",
    "/api/v1/weak-cases/{id}/decision",
    "/api/v1/weak-cases/{id}/plan",
    "/api/v1/weak-cases/{id}/reports",
    "/api/v1/weak-cases/{id}/clear",
    "/api/v1/units/{id}/temporary-orgs",
    "/api/v1/units/{id}/alliances",
    "/api/v1/alliances/{id}/members",
    "/api/v1/units/{id}/calendar",
    "/api/v1/orders/{id}",
    "/api/v1/orders/{id}/steps",
    "/api/v1/units/{id}/order-counts",
    "/api/v1/inspection-rounds/{id}",
    "/api/v1/inspection-rounds/{id}/draw",
    "/api/v1/inspection-targets/{id}/holders",
    "/api/v1/findings/{id}",
    "/api/v1/findings/{id}/rectifications",
    "/api/v1/findings/{id}/decision",
    "/api/v1/units/{id}/supervision-counts",
    "/api/v1/accountability-actions/{id}",
    "/api/v1/accountability-actions/{id}/reviews",
    "/api/v1/accountability-reviews/{id}/decision",
    "/api/v1/units/{id}/accountability-counts",
    "/api/v1/units/{id}/burden",
    "/api/v1/schemes/{id}",
    "/api/v1/schemes/{id}/scores",
    "/api/v1/schemes/{id}/explain",
    "/api/v1/schemes/{id}/preview",
    "/api/v1/schemes/{id}/history",
    "/api/v1/schemes/{id}/runs",
    "/api/v1/score-runs/{id}",
    "/api/v1/laggard-plans/{id}",
    "/api/v1/laggard-plans/{id}/steps",
    "/api/v1/laggard-plans/{id}/decision",
];

/// A round organised over a place, its first target visited with a finding, and an action on the
/// person the finding names, put to review: made by the county, for the scope checks.
struct ForeignSupervision {
    round: i64,
    target: i64,
    finding: i64,
    action: i64,
    review: i64,
}

async fn foreign_supervision(app: &TestApp, unit: i64, own_unit: i64) -> Option<ForeignSupervision> {
    let villages = app
        .count(&format!(
            "SELECT COUNT(*) FROM units v WHERE v.kind = 'village' AND v.path LIKE (SELECT path FROM units WHERE id = {unit}) || '%'"
        ))
        .await;
    if villages == 0 {
        return None;
    }
    // Every village of the place is drawn, and one outside the caller's own village is visited
    // (a township holds the caller's village too).
    let round = crate::supervision::round_over(app, unit, 20).await;
    let inspector = app.api("inspector").await;
    let (_, d) = inspector.get(&format!("/inspection-rounds/{round}")).await;
    let target =
        d["targets"].as_array().unwrap().iter().find(|t| t["unit_id"] != own_unit).unwrap()["id"].as_i64().unwrap();
    let (s, v) = inspector
        .post(
            "/inspection-visits",
            json!({"target_id": target, "task_progress": "正常", "grid_management": "正常",
                   "findings": [{"category": "service", "severity": "minor", "description": "外单位问题",
                                 "deadline": frontline_core::time::today_in_china(chrono::Utc::now())}]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (finding, person): (i64, Option<i64>) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT id, person_id FROM findings WHERE visit_id = $1",
            vec![v["id"].as_i64().unwrap().into()],
        ))
        .await
        .unwrap();
    let (s, a) = app
        .api("county_org")
        .await
        .post(
            "/accountability-actions",
            json!({"person_id": person.unwrap(), "kind": "interview", "reason": "外单位", "review": true,
                   "decided_on": frontline_core::time::today_in_china(chrono::Utc::now()),
                   "source_kind": "finding", "source_id": finding}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let action = a["id"].as_i64().unwrap();
    let review = app.count(&format!("SELECT MIN(id) FROM accountability_reviews WHERE action_id = {action}")).await;
    Some(ForeignSupervision { round, target, finding, action, review })
}

/// Nothing of another place's supervision can be read or changed.
async fn supervision_cannot_reach(app: &TestApp, api: &Api, ui: &Ui, f: &Foreign, own_unit: i64, who: &str) {
    for t in API_SUPERVISION_READS {
        let path = fill(t, f);
        let (status, body) = api.get(&path).await;
        assert!(status == 404 || status == 403, "{who}: GET {path} must not reach another place: {status} {body}");
    }
    let Some(s) = foreign_supervision(app, f.unit, own_unit).await else { return };
    let before = snapshot(app).await;
    let today = frontline_core::time::today_in_china(chrono::Utc::now());
    for path in [
        format!("/inspection-rounds/{}", s.round),
        format!("/inspection-rounds/{}/draw", s.round),
        format!("/inspection-targets/{}/holders", s.target),
        format!("/findings/{}", s.finding),
        format!("/accountability-actions/{}", s.action),
        format!("/trace?source_kind=finding&source_id={}", s.finding),
    ] {
        let (status, body) = api.get(&path).await;
        assert!(status == 404 || status == 403, "{who}: GET {path}: {status} {body}");
    }
    let (_, mine) = api.get("/findings?per_page=200").await;
    assert!(mine["items"].as_array().unwrap().iter().all(|x| x["id"] != s.finding), "{who}: a foreign finding listed");
    for (path, body) in [
        (
            "/inspection-visits".to_string(),
            json!({"target_id": s.target, "task_progress": "x", "grid_management": "x"}),
        ),
        (format!("/findings/{}/rectifications", s.finding), json!({"text": "越权", "evidence": "越权"})),
        (format!("/findings/{}/decision", s.finding), json!({"accept": true})),
        (format!("/accountability-actions/{}/reviews", s.action), json!({"kind": "tolerance", "request": "越权"})),
        (format!("/accountability-reviews/{}/decision", s.review), json!({"approve": true, "decision": "越权"})),
        (
            "/notices".to_string(),
            json!({"unit_id": f.unit, "kind": "criticism", "title": "越权", "body": "越权", "finding_id": s.finding}),
        ),
        (
            "/accountability-actions".to_string(),
            json!({"person_id": f.person, "kind": "interview", "reason": "越权", "decision": "越权", "decided_on": today}),
        ),
        (
            "/inspection-rounds".to_string(),
            json!({"unit_id": f.unit, "title": "越权", "starts_on": today, "ends_on": today, "per_township": 1, "team_ids": [1]}),
        ),
    ] {
        let (status, resp) = api.post(&path, body).await;
        assert!(status == 404 || status == 403 || status == 422, "{who}: POST {path} answered {status}: {resp}");
    }
    for path in [
        format!("/findings/{}", s.finding),
        format!("/inspections/rounds/{}", s.round),
        format!("/inspections/rounds/{}/draw", s.round),
        format!("/inspections/targets/{}", s.target),
        format!("/accountability/{}", s.action),
    ] {
        let (status, _) = ui.get(&path).await;
        assert!(status == 404 || status == 403, "{who}: page {path}: {status}");
    }
    for (path, form) in [
        (format!("/findings/{}/rectify", s.finding), vec![("text", "越权"), ("evidence", "越权")]),
        (format!("/findings/{}/decide", s.finding), vec![("accept", "true")]),
        (format!("/inspections/targets/{}", s.target), vec![("task_progress", "x"), ("grid_management", "x")]),
        (format!("/accountability/reviews/{}/decide", s.review), vec![("approve", "true"), ("decision", "越权")]),
    ] {
        let (status, body, _) = ui.post(&path, &form).await;
        assert!(status == 404 || status == 403 || status == 422, "{who}: POST {path} answered {status}: {body}");
    }
    assert_eq!(snapshot(app).await, before, "{who}: nothing of supervision may change");
}

/// A scheme set by the place, a run published over it and a plan for it (made by the admin), and
/// the county's 堡垒指数: none of it may be read, scored, explained, published or changed from outside.
async fn judgement_cannot_reach(app: &TestApp, api: &Api, ui: &Ui, f: &Foreign, own_unit: i64, who: &str) {
    let admin = app.api("admin").await;
    let definition: Value = serde_json::from_str(frontline_core::indicators::scheme::defaults::BASTION).unwrap();
    let (s, scheme) = admin
        .post("/schemes", json!({"unit_id": f.unit, "code": format!("foreign_{}", f.unit), "name": "外部方案", "definition": definition}))
        .await;
    assert_eq!(s, 201, "{scheme}");
    let scheme = scheme["id"].as_i64().unwrap();
    let (_, all) = admin.get("/schemes").await;
    let county = all.as_array().unwrap().iter().find(|x| x["code"] == "bastion").expect("the demo's scheme")["id"]
        .as_i64()
        .unwrap();
    let period = json!({"unit_id": f.unit, "from": "2020-03-02", "to": "2020-03-08"});
    let (s, run) = admin.post(&format!("/schemes/{scheme}/runs"), period.clone()).await;
    assert_eq!(s, 201, "{run}");
    let run = run["id"].as_i64().unwrap();
    let (responsible,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT MIN(p.id) FROM people p JOIN units u ON u.id = p.home_unit_id WHERE p.category IN ('cadre', 'village_cadre') \
             AND u.path LIKE (SELECT path FROM units WHERE id = $1) || '%'",
            vec![f.unit.into()],
        ))
        .await
        .unwrap();
    let deadline = frontline_core::time::today_in_china(chrono::Utc::now()) + chrono::Duration::days(20);
    let (s, plan) = admin
        .post("/laggard-plans", json!({"unit_id": f.unit, "reason": "外部", "plan": "外部", "deadline": deadline, "responsible_id": responsible}))
        .await;
    assert_eq!(s, 201, "{plan}");
    let plan = plan["id"].as_i64().unwrap();
    // A scheme set above the caller concerns them (it scores them); one set beside them does not.
    let above = app
        .count(&format!(
            "SELECT COUNT(*) FROM units o, units f WHERE o.id = {own_unit} AND f.id = {} AND o.path LIKE f.path || '%'",
            f.unit
        ))
        .await
        > 0;
    let before = snapshot(app).await;
    let (s, body) = api.get(&format!("/schemes/{scheme}")).await;
    if above {
        assert_eq!(s, 200, "{who}: a scheme that scores them: {body}");
    } else {
        assert!(s == 404 || s == 403, "{who}: GET a foreign scheme: {s} {body}");
    }
    let q = format!("unit={}&from=2020-03-02&to=2020-03-08", f.unit);
    for path in [
        format!("/schemes/{scheme}/scores?{q}"),
        format!("/schemes/{county}/scores?{q}"),
        format!("/schemes/{county}/explain?{q}"),
        format!("/score-runs/{run}"),
        format!("/laggard-plans/{plan}"),
    ] {
        let (status, body) = api.get(&path).await;
        assert!(status == 404 || status == 403, "{who}: GET {path}: {status} {body}");
    }
    let (status, history) = api.get(&format!("/schemes/{scheme}/history?unit={}", f.unit)).await;
    assert!(status != 200 || history.as_array().unwrap().is_empty(), "{who}: foreign history: {history}");
    let (_, runs) = api.get("/score-runs").await;
    assert!(runs.as_array().is_none_or(|r| r.iter().all(|x| x["id"] != run)), "{who}: a foreign run listed");
    let (_, plans) = api.get("/laggard-plans").await;
    assert!(
        plans["items"].as_array().is_none_or(|r| r.iter().all(|x| x["id"] != plan)),
        "{who}: a foreign plan listed"
    );
    for (path, body) in [
        (format!("/schemes/{county}/runs"), period.clone()),
        (
            format!("/schemes/{county}/preview"),
            json!({"unit_id": f.unit, "from": "2020-03-02", "to": "2020-03-08", "definition": definition}),
        ),
        (format!("/laggard-plans/{plan}/steps"), json!({"note": "越权"})),
        (format!("/laggard-plans/{plan}/decision"), json!({"converted": true, "outcome": "越权"})),
        (
            "/laggard-plans".to_string(),
            json!({"unit_id": f.unit, "reason": "越权", "plan": "越权", "deadline": deadline, "responsible_id": responsible}),
        ),
        (
            "/schemes".to_string(),
            json!({"unit_id": f.unit, "code": "intruder", "name": "越权", "definition": definition}),
        ),
    ] {
        let (status, resp) = api.post(&path, body).await;
        assert!(status == 404 || status == 403 || status == 422, "{who}: POST {path} answered {status}: {resp}");
    }
    for id in [scheme, county] {
        let (status, resp) =
            api.put(&format!("/schemes/{id}"), json!({"name": "越权", "definition": definition})).await;
        assert!(status == 404 || status == 403, "{who}: PUT scheme {id} answered {status}: {resp}");
    }
    for path in [
        format!("/schemes/{county}?{q}"),
        format!("/schemes/{county}/explain?{q}"),
        format!("/score-runs/{run}"),
        format!("/laggard-plans/{plan}"),
        format!("/laggard-plans/new?unit={}", f.unit),
        format!("/ledger?unit={}", f.unit),
    ] {
        let (status, _) = ui.get(&path).await;
        assert!(status == 404 || status == 403, "{who}: page {path}: {status}");
    }
    for (path, form) in [
        (format!("/laggard-plans/{plan}/steps"), vec![("note", "越权")]),
        (format!("/laggard-plans/{plan}/decide"), vec![("converted", "true"), ("outcome", "越权")]),
        (format!("/schemes/{county}/publish"), vec![("unit_id", "0"), ("from", "2020-03-02"), ("to", "2020-03-08")]),
    ] {
        let (status, body, _) = ui.post(&path, &form).await;
        assert!(status == 404 || status == 403 || status == 422, "{who}: POST {path} answered {status}: {body}");
    }
    assert_eq!(snapshot(app).await, before, "{who}: nothing of judgement may change");
}

/// Appraisals and incentives of a place outside the caller's scope: an appraisal, a review, a
/// deed, a selection, a place in the talent pool and the place's records; none can be read,
/// listed or changed from outside (a selection of a unit above the caller is theirs to see).
async fn appraisals_cannot_reach(
    app: &TestApp,
    api: &Api,
    ui: &Ui,
    f: &Foreign,
    own_unit: i64,
    own_person: i64,
    who: &str,
) {
    let admin = app.api("admin").await;
    let (subject,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT MIN(p.id) FROM people p JOIN units u ON u.id = p.home_unit_id WHERE p.category IN ('cadre', 'village_cadre', 'member') \
             AND u.path LIKE (SELECT path FROM units WHERE id = $1) || '%'",
            vec![f.unit.into()],
        ))
        .await
        .unwrap();
    let campaign = format!("外部{}", f.unit);
    let (s, a) = admin
        .post(
            "/appraisals",
            json!({"person_id": subject, "campaign": campaign, "period_from": "2020-03-02", "period_to": "2020-03-08"}),
        )
        .await;
    let appraisal = if s == 201 {
        a["id"].as_i64().unwrap()
    } else {
        let (_, list) = admin.get(&format!("/appraisals?campaign={campaign}")).await;
        list["items"][0]["id"].as_i64().expect("the appraisal made by an earlier call")
    };
    let (_, final_one) = admin
        .post("/appraisals", json!({"person_id": subject, "campaign": format!("{campaign}定稿"), "period_from": "2020-03-02", "period_to": "2020-03-08"}))
        .await;
    if let Some(id) = final_one["id"].as_i64() {
        let (s, _) = admin
            .post(&format!("/appraisals/{id}/conclusion"), json!({"grade": "competent", "conclusion": "称职"}))
            .await;
        assert_eq!(s, 204);
    }
    let (_, finals) = admin.get(&format!("/appraisals?campaign={campaign}定稿")).await;
    let final_appraisal = finals["items"][0]["id"].as_i64().unwrap();
    let (_, talent) = admin.get("/talent").await;
    let tier = match talent["items"].as_array().unwrap().iter().find(|t| t["person_id"] == subject) {
        Some(t) => t["id"].as_i64().unwrap(),
        None => {
            let (s, t) =
                admin.post("/talent", json!({"person_id": subject, "tier": "key_training", "reason": "外部"})).await;
            assert_eq!(s, 201, "{t}");
            t["id"].as_i64().unwrap()
        }
    };
    // The 述职 is delivered by the holder of the unit's secretary post.
    let (reporter,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT MIN(t.person_id) FROM tenures t JOIN posts po ON po.id = t.post_id JOIN units pu ON pu.id = po.unit_id \
             WHERE t.end_date IS NULL AND po.kind IN ('secretary', 'township_secretary', 'department_head') AND (pu.id = $1 OR pu.parent_id = $2)",
            vec![f.unit.into(), f.unit.into()],
        ))
        .await
        .unwrap();
    let (_, r) = admin
        .post("/reviews", json!({"unit_id": f.unit, "person_id": reporter, "year": 2024, "report": "外部述职"}))
        .await;
    let review = match r["id"].as_i64() {
        Some(id) => id,
        None => admin.get("/reviews?year=2024").await.1["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit_id"] == f.unit)
            .unwrap_or_else(|| panic!("the review made by an earlier call: {r}"))["id"]
            .as_i64()
            .unwrap(),
    };
    let (s, d) = admin.post("/deeds", json!({"unit_id": f.unit, "title": "外部事迹", "body": "外部"})).await;
    assert_eq!(s, 201, "{d}");
    let deed = d["id"].as_i64().unwrap();
    let title = format!("外部评选{}", app.count("SELECT COUNT(*) FROM selections").await);
    let (s, sel) =
        admin.post("/selections", json!({"unit_id": f.unit, "year": 2024, "title": title, "seats": 2})).await;
    assert_eq!(s, 201, "{sel}");
    let selection = sel["id"].as_i64().unwrap();
    let (record,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT MIN(r.id) FROM records r JOIN units u ON u.id = r.unit_id WHERE u.path LIKE (SELECT path FROM units WHERE id = $1) || '%'",
            vec![f.unit.into()],
        ))
        .await
        .unwrap();
    let above = app
        .count(&format!(
            "SELECT COUNT(*) FROM units o, units f WHERE o.id = {own_unit} AND f.id = {} AND o.path LIKE f.path || '%'",
            f.unit
        ))
        .await
        > 0;
    let before = snapshot(app).await;
    let mut reads = vec![
        format!("/appraisals/{appraisal}"),
        format!("/appraisals/{final_appraisal}/certificate.pdf"),
        format!("/reviews/{review}"),
        format!("/deeds/{deed}"),
    ];
    if !above {
        reads.push(format!("/selections/{selection}"));
    }
    for path in &reads {
        let (status, body) = api.get(path).await;
        assert!(status == 404 || status == 403, "{who}: GET {path}: {status} {body}");
    }
    for (path, id) in [("/appraisals", appraisal), ("/reviews", review), ("/deeds", deed), ("/talent", tier)] {
        let (status, list) = api.get(path).await;
        assert!(
            status == 403 || list["items"].as_array().unwrap().iter().all(|x| x["id"] != id),
            "{who}: {path} lists a foreign item"
        );
    }
    let (status, list) = api.get("/candidates").await;
    assert!(
        status == 403 || list["items"].as_array().unwrap().iter().all(|x| x["person_id"] != subject),
        "{who}: foreign candidate"
    );
    let (status, list) = api.get("/commendations").await;
    assert!(
        status == 403 || list["items"].as_array().unwrap().iter().all(|x| x["unit_id"] != f.unit),
        "{who}: foreign commendation"
    );
    if !above {
        let (status, list) = api.get("/selections").await;
        assert!(
            status == 403 || list.as_array().unwrap().iter().all(|x| x["id"] != selection),
            "{who}: foreign selection"
        );
    }
    let today = frontline_core::time::today_in_china(chrono::Utc::now());
    let mut writes = vec![
        (format!("/appraisals/{appraisal}/conclusion"), json!({"grade": "excellent", "conclusion": "越权"})),
        (format!("/records/{record}/correction"), json!({"reason": "越权"})),
        (format!("/talent/{tier}/removal"), json!({"reason": "越权"})),
        (format!("/reviews/{review}/ratings"), json!({"rating": "poor"})),
        (format!("/reviews/{review}/close"), json!({})),
        (format!("/deeds/{deed}/publish"), json!({})),
        (format!("/selections/{selection}/advance"), json!({})),
        (
            "/ledger-notes".to_string(),
            json!({"kind": "leader_inquiry", "person_id": subject, "occurred_on": today, "value": -1, "note": "越权"}),
        ),
        (
            "/appraisals".to_string(),
            json!({"person_id": subject, "campaign": "越权", "period_from": "2020-03-02", "period_to": "2020-03-08"}),
        ),
        (
            "/commendations".to_string(),
            json!({"kind": "notice", "title": "越权", "reason": "越权", "unit_id": f.unit, "issued_on": today}),
        ),
        ("/deeds".to_string(), json!({"person_id": subject, "title": "越权", "body": "越权"})),
        ("/care".to_string(), json!({"person_id": subject, "kind": "visit", "given_on": today})),
        ("/talent".to_string(), json!({"person_id": subject, "tier": "reserve", "reason": "越权"})),
        ("/reviews".to_string(), json!({"unit_id": f.unit, "person_id": subject, "year": 2023, "report": "越权"})),
        ("/selections".to_string(), json!({"unit_id": f.unit, "year": 2023, "title": "越权", "seats": 1})),
    ];
    if !above {
        writes
            .push((format!("/selections/{selection}/nominations"), json!({"person_id": own_person, "reason": "越权"})));
        writes.push((format!("/selections/{selection}/votes"), json!({"nominations": [1]})));
    }
    for (path, body) in writes {
        let (status, resp) = api.post(&path, body).await;
        assert!(status == 404 || status == 403 || status == 422, "{who}: POST {path} answered {status}: {resp}");
    }
    for path in [
        format!("/appraisals/{appraisal}"),
        format!("/appraisals/{final_appraisal}/certificate"),
        format!("/appraisals/{final_appraisal}/certificate.pdf"),
        format!("/appraisals/new?person={subject}"),
        format!("/reviews/{review}"),
        format!("/reviews/new?unit={}", f.unit),
        format!("/deeds/{deed}"),
    ] {
        let (status, _) = ui.get(&path).await;
        assert!(status == 404 || status == 403, "{who}: page {path}: {status}");
    }
    for (path, form) in [
        (format!("/appraisals/{appraisal}/conclude"), vec![("grade", "excellent"), ("conclusion", "越权")]),
        (format!("/records/{record}/correct"), vec![("reason", "越权")]),
        (format!("/deeds/{deed}/publish"), vec![]),
        (format!("/selections/{selection}/advance"), vec![]),
        ("/care".to_string(), vec![("person_id", "0"), ("kind", "visit"), ("given_on", "2020-03-02")]),
    ] {
        let (status, body, _) = ui.post(&path, &form).await;
        assert!(status == 404 || status == 403 || status == 422, "{who}: POST {path} answered {status}: {body}");
    }
    assert_eq!(snapshot(app).await, before, "{who}: nothing of appraisals or incentives may change");
}

fn fill(template: &str, f: &Foreign) -> String {
    template
        .replace("{unit}", &f.unit.to_string())
        .replace("{person}", &f.person.to_string())
        .replace("{post}", &f.post.to_string())
}

async fn api_cannot_reach(app: &TestApp, api: &Api, f: &Foreign, own_unit: i64, own_person: i64, who: &str) {
    for t in API_READS {
        let path = fill(t, f);
        let (status, body) =
            if path.contains("/export") { (api.get_bytes(&path).await.0, Value::Null) } else { api.get(&path).await };
        assert_eq!(status, 404, "{who}: GET {path} must not reach another place: {body}");
    }
    let order = foreign_order(app, f.unit).await;
    let (status, resp) = api.get(&format!("/orders/{order}")).await;
    assert_eq!(status, 404, "{who}: a foreign work order: {resp}");
    let (_, mine) = api.get("/orders?per_page=200").await;
    assert!(mine["items"].as_array().unwrap().iter().all(|o| o["id"] != order), "{who}: a foreign order listed");
    let before = snapshot(app).await;
    for step in [
        json!({"step": "dispatch", "unit_id": own_unit}),
        json!({"step": "sign"}),
        json!({"step": "chase"}),
        json!({"step": "supervise", "card": "red"}),
        json!({"step": "link_duplicate", "of": order}),
    ] {
        let (status, resp) = api.post(&format!("/orders/{order}/steps"), step.clone()).await;
        assert!(status == 404 || status == 403, "{who}: step {step} on a foreign order answered {status}: {resp}");
    }
    let (status, resp) = api
        .post(
            "/orders",
            json!({"category": "sanitation", "channel": "hotline", "place_unit_id": f.unit, "title": "越权", "description": "越权"}),
        )
        .await;
    // A place outside the caller's units is as unknown as one that does not exist: 404, naming it.
    assert_eq!(status, 404, "{who}: an order placed in a foreign unit: {resp}");
    assert_eq!(resp["fields"][0]["field"], "place_unit_id", "{who}: {resp}");
    let (status, resp) = api
        .put(&format!("/units/{}/calendar", f.unit), json!({"day": "2027-01-04", "working": false, "name": "越权"}))
        .await;
    assert!(status == 404 || status == 403, "{who}: a foreign calendar: {resp}");
    let writes: Vec<(String, Value)> = vec![
        (format!("/units/{}/move", f.unit), json!({"parent_id": own_unit})),
        (format!("/units/{}/close", f.unit), json!({})),
        (
            format!("/people/{}/postings", f.person),
            json!({"unit_id": own_unit, "kind": "sent", "start_date": "2026-01-01"}),
        ),
        (format!("/posts/{}/assign", f.post), json!({"person_id": own_person, "start_date": "2026-11-01"})),
        (format!("/posts/{}/vacate", f.post), json!({"end_date": "2026-11-01", "reason": "x"})),
        ("/units".to_string(), json!({"parent_id": f.unit, "name": "越权小组", "kind": "village_group"})),
        ("/people".to_string(), json!({"home_unit_id": f.unit, "name": "越权", "category": "member"})),
        ("/posts".to_string(), json!({"unit_id": f.unit, "kind": "staff", "title": "越权"})),
    ];
    for (path, body) in writes {
        let (status, resp) = api.post(&path, body).await;
        assert!(status == 404 || status == 422, "{who}: POST {path} answered {status}: {resp}");
    }
    if let Some(posting) = f.posting {
        let (status, resp) = api.post(&format!("/postings/{posting}/end"), json!({"end_date": "2026-11-01"})).await;
        assert_eq!(status, 404, "{who}: ending a foreign posting: {resp}");
    }
    let mut duty_writes: Vec<(String, Value)> = vec![
        (format!("/posts/{}/remove", f.post), json!({"reason": "ill", "date": "2026-11-01"})),
        (
            "/links".into(),
            json!({"kind": "group_contact", "person_id": own_person, "unit_id": f.unit, "start_date": "2026-11-01"}),
        ),
        (format!("/units/{}/role-posts", f.unit), json!({"name": "越权员", "min_holders": 1, "max_holders": 2})),
        (format!("/units/{}/role-posts/defaults", f.unit), json!({})),
        (
            format!("/units/{}/mentorships", f.unit),
            json!({"leader_id": own_person, "middle_id": f.person, "young_id": own_person + 1, "start_date": "2026-11-01"}),
        ),
        (
            "/deployments".into(),
            json!({"person_id": f.person, "target_unit_id": own_unit, "purpose": "village", "start_date": "2026-11-01"}),
        ),
        (
            "/pairing/accept".into(),
            json!({"left": "units", "left_root": f.unit, "left_kind": "department", "right_root": f.unit, "right_kind": "village", "capacity": 1, "pairs": [[f.unit, f.unit]]}),
        ),
    ];
    if let Some(l) = f.link {
        duty_writes.push((format!("/links/{l}/end"), json!({"end_date": "2026-11-20"})));
    }
    if let Some(m) = f.mentorship {
        duty_writes.push((format!("/mentorships/{m}/end"), json!({"end_date": "2099-11-20"})));
    }
    if let Some(r) = f.role_post {
        duty_writes.push((format!("/role-posts/{r}/claim"), json!({})));
        duty_writes.push((
            format!("/role-posts/{r}/errands"),
            json!({"person_id": f.person, "what": "越权", "done_on": "2026-11-01"}),
        ));
        let (status, resp) = api.get(&format!("/role-posts/{r}/errands")).await;
        assert_eq!(status, 404, "{who}: errands of a foreign role: {resp}");
        let (status, resp) =
            api.put(&format!("/role-posts/{r}"), json!({"name": "改名", "min_holders": 1, "max_holders": 2})).await;
        assert_eq!(status, 404, "{who}: PUT a foreign role: {resp}");
    }
    if let Some(c) = f.claim {
        duty_writes.push((format!("/role-claims/{c}/decide"), json!({"status": "approved"})));
    }
    if let Some(d) = f.deployment {
        duty_writes.push((format!("/deployments/{d}/arrive"), json!({})));
        duty_writes.push((format!("/deployments/{d}/end"), json!({"end_date": "2026-11-30"})));
    }
    let county_list = app.count("SELECT MIN(id) FROM task_lists").await;
    duty_writes.push((format!("/task-lists/{county_list}/active"), json!({"active": false})));
    duty_writes.push((format!("/task-lists/{county_list}/commitment"), json!({})));
    duty_writes.push((
        format!("/units/{}/task-lists", f.unit),
        json!({"title": "越权清单", "post_kinds": ["grid_worker"], "period": "daily", "due_time": "18:00", "items": [{"text": "x"}]}),
    ));
    duty_writes.push((format!("/units/{}/roster", f.unit), json!({"start": "2027-01-04", "days": 7})));
    duty_writes.push(("/duty-away".into(), json!({"person_id": f.person, "from": "2027-01-04", "to": "2027-01-05"})));
    duty_writes.push((
        format!("/units/{}/survey-forms", f.unit),
        json!({"title": "越权", "fields": [{"key": "a", "label": "a", "type": "text"}]}),
    ));
    duty_writes.push((
        format!("/units/{}/meetings", f.unit),
        json!({"kind": "committee", "title": "越权", "held_on": "2026-11-01"}),
    ));
    duty_writes.push((
        format!("/units/{}/trainings", f.unit),
        json!({"kind": "training", "title": "越权", "held_on": "2026-11-01", "hours": 1, "members_of": f.unit}),
    ));
    // A meeting of a branch of the other place: neither readable nor its attendance changeable.
    let foreign_branch = app
        .count(&format!(
            "SELECT COALESCE(MIN(b.id), 0) FROM units b JOIN units root ON root.id = {} WHERE b.kind = 'party_branch' \
             AND b.path LIKE root.path || '%'",
            f.unit
        ))
        .await;
    duty_writes.push((
        format!("/units/{}/life-meetings", f.unit),
        json!({"kind": "theme_day", "held_on": "2026-11-01", "place": "越权", "topic": "越权"}),
    ));
    duty_writes.push((format!("/units/{}/weak-screenings", f.unit), json!({"year": 2026})));
    duty_writes.push((
        format!("/units/{}/alliances", f.unit),
        json!({"name": "越权联盟", "purpose": "越权", "members": [own_unit]}),
    ));
    let foreign_alliance = app
        .api("county_org")
        .await
        .post(&format!("/units/{}/alliances", f.unit), json!({"name": "外地联盟", "purpose": "联防", "members": []}))
        .await;
    assert_eq!(foreign_alliance.0, 201, "{}", foreign_alliance.1);
    duty_writes.push((format!("/alliances/{}/members", foreign_alliance.1["id"]), json!({"members": [own_unit]})));
    duty_writes.push((format!("/units/{}/weak-pairings", f.unit), json!({"year": 2026})));
    let foreign_case = app
        .count(&format!(
            "SELECT COALESCE(MIN(c.id), 0) FROM weak_cases c JOIN units b ON b.id = c.unit_id \
             JOIN units root ON root.id = {} WHERE b.path LIKE root.path || '%'",
            f.unit
        ))
        .await;
    if foreign_case > 0 {
        let (status, resp) = api.get(&format!("/weak-cases/{foreign_case}")).await;
        assert!(status == 404 || status == 403, "{who}: a foreign weak case: {status} {resp}");
        duty_writes.push((format!("/weak-cases/{foreign_case}/decision"), json!({"confirm": true, "note": "越权"})));
        duty_writes.push((
            format!("/weak-cases/{foreign_case}/plan"),
            json!({"measures": "越权", "leader_id": own_person, "deadline": "2099-01-01"}),
        ));
        duty_writes.push((format!("/weak-cases/{foreign_case}/reports"), json!({"note": "越权"})));
        duty_writes.push((format!("/weak-cases/{foreign_case}/clear"), json!({})));
    }
    if foreign_branch > 0 {
        duty_writes.push((
            format!("/units/{foreign_branch}/temporary-orgs"),
            json!({"purpose": "越权", "starts_on": "2026-11-01", "ends_on": "2026-11-30"}),
        ));
        duty_writes.push((
            format!("/units/{foreign_branch}/life-meetings"),
            json!({"kind": "theme_day", "held_on": "2026-11-01", "place": "越权", "topic": "越权"}),
        ));
        let meeting = app
            .count(&format!("SELECT COALESCE(MIN(id), 0) FROM life_meetings WHERE unit_id = {foreign_branch}"))
            .await;
        if meeting > 0 {
            let (status, resp) = api.get(&format!("/life-meetings/{meeting}")).await;
            assert!(status == 404 || status == 403, "{who}: a foreign meeting: {status} {resp}");
            duty_writes.push((
                format!("/life-meetings/{meeting}/attendance"),
                json!({"person_id": own_person, "status": "present"}),
            ));
            duty_writes.push((format!("/life-meetings/{meeting}/photos"), json!({})));
        }
    }
    let foreign_household = app
        .count(&format!("SELECT COALESCE(MIN(h.id), 0) FROM units h JOIN units root ON root.id = {} WHERE h.kind = 'household' AND h.path LIKE root.path || '%'", f.unit))
        .await;
    if foreign_household > 0 {
        let (status, resp) = api.get(&format!("/households/{foreign_household}/responses")).await;
        assert_eq!(status, 404, "{who}: a foreign household: {resp}");
        duty_writes.push((
            format!("/households/{foreign_household}/responses"),
            json!({"form_id": 1, "filled_on": "2026-11-20", "answers": {}}),
        ));
    }
    if let Some(t) = f.task {
        let (status, resp) = api.get(&format!("/tasks/{t}")).await;
        assert_eq!(status, 404, "{who}: a foreign task: {resp}");
        duty_writes.push((format!("/tasks/{t}/submit"), json!({"items": []})));
        duty_writes.push((format!("/tasks/{t}/decide"), json!({"decision": "verify"})));
        duty_writes.push(("/tasks/verify".to_string(), json!({"ids": [t]})));
    }
    if let Some(c) = f.checkpoint {
        duty_writes.push((format!("/checkpoints/{c}/people"), json!({"person_id": own_person, "category": "member"})));
        let (status, resp) = api
            .put(
                &format!("/checkpoints/{c}"),
                json!({"pattern": "2x12", "headcount": 1, "night_headcount": 1, "min_party": 0, "min_cadre": 0}),
            )
            .await;
        assert_eq!(status, 422, "{who}: PUT a foreign checkpoint: {resp}");
    }
    if let Some(a) = f.assignment {
        duty_writes.push((format!("/shift-assignments/{a}/check-in"), json!({})));
        duty_writes.push((format!("/shift-assignments/{a}/check-out"), json!({"handover": "x"})));
    }
    for (path, body) in duty_writes {
        let (status, resp) = api.post(&path, body).await;
        assert!(status == 404 || status == 422 || status == 403, "{who}: POST {path} answered {status}: {resp}");
    }
    for (path, body) in [
        (format!("/units/{}", f.unit), json!({"name": "改名", "kind": "village"})),
        (format!("/people/{}", f.person), json!({"home_unit_id": own_unit, "name": "改名", "category": "member"})),
        (format!("/posts/{}", f.post), json!({"title": "改名", "seq": 1})),
    ] {
        let (status, resp) = api.put(&path, body).await;
        assert_eq!(status, 404, "{who}: PUT {path}: {resp}");
    }
    assert_eq!(snapshot(app).await, before, "{who}: nothing may change");
}

async fn ui_cannot_reach(app: &TestApp, ui: &Ui, f: &Foreign, who: &str) {
    let reads = [
        "/units/{unit}",
        "/units/{unit}/edit",
        "/units/tree/{unit}",
        "/units?under={unit}",
        "/units/new?parent={unit}",
        "/people/{person}",
        "/people/{person}/edit",
        "/people?unit={unit}",
        "/people/new?unit={unit}",
        "/people/export.xlsx?unit={unit}",
        "/posts/{post}",
        "/posts?unit={unit}",
        "/posts/new?unit={unit}",
        "/duty?unit={unit}",
        "/duty/gaps?unit={unit}",
        "/duty/coverage?unit={unit}",
        "/duty/roles?unit={unit}",
        "/duty/deployments?unit={unit}",
        "/duty/plan?unit={unit}&mode=thirds",
        "/posts/{post}/remove",
        "/work/verify?unit={unit}",
        "/work/dispatch?unit={unit}",
        "/work/lists?unit={unit}",
        "/work/rosters?unit={unit}",
        "/work/surveys?unit={unit}",
        "/work/meetings?unit={unit}",
        "/life?unit={unit}",
        "/weak?unit={unit}",
        "/findings?unit={unit}",
        "/burden?unit={unit}",
    ];
    if let Some(task) = f.task {
        let (status, _) = ui.get(&format!("/work/tasks/{task}")).await;
        assert_eq!(status, 404, "{who}: a foreign task page");
    }
    let foreign_meeting = app
        .count(&format!(
            "SELECT COALESCE(MIN(m.id), 0) FROM life_meetings m JOIN units b ON b.id = m.unit_id \
             JOIN units root ON root.id = {} WHERE b.path LIKE root.path || '%'",
            f.unit
        ))
        .await;
    if foreign_meeting > 0 {
        let (status, _) = ui.get(&format!("/life/meetings/{foreign_meeting}")).await;
        assert_eq!(status, 404, "{who}: a foreign meeting page");
    }
    let order = foreign_order(app, f.unit).await;
    let (status, _) = ui.get(&format!("/orders/{order}")).await;
    assert_eq!(status, 404, "{who}: a foreign order page");
    let (status, _) = ui.get(&format!("/orders?unit={}", f.unit)).await;
    assert_eq!(status, 404, "{who}: foreign orders");
    for t in reads {
        let path = fill(t, f);
        let (status, body) = ui.get(&path).await;
        if t == "/units/tree/{unit}" {
            // The tree answers with the children it may show: none.
            assert!(status == 404 || (status == 200 && !body.contains("<li")), "{who}: {path} showed {body}");
        } else {
            assert_eq!(status, 404, "{who}: GET {path}");
        }
    }
    let before = snapshot(app).await;
    let unit = f.unit.to_string();
    let unit_ref = format!("#{unit}");
    let writes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/units/{}", f.unit), vec![("name", "改名"), ("kind", "village")]),
        (format!("/units/{}/move", f.unit), vec![("parent", "330382006")]),
        (format!("/units/{}/close", f.unit), vec![]),
        (
            format!("/people/{}", f.person),
            vec![("name", "改名"), ("category", "member"), ("home_unit", "330382006205")],
        ),
        (
            format!("/people/{}/postings", f.person),
            vec![("unit", "330382006205"), ("kind", "sent"), ("start_date", "2026-01-01")],
        ),
        (format!("/posts/{}/assign", f.post), vec![("person_id", "1"), ("start_date", "2026-11-01")]),
        (format!("/posts/{}/vacate", f.post), vec![("end_date", "2026-11-01"), ("reason", "x")]),
        (format!("/posts/{}", f.post), vec![("title", "改名"), ("seq", "1")]),
        (format!("/postings/{}/end", f.posting.unwrap_or(i64::MAX)), vec![("end_date", "2026-11-01")]),
        ("/units?parent=".to_string() + &unit, vec![("name", "越权小组"), ("kind", "village_group")]),
        ("/people".to_string(), vec![("name", "越权"), ("category", "member"), ("home_unit", &unit_ref)]),
        (format!("/posts/{}/remove", f.post), vec![("reason", "ill"), ("date", "2026-11-01")]),
        (
            "/duty/links".to_string(),
            vec![("kind", "group_contact"), ("person_id", "1"), ("unit_id", &unit), ("start_date", "2026-11-01")],
        ),
        ("/duty/roles/defaults".to_string(), vec![("unit_id", &unit)]),
        (
            "/duty/roles".to_string(),
            vec![("unit_id", &unit), ("name", "越权员"), ("min_holders", "1"), ("max_holders", "2")],
        ),
        (
            "/duty/mentorships".to_string(),
            vec![
                ("unit_id", &unit),
                ("leader_id", "1"),
                ("middle_id", "2"),
                ("young_id", "3"),
                ("start_date", "2026-11-01"),
            ],
        ),
        (format!("/duty/links/{}/end", f.link.unwrap_or(i64::MAX)), vec![("end_date", "2026-11-20")]),
        (format!("/duty/claims/{}/decide", f.claim.unwrap_or(i64::MAX)), vec![("status", "approved")]),
        (format!("/duty/deployments/{}/arrive", f.deployment.unwrap_or(i64::MAX)), vec![]),
        (format!("/duty/deployments/{}/end", f.deployment.unwrap_or(i64::MAX)), vec![("end_date", "2026-11-30")]),
        (format!("/me/roles/{}/claim", f.role_post.unwrap_or(i64::MAX)), vec![]),
        (format!("/work/tasks/{}/decide", f.task.unwrap_or(i64::MAX)), vec![("decision", "verify")]),
        (
            format!("/work/checkpoints/{}", f.checkpoint.unwrap_or(i64::MAX)),
            vec![
                ("pattern", "3x8"),
                ("headcount", "1"),
                ("night_headcount", "1"),
                ("min_party", "0"),
                ("min_cadre", "0"),
            ],
        ),
        (
            format!("/work/checkpoints/{}/people", f.checkpoint.unwrap_or(i64::MAX)),
            vec![("person_id", "1"), ("category", "member")],
        ),
        (
            "/work/rosters/plan".to_string(),
            vec![
                ("unit_id", &unit),
                ("start", "2027-01-04"),
                ("days", "7"),
                ("min_rest_hours", "12"),
                ("max_shifts", "5"),
            ],
        ),
        (format!("/work/shifts/{}/check-in", f.assignment.unwrap_or(i64::MAX)), vec![]),
        (format!("/work/lists/{}/active", 1), vec![("active", "false")]),
        (
            "/work/lists".to_string(),
            vec![
                ("unit_id", &unit),
                ("title", "越权"),
                ("post_kinds", "grid_worker"),
                ("period", "daily"),
                ("due_time", "18:00"),
                ("items", "x"),
            ],
        ),
    ];
    for (path, form) in writes {
        let (status, body, _) = ui.post(&path, &form).await;
        assert!(status == 404 || status == 422, "{who}: POST {path} answered {status}: {body}");
    }
    assert_eq!(snapshot(app).await, before, "{who}: nothing may change");
}

/// Row counts and a checksum of names and parents: any change shows.
/// A work order placed in a unit, taken in by the county.
async fn foreign_order(app: &TestApp, unit: i64) -> i64 {
    let (status, created) = app
        .api("county_org")
        .await
        .post(
            "/orders",
            json!({"category": "policy", "channel": "visit", "place_unit_id": unit, "title": "外单位诉求", "description": "政策咨询"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

async fn snapshot(app: &TestApp) -> Vec<i64> {
    let mut v = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM units",
        "SELECT COUNT(*) FROM people",
        "SELECT COUNT(*) FROM posts",
        "SELECT COUNT(*) FROM tenures WHERE end_date IS NULL",
        "SELECT COUNT(*) FROM postings",
        "SELECT COUNT(*) FROM postings WHERE end_date IS NOT NULL",
        "SELECT COUNT(*) FROM posts WHERE title LIKE '%改名%'",
        "SELECT COUNT(*) FROM units WHERE closed = TRUE",
        "SELECT COUNT(*) FROM units WHERE name LIKE '%改名%'",
        "SELECT COUNT(*) FROM people WHERE name LIKE '%改名%'",
        "SELECT COUNT(*) FROM tenures",
        "SELECT COUNT(*) FROM links",
        "SELECT COUNT(*) FROM links WHERE end_date IS NOT NULL",
        "SELECT COUNT(*) FROM role_posts",
        "SELECT COUNT(*) FROM role_posts WHERE name LIKE '%改名%'",
        "SELECT COUNT(*) FROM role_claims",
        "SELECT COUNT(*) FROM role_claims WHERE status = 'approved'",
        "SELECT COUNT(*) FROM errands",
        "SELECT COUNT(*) FROM deployments",
        "SELECT COUNT(*) FROM deployments WHERE arrived_at IS NOT NULL OR end_date IS NOT NULL",
        "SELECT COUNT(*) FROM mentorships",
        "SELECT COUNT(*) FROM unit_pairs",
        "SELECT COUNT(*) FROM notifications",
        "SELECT COUNT(*) FROM task_lists WHERE active = TRUE",
        "SELECT COUNT(*) FROM task_instances WHERE status = 'open'",
        "SELECT COUNT(*) FROM task_instances WHERE status = 'verified'",
        "SELECT COUNT(*) FROM commitments",
        "SELECT COUNT(*) FROM checkpoints",
        "SELECT COUNT(*) FROM checkpoint_people",
        "SELECT COUNT(*) FROM shifts",
        "SELECT COUNT(*) FROM shift_assignments WHERE status = 'planned'",
        "SELECT COUNT(*) FROM records",
        "SELECT COUNT(*) FROM forms",
        "SELECT COUNT(*) FROM survey_responses",
        "SELECT COUNT(*) FROM meetings",
        "SELECT COUNT(*) FROM trainings",
        "SELECT COUNT(*) FROM unavailability",
        "SELECT COUNT(*) FROM work_orders",
        "SELECT COUNT(*) FROM work_orders WHERE status <> 'received' OR supervision <> 'none' OR chases > 0",
        "SELECT COUNT(*) FROM order_steps",
        "SELECT COUNT(*) FROM calendar_days",
        "SELECT COUNT(*) FROM inspection_rounds",
        "SELECT COUNT(*) FROM inspection_visits",
        "SELECT COUNT(*) FROM findings WHERE status <> 'open'",
        "SELECT COUNT(*) FROM rectifications",
        "SELECT COUNT(*) FROM notices",
        "SELECT COUNT(*) FROM accountability_actions",
        "SELECT COUNT(*) FROM accountability_reviews WHERE status <> 'pending'",
        "SELECT COUNT(*) FROM schemes",
        "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM schemes",
        "SELECT COUNT(*) FROM score_runs",
        "SELECT COUNT(*) FROM laggard_plans",
        "SELECT COUNT(*) FROM laggard_plans WHERE status <> 'open'",
        "SELECT COUNT(*) FROM laggard_plan_steps",
        "SELECT COUNT(*) FROM ledger_notes",
        "SELECT COUNT(*) FROM appraisals",
        "SELECT COUNT(*) FROM appraisals WHERE status = 'final'",
        "SELECT COUNT(*) FROM talent_pool",
        "SELECT COUNT(*) FROM talent_pool WHERE removed_at IS NOT NULL",
        "SELECT COUNT(*) FROM reviews",
        "SELECT COUNT(*) FROM reviews WHERE status <> 'open'",
        "SELECT COUNT(*) FROM review_ratings",
        "SELECT COUNT(*) FROM commendations",
        "SELECT COUNT(*) FROM deeds",
        "SELECT COUNT(*) FROM deeds WHERE status <> 'draft'",
        "SELECT COUNT(*) FROM selections",
        "SELECT COUNT(*) FROM selections WHERE status <> 'nominating'",
        "SELECT COUNT(*) FROM nominations",
        "SELECT COUNT(*) FROM selection_votes",
        "SELECT COUNT(*) FROM care_records",
    ] {
        v.push(app.count(sql).await);
    }
    v
}

#[tokio::test]
async fn a_village_secretary_reaches_nothing_of_other_villages() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let ui = app.ui("village_secretary").await;
    let own_person = app.person_in(p.qiyuan_branch).await;
    // Another village of the same township, and a village of another township.
    let branch_of = |v: i64| {
        let db = app.db.clone();
        async move {
            let (id,): (i64,) = db
                .one(&frontline_db::Sql::with(
                    "SELECT id FROM units WHERE parent_id = $1 AND kind = 'party_branch'",
                    vec![v.into()],
                ))
                .await
                .unwrap();
            id
        }
    };
    let neighbour = foreign(&app, p.other_village_same_township, branch_of(p.other_village_same_township).await).await;
    let elsewhere = foreign(&app, p.village_elsewhere, p.village_elsewhere_branch).await;
    // The township itself is outside a village secretary's scope too.
    let township = foreign(&app, p.baishi, p.baishi).await;
    assert!(township.posting.is_some(), "township cadres are posted to villages (包村)");
    for f in [&neighbour, &elsewhere, &township] {
        api_cannot_reach(&app, &api, f, p.qiyuan, own_person, "village secretary").await;
        ui_cannot_reach(&app, &ui, f, "village secretary").await;
        supervision_cannot_reach(&app, &api, &ui, f, p.qiyuan, "village secretary").await;
        judgement_cannot_reach(&app, &api, &ui, f, p.qiyuan, "village secretary").await;
        appraisals_cannot_reach(&app, &api, &ui, f, p.qiyuan, own_person, "village secretary").await;
    }
}

#[tokio::test]
async fn a_township_secretary_reaches_nothing_outside_the_township() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("township_secretary").await;
    let ui = app.ui("township_secretary").await;
    let own_person = app.person_in(p.qiyuan_branch).await;
    let elsewhere = foreign(&app, p.village_elsewhere, p.village_elsewhere_branch).await;
    let other_township = foreign(&app, p.other_township, p.other_township).await;
    assert!(other_township.posting.is_some());
    let dept = app.unit_named("市公安局").await;
    let county_dept = foreign(&app, dept, dept).await;
    for f in [&elsewhere, &other_township, &county_dept] {
        api_cannot_reach(&app, &api, f, p.qiyuan, own_person, "township secretary").await;
        ui_cannot_reach(&app, &ui, f, "township secretary").await;
        supervision_cannot_reach(&app, &api, &ui, f, p.qiyuan, "township secretary").await;
        judgement_cannot_reach(&app, &api, &ui, f, p.qiyuan, "township secretary").await;
        appraisals_cannot_reach(&app, &api, &ui, f, p.qiyuan, own_person, "township secretary").await;
    }
    // And it does reach its own villages.
    let (s, _) = api.get(&format!("/units/{}", p.other_village_same_township)).await;
    assert_eq!(s, 200);
}

/// Everything an unfiltered list returns lies in the caller's subtree (or is posted into it).
#[tokio::test]
async fn unfiltered_lists_hold_only_what_is_in_scope() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    for (who, root) in [("village_secretary", p.qiyuan), ("township_secretary", p.baishi)] {
        let api = app.api(who).await;
        let (root_path,): (String,) = app
            .db
            .one(&frontline_db::Sql::with("SELECT path FROM units WHERE id = $1", vec![root.into()]))
            .await
            .unwrap();
        let mut page = 1;
        let mut units_seen = 0;
        loop {
            let (s, list) = api.get(&format!("/units?per_page=200&page={page}")).await;
            assert_eq!(s, 200);
            let items = list["items"].as_array().unwrap();
            for u in items {
                assert!(u["path"].as_str().unwrap().starts_with(&root_path), "{who} saw unit {u}");
            }
            units_seen += items.len();
            if items.len() < 200 {
                break;
            }
            page += 1;
        }
        assert!(units_seen > 1, "{who} sees their own units");
        let (s, people) = api.get("/people?per_page=200").await;
        assert_eq!(s, 200);
        let items = people["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for person in items {
            let id = person["id"].as_i64().unwrap();
            let inside = app
                .db
                .count(&frontline_db::Sql::with(
                    "SELECT COUNT(*) FROM people p JOIN units u ON u.id = p.home_unit_id WHERE p.id = $1 AND u.path LIKE $2 \
                     OR EXISTS (SELECT 1 FROM postings ps JOIN units pu ON pu.id = ps.unit_id WHERE ps.person_id = $1 AND ps.end_date IS NULL AND pu.path LIKE $2)",
                    vec![id.into(), format!("{root_path}%").into()],
                ))
                .await
                .unwrap();
            assert!(inside > 0, "{who} saw person {person}");
        }
        let (_, posts) = api.get("/posts?per_page=200").await;
        for post in posts["items"].as_array().unwrap() {
            let unit = post["unit_id"].as_i64().unwrap();
            let (path,): (String,) = app
                .db
                .one(&frontline_db::Sql::with("SELECT path FROM units WHERE id = $1", vec![unit.into()]))
                .await
                .unwrap();
            assert!(path.starts_with(&root_path), "{who} saw post {post}");
        }
    }
    // A grid worker sees their own grid and themselves, nothing of the village around.
    let grid_api = app.api("grid_worker").await;
    let (_, units) = grid_api.get("/units").await;
    assert_eq!(units["total"], 1);
    assert!(units["items"][0]["name"].as_str().unwrap().ends_with("第一网格"));
    let (s, _) = grid_api.get(&format!("/units/{}", p.qiyuan)).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn users_and_audit_entries_are_scoped_too() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county = app.api("county_org").await;
    // Something happens in another township, and something in 岐元村.
    let (s, _) = county
        .post("/units", json!({"parent_id": p.village_elsewhere, "name": "外镇小组", "kind": "village_group"}))
        .await;
    assert_eq!(s, 201);
    let (s, _) =
        county.post("/units", json!({"parent_id": p.qiyuan, "name": "岐元小组", "kind": "village_group"})).await;
    assert_eq!(s, 201);
    let township = app.api("township_secretary").await;
    let (s, audit) = township.get("/audit?per_page=200").await;
    assert_eq!(s, 200);
    let entries = audit["items"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["after"].as_str().unwrap_or("").contains("岐元小组")));
    assert!(
        !entries.iter().any(|e| e["after"].as_str().unwrap_or("").contains("外镇小组")),
        "foreign audit entry leaked"
    );
    // The township secretary lists only accounts whose person is in the township.
    let (s, users) = township.get("/users").await;
    assert_eq!(s, 200);
    let names: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert!(names.contains(&"village_secretary") && names.contains(&"township_secretary"));
    assert!(!names.contains(&"admin") && !names.contains(&"county_org"), "{names:?}");
    // A village secretary has no access to the user list at all.
    let (s, _) = app.api("village_secretary").await.get("/users").await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn every_documented_id_route_is_in_the_scope_tables() {
    let app = TestApp::new().await;
    let (_, doc) = app.anonymous().get("/openapi.json").await;
    for path in doc["paths"].as_object().unwrap().keys() {
        if path.contains("{id}") {
            assert!(COVERED_ID_PATHS.contains(&path.as_str()), "{path} is not covered by the scope tests");
        }
    }
}
