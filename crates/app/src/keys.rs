//! The key that seals sensitive columns with SM4 (`frontline_db::seal`), kept outside the store:
//! `FRONTLINE_SEAL_KEY` (64 hex digits) where the operator keeps keys in the environment or a
//! secrets manager, otherwise `seal.key` in the data folder (owner-only, made on first use, like
//! the audit anchor's key). `frontline keys rotate` re-seals every sealed column under a new key:
//! the new key is written beside the old as `seal.key.next` first, so that a rotation cut short
//! leaves both keys loadable; once the store is re-sealed the new key takes `seal.key`'s place and
//! the old one is kept as `seal.key.retired-<id>` (backups made before still need it).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use frontline_core::gm::SealKey;
use frontline_db::Db;
use frontline_db::seal::Keyring;

/// The environment variable that holds the key, when not the data folder.
pub const ENV: &str = "FRONTLINE_SEAL_KEY";

fn key_file(data: &Path) -> PathBuf {
    data.join("seal.key")
}

fn next_file(data: &Path) -> PathBuf {
    data.join("seal.key.next")
}

fn read(path: &Path) -> anyhow::Result<Option<SealKey>> {
    match std::fs::read_to_string(path) {
        Ok(text) => SealKey::from_hex(&text)
            .map(Some)
            .with_context(|| format!("{} does not hold a key (64 hex digits)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes a new random key to `path` (owner-only; never over an existing file).
fn create(path: &Path) -> anyhow::Result<SealKey> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let bytes: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).with_context(|| format!("creating the seal key {}", path.display()))?;
    f.write_all(hex::encode(bytes).as_bytes())?;
    f.sync_all()?;
    Ok(SealKey::from_bytes(&bytes))
}

/// The keys of this install: from the environment, or the data folder's file (made on first use),
/// with the key of a rotation cut short beside it.
pub fn load(data: &Path) -> anyhow::Result<Keyring> {
    if let Ok(text) = std::env::var(ENV) {
        let current = SealKey::from_hex(&text).with_context(|| format!("{ENV} does not hold a key (64 hex digits)"))?;
        return Ok(Keyring { current, others: Vec::new() });
    }
    let current = match read(&key_file(data))? {
        Some(k) => k,
        None => create(&key_file(data))?,
    };
    let others = read(&next_file(data))?.into_iter().collect();
    Ok(Keyring { current, others })
}

/// Loads the keys into the process and seals what a store written before sealing holds plain.
/// Returns the keys' id and how many values were sealed now.
pub async fn start(db: &Db, data: &Path) -> anyhow::Result<(String, usize)> {
    let keys = load(data)?;
    let current = keys.current.clone();
    frontline_db::seal::install(keys);
    let sealed = frontline_db::seal::reseal(db, &current).await?;
    Ok((current.id, sealed))
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotation {
    pub old_id: String,
    pub new_id: String,
    pub resealed: usize,
}

/// Re-seals every sealed column under a new key, which then replaces the old in the data folder.
pub async fn rotate(db: &Db, data: &Path) -> anyhow::Result<Rotation> {
    if std::env::var(ENV).is_ok() {
        anyhow::bail!(
            "the key comes from {ENV}: re-seal with `frontline keys rotate` after unsetting it, or keep the key where it is"
        );
    }
    let keys = load(data)?;
    let old_id = keys.current.id.clone();
    let new = match read(&next_file(data))? {
        Some(k) => k,
        None => create(&next_file(data))?,
    };
    frontline_db::seal::install(keys);
    let resealed = frontline_db::seal::reseal(db, &new).await?;
    std::fs::rename(key_file(data), data.join(format!("seal.key.retired-{old_id}")))?;
    std::fs::rename(next_file(data), key_file(data))?;
    frontline_db::seal::install(Keyring { current: new.clone(), others: Vec::new() });
    Ok(Rotation { old_id, new_id: new.id, resealed })
}
