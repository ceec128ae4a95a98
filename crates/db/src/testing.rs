//! Fresh, empty databases for tests, on the store named by `FRONTLINE_TEST_DB`
//! (`sqlite`, the default, or `postgres`). Each call makes a new database: a temporary file for
//! SQLite, a new database on the local server for PostgreSQL (`FRONTLINE_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432`), dropped when the guard goes.
//!
//! Filling a database with the demo takes seconds (13 s on PostgreSQL, 6 s on SQLite on the
//! 2-core CI machine), so a suite that needs the same starting data in every test fills one
//! database, keeps it as a [`Template`] and copies it for each test ([`TestDb::copy_of`]): a file
//! copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. Databases left behind by test
//! processes that are gone (killed runs) are removed the first time a process makes one.

use crate::{Db, DbError};

/// A migrated, empty test database; dropping it removes the database.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Pg {
        admin_url: String,
        name: String,
    },
    /// Kept as a template until a later test process removes it.
    Keep,
}

/// A filled test database kept unchanged to be copied by [`TestDb::copy_of`].
pub struct Template {
    source: Source,
}

enum Source {
    File(std::path::PathBuf),
    Pg { name: String },
}

/// Which store the tests run on.
pub fn test_store() -> String {
    std::env::var("FRONTLINE_TEST_DB").unwrap_or_else(|_| "sqlite".to_string())
}

fn pg_base() -> String {
    std::env::var("FRONTLINE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Whether a name made by [`unique_name`] belongs to a process that has ended.
fn left_by_ended_process(name: &str) -> bool {
    let Some(pid) = name.strip_prefix("ft_").and_then(|rest| rest.split('_').next()) else { return false };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the databases of test processes that ended without dropping them (once per process).
async fn remove_leftovers(admin: &Db) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::SeqCst) || !std::path::Path::new("/proc/self").exists() {
        return;
    }
    if let Db::Pg(pool) = admin {
        let names: Vec<(String,)> = sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'ft\\_%'")
            .fetch_all(pool)
            .await
            .unwrap_or_default();
        for (name,) in names.into_iter().filter(|(n,)| left_by_ended_process(n)) {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await;
        }
    } else if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let stem = file.split('.').next().unwrap_or_default();
            if entry.file_type().is_ok_and(|t| t.is_dir()) && file.starts_with("ft_") && left_by_ended_process(&file) {
                let _ = std::fs::remove_dir_all(entry.path());
            } else if file.contains(".db") && left_by_ended_process(stem) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
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
        Self::make(None).await
    }

    /// A new database holding a copy of the template's schema and data.
    pub async fn copy_of(template: &Template) -> Result<TestDb, DbError> {
        Self::make(Some(template)).await
    }

    async fn make(template: Option<&Template>) -> Result<TestDb, DbError> {
        let name = unique_name();
        let (db, url, cleanup) = if test_store() == "postgres" {
            let base = pg_base();
            let admin_url = format!("{base}/postgres");
            let admin = Db::connect(&admin_url).await?;
            remove_leftovers(&admin).await;
            if let Db::Pg(pool) = &admin {
                let from = match template {
                    Some(Template { source: Source::Pg { name } }) => format!(" TEMPLATE {name}"),
                    _ => String::new(),
                };
                create_database(pool, &format!("CREATE DATABASE {name}{from}")).await?;
                // Tests do not outlive a crash of the server itself: commits need not wait for the
                // disk (an application crash still loses nothing that was committed).
                let sql = format!("ALTER DATABASE {name} SET synchronous_commit = off");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
            }
            admin.close().await;
            let url = format!("{base}/{name}");
            (Db::connect(&url).await?, url, Cleanup::Pg { admin_url, name })
        } else {
            // A folder of its own, as a data folder: the photos of evidence are kept beside the store.
            let folder = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&folder)
                .map_err(|e| DbError::Config(format!("making {}: {e}", folder.display())))?;
            let path = folder.join("frontline.db");
            if let Some(Template { source: Source::File(from) }) = template {
                std::fs::copy(from, &path).map_err(|e| DbError::Config(format!("copying the template: {e}")))?;
            }
            let url = format!("sqlite://{}", path.display());
            let db = Db::connect(&url).await?;
            remove_leftovers(&db).await;
            (db, url, Cleanup::File(path))
        };
        Ok(TestDb { db, url, cleanup })
    }

    /// Keeps this database, as it now is, to be copied for other tests; it is closed here.
    pub async fn into_template(mut self) -> Result<Template, DbError> {
        let source = match std::mem::replace(&mut self.cleanup, Cleanup::Keep) {
            Cleanup::File(path) => {
                // Everything into the main file, so that copying that file copies the database.
                if let Db::Sqlite { read, write } = &self.db {
                    read.close().await;
                    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(write).await?;
                }
                Source::File(path)
            }
            Cleanup::Pg { name, .. } => Source::Pg { name },
            Cleanup::Keep => return Err(DbError::Config("already a template".into())),
        };
        self.db.close().await;
        Ok(Template { source })
    }
}

/// Runs a `CREATE DATABASE`, waiting while its template still has a closing connection.
async fn create_database(pool: &sqlx::PgPool, sql: &str) -> Result<(), DbError> {
    let mut tries = 0;
    loop {
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(pool).await {
            Ok(_) => return Ok(()),
            Err(e) if tries < 50 && e.to_string().contains("being accessed by other users") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                if let Some(folder) = path.parent() {
                    let _ = std::fs::remove_dir_all(folder);
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
            Cleanup::Keep => {}
        }
    }
}
