//! Signing up and changing one's own settings.

use super::App;
use crate::cache::Stale;
use crate::domain::users::{
    self, Reauth, RegisterInput, Registration, SettingsChange, User, UserChanges,
};
use crate::error::{AppError, AppResult};

/// Creates an account (the password is hashed before the transaction starts).
pub async fn register(app: &App, bcrypt_cost: u32, input: RegisterInput) -> AppResult<User> {
    let wanted = (input.username.clone(), input.email.clone());
    let account = Registration::prepare(input, bcrypt_cost)
        .await
        .or_else_taken(app, None, wanted)
        .await?;
    app.write(move |tx| users::register(tx.conn, account)).await
}

/// Applies settings changes for `user_id`; `ip` goes to the audit log with a password
/// change.
pub async fn update(
    app: &App,
    bcrypt_cost: u32,
    user_id: i32,
    changes: UserChanges,
    reauth: Reauth,
    ip: Option<String>,
) -> AppResult<User> {
    let wanted = (
        changes.username.clone().flatten(),
        changes.email.clone().flatten(),
    );
    let current = app
        .db()
        .run(move |conn| User::find(conn, user_id)?.ok_or(AppError::InvalidToken))
        .await?;
    let change = SettingsChange::prepare(changes, bcrypt_cost, &current, reauth)
        .await
        .or_else_taken(app, Some(user_id), wanted)
        .await?;
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

/// Reports every mistake of a form at once: when its input is invalid, a username or
/// email that is also taken is added to the same 422, rather than only after the rest
/// has been fixed.
trait OrElseTaken<T> {
    async fn or_else_taken(
        self,
        app: &App,
        except: Option<i32>,
        wanted: (Option<String>, Option<String>),
    ) -> AppResult<T>;
}

impl<T> OrElseTaken<T> for AppResult<T> {
    async fn or_else_taken(
        self,
        app: &App,
        except: Option<i32>,
        (username, email): (Option<String>, Option<String>),
    ) -> AppResult<T> {
        match self {
            Err(AppError::Validation(mut errors)) => {
                let taken = app
                    .db()
                    .run(move |conn| {
                        Ok::<_, AppError>(users::taken(
                            conn,
                            except,
                            username.as_deref(),
                            email.as_deref(),
                        )?)
                    })
                    .await?;
                errors.merge(taken);
                Err(AppError::Validation(errors))
            }
            other => other,
        }
    }
}

/// Signs an API client in (REST or GraphQL): the password check with its slow-down, then
/// refused for a suspended account (with the reason) or one with two-factor sign-in (API
/// clients use a personal access token for it).
pub async fn api_login(
    db: &crate::db::Db,
    bcrypt_cost: u32,
    input: crate::domain::users::LoginInput,
    ip: Option<String>,
) -> AppResult<User> {
    let user = crate::domain::users::login(db, bcrypt_cost, input, ip).await?;
    crate::domain::users::check_api_access(&user)?;
    if user.two_factor_since.is_some() {
        return Err(AppError::TwoFactorOn);
    }
    Ok(user)
}
