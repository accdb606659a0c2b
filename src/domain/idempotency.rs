//! `Idempotency-Key` for the API's POST routes: the first request with a key runs and its
//! response is kept for 24 hours; a repeat from the same user gets that response again.

use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::{DbConnection, is_unique_violation, write_transaction};
use crate::domain::time;

/// How long a key is remembered.
pub const KEEP: chrono::Duration = chrono::Duration::hours(24);
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// What to do with a request carrying a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time: run it, then [`finish`] or [`abandon`].
    Fresh,
    /// Seen before with the same request: answer with this status and body.
    Replay(u16, String),
    /// The first request with this key has not finished yet.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Looks up (`user_id`, `key`) for a request whose method, path and body hash to
/// `request_hash`, and claims the key when it is new.
pub fn begin(
    conn: &mut DbConnection,
    user_id: i32,
    key: &str,
    request_hash: &str,
) -> QueryResult<Begin> {
    let now = time::now();
    let outcome = write_transaction(conn, |conn| {
        // Forget this user's expired keys, so an old key starts afresh.
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::user_id.eq(user_id))
                .filter(idempotency_keys::created_at.lt(now - KEEP)),
        )
        .execute(conn)?;
        let found: Option<(String, i32, String)> = idempotency_keys::table
            .find((user_id, key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::status,
                idempotency_keys::body,
            ))
            .first(conn)
            .optional()?;
        Ok(match found {
            Some((hash, _, _)) if hash != request_hash => Begin::Mismatch,
            Some((_, 0, _)) => Begin::InProgress,
            Some((_, status, body)) => Begin::Replay(u16::try_from(status).unwrap_or(500), body),
            None => {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::user_id.eq(user_id),
                        idempotency_keys::idem_key.eq(key),
                        idempotency_keys::request_hash.eq(request_hash),
                        idempotency_keys::status.eq(0),
                        idempotency_keys::body.eq(""),
                        idempotency_keys::created_at.eq(now),
                    ))
                    .execute(conn)?;
                Begin::Fresh
            }
        })
    });
    match outcome {
        // Another request with the same key won the race to claim it.
        Err(e) if is_unique_violation(&e) => Ok(Begin::InProgress),
        other => other,
    }
}

/// Stores the response of the request that claimed the key.
pub fn finish(
    conn: &mut DbConnection,
    user_id: i32,
    key: &str,
    status: u16,
    body: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((user_id, key)))
        .set((
            idempotency_keys::status.eq(i32::from(status)),
            idempotency_keys::body.eq(body),
        ))
        .execute(conn)
        .map(drop)
}

/// Releases a claimed key whose request failed, so that it may be tried again.
pub fn abandon(conn: &mut DbConnection, user_id: i32, key: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((user_id, key)))
        .execute(conn)
        .map(drop)
}
