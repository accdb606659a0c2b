//! Proving an account's email address (see `domain::verification`).

use super::App;
use crate::cache::Stale;
use crate::domain::events;
use crate::domain::users::User;
use crate::domain::verification::{self, Refused};
use crate::error::AppResult;

/// Marks the address of the link `token` as proved (dropping the account's cached row on
/// every instance), or says why not.
pub async fn confirm(app: &App, token: String) -> AppResult<Result<User, Refused>> {
    app.write(move |tx| {
        let done = verification::confirm(tx.conn, &token)?;
        if let Ok(user) = &done {
            tx.stale(Stale::Account { id: user.id });
        }
        Ok(done)
    })
    .await
}

/// Emails `user_id` a new link for their current address.
pub async fn resend(app: &App, user_id: i32) -> AppResult<()> {
    app.write(move |tx| Ok(events::verification_asked(tx.conn, user_id)?))
        .await
}
