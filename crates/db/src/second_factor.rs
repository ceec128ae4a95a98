//! The second factor of an account (issue 29, 身份鉴别): a user turns it on by scanning a secret
//! into an authenticator app and confirming it with a first code; from then on a login, and the
//! making of an API token, asks for a code (or one of ten one-time recovery codes) after the
//! password. A code is accepted once (the last step accepted is kept). An administrator may reset
//! a lost phone's factor; every change is audited. The arithmetic is `core::second_factor`.

use chrono::{DateTime, Utc};
use frontline_core::DomainError;
use frontline_core::access::Actor;
use frontline_core::second_factor::{self as totp, RECOVERY_CODES, SECRET_BYTES};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::{Db, DbError, Sql};

/// Whether an account has a second factor, since when, and how many recovery codes are left.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecondFactor {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
}

/// The second factor of an account.
pub async fn status(db: &Db, user_id: i64) -> Result<SecondFactor, DbError> {
    let (enabled_at,): (Option<DateTime<Utc>>,) = db
        .opt(&Sql::with("SELECT totp_enabled_at FROM users WHERE id = $1", vec![user_id.into()]))
        .await?
        .ok_or(DomainError::NotFound)?;
    let left = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            vec![user_id.into()],
        ))
        .await?;
    Ok(SecondFactor { enabled: enabled_at.is_some(), enabled_at, recovery_codes_left: left })
}

/// Offers the caller a new secret for their authenticator app, kept aside until a code confirms
/// it ([`confirm`]); their factor in use, if any, is unchanged until then. Returns the secret.
pub async fn offer(db: &Db, actor: &Actor) -> Result<Vec<u8>, DbError> {
    let me = actor.user_id.ok_or(DomainError::Forbidden("second_factor".into()))?;
    let secret: Vec<u8> = (0..SECRET_BYTES).map(|_| rand::random::<u8>()).collect();
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "UPDATE users SET totp_pending = $1 WHERE id = $2",
        vec![crate::seal::seal(&totp::base32(&secret)).into(), me.into()],
    ))
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// The secret offered to the caller and not yet confirmed, if any.
pub async fn offered(db: &Db, actor: &Actor) -> Result<Option<Vec<u8>>, DbError> {
    let me = actor.user_id.ok_or(DomainError::Forbidden("second_factor".into()))?;
    let (pending,): (Option<String>,) =
        db.one(&Sql::with("SELECT totp_pending FROM users WHERE id = $1", vec![me.into()])).await?;
    match pending {
        Some(p) => Ok(totp::from_base32(&crate::seal::open(&p)?)),
        None => Ok(None),
    }
}

/// Turns the caller's second factor on with the secret offered, once a code from their app shows
/// the app holds it. Returns the ten recovery codes, shown this once (only their hashes are kept;
/// earlier ones no longer work).
pub async fn confirm(db: &Db, actor: &Actor, code: &str, now: DateTime<Utc>) -> Result<Vec<String>, DbError> {
    let me = actor.user_id.ok_or(DomainError::Forbidden("second_factor".into()))?;
    let secret = offered(db, actor).await?.ok_or(DomainError::Conflict("error.second_factor.not_offered".into()))?;
    let step = totp::verify(&secret, code, now.timestamp(), None)
        .ok_or_else(|| DomainError::invalid("code", "error.second_factor.wrong_code"))?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_enabled_at = $1, totp_last_step = $2 \
         WHERE id = $3",
        vec![now.into(), step.into(), me.into()],
    ))
    .await?;
    tx.execute(&Sql::with("DELETE FROM recovery_codes WHERE user_id = $1", vec![me.into()])).await?;
    for c in &codes {
        tx.execute(&Sql::with(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)",
            vec![me.into(), code_hash(c).into()],
        ))
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "user.second_factor.enable",
            object_kind: "user",
            object_id: Some(me),
            unit_path: None,
            before: serde_json::Value::Null,
            after: json!({"recovery_codes": codes.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Whether an account has its second factor on.
pub async fn enabled(db: &Db, user_id: i64) -> Result<bool, DbError> {
    Ok(db
        .count(&Sql::with("SELECT COUNT(*) FROM users WHERE id = $1 AND totp_secret IS NOT NULL", vec![user_id.into()]))
        .await?
        > 0)
}

/// Checks a code given at login: a code of the account's app not used before (it is then used),
/// or one of its recovery codes not used before (it is then spent, and audited).
pub async fn check(db: &Db, user_id: i64, code: &str, now: DateTime<Utc>) -> Result<bool, DbError> {
    let row: Option<(Option<String>, Option<i64>)> =
        db.opt(&Sql::with("SELECT totp_secret, totp_last_step FROM users WHERE id = $1", vec![user_id.into()])).await?;
    let Some((Some(secret), last)) = row else { return Ok(false) };
    let secret = totp::from_base32(&crate::seal::open(&secret)?).unwrap_or_default();
    let mut tx = db.begin().await?;
    if let Some(step) = totp::verify(&secret, code, now.timestamp(), last) {
        // Taken only if no other login took this step meanwhile.
        let taken = tx
            .execute(&Sql::with(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
                vec![step.into(), user_id.into()],
            ))
            .await?;
        tx.commit().await?;
        return Ok(taken == 1);
    }
    let normalised = totp::normalise_recovery_code(code);
    if normalised.len() != RECOVERY_LENGTH {
        return Ok(false);
    }
    let spent = tx
        .execute(&Sql::with(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            vec![now.into(), user_id.into(), code_hash(&normalised).into()],
        ))
        .await?;
    if spent == 1 {
        let actor = Actor { user_id: Some(user_id), ..Actor::system("login") };
        audit::append(
            &mut tx,
            &actor,
            Change {
                action: "user.recovery_code.use",
                object_kind: "user",
                object_id: Some(user_id),
                unit_path: None,
                before: serde_json::Value::Null,
                after: serde_json::Value::Null,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(spent == 1)
}

/// Whether one of an account's roles asks for a second factor.
pub async fn required(db: &Db, user_id: i64) -> Result<bool, DbError> {
    Ok(db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
             WHERE ur.user_id = $1 AND r.requires_second_factor = TRUE",
            vec![user_id.into()],
        ))
        .await?
        > 0)
}

/// Turns the caller's own second factor off, with a current code as proof; not where a role of
/// theirs asks for one.
pub async fn turn_off(db: &Db, actor: &Actor, code: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let me = actor.user_id.ok_or(DomainError::Forbidden("second_factor".into()))?;
    if required(db, me).await? {
        return Err(DomainError::Conflict("error.second_factor.required".into()).into());
    }
    if !check(db, me, code, now).await? {
        return Err(DomainError::invalid("code", "error.second_factor.wrong_code").into());
    }
    clear(db, actor, me, "user.second_factor.disable").await
}

/// Resets the second factor of an account whose phone is lost (an administrator of its units);
/// the user turns it on again at will.
pub async fn reset(db: &Db, actor: &Actor, user_id: i64) -> Result<(), DbError> {
    actor.require("system:user:edit")?;
    crate::access::ensure_user_manageable(db, actor, user_id).await?;
    clear(db, actor, user_id, "user.second_factor.reset").await
}

async fn clear(db: &Db, actor: &Actor, user_id: i64, action: &'static str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    let changed = tx
        .execute(&Sql::with(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = NULL, totp_last_step = NULL \
             WHERE id = $1 AND totp_secret IS NOT NULL",
            vec![user_id.into()],
        ))
        .await?;
    if changed == 0 {
        return Err(DomainError::Conflict("error.second_factor.not_on".into()).into());
    }
    tx.execute(&Sql::with("DELETE FROM recovery_codes WHERE user_id = $1", vec![user_id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action,
            object_kind: "user",
            object_id: Some(user_id),
            unit_path: None,
            before: json!({"second_factor": true}),
            after: json!({"second_factor": false}),
        },
    )
    .await?;
    tx.commit().await
}

/// Letters and digits of a recovery code (no 0/O, 1/I/L to misread).
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const RECOVERY_LENGTH: usize = 10;

/// A new recovery code, shown as `ABCDE-FGHJK`.
fn recovery_code() -> String {
    let chars: String = (0..RECOVERY_LENGTH)
        .map(|_| char::from(RECOVERY_ALPHABET[rand::random_range(0..RECOVERY_ALPHABET.len())]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// What is kept of a recovery code: the SHA-256 of it as typed without dashes or case.
fn code_hash(code: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(totp::normalise_recovery_code(code).as_bytes()))
}
