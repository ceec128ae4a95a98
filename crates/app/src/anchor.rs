//! The audit chain's anchor outside the store: a signed checkpoint of the chain's head (the newest
//! entry's seq and hash) appended to `audit-checkpoints.jsonl` in the data folder and written to
//! the server's log, on a schedule while it serves. The signing key, `audit-anchor.key`, lives in
//! the data folder too (owner-only), never in the database: whoever rewrites the table cannot
//! make a checkpoint agree with a shortened or rewritten chain. `frontline audit verify` checks
//! the chain against the latest checkpoint.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use frontline_core::audit::{ChainCheck, Checkpoint};
use frontline_db::Db;

/// The checkpoints file in a data folder.
pub fn checkpoints_file(data: &Path) -> PathBuf {
    data.join("audit-checkpoints.jsonl")
}

fn key_file(data: &Path) -> PathBuf {
    data.join("audit-anchor.key")
}

/// The signing key, made (32 random bytes, owner-only) on first use.
fn key(data: &Path) -> anyhow::Result<Vec<u8>> {
    let path = key_file(data);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return hex::decode(text.trim()).with_context(|| format!("reading the anchor key {}", path.display()));
    }
    std::fs::create_dir_all(data)?;
    let bytes: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&path).with_context(|| format!("creating the anchor key {}", path.display()))?;
    f.write_all(hex::encode(bytes).as_bytes())?;
    Ok(bytes.to_vec())
}

/// The latest checkpoint written, if any; an unsigned or badly signed one is an error.
pub fn latest(data: &Path) -> anyhow::Result<Option<Checkpoint>> {
    let Ok(text) = std::fs::read_to_string(checkpoints_file(data)) else { return Ok(None) };
    let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) else { return Ok(None) };
    let checkpoint: Checkpoint = serde_json::from_str(line).context("reading the latest audit checkpoint")?;
    if !checkpoint.is_signed_by(&key(data)?) {
        anyhow::bail!("the latest audit checkpoint (entry {}) is not signed by this install's key", checkpoint.seq);
    }
    Ok(Some(checkpoint))
}

/// Signs the chain's current head and appends it to the checkpoints file (and the log), unless
/// the latest checkpoint already names it. Returns the checkpoint written.
pub async fn write(db: &Db, data: &Path) -> anyhow::Result<Option<Checkpoint>> {
    let Some((seq, hash, version)) = frontline_db::audit::head(db).await? else { return Ok(None) };
    if latest(data)?.is_some_and(|c| c.seq == seq && c.hash == hash) {
        return Ok(None);
    }
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    // A head hashed with SM3 is signed with HMAC-SM3 (国密 throughout).
    let checkpoint = if version >= frontline_core::audit::SM3_VERSION {
        Checkpoint::sign_sm3(&key(data)?, seq, &hash, &at)
    } else {
        Checkpoint::sign(&key(data)?, seq, &hash, &at)
    };
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(checkpoints_file(data))?;
    writeln!(f, "{}", serde_json::to_string(&checkpoint)?)?;
    f.sync_all()?;
    tracing::info!(seq, hash = %hash, mac = %checkpoint.mac, "audit checkpoint");
    Ok(Some(checkpoint))
}

/// The whole chain checked, and checked against the latest checkpoint of the data folder.
pub async fn verify(db: &Db, data: &Path) -> anyhow::Result<ChainCheck> {
    let checkpoint = latest(data)?;
    Ok(frontline_db::audit::verify_against(db, checkpoint.as_ref()).await?)
}
