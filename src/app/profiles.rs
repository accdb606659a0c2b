//! Following.

use super::App;
use crate::cache::Stale;
use crate::domain::profiles::{self, Profile};
use crate::error::AppResult;

/// Makes `follower` follow `username` (idempotent).
pub async fn follow(app: &App, follower: i32, username: String) -> AppResult<Profile> {
    set_following(app, follower, username, true).await
}

/// Makes `follower` stop following `username` (idempotent).
pub async fn unfollow(app: &App, follower: i32, username: String) -> AppResult<Profile> {
    set_following(app, follower, username, false).await
}

async fn set_following(app: &App, follower: i32, username: String, on: bool) -> AppResult<Profile> {
    app.write(move |tx| {
        let profile = profiles::set_following(tx.conn, follower, &username, on)?;
        tx.stale(Stale::Follow { follower });
        Ok(profile)
    })
    .await
}
