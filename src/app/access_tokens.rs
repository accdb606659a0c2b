//! Personal access tokens (see `domain::access_tokens`): creating, listing and revoking
//! them, and the check every API request presenting one makes.
//!
//! The check is served from two caches so that a warm request runs no SQL: the grant
//! by the secret's hash (what the token may do, facts that never change) and the set of
//! its owner's live token ids. Creating or revoking a token names the owner's account
//! stale ([`Stale::Account`]), which drops that set here and, through the broadcast, on
//! every other instance: a revoked token is refused on each instance's next request.

use std::sync::Arc;

use super::App;
use crate::auth::link_token;
use crate::cache::Stale;
use crate::domain::access_tokens::{self, AccessToken, Grant, NewToken};
use crate::domain::time;
use crate::domain::users::{Reauth, User};
use crate::error::{AppError, AppResult};

/// Creates a token for `owner` from `raw`, with the password proof `reauth` asks for;
/// returns it with its secret (to show once).
pub async fn create(
    app: &App,
    bcrypt_cost: u32,
    owner: User,
    raw: NewToken,
    reauth: Reauth,
    ip: Option<String>,
) -> AppResult<(AccessToken, String)> {
    let checked = access_tokens::prepare(raw, &owner, reauth, bcrypt_cost).await?;
    app.write(move |tx| {
        let created = access_tokens::create(tx.conn, &owner, checked, ip)?;
        tx.stale(Stale::Account { id: owner.id });
        Ok(created)
    })
    .await
}

/// The tokens of `user_id` that are not revoked (live or expired), newest first.
pub async fn list(app: &App, user_id: i32) -> AppResult<Vec<AccessToken>> {
    app.db()
        .run(move |conn| Ok::<_, AppError>(access_tokens::list(conn, user_id)?))
        .await
}

/// Revokes token `id` of `owner` (404 when it is not theirs): refused from the next
/// request on, on every instance.
pub async fn revoke(app: &App, owner: User, id: i32, ip: Option<String>) -> AppResult<()> {
    app.write(move |tx| {
        access_tokens::revoke(tx.conn, &owner, id, ip)?;
        tx.stale(Stale::Account { id: owner.id });
        Ok(())
    })
    .await
}

/// What the token `secret` grants: 401 when it is unknown, revoked or expired. Records
/// its use at most once per `TOUCH_EVERY_SECS`, in the background (a read never waits
/// on a write).
pub async fn check(app: &App, secret: &str) -> AppResult<Arc<Grant>> {
    let hash = link_token::stored_hash(secret);
    let db = app.db();
    let grant = app
        .caches()
        .token_grants
        .get_or_load(hash.clone(), || {
            let hash = hash.clone();
            db.run(move |conn| {
                access_tokens::grant_by_hash(conn, &hash)?
                    .map(Arc::new)
                    .ok_or(AppError::InvalidToken)
            })
        })
        .await?;
    let now = time::now();
    if grant.expired(now) {
        return Err(AppError::InvalidToken);
    }
    let user_id = grant.user_id;
    let live = app
        .caches()
        .live_tokens
        .get_or_load(user_id, || {
            db.run(move |conn| Ok::<_, AppError>(Arc::new(access_tokens::live_ids(conn, user_id)?)))
        })
        .await?;
    if !live.contains(&grant.token_id) {
        return Err(AppError::InvalidToken);
    }
    if grant.claim_touch(now) {
        let app = app.clone();
        let id = grant.token_id;
        actix_web::rt::spawn(async move {
            let touched = app
                .write(move |tx| Ok(access_tokens::touch(tx.conn, id, now)?))
                .await;
            if let Err(e) = touched {
                log::warn!("recording an access token's use failed: {e}");
            }
        });
    }
    Ok(grant)
}
