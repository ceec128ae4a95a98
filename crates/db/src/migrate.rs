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
];

/// Applies every migration not yet applied; returns how many ran.
pub async fn migrate(db: &Db) -> Result<usize, DbError> {
    let mut tx = db.begin().await?;
    tx.script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    tx.commit().await?;
    let applied: Vec<(i64,)> = db.all(&Sql::new("SELECT version FROM schema_migrations ORDER BY version")).await?;
    let mut ran = 0;
    for m in MIGRATIONS {
        if applied.iter().any(|(v,)| *v == m.version) {
            continue;
        }
        let mut tx = db.begin().await?;
        tx.script(if tx.is_postgres() { m.postgres } else { m.sqlite }).await?;
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
