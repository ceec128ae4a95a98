//! Every change is audited, and the hash chain finds any edited or deleted entry.

use frontline_core::audit::ChainCheck;
use frontline_db::Sql;
use serde_json::json;

use crate::helpers::{Places, TestApp};

#[tokio::test]
async fn changes_are_audited_with_before_and_after() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let api = app.api("village_secretary").await;
    let before = app.count("SELECT COUNT(*) FROM audit_log").await;
    let (_, unit) =
        api.post("/units", json!({"parent_id": p.qiyuan, "name": "审计小组", "kind": "village_group"})).await;
    let id = unit["id"].as_i64().unwrap();
    api.put(&format!("/units/{id}"), json!({"name": "审计二组", "kind": "village_group"})).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, before + 2);
    let (actor, ip, action, before_state, after_state): (String, String, String, String, String) = app
        .db
        .one(&Sql::new(
            "SELECT actor_name, ip, action, before_state, after_state FROM audit_log ORDER BY seq DESC LIMIT 1",
        ))
        .await
        .unwrap();
    assert!(actor.contains("village_secretary"), "{actor}");
    assert_eq!(ip, "127.0.0.1");
    assert_eq!(action, "unit.update");
    assert!(before_state.contains("审计小组") && after_state.contains("审计二组"));
    // Failed changes leave no entry.
    api.put(&format!("/units/{id}"), json!({"name": "", "kind": "village_group"})).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, before + 2);
    // Auditors browse it in the UI.
    let ui = app.ui("county_org").await;
    let (s, page) = ui.get("/audit?action=unit.update").await;
    assert_eq!(s, 200);
    assert!(page.contains("审计二组"));
}

#[tokio::test]
async fn the_chain_detects_edits_and_deletions() {
    let app = TestApp::new().await;
    assert!(
        matches!(frontline_db::audit::verify(&app.db).await.unwrap(), ChainCheck::Intact { entries } if entries > 5)
    );
    // Edit an entry in the middle, as someone with database access might.
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::new("UPDATE audit_log SET after_state = '{\"forged\":true}' WHERE seq = 3")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        frontline_db::audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken { seq: 3, reason: "altered_entry" }
    );
    // The command-line check says so and fails.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database", &test_url(&app), "--data", &scratch_data().display().to_string(), "audit", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("BROKEN at entry 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_deleted_entry_is_found() {
    let app = TestApp::new().await;
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&Sql::new("DELETE FROM audit_log WHERE seq = 2")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        frontline_db::audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken { seq: 2, reason: "missing_entry" }
    );
}

#[tokio::test]
async fn an_intact_log_verifies_from_the_command_line() {
    let app = TestApp::new().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database", &test_url(&app), "--data", &scratch_data().display().to_string(), "audit", "verify"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Audit log intact"));
}

/// An empty data folder of this test's own (where the audit checkpoints live).
pub fn scratch_data() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ft-audit-data-{}-{}", std::process::id(), rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every column is in the hash: moving an entry to another unit (what scoped browsing reads) is
/// found. The head is anchored outside the table: after a signed checkpoint, deleting the newest
/// entries — which leaves a chain that links — is found, from the command line too; a forged
/// checkpoint is refused.
#[tokio::test]
async fn the_unit_path_and_the_head_of_the_chain_are_covered() {
    let app = TestApp::new().await;
    let newest = app.count("SELECT MAX(seq) FROM audit_log").await;
    let edit = |sql: String| {
        let db = app.db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            tx.execute(&Sql::new(&sql)).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    let path_before: (Option<String>,) =
        app.db.one(&Sql::with("SELECT unit_path FROM audit_log WHERE seq = $1", vec![newest.into()])).await.unwrap();
    edit(format!("UPDATE audit_log SET unit_path = '/19/' WHERE seq = {newest}")).await;
    assert_eq!(
        frontline_db::audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken { seq: newest, reason: "altered_entry" }
    );
    let restore = match path_before.0 {
        Some(p) => format!("UPDATE audit_log SET unit_path = '{p}' WHERE seq = {newest}"),
        None => format!("UPDATE audit_log SET unit_path = NULL WHERE seq = {newest}"),
    };
    edit(restore).await;
    assert!(matches!(frontline_db::audit::verify(&app.db).await.unwrap(), ChainCheck::Intact { .. }));

    let data = scratch_data();
    let checkpoint = frontline_app::anchor::write(&app.db, &data).await.unwrap().expect("a checkpoint");
    assert_eq!(checkpoint.seq, newest);
    assert!(frontline_app::anchor::write(&app.db, &data).await.unwrap().is_none(), "nothing new to sign");
    assert!(matches!(frontline_app::anchor::verify(&app.db, &data).await.unwrap(), ChainCheck::Intact { .. }));
    // The newest two entries deleted: the rest still links, but no longer reaches the checkpoint.
    edit(format!("DELETE FROM audit_log WHERE seq > {}", newest - 2)).await;
    assert!(matches!(frontline_db::audit::verify(&app.db).await.unwrap(), ChainCheck::Intact { .. }));
    assert_eq!(
        frontline_app::anchor::verify(&app.db, &data).await.unwrap(),
        ChainCheck::Broken { seq: newest, reason: "head_deleted" }
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database", &test_url(&app), "--data", &data.display().to_string(), "audit", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("BROKEN at entry {newest}: head_deleted")), "{said}");
    // A checkpoint rewritten to match the shortened chain is not signed by the install's key.
    let file = frontline_app::anchor::checkpoints_file(&data);
    let forged = std::fs::read_to_string(&file)
        .unwrap()
        .replace(&format!("\"seq\":{newest}"), &format!("\"seq\":{}", newest - 2));
    std::fs::write(&file, forged).unwrap();
    let err = frontline_app::anchor::verify(&app.db, &data).await.unwrap_err();
    assert!(err.to_string().contains("not signed"), "{err}");
    let _ = std::fs::remove_dir_all(data);
}

/// The URL of the test's database, for the command-line tool.
pub fn test_url(app: &TestApp) -> String {
    app.db_url.clone()
}

/// 国密 (issue 29): the security administrator turns the chain to SM3; the entry recording it and
/// every later one are hashed with SM3, the earlier ones keep SHA-256, and the whole chain
/// verifies (from the command line too, against a checkpoint signed with HMAC-SM3); an SM3 entry
/// altered, or passed off as SHA-256, is found. The auditor cannot turn it, nor can it go back.
#[tokio::test]
async fn the_chain_turns_to_sm3_and_tampering_is_still_found() {
    let app = TestApp::new().await;
    let before = app.count("SELECT MAX(seq) FROM audit_log").await;
    assert_eq!(app.api("auditor").await.post("/security/audit-sm3", json!({})).await.0, 403);
    let secadmin = app.api("secadmin").await;
    let (s, settings) = secadmin.get("/security").await;
    assert_eq!((s, settings["audit_hash"].as_str()), (200, Some("sha256")));
    let (s, settings) = secadmin.post("/security/audit-sm3", json!({})).await;
    assert_eq!((s, settings["audit_hash"].as_str()), (200, Some("sm3")), "{settings}");
    // Later changes go on in SM3 without asking.
    let (s, _) = secadmin.put("/security/password-policy", json!({"max_age_days": 60, "history": 5})).await;
    assert_eq!(s, 200);
    let versions: Vec<(i64, i64)> = app
        .db
        .all(&Sql::with("SELECT seq, hash_version FROM audit_log WHERE seq >= $1 ORDER BY seq", vec![before.into()]))
        .await
        .unwrap();
    let switch = app.count("SELECT seq FROM audit_log WHERE action = 'security.audit_hash'").await;
    assert!(versions.iter().all(|(seq, v)| if *seq < switch { *v == 2 } else { *v == 3 }), "{versions:?}");
    assert!(versions.iter().filter(|(seq, _)| *seq > switch).count() >= 1, "{versions:?}");
    let (s, _) = secadmin.post("/security/audit-sm3", json!({})).await;
    assert_eq!(s, 200, "asking again changes nothing");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'security.audit_hash'").await, 1);
    assert!(matches!(frontline_db::audit::verify(&app.db).await.unwrap(), ChainCheck::Intact { .. }));
    let data = scratch_data();
    let checkpoint = frontline_app::anchor::write(&app.db, &data).await.unwrap().expect("a checkpoint");
    assert_eq!(checkpoint.alg, "hmac-sm3");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database", &test_url(&app), "--data", &data.display().to_string(), "audit", "verify"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // An SM3 entry altered: found.
    let newest = app.count("SELECT MAX(seq) FROM audit_log").await;
    let forge = Sql::with("UPDATE audit_log SET after_state = '{\"forged\":true}' WHERE seq = $1", vec![newest.into()]);
    app.db.execute_outside_transaction(&forge).await.unwrap();
    assert_eq!(
        frontline_db::audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken { seq: newest, reason: "altered_entry" }
    );
    // Passed off as SHA-256, its hash recomputed so: a downgrade, found.
    let mut entry = frontline_db::audit::entry(&app.db, newest).await.unwrap().unwrap();
    entry.version = 2;
    let sha = frontline_core::audit::entry_hash(&entry);
    let downgrade =
        Sql::with("UPDATE audit_log SET hash_version = 2, hash = $1 WHERE seq = $2", vec![sha.into(), newest.into()]);
    app.db.execute_outside_transaction(&downgrade).await.unwrap();
    assert_eq!(
        frontline_db::audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken { seq: newest, reason: "altered_entry" }
    );
    let _ = std::fs::remove_dir_all(data);
}

/// Retention (issue 29, 网络安全法 Art. 21): the security administrator keeps the log at least six
/// months; entries past it are pruned, the pruning is itself an entry naming the last one
/// removed, and the chain verifies from there (a checkpoint from before too); a forged start, or
/// the pruning entry deleted to pass a deletion off as a pruning, is found.
#[tokio::test]
async fn entries_past_their_retention_are_pruned_and_the_chain_still_verifies() {
    let app = TestApp::new().await;
    let secadmin = app.api("secadmin").await;
    let (s, body) = secadmin.put("/security/audit-retention", json!({"keep_days": 30})).await;
    assert_eq!((s, body["fields"][0]["field"].as_str()), (422, Some("keep_days")), "{body}");
    let (s, settings) = secadmin.put("/security/audit-retention", json!({"keep_days": 183})).await;
    assert_eq!((s, settings["audit_keep_days"].as_i64()), (200, Some(183)), "{settings}");
    let now = chrono::Utc::now();
    assert_eq!(frontline_db::audit::prune(&app.db, 183, now).await.unwrap(), 0, "nothing is old enough today");
    assert_eq!(
        frontline_db::audit::prune(&app.db, 0, now + chrono::Duration::days(9999)).await.unwrap(),
        0,
        "0 keeps all"
    );
    let data = scratch_data();
    frontline_app::anchor::write(&app.db, &data).await.unwrap().expect("a checkpoint before the pruning");
    // A year on, everything written today is past its six months.
    let written = app.count("SELECT COUNT(*) FROM audit_log").await;
    let removed = frontline_db::audit::prune(&app.db, 183, now + chrono::Duration::days(365)).await.unwrap();
    assert_eq!(removed, written);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, 1, "the pruning's own entry");
    assert!(matches!(frontline_db::audit::verify(&app.db).await.unwrap(), ChainCheck::Intact { entries: 1 }));
    assert!(matches!(frontline_app::anchor::verify(&app.db, &data).await.unwrap(), ChainCheck::Intact { .. }));
    // The chain goes on after it.
    let (s, _) = secadmin.put("/security/password-policy", json!({"max_age_days": 60, "history": 5})).await;
    assert_eq!(s, 200);
    assert!(matches!(frontline_db::audit::verify(&app.db).await.unwrap(), ChainCheck::Intact { entries: 2 }));
    let edit = |sql: String| {
        let db = app.db.clone();
        async move { db.execute_outside_transaction(&Sql::new(&sql)).await.unwrap() }
    };
    // A forged start: found.
    let (through,): (i64,) = app.db.one(&Sql::new("SELECT through_seq FROM audit_pruned")).await.unwrap();
    let (hash,): (String,) = app.db.one(&Sql::new("SELECT through_hash FROM audit_pruned")).await.unwrap();
    edit(format!("UPDATE audit_pruned SET through_hash = '{}'", "0".repeat(64))).await;
    assert_eq!(
        frontline_db::audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken { seq: through + 1, reason: "broken_link" }
    );
    edit(format!("UPDATE audit_pruned SET through_hash = '{hash}'")).await;
    // The pruning's entry deleted and a start claimed after it: no pruning names it.
    let (prune_seq, prune_hash): (i64, String) =
        app.db.one(&Sql::new("SELECT seq, hash FROM audit_log WHERE action = 'audit.prune'")).await.unwrap();
    edit(format!("DELETE FROM audit_log WHERE seq = {prune_seq}")).await;
    edit(format!(
        "INSERT INTO audit_pruned (through_seq, through_hash, through_version, pruned_at, entries) \
         VALUES ({prune_seq}, '{prune_hash}', 2, '2027-01-01T00:00:00.000Z', 1)"
    ))
    .await;
    assert_eq!(
        frontline_db::audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken { seq: prune_seq + 1, reason: "unexplained_start" }
    );
    let _ = std::fs::remove_dir_all(data);
}
