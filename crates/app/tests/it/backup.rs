//! Backup and restore: a backup taken while the server takes writes restores into a fresh place
//! with a valid audit chain, and a backup of a quiet store restores with every table equal.

use frontline_app::backup::{backup, fingerprint, restore};
use frontline_db::testing::{TestDb, test_store};
use serde_json::json;

use crate::helpers::{Places, TestApp};

/// An empty place to restore into: a path that does not exist yet, or an empty database.
async fn empty_target(tag: &str) -> (String, Option<TestDb>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ft-restore-{}-{tag}-{}", std::process::id(), rand::random::<u32>()));
    if test_store() == "postgres" {
        let t = TestDb::empty().await.unwrap();
        (t.url.clone(), Some(t), dir)
    } else {
        (format!("sqlite://{}", dir.join("frontline.db").display()), None, dir)
    }
}

#[tokio::test]
async fn backups_restore_into_a_fresh_place_with_every_table_equal() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let scratch = std::env::temp_dir().join(format!("ft-backup-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&scratch).unwrap();

    // While the server takes writes, a backup is taken; it restores and its chain verifies.
    let api = app.api("village_secretary").await;
    let qiyuan = p.qiyuan;
    let writer = tokio::spawn(async move {
        let mut made = 0;
        for k in 0..25 {
            let (s, _) = api
                .post("/units", json!({"parent_id": qiyuan, "name": format!("备份中小组{k}"), "kind": "village_group"}))
                .await;
            if s == 201 {
                made += 1;
            }
        }
        made
    });
    let during = scratch.join("during.backup");
    backup(&app.db, &app.db_url, &during).await.unwrap();
    assert_eq!(writer.await.unwrap(), 25, "the server kept serving");
    let (url, _guard, dir) = empty_target("during").await;
    let entries = restore(&during, &url).await.unwrap();
    assert!(entries > 0);
    let restored = frontline_db::Db::connect(&url).await.unwrap();
    let groups = restored
        .count(&frontline_db::Sql::new("SELECT COUNT(*) FROM units WHERE name LIKE '备份中小组%'"))
        .await
        .unwrap();
    assert!((0..=25).contains(&groups), "a consistent moment of the writes: {groups}");
    restored.close().await;

    // A backup of a quiet store restores with every table equal, row by row, and its photos of
    // evidence with it (on SQLite they are files in the data folder).
    let (s, photo) =
        app.api("grid_worker").await.post_raw("/attachments", "image/png", crate::helpers::tiny_png()).await;
    assert_eq!(s, 201, "{photo}");
    let photo = photo["id"].as_i64().unwrap();
    let (uploader,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT person_id FROM attachments WHERE id = $1", vec![photo.into()]))
        .await
        .unwrap();
    let own = frontline_core::access::Scope { person_id: Some(uploader), ..Default::default() };
    let kept = frontline_db::evidence::attachment(&app.db, &own, photo).await.unwrap();
    let quiet = scratch.join("quiet.backup");
    backup(&app.db, &app.db_url, &quiet).await.unwrap();
    assert!(backup(&app.db, &app.db_url, &quiet).await.is_err(), "never overwrites a file");
    let (url2, _guard2, dir2) = empty_target("quiet").await;
    restore(&quiet, &url2).await.unwrap();
    let restored = frontline_db::Db::connect(&url2).await.unwrap();
    let want = fingerprint(&app.db).await.unwrap();
    let got = fingerprint(&restored).await.unwrap();
    assert!(want.len() >= 20, "every table is compared: {}", want.len());
    assert!(want.iter().any(|(t, n, _)| t == "people" && *n > 1000));
    assert_eq!(got, want);
    let copy = frontline_db::evidence::attachment(&restored, &own, photo).await;
    assert_eq!(copy.unwrap(), kept, "the photo comes back whole");
    restored.close().await;
    // A target that holds data is refused.
    assert!(restore(&quiet, &url2).await.is_err());
    for d in [scratch, dir, dir2] {
        let _ = std::fs::remove_dir_all(d);
    }
}
