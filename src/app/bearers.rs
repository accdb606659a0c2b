//! API tokens (JWTs) as every API request checks them. A token verified once is kept
//! under a digest of it until it expires, so a member's next request skips the
//! signature and the two JSON documents: in a warm signed-in list they were a quarter
//! of the instructions (`docs/benchmarks.md`). Keeping them per process needs no
//! invalidation: whether a token verifies depends only on its bytes and the site's key,
//! and what it may still do (its account's generation, a suspension) is checked against
//! the cached account on every request, as before.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::App;
use crate::auth::token::TokenKeys;
use crate::cache::Verified;
use crate::error::{AppError, AppResult};

/// The first half of the SHA-256 of `token`: a key no other token reaches (finding one
/// would take a second preimage of 128 bits), and a fixed 16 bytes whatever its length.
fn digest(token: &str) -> [u8; 16] {
    let full = Sha256::digest(token.as_bytes());
    let mut half = [0; 16];
    half.copy_from_slice(&full[..16]);
    half
}

/// Whom `token` speaks for, if it is a valid, unexpired JWT signed with `keys`; kept
/// with its account at hand (see `viewer::account_of_token`).
pub async fn verify(app: &App, keys: &TokenKeys, token: &str) -> AppResult<Arc<Verified>> {
    let verified = app
        .caches
        .bearers
        .get_or_load(digest(token), || async {
            keys.verify(token)
                .map(|bearer| Arc::new(Verified::new(bearer)))
                .map_err(|_| AppError::InvalidToken)
        })
        .await?;
    // A kept token expires like any other.
    if verified.bearer.valid_at(chrono::Utc::now().timestamp()) {
        Ok(verified)
    } else {
        Err(AppError::InvalidToken)
    }
}
