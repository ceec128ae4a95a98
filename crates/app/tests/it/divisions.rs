//! `frontline import divisions` builds the tree of any place from the shipped national table,
//! offline; importing the same place twice changes nothing. Also `frontline user add`.

use std::io::Write;
use std::process::{Command, Stdio};

use frontline_db::testing::TestDb;
use frontline_db::{Db, Sql};

fn frontline(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_frontline")).arg("--database").arg(url).args(args).output().unwrap()
}

async fn count(db: &Db, sql: &str) -> i64 {
    db.count(&Sql::new(sql)).await.unwrap()
}

#[tokio::test]
async fn importing_a_prefecture_twice_changes_nothing() {
    let t = TestDb::new().await.unwrap();
    let out = frontline(&t.url, &["import", "divisions", "3303"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // 温州市: the province above it, itself, 12 counties, 191 townships, 3,685 villages (2023 codes).
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units WHERE kind = 'county'").await, 12);
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units WHERE kind = 'township'").await, 191);
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units WHERE kind = 'village'").await, 3685);
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units WHERE kind IN ('province', 'prefecture')").await, 2);
    let total = count(&t.db, "SELECT COUNT(*) FROM units").await;
    let audits = count(&t.db, "SELECT COUNT(*) FROM audit_log").await;
    let out = frontline(&t.url, &["import", "divisions", "3303", "330382"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 created"));
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units").await, total);
    assert_eq!(
        count(&t.db, "SELECT COUNT(*) FROM audit_log").await,
        audits,
        "no entry for a change that did not happen"
    );
    // Every village sits under its township, every path is consistent with its parent's.
    let bad = count(
        &t.db,
        "SELECT COUNT(*) FROM units c JOIN units p ON p.id = c.parent_id \
         WHERE c.path <> p.path || CAST(LENGTH(CAST(c.id AS TEXT)) AS TEXT) || CAST(c.id AS TEXT) || '/' OR c.depth <> p.depth + 1",
    )
    .await;
    assert_eq!(bad, 0);
    let (name, code): (String, String) =
        t.db.one(&Sql::new("SELECT name, code FROM units WHERE code = '330382006205'")).await.unwrap();
    assert_eq!((name.as_str(), code.as_str()), ("岐元村", "330382006205"));
    // Another county of another prefecture joins the same province.
    let out = frontline(&t.url, &["import", "divisions", "330421"]);
    assert!(out.status.success());
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units WHERE kind = 'province'").await, 1);
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units WHERE kind = 'prefecture'").await, 2);
    // An unknown code is an error that writes nothing.
    let before = count(&t.db, "SELECT COUNT(*) FROM units").await;
    let out = frontline(&t.url, &["import", "divisions", "999999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no division has the code 999999"));
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM units").await, before);
}

#[tokio::test]
async fn the_first_admin_is_created_without_a_default_password() {
    let t = TestDb::new().await.unwrap();
    // A generated password is printed once.
    let out = frontline(&t.url, &["user", "add", "chief", "--role", "system_admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout.lines().find_map(|l| l.strip_prefix("Its password, shown this once: ")).unwrap().to_string();
    assert!(password.len() >= 20);
    let (hash,): (String,) =
        t.db.one(&Sql::new("SELECT password_hash FROM users WHERE username = 'chief'")).await.unwrap();
    assert!(frontline_web::auth::verify_password(&password, &hash));
    assert!(stdout.contains("It must be changed at the first login."), "{stdout}");
    let (must,): (bool,) =
        t.db.one(&Sql::new("SELECT must_change_password FROM users WHERE username = 'chief'")).await.unwrap();
    assert!(must, "a generated password is the holder's to change");
    // A password from standard input must follow the rules.
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database", &t.url, "user", "add", "deputy", "--role", "system_admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"weak\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("passwords need 10+ characters"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&t.db, "SELECT COUNT(*) FROM users").await, 1);
}
