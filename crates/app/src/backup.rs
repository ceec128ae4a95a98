//! `frontline backup` and `frontline restore`: a consistent copy of the store taken while it
//! serves, and its restoration into an empty place.
//!
//! SQLite: `VACUUM INTO` writes a consistent, compacted copy from one read transaction while the
//! server keeps writing (WAL); the photos of evidence kept in the data folder (`evidence/`) are
//! copied beside it, to `FILE.evidence/` (a photo's file never changes once written, and one
//! written during the copy belongs to a change the copy does not hold). PostgreSQL: `pg_dump --format=custom` (a consistent snapshot) and
//! `pg_restore` into an empty database; the client tools must be of the server's major version.
//! A restore refuses a target that already holds data, migrates the copy forward to this release
//! and checks the audit chain.

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use frontline_db::{Db, Sql};

/// Writes a backup of the store at `url` (open as `db`) to `file`, which must not exist.
pub async fn backup(db: &Db, url: &str, file: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(!file.exists(), "{} already exists; a backup never overwrites a file", file.display());
    if db.is_postgres() {
        let status = Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(file)
            .arg(url)
            .status()
            .context("running pg_dump (Debian package postgresql-client)")?;
        anyhow::ensure!(status.success(), "pg_dump failed");
    } else {
        let target = file.to_str().context("the backup path must be valid UTF-8")?;
        db.execute_outside_transaction(&Sql::with("VACUUM INTO $1", vec![target.into()]))
            .await
            .context("VACUUM INTO")?;
        let photos = sqlite_path(url).and_then(frontline_db::evidence::folder_of);
        if let Some(photos) = photos.filter(|f| f.is_dir()) {
            copy_folder(&photos, &photos_beside(file))?;
        }
    }
    Ok(())
}

/// The path of an SQLite store's file from its URL (none for PostgreSQL).
fn sqlite_path(url: &str) -> Option<&str> {
    (!url.starts_with("postgres")).then(|| url.strip_prefix("sqlite://").unwrap_or(url))
}

/// Where a backup file's photos are kept: `FILE.evidence` beside it.
fn photos_beside(file: &Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(format!(".{}", frontline_db::evidence::EVIDENCE_FOLDER));
    std::path::PathBuf::from(name)
}

/// Copies a folder of photos (two levels: `ab/<hash>`), leaving out unfinished `.part` files.
fn copy_folder(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_folder(&entry.path(), &target)?;
        } else if !entry.file_name().to_string_lossy().ends_with(".part") {
            std::fs::create_dir_all(to)?;
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {} to {}", entry.path().display(), target.display()))?;
        }
    }
    Ok(())
}

/// Restores `file` into the store at `url`, which must be empty (a fresh data folder or an empty
/// PostgreSQL database), then migrates it forward. Returns the number of audit entries checked.
pub async fn restore(file: &Path, url: &str) -> anyhow::Result<i64> {
    anyhow::ensure!(file.exists(), "{} does not exist", file.display());
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let db = Db::connect(url).await?;
        let tables =
            db.count(&Sql::new("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'")).await?;
        db.close().await;
        anyhow::ensure!(tables == 0, "the target database is not empty; restore into an empty one");
        let status = Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "--dbname"])
            .arg(url)
            .arg(file)
            .status()
            .context("running pg_restore (Debian package postgresql-client)")?;
        anyhow::ensure!(status.success(), "pg_restore failed");
    } else {
        let path = Path::new(url.strip_prefix("sqlite://").unwrap_or(url));
        anyhow::ensure!(!path.exists(), "{} already exists; restore into a fresh data folder", path.display());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(file, path).with_context(|| format!("copying {} to {}", file.display(), path.display()))?;
        let photos = photos_beside(file);
        if let Some(folder) = path.to_str().and_then(frontline_db::evidence::folder_of).filter(|_| photos.is_dir()) {
            copy_folder(&photos, &folder)?;
        }
    }
    let db = crate::setup::open(url).await?;
    let checked = match frontline_db::audit::verify(&db).await? {
        frontline_core::audit::ChainCheck::Intact { entries } => entries,
        frontline_core::audit::ChainCheck::Broken { seq, reason } => {
            anyhow::bail!("the restored audit log is broken at entry {seq}: {reason}")
        }
    };
    db.close().await;
    Ok(checked)
}

/// Every table of the store with its row count and a checksum of all its rows (each row's columns
/// as text), in table order: two stores with equal fingerprints hold the same data.
pub async fn fingerprint(db: &Db) -> anyhow::Result<Vec<(String, i64, String)>> {
    use sha2::{Digest, Sha256};
    let tables: Vec<(String,)> = if db.is_postgres() {
        db.all(&Sql::new(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
             ORDER BY table_name",
        ))
        .await?
    } else {
        db.all(&Sql::new(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ))
        .await?
    };
    let mut out = Vec::new();
    for (table,) in tables {
        let columns: Vec<(String,)> = if db.is_postgres() {
            db.all(&Sql::with(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 \
                 ORDER BY ordinal_position",
                vec![table.clone().into()],
            ))
            .await?
        } else {
            db.all(&Sql::with("SELECT name FROM pragma_table_info($1) ORDER BY cid", vec![table.clone().into()]))
                .await?
        };
        let row_text = columns
            .iter()
            .map(|(c,)| format!("COALESCE(CAST(\"{c}\" AS TEXT), '-')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<(String,)> = db.all(&Sql::new(&format!("SELECT {row_text} FROM \"{table}\" ORDER BY 1"))).await?;
        let mut hash = Sha256::new();
        for (r,) in &rows {
            hash.update(r.as_bytes());
            hash.update(b"\n");
        }
        out.push((table, rows.len() as i64, hex::encode(hash.finalize())));
    }
    Ok(out)
}
