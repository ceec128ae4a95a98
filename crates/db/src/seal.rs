//! Sensitive columns sealed at rest with SM4 (国密, GB/T 39786; issue 29): a value is written
//! sealed (`frontline_core::gm::SealKey`) when the process holds a key, and read back opened;
//! a value written before sealing began (plain) still reads. The key lives outside the store — a
//! file of the data folder or the environment, loaded by the binary at start ([`install`]) — and
//! is rotated by re-sealing every sealed column under a new key ([`reseal`]). The columns sealed
//! are listed in [`SEALED_COLUMNS`].

use std::sync::RwLock;

use frontline_core::gm::{SealKey, sealed_key_id};

use crate::{Db, DbError, Sql};

/// The columns kept sealed: (table, key column, column).
pub const SEALED_COLUMNS: [(&str, &str, &str); 2] = [("users", "id", "totp_secret"), ("users", "id", "totp_pending")];

/// The keys this process holds: the one new values are sealed with, and others it may still open
/// (the key before a rotation that did not finish).
#[derive(Debug, Clone)]
pub struct Keyring {
    pub current: SealKey,
    pub others: Vec<SealKey>,
}

static KEYS: RwLock<Option<Keyring>> = RwLock::new(None);

/// Makes the process seal with (and open under) these keys from now on.
pub fn install(keys: Keyring) {
    let mut slot = KEYS.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    *slot = Some(keys);
}

fn keys() -> Option<Keyring> {
    KEYS.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
}

/// The id of the key new values are sealed with, if the process holds one.
pub fn current_key_id() -> Option<String> {
    keys().map(|k| k.current.id)
}

/// A value as it is to be stored: sealed if the process holds a key, else as given.
pub fn seal(plain: &str) -> String {
    match keys() {
        Some(k) => k.current.seal(plain, rand::random()),
        None => plain.to_string(),
    }
}

/// A stored value opened: a plain one as it is; a sealed one under the key it names, which the
/// process must hold (else an error naming the key, rather than a wrong answer).
pub fn open(stored: &str) -> Result<String, DbError> {
    let Some(id) = sealed_key_id(stored) else { return Ok(stored.to_string()) };
    let keys =
        keys().ok_or_else(|| DbError::Config(format!("a value is sealed under key {id}, and no key is loaded")))?;
    std::iter::once(&keys.current)
        .chain(&keys.others)
        .find(|k| k.id == id)
        .and_then(|k| k.open(stored))
        .ok_or_else(|| DbError::Config(format!("a value sealed under key {id} does not open with the keys loaded")))
}

/// Seals every value of the sealed columns under `key` (opening each with the keys held now):
/// plain values of a store that did not seal before, and values of an older key. One
/// transaction; returns how many values were written.
pub async fn reseal(db: &Db, key: &SealKey) -> Result<usize, DbError> {
    let mut tx = db.begin().await?;
    let mut written = 0;
    for (table, id_column, column) in SEALED_COLUMNS {
        let rows: Vec<(i64, String)> =
            tx.all(&Sql::new(&format!("SELECT {id_column}, {column} FROM {table} WHERE {column} IS NOT NULL"))).await?;
        for (id, stored) in rows {
            if sealed_key_id(&stored) == Some(key.id.as_str()) {
                continue;
            }
            let sealed = key.seal(&open(&stored)?, rand::random());
            tx.execute(&Sql::with(
                &format!("UPDATE {table} SET {column} = $1 WHERE {id_column} = $2"),
                vec![sealed.into(), id.into()],
            ))
            .await?;
            written += 1;
        }
    }
    tx.commit().await?;
    Ok(written)
}
