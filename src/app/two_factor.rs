//! Two-factor sign-in (see `domain::two_factor`): turning it on and off, new recovery
//! codes, and the second step of signing in. Each change marks the account stale (its
//! cached row says whether two-factor sign-in is on), goes to the audit log and is
//! emailed to the owner.

use super::App;
use crate::auth::password;
use crate::auth::sealed::Sealer;
use crate::cache::Stale;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::sign_in_events::{self, LoginOutcome};
use crate::domain::two_factor::{self, Proof};
use crate::domain::users::User;
use crate::domain::{events, time};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::jobs::kinds::Notice;

/// Turns two-factor sign-in on for `user` with the `secret` their app was shown, once
/// `code` proves the app has it. Returns the recovery codes, to show once.
pub async fn enable(
    app: &App,
    sealer: &Sealer,
    user: &User,
    secret: String,
    code: String,
    ip: Option<String>,
) -> AppResult<Vec<String>> {
    let actor = Actor::user(user, ip);
    let (user_id, name, sealer) = (user.id, user.username.clone(), sealer.clone());
    app.write(move |tx| {
        let codes = two_factor::enable(tx.conn, &sealer, user_id, &secret, &code)?;
        audit::record(
            tx.conn,
            &actor,
            AuditEntry::on("two_factor.enable", "user", user_id, name).change("off", "on"),
        )?;
        events::security_notice(tx.conn, user_id, Notice::TwoFactorOn)?;
        tx.stale(Stale::Account { id: user_id });
        Ok(codes)
    })
    .await
}

/// Checks `user`'s current password (422 on `password` when wrong), off the async
/// workers.
async fn check_password(user: &User, typed: Option<String>, bcrypt_cost: u32) -> AppResult<()> {
    let typed = typed.unwrap_or_default();
    let stored = user.password_hash.clone();
    let matches = !typed.is_empty()
        && password::run_limited(move || password::verify(&typed, Some(&stored), bcrypt_cost))
            .await
            .map_err(AppError::Internal)?;
    if matches {
        Ok(())
    } else {
        Err(AppError::Validation(FieldErrors::single(
            "password",
            "is not your current password",
        )))
    }
}

/// Turns two-factor sign-in off for `user`, who proves it is them with their password.
pub async fn disable(
    app: &App,
    user: &User,
    typed_password: Option<String>,
    bcrypt_cost: u32,
    ip: Option<String>,
) -> AppResult<()> {
    check_password(user, typed_password, bcrypt_cost).await?;
    let actor = Actor::user(user, ip);
    let (user_id, name) = (user.id, user.username.clone());
    app.write(move |tx| {
        two_factor::disable(tx.conn, user_id)?;
        audit::record(
            tx.conn,
            &actor,
            AuditEntry::on("two_factor.disable", "user", user_id, name).change("on", "off"),
        )?;
        events::security_notice(tx.conn, user_id, Notice::TwoFactorOff)?;
        tx.stale(Stale::Account { id: user_id });
        Ok(())
    })
    .await
}

/// New recovery codes for `user` (the old ones stop working), after their password.
pub async fn new_recovery_codes(
    app: &App,
    user: &User,
    typed_password: Option<String>,
    bcrypt_cost: u32,
    ip: Option<String>,
) -> AppResult<Vec<String>> {
    check_password(user, typed_password, bcrypt_cost).await?;
    let actor = Actor::user(user, ip);
    let (user_id, name) = (user.id, user.username.clone());
    app.write(move |tx| {
        let codes = two_factor::replace_recovery_codes(tx.conn, user_id)?;
        audit::record(
            tx.conn,
            &actor,
            AuditEntry::on("two_factor.recovery_codes", "user", user_id, name)
                .change("", "new recovery codes"),
        )?;
        Ok(codes)
    })
    .await
}

/// Recovery codes `user_id` has left.
pub async fn codes_left(app: &App, user_id: i32) -> AppResult<i64> {
    app.db
        .run(move |conn| Ok::<_, AppError>(two_factor::recovery_codes_left(conn, user_id)?))
        .await
}

/// The second step of signing in `user_id` (whose password was right): checks and
/// spends `code`. A wrong code counts as a failed sign-in, so guesses meet the same
/// growing delay as passwords (429 with the seconds to wait); 422 on `code` when
/// refused. A recovery code used is audited and told to the owner with how many are left.
pub async fn second_step(
    app: &App,
    sealer: &Sealer,
    user_id: i32,
    code: String,
    ip: Option<String>,
) -> AppResult<User> {
    let db = app.db().clone();
    let user = db
        .run(move |conn| User::find(conn, user_id)?.ok_or(AppError::InvalidCredentials))
        .await?;
    if let Some(wait) = user.login_wait(time::now()) {
        return Err(AppError::TooManyAttempts(wait));
    }
    let sealer = sealer.clone();
    let proof = app
        .write(move |tx| two_factor::verify(tx.conn, &sealer, user_id, &code))
        .await?;
    let outcome = match proof {
        Some(_) => LoginOutcome::Success,
        None => LoginOutcome::WrongCode,
    };
    let actor = Actor::user(&user, ip.clone());
    sign_in_events::record(&db, Some(&user), outcome, ip).await?;
    match proof {
        None => Err(AppError::Validation(FieldErrors::single(
            "code",
            "is not right, or was used already: enter the code your app shows now, or a recovery code",
        ))),
        Some(Proof::AppCode) => Ok(user),
        Some(Proof::RecoveryCode) => {
            let left = codes_left(app, user_id).await?;
            let name = user.username.clone();
            app.write(move |tx| {
                audit::record(
                    tx.conn,
                    &actor,
                    AuditEntry::on("two_factor.recovery_code", "user", user_id, name)
                        .change("", format!("signed in with a recovery code; {left} left")),
                )?;
                Ok(events::security_notice(
                    tx.conn,
                    user_id,
                    Notice::RecoveryCodeUsed { left },
                )?)
            })
            .await?;
            Ok(user)
        }
    }
}
