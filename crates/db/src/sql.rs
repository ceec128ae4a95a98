//! One handle over both stores, and the query builder that runs the same SQL on either.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
// Query text is only ever assembled from this crate's own SQL fragments; every value a user
// supplies is bound as a parameter, which is why `AssertSqlSafe` is sound here.
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite};

/// What went wrong talking to the store, or in the domain rules a repository applies.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("bad configuration: {0}")]
    Config(String),
}

impl DbError {
    /// Turns a unique-key violation into a conflict with the given catalogue code.
    pub fn on_unique(self, code: &str) -> DbError {
        match &self {
            DbError::Sqlx(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                DbError::Domain(DomainError::Conflict(code.to_string()))
            }
            _ => self,
        }
    }
}

impl From<Vec<frontline_core::FieldError>> for DbError {
    fn from(v: Vec<frontline_core::FieldError>) -> Self {
        DbError::Domain(DomainError::Invalid(v))
    }
}

/// A parameter value. Nullable variants carry their type so either store can bind a NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    Bytes(Vec<u8>),
    OptF64(Option<f64>),
}

macro_rules! value_from {
    ($($t:ty => $v:ident),+ $(,)?) => { $(impl From<$t> for Value { fn from(x: $t) -> Self { Value::$v(x) } })+ };
}
value_from!(i64 => I64, Option<i64> => OptI64, String => Text, Option<String> => OptText, bool => Bool,
    NaiveDate => Date, Option<NaiveDate> => OptDate, DateTime<Utc> => Time, Option<DateTime<Utc>> => OptTime,
    Vec<u8> => Bytes, Option<f64> => OptF64);

impl From<&str> for Value {
    fn from(x: &str) -> Self {
        Value::Text(x.to_string())
    }
}

/// SQL text with its parameters, numbered `$1, $2, …` as they are pushed.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql { text: text.to_string(), params: Vec::new() }
    }

    /// SQL text whose `$N` placeholders are given in order by `params`.
    pub fn with(text: &str, params: Vec<Value>) -> Self {
        Sql { text: text.to_string(), params }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `v`.
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.params.push(v.into());
        let n = self.params.len();
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends `(a, b, c)` placeholders for a list (which must not be empty).
    pub fn bind_list<V: Into<Value>>(&mut self, items: impl IntoIterator<Item = V>) -> &mut Self {
        self.text.push('(');
        for (i, v) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self.text.push(')');
        self
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern that finds `s` anywhere.
pub fn like_contains(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

macro_rules! bind_params {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                Value::I64(v) => q.bind(*v),
                Value::OptI64(v) => q.bind(*v),
                Value::Text(v) => q.bind(v.as_str()),
                Value::OptText(v) => q.bind(v.as_deref()),
                Value::Bool(v) => q.bind(*v),
                Value::Date(v) => q.bind(*v),
                Value::OptDate(v) => q.bind(*v),
                Value::Time(v) => q.bind(*v),
                Value::OptTime(v) => q.bind(*v),
                Value::Bytes(v) => q.bind(v.as_slice()),
                Value::OptF64(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// A row type that decodes from both stores (derive `sqlx::FromRow`).
pub trait AnyRow: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> AnyRow for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// The store. SQLite keeps one writer connection (writes are serialised, readers never block) and
/// a pool of readers; PostgreSQL uses one pool.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Pg(PgPool),
}

static COMMITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many transactions this process has committed, on any store: figures read from the store
/// are still current while this has not moved (see the web layer's figures cache).
pub fn commits() -> u64 {
    COMMITS.load(std::sync::atomic::Ordering::Acquire)
}

/// Counts a committed transaction (done by [`Tx::commit`]).
pub fn note_commit() {
    COMMITS.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// A write transaction on either store.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

/// A page of a list, with the total count for the pager.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    /// The first page of nothing (a list not asked for yet).
    pub fn empty(per_page: i64) -> Page<T> {
        Page { items: Vec::new(), total: 0, page: 1, per_page }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// Page number and size as asked, clamped to sane bounds.
pub fn page_bounds(page: Option<i64>, per_page: Option<i64>) -> (i64, i64) {
    let per = per_page.unwrap_or(20).clamp(1, 200);
    let page = page.unwrap_or(1).clamp(1, 1_000_000);
    (page, per)
}

/// The page cache of each SQLite connection, in MiB: `FRONTLINE_SQLITE_CACHE_MIB` (default 64).
/// Nine connections (eight readers, one writer) may each fill theirs, so the store's share of the
/// server's memory is bounded by nine times this.
pub fn sqlite_cache_mib() -> u64 {
    let mib = std::env::var("FRONTLINE_SQLITE_CACHE_MIB").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(64);
    mib.clamp(1, 4096)
}

/// How much of an SQLite store is read through a memory map, in MiB:
/// `FRONTLINE_SQLITE_MMAP_MIB` (default 4096; 0 turns it off). A write by another connection
/// empties every reader's page cache in WAL mode, so the first read after a write reads its pages
/// again; through the map those are the kernel's cached pages, not copies, which made the first
/// read of a county's figures after a write markedly faster. Mapped pages are the kernel's to
/// drop under memory pressure.
pub fn sqlite_mmap_mib() -> u64 {
    let mib = std::env::var("FRONTLINE_SQLITE_MMAP_MIB").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(4096);
    mib.min(1 << 20)
}

impl Db {
    /// Opens a store by URL: `postgres://…` for PostgreSQL, `sqlite://path` or a plain path for SQLite.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // JIT compilation pays off for long analytic scans, not for page-sized queries: on the
            // coverage check of 19,000 grids it spent 690 ms compiling a query that ran in 90 ms.
            let opts = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            return Ok(Db::Pg(pool));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", format!("-{}", sqlite_cache_mib() * 1024))
            .pragma("mmap_size", (sqlite_mmap_mib() * 1024 * 1024).to_string());
        let write = SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone()).await?;
        let read = SqlitePoolOptions::new().max_connections(8).connect_with(opts.read_only(false)).await?;
        Ok(Db::Sqlite { read, write })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Pg(_))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Pg(p) => p.close().await,
        }
    }

    pub async fn all<T: AnyRow>(&self, sql: &Sql) -> Result<Vec<T>, DbError> {
        Ok(match self {
            Db::Sqlite { read, .. } => {
                bind_params!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_all(read)
                    .await?
            }
            Db::Pg(p) => {
                bind_params!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_all(p)
                    .await?
            }
        })
    }

    pub async fn opt<T: AnyRow>(&self, sql: &Sql) -> Result<Option<T>, DbError> {
        Ok(match self {
            Db::Sqlite { read, .. } => {
                bind_params!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_optional(read)
                    .await?
            }
            Db::Pg(p) => {
                bind_params!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_optional(p)
                    .await?
            }
        })
    }

    /// The one row a query must return; none is "not found".
    pub async fn one<T: AnyRow>(&self, sql: &Sql) -> Result<T, DbError> {
        self.opt(sql).await?.ok_or(DbError::Domain(DomainError::NotFound))
    }

    pub async fn count(&self, sql: &Sql) -> Result<i64, DbError> {
        Ok(match self {
            Db::Sqlite { read, .. } => {
                bind_params!(sqlx::query_scalar::<Sqlite, i64>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_one(read)
                    .await?
            }
            Db::Pg(p) => {
                bind_params!(sqlx::query_scalar::<Postgres, i64>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_one(p)
                    .await?
            }
        })
    }

    /// Runs a statement outside any transaction, on a reading connection: for statements that
    /// cannot run inside one (SQLite's `VACUUM INTO`, which copies the database from one
    /// consistent read while writers go on).
    pub async fn execute_outside_transaction(&self, sql: &Sql) -> Result<u64, DbError> {
        Ok(match self {
            Db::Sqlite { read, .. } => {
                bind_params!(sqlx::query::<Sqlite>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .execute(read)
                    .await?
                    .rows_affected()
            }
            Db::Pg(p) => bind_params!(sqlx::query::<Postgres>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                .execute(p)
                .await?
                .rows_affected(),
        })
    }

    /// SQLite: moves the write-ahead log into the database file and empties it
    /// (`wal_checkpoint(TRUNCATE)`, on the writer connection, waiting for readers of older
    /// snapshots). SQLite's own checkpoints never empty the log while readers are always active,
    /// so a busy server's log would grow without end (a 10-minute soak grew it past 76 MB); the
    /// server calls this every half minute.
    /// Returns whether it completed (false if readers kept it waiting past the busy timeout; the
    /// next call tries again). PostgreSQL: nothing to do.
    pub async fn checkpoint(&self) -> Result<bool, DbError> {
        match self {
            Db::Sqlite { write, .. } => {
                let (busy, _log, _moved): (i64, i64, i64) =
                    sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(write).await?;
                Ok(busy == 0)
            }
            Db::Pg(_) => Ok(true),
        }
    }

    /// Starts a write transaction. On SQLite it runs on the single writer connection, so writers
    /// queue instead of failing with "database is locked".
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Db::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// One page of `SELECT <columns> <from_where> ORDER BY <order_by>`, with the total count for
    /// the pager. `from_where` is the `FROM … WHERE …` part with its parameters.
    pub async fn page_of<T: AnyRow>(
        &self,
        columns: &str,
        from_where: Sql,
        order_by: &str,
        page: i64,
        per_page: i64,
    ) -> Result<Page<T>, DbError> {
        let count = Sql { text: format!("SELECT COUNT(*){}", from_where.text), params: from_where.params.clone() };
        let total = self.count(&count).await?;
        let mut list =
            Sql { text: format!("SELECT {columns}{} ORDER BY {order_by}", from_where.text), params: from_where.params };
        list.push(" LIMIT ").bind(per_page).push(" OFFSET ").bind((page - 1) * per_page);
        let items = self.all(&list).await?;
        Ok(Page { items, total, page, per_page })
    }

    /// The first `limit` rows of `SELECT <columns> <from_where> ORDER BY <order_by>`, without
    /// counting (exports, drop-down lists).
    pub async fn rows_of<T: AnyRow>(
        &self,
        columns: &str,
        from_where: Sql,
        order_by: &str,
        limit: i64,
    ) -> Result<Vec<T>, DbError> {
        let mut list =
            Sql { text: format!("SELECT {columns}{} ORDER BY {order_by}", from_where.text), params: from_where.params };
        list.push(" LIMIT ").bind(limit);
        self.all(&list).await
    }
}

impl Tx {
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64, DbError> {
        Ok(match self {
            Tx::Sqlite(t) => bind_params!(sqlx::query::<Sqlite>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Tx::Pg(t) => bind_params!(sqlx::query::<Postgres>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    pub async fn all<T: AnyRow>(&mut self, sql: &Sql) -> Result<Vec<T>, DbError> {
        Ok(match self {
            Tx::Sqlite(t) => {
                bind_params!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_all(&mut **t)
                    .await?
            }
            Tx::Pg(t) => {
                bind_params!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_all(&mut **t)
                    .await?
            }
        })
    }

    pub async fn opt<T: AnyRow>(&mut self, sql: &Sql) -> Result<Option<T>, DbError> {
        Ok(match self {
            Tx::Sqlite(t) => {
                bind_params!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_optional(&mut **t)
                    .await?
            }
            Tx::Pg(t) => {
                bind_params!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql.text.as_str())), &sql.params)
                    .fetch_optional(&mut **t)
                    .await?
            }
        })
    }

    pub async fn one<T: AnyRow>(&mut self, sql: &Sql) -> Result<T, DbError> {
        self.opt(sql).await?.ok_or(DbError::Domain(DomainError::NotFound))
    }

    /// Runs an `INSERT … RETURNING id` and gives the id.
    pub async fn insert(&mut self, sql: &Sql) -> Result<i64, DbError> {
        let (id,): (i64,) = self.one(sql).await?;
        Ok(id)
    }

    pub async fn count(&mut self, sql: &Sql) -> Result<i64, DbError> {
        let (n,): (i64,) = self.one(sql).await?;
        Ok(n)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Pg(_))
    }

    /// Runs a script of several statements without parameters (migrations).
    pub async fn script(&mut self, text: &'static str) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => {
                sqlx::raw_sql(text).execute(&mut **t).await?;
            }
            Tx::Pg(t) => {
                sqlx::raw_sql(text).execute(&mut **t).await?;
            }
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        note_commit();
        Ok(())
    }
}

impl Tx {
    /// Inserts many rows into `table` with multi-row `INSERT`s, chunked to stay under both stores'
    /// parameter limits. For bulk loads (demo data, imports); every row must have `columns.len()` values.
    pub async fn insert_rows(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<u64, DbError> {
        // Statements of about a thousand parameters: much larger ones get slow to prepare on SQLite.
        let per_chunk = (1_000 / columns.len().max(1)).max(1);
        // On SQLite the placeholders are anonymous `?`: sqlx asks SQLite the name of every
        // parameter it binds, and for `$N` names SQLite finds it by a linear scan, so binding a
        // thousand `$N` parameters took most of a bulk insert's time.
        let anonymous = !self.is_postgres();
        let mut n = 0;
        let mut iter = rows.into_iter().peekable();
        while iter.peek().is_some() {
            let mut sql = Sql::new(&format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")));
            for (i, row) in iter.by_ref().take(per_chunk).enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(");
                for (j, v) in row.into_iter().enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    if anonymous {
                        sql.params.push(v);
                        sql.push("?");
                    } else {
                        sql.bind(v);
                    }
                }
                sql.push(")");
            }
            n += self.execute(&sql).await?;
        }
        Ok(n)
    }

    /// After inserting rows with explicit ids, moves PostgreSQL's identity sequence past them.
    pub async fn sync_id_sequence(&mut self, table: &str) -> Result<(), DbError> {
        if self.is_postgres() {
            self.execute(&Sql::new(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )))
            .await?;
        }
        Ok(())
    }

    /// The largest id in a table (0 when empty).
    pub async fn max_id(&mut self, table: &str) -> Result<i64, DbError> {
        let (m,): (Option<i64>,) = self.one(&Sql::new(&format!("SELECT MAX(id) FROM {table}"))).await?;
        Ok(m.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut s = Sql::new("SELECT 1 FROM t WHERE a = ");
        s.bind(1i64).push(" AND b IN ").bind_list(["x", "y"]);
        assert_eq!(s.text, "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(s.params.len(), 3);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_contains("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    /// Committed rows wait in the log; a checkpoint moves them into the database file and leaves
    /// the log empty, every row still there.
    #[tokio::test]
    async fn a_checkpoint_empties_the_write_ahead_log() {
        let t = crate::testing::TestDb::new().await.unwrap();
        if t.db.is_postgres() {
            assert!(t.db.checkpoint().await.unwrap());
            return;
        }
        let wal = std::path::PathBuf::from(format!("{}-wal", t.url.trim_start_matches("sqlite://")));
        let mut tx = t.db.begin().await.unwrap();
        for k in 0..200 {
            tx.execute(&Sql::with(
                "INSERT INTO roles (role_key, name, data_scope, permissions, created_at) VALUES ($1, 'x', 'own_unit', '', 'now')",
                vec![format!("wal_{k}").into()],
            ))
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        assert!(t.db.checkpoint().await.unwrap(), "completed");
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0, "the log is empty");
        assert_eq!(t.db.count(&Sql::new("SELECT COUNT(*) FROM roles WHERE role_key LIKE 'wal_%'")).await.unwrap(), 200);
    }
}
