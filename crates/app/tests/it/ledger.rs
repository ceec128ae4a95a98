//! The ledger list (一线台账) at any depth: pages found by keyset (`before`), totals read from the
//! kept figures, equal to what the records themselves say, for the county, a village and a person,
//! and no wider than the caller's scope.

use frontline_db::Sql;

use crate::helpers::TestApp;

/// Every record of `filter` (a SQL condition on `r` and `u`), newest first, as the store holds them.
async fn ids(app: &TestApp, filter: &str) -> Vec<i64> {
    let rows: Vec<(i64,)> = app
        .db
        .all(&Sql::new(&format!(
            "SELECT r.id FROM records r JOIN units u ON u.id = r.unit_id WHERE {filter} ORDER BY r.occurred_at DESC, r.id DESC"
        )))
        .await
        .unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

/// Walks the list page after page with `before`, as a client at any depth would.
async fn walk(api: &crate::helpers::Api, query: &str, per_page: usize) -> (i64, Vec<i64>) {
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let cursor = before.map(|b| format!("&before={b}")).unwrap_or_default();
        let (s, page) = api.get(&format!("/records?{query}&per_page={per_page}{cursor}")).await;
        assert_eq!(s, 200, "{page}");
        let total = page["total"].as_i64().unwrap();
        let items = page["items"].as_array().unwrap();
        seen.extend(items.iter().map(|r| r["id"].as_i64().unwrap()));
        if items.len() < per_page {
            return (total, seen);
        }
        before = items.last().map(|r| r["id"].as_i64().unwrap());
        assert!(seen.len() <= 100_000, "the walk ends (total {total})");
    }
}

#[tokio::test]
async fn the_ledger_pages_by_keyset_and_its_totals_come_from_the_kept_figures() {
    let app = TestApp::new().await;
    let org = app.api("county_org").await;
    let county = app.unit_id("330382").await;
    let (village, village_path): (i64, String) = app
        .db
        .one(&Sql::new(
            "SELECT u.id, u.path FROM units u JOIN records r ON r.unit_id = u.id WHERE u.kind IN ('village', 'grid') \
             GROUP BY u.id, u.path ORDER BY COUNT(*) DESC LIMIT 1",
        ))
        .await
        .unwrap();
    let (person,): (i64,) = app
        .db
        .one(&Sql::new(
            "SELECT person_id FROM records WHERE person_id IS NOT NULL GROUP BY person_id ORDER BY COUNT(*) DESC LIMIT 1",
        ))
        .await
        .unwrap();

    // The county's first page: newest first, the total the store holds.
    let all = ids(&app, "u.path LIKE '/%'").await;
    assert!(all.len() > 100, "the demo wrote a ledger ({})", all.len());
    let (s, page) = org.get(&format!("/records?unit={county}&per_page=20")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["total"].as_i64().unwrap(), all.len() as i64);
    let first: Vec<i64> = page["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(first, all[..20].to_vec());

    // A village and a person walked to the end: the same records, in the same order, as the store.
    let (total, walked) = walk(&org, &format!("unit={village}"), 17).await;
    let want = ids(&app, &format!("u.path LIKE '{village_path}%'")).await;
    assert_eq!((total, walked.clone()), (want.len() as i64, want));
    let (total, walked) = walk(&org, &format!("person={person}"), 9).await;
    let want = ids(&app, &format!("r.person_id = {person}")).await;
    assert!(!want.is_empty());
    assert_eq!((total, walked), (want.len() as i64, want));

    // Filters the figures answer: a kind and a period, values, counted only.
    let q = "kind=task_submitted&min_value=1&counted=true";
    let (s, page) = org.get(&format!("/records?unit={county}&{q}")).await;
    assert_eq!(s, 200);
    let counted = app
        .count(
            "SELECT COUNT(*) FROM records r WHERE r.kind = 'task_submitted' AND r.value >= 1 \
             AND NOT EXISTS (SELECT 1 FROM records c WHERE c.source_kind = 'record' AND c.source_id = r.id)",
        )
        .await;
    assert_eq!(page["total"].as_i64().unwrap(), counted);

    // A correction made through the API takes the record out of the counted total at once.
    let target = page["items"][0]["id"].as_i64().unwrap();
    let (s, body) = org.post(&format!("/records/{target}/correction"), serde_json::json!({"reason": "重复录入"})).await;
    assert!(s == 201 || s == 200, "{s} {body}");
    let (_, after) = org.get(&format!("/records?unit={county}&{q}")).await;
    assert_eq!(after["total"].as_i64().unwrap(), counted - 1);
    let (_, uncounted) = org.get(&format!("/records?unit={county}&kind=task_submitted&min_value=1")).await;
    assert_eq!(uncounted["total"].as_i64().unwrap(), counted, "the corrected record is still listed, marked");

    // A cursor from somewhere else does not widen the list: a village secretary walking the
    // county's newest record as cursor sees only their own village.
    let secretary = app.api("village_secretary").await;
    let (s, _) = secretary.get(&format!("/records?unit={county}")).await;
    assert_eq!(s, 404, "the county is not theirs");
    let (s, mine) = secretary.get(&format!("/records?before={}&per_page=200", all[0])).await;
    assert_eq!(s, 200, "{mine}");
    let (own_total, own) = walk(&secretary, "counted=false", 200).await;
    assert!(own_total < all.len() as i64 && own_total > 0, "the secretary's ledger is their village's");
    for r in mine["items"].as_array().unwrap() {
        assert!(own.contains(&r["id"].as_i64().unwrap()), "record {r} is the secretary's to see");
    }
}
