//! Password recovery: asking for a link, and using one (see `domain::recovery`).

use super::App;
use crate::cache::Stale;
use crate::domain::recovery::{self, Refused};
use crate::domain::users::{self, User};
use crate::domain::{events, input};
use crate::error::{AppError, AppResult, FieldErrors};

/// Asks for a recovery link for `email` (422 when it is not an address). The same work
/// for every address, an account's or not: one queued job, which finds out.
pub async fn ask(app: &App, email: Option<&str>) -> AppResult<String> {
    let mut errors = FieldErrors::default();
    let email = input::email(&mut errors, email);
    errors.into_result()?;
    let queued = email.clone();
    app.write(move |tx| Ok(events::password_reset_asked(tx.conn, queued)?))
        .await?;
    Ok(email)
}

/// Whether the link `token` works (for showing its form).
pub async fn check(app: &App, token: String) -> AppResult<Result<i32, Refused>> {
    app.db()
        .run(move |conn| Ok::<_, AppError>(recovery::check(conn, &token)?))
        .await
}

/// Sets a new password through the link `token`, signing the account out everywhere
/// (on every instance: the account's cached row goes stale); 422 for a password the
/// rules refuse, checked before the link is spent.
pub async fn reset(
    app: &App,
    bcrypt_cost: u32,
    token: String,
    password: Option<&str>,
    ip: Option<String>,
) -> AppResult<Result<User, Refused>> {
    let hash = users::prepare_new_password(password, bcrypt_cost).await?;
    app.write(move |tx| {
        let done = recovery::complete(tx.conn, &token, &hash, ip)?;
        if let Ok(user) = &done {
            tx.stale(Stale::Account { id: user.id });
        }
        Ok(done)
    })
    .await
}
