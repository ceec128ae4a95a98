//! Changes sent again by a phone that was offline (issue 27): each change a phone queues carries
//! an idempotency key; the first request with that key is answered and its answer kept, and every
//! later request with the same key from the same account gets that first answer and writes nothing.

use chrono::{DateTime, Utc};

use crate::sql::{Db, DbError, Sql};

/// How long an answer is kept for replays: a phone that has not synced in a week starts over.
pub const KEEP_DAYS: i64 = 7;

/// What the store knows of a key when a request arrives with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Never seen: this request is the first and is now the one being answered.
    First,
    /// Answered before: the kept answer.
    Answered(KeptAnswer),
    /// Seen, but not yet answered: the first request is still being made, or it was cut off
    /// without an answer (the server stopped) and nobody can say whether it was written.
    Unanswered,
    /// Used before for another change (another address or method).
    OtherRequest,
}

/// An answer as it was first sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeptAnswer {
    pub status: i64,
    /// The headers that matter to the page, as JSON pairs.
    pub headers: String,
    pub body: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct Row {
    method: String,
    path: String,
    status: Option<i64>,
    headers: Option<String>,
    body: Option<Vec<u8>>,
}

/// Takes a key for a request about to be made, or says what became of it before.
pub async fn see(
    db: &Db,
    user_id: i64,
    key: &str,
    method: &str,
    path: &str,
    now: DateTime<Utc>,
) -> Result<Seen, DbError> {
    let mut tx = db.begin().await?;
    let taken = tx
        .execute(&Sql::with(
            "INSERT INTO idempotent_requests (user_id, idem_key, method, path, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, idem_key) DO NOTHING",
            vec![user_id.into(), key.into(), method.into(), path.into(), now.into()],
        ))
        .await?;
    let seen = if taken == 1 {
        Seen::First
    } else {
        let row: Row = tx
            .one(&Sql::with(
                "SELECT method, path, status, headers, body FROM idempotent_requests WHERE user_id = $1 AND idem_key = $2",
                vec![user_id.into(), key.into()],
            ))
            .await?;
        if row.method != method || row.path != path {
            Seen::OtherRequest
        } else {
            match row.status {
                Some(status) => Seen::Answered(KeptAnswer {
                    status,
                    headers: row.headers.unwrap_or_default(),
                    body: row.body.unwrap_or_default(),
                }),
                None => Seen::Unanswered,
            }
        }
    };
    tx.commit().await?;
    Ok(seen)
}

/// Keeps the answer given to the first request with a key.
pub async fn answered(db: &Db, user_id: i64, key: &str, answer: &KeptAnswer) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "UPDATE idempotent_requests SET status = $1, headers = $2, body = $3 WHERE user_id = $4 AND idem_key = $5",
        vec![
            answer.status.into(),
            answer.headers.clone().into(),
            answer.body.clone().into(),
            user_id.into(),
            key.into(),
        ],
    ))
    .await?;
    tx.commit().await
}

/// Lets a key go again: its request failed on the server's side and wrote nothing (its
/// transaction rolled back), so the phone may try it again.
pub async fn release(db: &Db, user_id: i64, key: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "DELETE FROM idempotent_requests WHERE user_id = $1 AND idem_key = $2 AND status IS NULL",
        vec![user_id.into(), key.into()],
    ))
    .await?;
    tx.commit().await
}

/// Forgets answers older than [`KEEP_DAYS`]; returns how many.
pub async fn purge(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    let gone = tx
        .execute(&Sql::with(
            "DELETE FROM idempotent_requests WHERE created_at < $1",
            vec![(now - chrono::Duration::days(KEEP_DAYS)).into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(gone)
}
