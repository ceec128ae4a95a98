//! The audit log's hash chain. Each entry's hash covers every column of the entry and the previous
//! entry's hash, so editing or deleting any entry breaks every hash after it, and `frontline audit
//! verify` finds the first broken one. The chain's head is anchored outside the table: a signed
//! [`Checkpoint`] (seq and hash of the newest entry, HMAC-SHA-256 under a key kept apart from the
//! store) is written on a schedule, so deleting the newest entries is found too.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash layout new entries are written with: 2 covers every column (the unit path too);
/// entries written before it (1) keep the layout they were hashed with.
pub const HASH_VERSION: i64 = 2;

/// Layout 2 hashed with SM3 (国密, GB/T 32905) instead of SHA-256: an install that chooses SM3
/// writes every entry from then on with it; the entries before keep SHA-256, and a chain never
/// goes back (an older layout after a newer one is an altered entry).
pub const SM3_VERSION: i64 = 3;

/// The audit entries that are security events (等保 安全审计): logins failed and accounts locked,
/// permissions denied, files exported, accounts' passwords, factors, roles and standing changed,
/// and the security settings. The audit administrator's view and daily summary read these.
pub const SECURITY_ACTIONS: &[&str] = &[
    "login.failed",
    "user.locked",
    "access.denied",
    "data.export",
    "user.password",
    "user.disable",
    "user.enable",
    "user.roles",
    "user.second_factor.reset",
    "user.second_factor.disable",
    "user.recovery_code.use",
    "role.create",
    "role.update",
    "security.password_policy",
    "security.separation_of_duties",
    "security.audit_hash",
    "security.audit_retention",
    "audit.prune",
];

/// The shortest time the audit log may be set to keep its entries: six months (网络安全法 Art. 21).
pub const MIN_RETENTION_DAYS: u32 = 183;
/// The longest it may be set to (ten years); 0 keeps every entry forever.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// Checks a retention an administrator typed: 0 (forever) or six months to ten years.
pub fn validate_retention(days: u32) -> Result<u32, crate::FieldError> {
    if days == 0 || (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(crate::FieldError::new("keep_days", "error.security.retention_range"))
    }
}

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
    /// The unit the change belongs to (what scoped browsing filters on).
    pub unit_path: Option<String>,
    /// The hash layout ([`HASH_VERSION`] for new entries).
    pub version: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry given its fields and the previous hash. Fields are length-prefixed so no
/// two different entries can serialise to the same bytes.
pub fn entry_hash(e: &AuditEntry) -> String {
    let mut h = Vec::with_capacity(256 + e.before.len() + e.after.len());
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
        h.extend_from_slice(&(f.len() as u64).to_le_bytes());
        h.extend_from_slice(f.as_bytes());
    }
    if e.version >= 2 {
        let version = e.version.to_string();
        let unit_path = e.unit_path.as_deref().map_or(String::from("\u{0}"), |p| format!("\u{1}{p}"));
        for f in [version.as_str(), unit_path.as_str()] {
            h.extend_from_slice(&(f.len() as u64).to_le_bytes());
            h.extend_from_slice(f.as_bytes());
        }
    }
    if e.version >= SM3_VERSION { crate::gm::sm3_hex(&h) } else { hex::encode(Sha256::digest(&h)) }
}

/// HMAC-SHA-256 (RFC 2104) of `message` under `key`, hex.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    hex::encode(outer.finalize())
}

/// The chain's head as it stood at a moment, signed with a key the store does not hold: someone
/// who can rewrite the table cannot make a checkpoint agree with a shortened chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// RFC 3339, UTC, when it was taken.
    pub at: String,
    pub mac: String,
    /// The MAC: empty for HMAC-SHA-256 (every checkpoint before 国密), `hmac-sm3` for HMAC-SM3,
    /// used once the chain's head is hashed with SM3.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alg: String,
}

/// The name of HMAC-SM3 in a checkpoint.
pub const HMAC_SM3: &str = "hmac-sm3";

impl Checkpoint {
    fn message(seq: i64, hash: &str, at: &str) -> String {
        format!("frontline-audit-checkpoint\u{1f}{seq}\u{1f}{hash}\u{1f}{at}")
    }

    /// Signs a head with HMAC-SHA-256.
    pub fn sign(key: &[u8], seq: i64, hash: &str, at: &str) -> Checkpoint {
        let mac = hmac_sha256(key, Self::message(seq, hash, at).as_bytes());
        Checkpoint { seq, hash: hash.to_string(), at: at.to_string(), mac, alg: String::new() }
    }

    /// Signs a head with HMAC-SM3 (a chain hashed with SM3).
    pub fn sign_sm3(key: &[u8], seq: i64, hash: &str, at: &str) -> Checkpoint {
        let mac = crate::gm::hmac_sm3(key, Self::message(seq, hash, at).as_bytes());
        Checkpoint { seq, hash: hash.to_string(), at: at.to_string(), mac, alg: HMAC_SM3.to_string() }
    }

    /// Whether the signature is right under `key`.
    pub fn is_signed_by(&self, key: &[u8]) -> bool {
        let message = Self::message(self.seq, &self.hash, &self.at);
        let expected = match self.alg.as_str() {
            "" => hmac_sha256(key, message.as_bytes()),
            HMAC_SM3 => crate::gm::hmac_sm3(key, message.as_bytes()),
            _ => return false,
        };
        expected.len() == self.mac.len()
            && expected.bytes().zip(self.mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Checks a walked chain against this checkpoint: the chain must still hold entry `seq` with
    /// the same hash. `hash_at_seq` is the hash the chain holds at `seq`, `None` if it ends before.
    pub fn check(&self, hash_at_seq: Option<&str>) -> Result<(), ChainCheck> {
        match hash_at_seq {
            None => Err(ChainCheck::Broken { seq: self.seq, reason: "head_deleted" }),
            Some(h) if h != self.hash => Err(ChainCheck::Broken { seq: self.seq, reason: "checkpoint_mismatch" }),
            Some(_) => Ok(()),
        }
    }
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
    /// The newest hash layout seen so far: an older layout after a newer one is a downgrade.
    version: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { prev_hash: GENESIS_HASH.to_string(), expected_seq: 1, count: 0, version: 1 }
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// A verifier for a chain whose entries up to `seq` were pruned (kept past their retention):
    /// the first entry kept must follow `seq` and link to `hash`.
    pub fn after(seq: i64, hash: &str) -> Self {
        Self { prev_hash: hash.to_string(), expected_seq: seq + 1, count: 0, version: 1 }
    }

    /// Checks the next entry; returns the break if there is one.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainCheck> {
        if e.seq != self.expected_seq {
            return Err(ChainCheck::Broken { seq: self.expected_seq, reason: "missing_entry" });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainCheck::Broken { seq: e.seq, reason: "broken_link" });
        }
        if e.version < self.version || !(1..=SM3_VERSION).contains(&e.version) {
            return Err(ChainCheck::Broken { seq: e.seq, reason: "altered_entry" });
        }
        self.version = e.version;
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

    #[test]
    fn every_column_is_in_the_hash_and_old_entries_keep_their_layout() {
        let mut c = chain(3);
        c[1].unit_path = Some("/99/".into());
        assert_eq!(verify(&c), ChainCheck::Broken { seq: 2, reason: "altered_entry" }, "the unit path is covered");
        // An entry written before the unit path was covered verifies with the old layout...
        let mut old = chain(0);
        let mut e = chain(1).remove(0);
        e.version = 1;
        e.hash = entry_hash(&e);
        old.push(e.clone());
        assert_eq!(verify(&old), ChainCheck::Intact { entries: 1 });
        // ...but a new entry cannot be passed off as old to leave its unit path out.
        let mut downgraded = chain(2);
        downgraded[1].version = 1;
        assert!(matches!(verify(&downgraded), ChainCheck::Broken { seq: 2, .. }));
    }

    #[test]
    fn a_chain_goes_on_in_sm3_and_never_back() {
        // Three entries in SHA-256, then the switch: the next two in SM3.
        let mut c = chain(5);
        for i in 3..5 {
            c[i].version = SM3_VERSION;
            c[i].prev_hash = c[i - 1].hash.clone();
            c[i].hash = entry_hash(&c[i]);
        }
        assert_eq!(verify(&c), ChainCheck::Intact { entries: 5 });
        assert_eq!(c[4].hash.len(), 64, "SM3 is 256 bits too");
        let mut sha = c[4].clone();
        sha.version = HASH_VERSION;
        assert_ne!(entry_hash(&sha), c[4].hash, "a different hash");
        // Tampered after the switch: found.
        let mut tampered = c.clone();
        tampered[3].after = "{\"forged\":true}".into();
        assert_eq!(verify(&tampered), ChainCheck::Broken { seq: 4, reason: "altered_entry" });
        // An SM3 entry passed off as SHA-256 (rehashed): a downgrade, found.
        let mut back = c.clone();
        back[4].version = HASH_VERSION;
        back[4].hash = entry_hash(&back[4]);
        assert_eq!(verify(&back), ChainCheck::Broken { seq: 5, reason: "altered_entry" });
        // Checkpoints of an SM3 head are signed with HMAC-SM3.
        let key = b"kept apart from the store";
        let cp = Checkpoint::sign_sm3(key, 5, &c[4].hash, "2026-12-08T00:00:00.000Z");
        assert!(cp.is_signed_by(key));
        assert!(!cp.is_signed_by(b"another key"));
        let relabelled = Checkpoint { alg: String::new(), ..cp.clone() };
        assert!(!relabelled.is_signed_by(key), "the MAC is bound to its algorithm");
    }

    #[test]
    fn a_checkpoint_anchors_the_head() {
        let c = chain(5);
        let key = b"kept apart from the store";
        let cp = Checkpoint::sign(key, 5, &c[4].hash, "2026-12-04T12:00:00.000Z");
        assert!(cp.is_signed_by(key));
        assert!(!cp.is_signed_by(b"another key"));
        let forged = Checkpoint { seq: 3, ..cp.clone() };
        assert!(!forged.is_signed_by(key), "the seq is signed");
        assert_eq!(cp.check(Some(&c[4].hash)), Ok(()));
        // The newest two entries deleted: the chain still links, but ends before the checkpoint.
        assert_eq!(cp.check(None), Err(ChainCheck::Broken { seq: 5, reason: "head_deleted" }));
        assert_eq!(cp.check(Some(&c[3].hash)), Err(ChainCheck::Broken { seq: 5, reason: "checkpoint_mismatch" }));
        // RFC 4231 test case 2.
        assert_eq!(
            hmac_sha256(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

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
                    unit_path: Some("/11/".into()),
                    version: HASH_VERSION,
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
