//! Schema migrations for both stores. Each version exists once for SQLite and once for
//! PostgreSQL, with the same tables and columns (a test checks), and is applied in one transaction.

use chrono::Utc;

use crate::{Db, DbError, Sql};

/// One schema version, written for each store.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "responsibility",
        sqlite: include_str!("../migrations/sqlite/0002_responsibility.sql"),
        postgres: include_str!("../migrations/postgres/0002_responsibility.sql"),
    },
    Migration {
        version: 3,
        name: "work",
        sqlite: include_str!("../migrations/sqlite/0003_work.sql"),
        postgres: include_str!("../migrations/postgres/0003_work.sql"),
    },
    Migration {
        version: 4,
        name: "orders",
        sqlite: include_str!("../migrations/sqlite/0004_orders.sql"),
        postgres: include_str!("../migrations/postgres/0004_orders.sql"),
    },
    Migration {
        version: 5,
        name: "supervision",
        sqlite: include_str!("../migrations/sqlite/0005_supervision.sql"),
        postgres: include_str!("../migrations/postgres/0005_supervision.sql"),
    },
    Migration {
        version: 6,
        name: "indicators",
        sqlite: include_str!("../migrations/sqlite/0006_indicators.sql"),
        postgres: include_str!("../migrations/postgres/0006_indicators.sql"),
    },
    Migration {
        version: 7,
        name: "appraisals",
        sqlite: include_str!("../migrations/sqlite/0007_appraisals.sql"),
        postgres: include_str!("../migrations/postgres/0007_appraisals.sql"),
    },
    Migration {
        version: 8,
        name: "bulletins",
        sqlite: include_str!("../migrations/sqlite/0008_bulletins.sql"),
        postgres: include_str!("../migrations/postgres/0008_bulletins.sql"),
    },
    Migration {
        version: 9,
        name: "ledger_figures",
        sqlite: include_str!("../migrations/sqlite/0009_ledger_figures.sql"),
        postgres: include_str!("../migrations/postgres/0009_ledger_figures.sql"),
    },
    Migration {
        version: 10,
        name: "finding_hand_in",
        sqlite: include_str!("../migrations/sqlite/0010_finding_hand_in.sql"),
        postgres: include_str!("../migrations/postgres/0010_finding_hand_in.sql"),
    },
    Migration {
        version: 11,
        name: "topic_escalation",
        sqlite: include_str!("../migrations/sqlite/0011_topic_escalation.sql"),
        postgres: include_str!("../migrations/postgres/0011_topic_escalation.sql"),
    },
    Migration {
        version: 12,
        name: "score_measured",
        sqlite: include_str!("../migrations/sqlite/0012_score_measured.sql"),
        postgres: include_str!("../migrations/postgres/0012_score_measured.sql"),
    },
    Migration {
        version: 13,
        name: "order_call_backs",
        sqlite: include_str!("../migrations/sqlite/0013_order_call_backs.sql"),
        postgres: include_str!("../migrations/postgres/0013_order_call_backs.sql"),
    },
    Migration {
        version: 14,
        name: "targeted_rounds",
        sqlite: include_str!("../migrations/sqlite/0014_targeted_rounds.sql"),
        postgres: include_str!("../migrations/postgres/0014_targeted_rounds.sql"),
    },
    Migration {
        version: 15,
        name: "audit_hash_version",
        sqlite: include_str!("../migrations/sqlite/0015_audit_hash_version.sql"),
        postgres: include_str!("../migrations/postgres/0015_audit_hash_version.sql"),
    },
    Migration {
        version: 16,
        name: "access_with_posts",
        sqlite: include_str!("../migrations/sqlite/0016_access_with_posts.sql"),
        postgres: include_str!("../migrations/postgres/0016_access_with_posts.sql"),
    },
    Migration {
        version: 17,
        name: "secondment_partner",
        sqlite: include_str!("../migrations/sqlite/0017_secondment_partner.sql"),
        postgres: include_str!("../migrations/postgres/0017_secondment_partner.sql"),
    },
    Migration {
        version: 18,
        name: "organisational_life",
        sqlite: include_str!("../migrations/sqlite/0018_organisational_life.sql"),
        postgres: include_str!("../migrations/postgres/0018_organisational_life.sql"),
    },
    Migration {
        version: 19,
        name: "weak_organisations",
        sqlite: include_str!("../migrations/sqlite/0019_weak_organisations.sql"),
        postgres: include_str!("../migrations/postgres/0019_weak_organisations.sql"),
    },
    Migration {
        version: 20,
        name: "temporary_organisations",
        sqlite: include_str!("../migrations/sqlite/0020_temporary_organisations.sql"),
        postgres: include_str!("../migrations/postgres/0020_temporary_organisations.sql"),
    },
    Migration {
        version: 21,
        name: "offline_work",
        sqlite: include_str!("../migrations/sqlite/0021_offline_work.sql"),
        postgres: include_str!("../migrations/postgres/0021_offline_work.sql"),
    },
    Migration {
        version: 22,
        name: "phone_times_and_photo_files",
        sqlite: include_str!("../migrations/sqlite/0022_phone_times_and_photo_files.sql"),
        postgres: include_str!("../migrations/postgres/0022_phone_times_and_photo_files.sql"),
    },
    Migration {
        version: 23,
        name: "second_factor",
        sqlite: include_str!("../migrations/sqlite/0023_second_factor.sql"),
        postgres: include_str!("../migrations/postgres/0023_second_factor.sql"),
    },
    Migration {
        version: 24,
        name: "password_policy",
        sqlite: include_str!("../migrations/sqlite/0024_password_policy.sql"),
        postgres: include_str!("../migrations/postgres/0024_password_policy.sql"),
    },
    Migration {
        version: 25,
        name: "audit_retention",
        sqlite: include_str!("../migrations/sqlite/0025_audit_retention.sql"),
        postgres: include_str!("../migrations/postgres/0025_audit_retention.sql"),
    },
];

/// The version that added the ledger's kept figures: a store upgraded past it has them filled
/// from its records in the same transaction.
const LEDGER_FIGURES: i64 = 9;

/// Applies every migration not yet applied; returns how many ran.
pub async fn migrate(db: &Db) -> Result<usize, DbError> {
    migrate_to(db, i64::MAX).await
}

/// Applies the migrations not yet applied up to `last` (a database as an older release left it).
pub async fn migrate_to(db: &Db, last: i64) -> Result<usize, DbError> {
    let mut tx = db.begin().await?;
    tx.script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    tx.commit().await?;
    let applied: Vec<(i64,)> = db.all(&Sql::new("SELECT version FROM schema_migrations ORDER BY version")).await?;
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version <= last) {
        if applied.iter().any(|(v,)| *v == m.version) {
            continue;
        }
        let mut tx = db.begin().await?;
        tx.script(if tx.is_postgres() { m.postgres } else { m.sqlite }).await?;
        if m.version == LEDGER_FIGURES {
            crate::records::figures::rebuild_in(&mut tx).await?;
        }
        tx.execute(&Sql::with(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            vec![m.version.into(), m.name.into(), Utc::now().to_rfc3339().into()],
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        ran += 1;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Table name → column names, read from `CREATE TABLE` statements.
    fn tables(sql: &str) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for stmt in sql.split(';') {
            let stmt = stmt.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
            if let Some(rest) = stmt.trim().strip_prefix("ALTER TABLE ") {
                let mut words = rest.split_whitespace();
                let table = words.next().unwrap().to_string();
                let column = words.nth(2).unwrap().to_string();
                out.entry(format!("{table} (altered)")).or_insert_with(Vec::new).push(column);
                continue;
            }
            let Some(rest) = stmt.trim().strip_prefix("CREATE TABLE ") else { continue };
            let (name, body) = rest.split_once('(').unwrap();
            let cols = body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("PRIMARY KEY") && !l.starts_with(')'))
                .map(|l| l.split_whitespace().next().unwrap().to_string())
                .collect();
            out.insert(name.trim().to_string(), cols);
        }
        out
    }

    /// A store at schema `version` holding the fixtures, its id sequences past their rows.
    async fn at_release(version: i64, fixtures: &[&'static str], tables: &[&str]) -> crate::testing::TestDb {
        let t = crate::testing::TestDb::empty().await.unwrap();
        assert_eq!(migrate_to(&t.db, version).await.unwrap(), version as usize);
        let mut tx = t.db.begin().await.unwrap();
        for fixture in fixtures {
            tx.script(fixture).await.unwrap();
        }
        for table in tables {
            tx.sync_id_sequence(table).await.unwrap();
        }
        tx.commit().await.unwrap();
        t
    }

    async fn row_counts(db: &Db, tables: &[&str]) -> Vec<i64> {
        let mut v = Vec::new();
        for table in tables {
            v.push(db.count(&Sql::new(&format!("SELECT COUNT(*) FROM {table}"))).await.unwrap());
        }
        v
    }

    /// A database made by release 1 (migration 1 only) with data in it, as the fixture holds,
    /// upgrades to the latest schema on this store, keeps every row, and works with today's code.
    #[tokio::test]
    async fn a_release_one_database_with_data_upgrades() {
        use frontline_core::access::{Actor, Scope};
        const TABLES: [&str; 8] = ["units", "people", "posts", "tenures", "postings", "roles", "users", "user_roles"];
        let t = at_release(1, &[include_str!("../fixtures/release1_data.sql")], &TABLES[..7]).await;
        let db = &t.db;
        let before = row_counts(db, &TABLES).await;
        assert_eq!(before, vec![4, 3, 2, 2, 1, 1, 1, 1]);
        assert_eq!(migrate(db).await.unwrap(), MIGRATIONS.len() - 1);
        assert_eq!(row_counts(db, &TABLES).await, before, "no row lost");
        // Old rows read with today's code: tenures are not acting, nobody is suspended.
        let post = crate::people::get_post(db, &Scope::everything(), 1).await.unwrap();
        assert_eq!(post.holder_name.as_deref(), Some("王建国"));
        assert!(!post.acting);
        let (suspended,): (bool,) = db.one(&Sql::new("SELECT suspended FROM people WHERE id = 2")).await.unwrap();
        assert!(!suspended);
        // The secretary's role now comes with the 书记 post they hold (migration 16).
        let (through,): (Option<i64>,) =
            db.one(&Sql::new("SELECT post_id FROM user_roles WHERE user_id = 1")).await.unwrap();
        assert_eq!(through, Some(1));
        assert!(crate::access::load_actor(db, 1, "test").await.unwrap().can("people:person:list"));
        // And the new tables work with the old data: a link, the chain, a succession.
        let actor = Actor::system("upgrade test");
        let link = frontline_core::responsibility::LinkInput {
            kind: "village_contact".into(),
            person_id: 3,
            unit_id: 3,
            start_date: "2026-01-01".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        crate::responsibility::create_link(db, &actor, &link).await.unwrap();
        let chain = crate::responsibility::chain(
            db,
            &Scope::everything(),
            3,
            chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(chain.len(), 3, "village, township, county");
        assert!(chain[0].people.iter().any(|p| p.role == "village_contact" && p.person_id == 3));
        assert!(chain[0].people.iter().any(|p| p.role == "secretary" && p.person_id == 1));
        let out = crate::succession::remove_holder(
            db,
            &actor,
            1,
            frontline_core::succession::RemovalReason::Transferred,
            chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(out.acting.map(|a| a.person_id), Some(2), "the deputy from release 1 acts");
        let after = crate::access::load_actor(db, 1, "test").await.unwrap();
        assert!(!after.can("people:person:list"), "the former secretary's access ended with the tenure");
        assert_eq!(migrate(db).await.unwrap(), 0, "a second run changes nothing");
    }

    /// The release before this one: a database at its schema (version 8) with its data — daily
    /// lists signed and open, a work order half-way through — upgrades on this store, keeps every
    /// row, and today's code reads the old rows and carries the old order on.
    #[tokio::test]
    async fn the_previous_releases_database_with_data_upgrades() {
        use frontline_core::access::{Actor, Scope};
        const PREVIOUS: i64 = 8;
        const TABLES: [&str; 14] = [
            "units",
            "people",
            "posts",
            "tenures",
            "postings",
            "roles",
            "users",
            "task_lists",
            "task_items",
            "task_instances",
            "task_checks",
            "records",
            "work_orders",
            "order_steps",
        ];
        let fixtures = [include_str!("../fixtures/release1_data.sql"), include_str!("../fixtures/release8_data.sql")];
        let t = at_release(PREVIOUS, &fixtures, &TABLES).await;
        let db = &t.db;
        let before = row_counts(db, &TABLES).await;
        assert_eq!(migrate(db).await.unwrap(), MIGRATIONS.len() - PREVIOUS as usize);
        assert_eq!(row_counts(db, &TABLES).await, before, "no row lost");
        // The ledger's old records are in the kept figures the upgrade filled.
        assert!(db.count(&Sql::new("SELECT COUNT(*) FROM unit_tallies")).await.unwrap() > 0);
        assert!(crate::records::figures::verify(db, 5).await.unwrap().is_empty());
        // The old rows read with today's code.
        let all = Scope::everything();
        let signed = crate::tasks::instance(db, &all, 1).await.unwrap();
        assert_eq!(signed.instance.status, "submitted");
        assert_eq!(signed.items.len(), 2);
        let order = crate::orders::get(db, &all, 1, true).await.unwrap();
        assert_eq!(order.order.status, "signed");
        assert_eq!(order.steps.len(), 3);
        // The old order goes on: answered with today's code, on the old timeline.
        let actor = Actor::system("upgrade test");
        let reply = crate::orders::StepInput::Reply { text: "已更换灯具。".into(), attachment_id: None };
        let answered = crate::orders::act(db, &actor, 1, &reply, frontline_core::time::Timing::at(chrono::Utc::now()))
            .await
            .unwrap();
        assert_eq!(answered.order.status, "replied");
        assert_eq!(answered.steps.len(), 4);
        // The village secretary's role of that release gets the permissions of weak organisations
        // (migration 21), once.
        let (perms,): (String,) =
            db.one(&Sql::new("SELECT permissions FROM roles WHERE role_key = 'village_secretary'")).await.unwrap();
        assert!(perms.ends_with(",judge:weak:list,judge:weak:report"), "{perms}");
        assert_eq!(migrate(db).await.unwrap(), 0, "a second run changes nothing");
    }

    /// Migration 10 reads each finding's latest hand-in as a China day: 17:30 UTC on 27 November
    /// is 01:30 on the 28th in China.
    #[tokio::test]
    async fn findings_handed_in_before_the_upgrade_keep_their_china_day() {
        use chrono::TimeZone;
        let t = at_release(9, &[include_str!("../fixtures/release1_data.sql")], &["units"]).await;
        let db = &t.db;
        let (unit,): (i64,) = db.one(&Sql::new("SELECT MIN(id) FROM units")).await.unwrap();
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let mut tx = db.begin().await.unwrap();
        for (id, handed_in) in [(1_i64, Some(Utc.with_ymd_and_hms(2026, 11, 27, 17, 30, 0).unwrap())), (2, None)] {
            tx.execute(&Sql::with(
                "INSERT INTO findings (id, unit_id, category, severity, description, deadline, status, escalated, raised_at, raised_by) \
                 VALUES ($1, $2, 'on_post', 'major', '脱岗', $3, $4, FALSE, $5, '督导组')",
                vec![
                    id.into(),
                    unit.into(),
                    day(28).into(),
                    (if handed_in.is_some() { "submitted" } else { "open" }).into(),
                    Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap().into(),
                ],
            ))
            .await
            .unwrap();
            if let Some(at) = handed_in {
                tx.execute(&Sql::with(
                    "INSERT INTO rectifications (finding_id, text, evidence, submitted_by, submitted_at) VALUES ($1, '已整改', '照片', '书记', $2)",
                    vec![id.into(), at.into()],
                ))
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
        migrate(db).await.unwrap();
        let rows: Vec<(i64, Option<chrono::NaiveDate>)> =
            db.all(&Sql::new("SELECT id, handed_in_on FROM findings ORDER BY id")).await.unwrap();
        assert_eq!(rows, vec![(1, Some(day(28))), (2, None)]);
        // Handed in on the deadline's own day: waiting for acceptance, it is not overdue.
        let view = crate::inspections::finding(db, &frontline_core::access::Scope::everything(), 1).await.unwrap();
        assert!(!view.finding.overdue(day(30)));
    }

    /// Migration 12 reads which published scores had no data from the detail they were kept with.
    #[tokio::test]
    async fn published_scores_without_data_keep_saying_so() {
        let t = at_release(11, &[include_str!("../fixtures/release1_data.sql")], &["units"]).await;
        let db = &t.db;
        let (unit,): (i64,) = db.one(&Sql::new("SELECT MIN(id) FROM units")).await.unwrap();
        let now = Utc::now();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let mut tx = db.begin().await.unwrap();
        tx.execute(&Sql::with(
            "INSERT INTO schemes (id, unit_id, code, name, subject, definition, version, active, updated_by, updated_at) \
             VALUES (1, $1, 'bastion', '堡垒指数', 'unit', '{}', 1, TRUE, 'test', $2)",
            vec![unit.into(), now.into()],
        ))
        .await
        .unwrap();
        tx.execute(&Sql::with(
            "INSERT INTO score_runs (id, scheme_id, scheme_version, definition, unit_id, period_from, period_to, published_on, \
             final_on, subjects, laggards, created_by, created_at) VALUES (1, 1, 1, '{}', $1, $2, $2, $2, $2, 3, 0, 'test', $3)",
            vec![unit.into(), day.into(), now.into()],
        ))
        .await
        .unwrap();
        for (id, detail) in [
            (1_i64, r#"{"total":80.0,"measured":true}"#),
            (2, r#"{"total":0.0,"measured":false}"#),
            (3, r#"{"total":70.0}"#),
        ] {
            tx.execute(&Sql::with(
                "INSERT INTO scores (id, run_id, unit_id, total_centi, stars, laggard, position, detail) \
                 VALUES ($1, 1, $2, 0, 0, FALSE, $1, $3)",
                vec![id.into(), unit.into(), detail.into()],
            ))
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        migrate(db).await.unwrap();
        let rows: Vec<(i64, bool)> = db.all(&Sql::new("SELECT id, measured FROM scores ORDER BY id")).await.unwrap();
        assert_eq!(
            rows,
            vec![(1, true), (2, false), (3, true)],
            "runs from before no data was told apart were all measured"
        );
    }

    #[test]
    fn both_stores_have_the_same_tables_and_columns() {
        for m in MIGRATIONS {
            let s = tables(m.sqlite);
            assert!(!s.is_empty());
            assert_eq!(s, tables(m.postgres), "migration {} differs between stores", m.version);
        }
    }

    #[test]
    fn every_migration_file_is_listed_for_both_stores() {
        for store in ["sqlite", "postgres"] {
            let dir = format!("{}/migrations/{store}", env!("CARGO_MANIFEST_DIR"));
            let mut files: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let listed: Vec<String> = MIGRATIONS.iter().map(|m| format!("{:04}_{}.sql", m.version, m.name)).collect();
            assert_eq!(files, listed, "{store}");
        }
    }
}
