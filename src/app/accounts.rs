//! Signing up and changing one's own settings.

use super::App;
use crate::cache::Stale;
use crate::domain::users::{self, RegisterInput, Registration, SettingsChange, User, UserChanges};
use crate::error::AppResult;

/// Creates an account (the password is hashed before the transaction starts).
pub async fn register(app: &App, bcrypt_cost: u32, input: RegisterInput) -> AppResult<User> {
    let account = Registration::prepare(input, bcrypt_cost).await?;
    app.write(move |tx| users::register(tx.conn, account)).await
}

/// Applies settings changes for `user_id`; `ip` goes to the audit log with a password
/// change.
pub async fn update(
    app: &App,
    bcrypt_cost: u32,
    user_id: i32,
    changes: UserChanges,
    ip: Option<String>,
) -> AppResult<User> {
    let change = SettingsChange::prepare(changes, bcrypt_cost).await?;
    app.write(move |tx| {
        // Name, bio and picture show on the user's articles, comments and profile; the
        // rest (email, password, a cleared reset) only on their own requests.
        if change.is_public() {
            tx.stale(Stale::ProfileEdited);
        }
        tx.stale(Stale::Account { id: user_id });
        users::update(tx.conn, user_id, change, ip)
    })
    .await
}
