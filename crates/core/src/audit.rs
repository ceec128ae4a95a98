//! The audit log's hash chain. Each entry's hash covers its own fields and the previous entry's
//! hash, so editing or deleting any entry breaks every hash after it, and `frontline audit verify`
//! finds the first broken one.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that stands before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry: who did what to which object, when, from where, with the state before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339 timestamp, UTC, as stored.
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub ip: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<i64>,
    /// JSON text of the state before, `null` when created.
    pub before: String,
    /// JSON text of the state after, `null` when removed.
    pub after: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry given its fields and the previous hash. Fields are length-prefixed so no
/// two different entries can serialise to the same bytes.
pub fn entry_hash(e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    let fields: [&str; 10] = [
        &e.prev_hash,
        &e.seq.to_string(),
        &e.at,
        &e.actor_user_id.map(|v| v.to_string()).unwrap_or_default(),
        &e.actor_name,
        &e.ip,
        &e.action,
        &e.object_kind,
        &e.object_id.map(|v| v.to_string()).unwrap_or_default(),
        &format!("{}\u{1f}{}", e.before, e.after),
    ];
    for f in fields {
        h.update((f.len() as u64).to_le_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every entry links to the previous one and its hash is right.
    Intact { entries: i64 },
    /// The first entry at which the chain breaks, and why.
    Broken { seq: i64, reason: &'static str },
}

/// Incremental verifier: feed entries in `seq` order.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_hash: String,
    expected_seq: i64,
    count: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { prev_hash: GENESIS_HASH.to_string(), expected_seq: 1, count: 0 }
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry; returns the break if there is one.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainCheck> {
        if e.seq != self.expected_seq {
            return Err(ChainCheck::Broken { seq: self.expected_seq, reason: "missing_entry" });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainCheck::Broken { seq: e.seq, reason: "broken_link" });
        }
        if entry_hash(e) != e.hash {
            return Err(ChainCheck::Broken { seq: e.seq, reason: "altered_entry" });
        }
        self.prev_hash = e.hash.clone();
        self.expected_seq += 1;
        self.count += 1;
        Ok(())
    }

    pub fn finish(self) -> ChainCheck {
        ChainCheck::Intact { entries: self.count }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: format!("2026-11-23T01:00:0{seq}Z"),
                    actor_user_id: Some(1),
                    actor_name: "admin".into(),
                    ip: "127.0.0.1".into(),
                    action: "unit.rename".into(),
                    object_kind: "unit".into(),
                    object_id: Some(seq),
                    before: "{\"name\":\"a\"}".into(),
                    after: "{\"name\":\"b\"}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(&e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> ChainCheck {
        let mut v = ChainVerifier::new();
        for e in entries {
            if let Err(b) = v.push(e) {
                return b;
            }
        }
        v.finish()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), ChainCheck::Intact { entries: 5 });
    }

    #[test]
    fn edits_and_deletions_are_found() {
        let mut c = chain(5);
        c[2].after = "{\"name\":\"forged\"}".into();
        assert_eq!(verify(&c), ChainCheck::Broken { seq: 3, reason: "altered_entry" });

        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(&c), ChainCheck::Broken { seq: 2, reason: "missing_entry" });

        // Deleting an entry and renumbering still breaks the link.
        let mut c = chain(5);
        c.remove(1);
        for (i, e) in c.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        assert!(matches!(verify(&c), ChainCheck::Broken { seq: 2, .. }));
    }
}
