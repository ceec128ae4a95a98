//! Fresh, empty databases for tests, on the store named by `FRONTLINE_TEST_DB`
//! (`sqlite`, the default, or `postgres`). Each call makes a new database: a temporary file for
//! SQLite, a new database on the local server for PostgreSQL (`FRONTLINE_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432`), dropped when the guard goes.

use crate::{Db, DbError};

/// A migrated, empty test database; dropping it removes the database.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Pg { admin_url: String, name: String },
}

/// Which store the tests run on.
pub fn test_store() -> String {
    std::env::var("FRONTLINE_TEST_DB").unwrap_or_else(|_| "sqlite".to_string())
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("ft_{}_{}_{}", std::process::id(), nanos % 1_000_000_000, N.fetch_add(1, Ordering::Relaxed))
}

impl TestDb {
    /// A new database with every migration applied.
    pub async fn new() -> Result<TestDb, DbError> {
        let t = Self::empty().await?;
        crate::migrate::migrate(&t.db).await?;
        Ok(t)
    }

    /// A new database with no schema at all (for upgrade tests).
    pub async fn empty() -> Result<TestDb, DbError> {
        let name = unique_name();
        let (db, url, cleanup) = if test_store() == "postgres" {
            let base =
                std::env::var("FRONTLINE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
            let admin_url = format!("{base}/postgres");
            let admin = Db::connect(&admin_url).await?;
            if let Db::Pg(pool) = &admin {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(pool).await?;
            }
            admin.close().await;
            let url = format!("{base}/{name}");
            (Db::connect(&url).await?, url, Cleanup::Pg { admin_url, name })
        } else {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let url = format!("sqlite://{}", path.display());
            (Db::connect(&url).await?, url, Cleanup::File(path))
        };
        Ok(TestDb { db, url, cleanup })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Pg { admin_url, name } => {
                // Dropped from a blocking thread: Drop cannot await, and the test's runtime may be gone.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                    rt.block_on(async {
                        if let Ok(Db::Pg(pool)) = Db::connect(&admin_url).await {
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                            pool.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
