//! Changing one's own settings: what may change, the current password asked before the
//! email or the password change, and signing out everywhere.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{User, check_available, hash_password, taken_or_internal};
use crate::auth::password;
use crate::db::schema::users;
use crate::db::{DbConnection, savepoint, username_keys};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::{input, time};
use crate::error::{AppError, AppResult, FieldErrors};

/// Settings changes, as received. The outer `Option` says whether a field was sent at
/// all; the inner one whether it was `null`.
#[derive(Debug, Default, Clone)]
pub struct UserChanges {
    /// New username.
    pub username: Option<Option<String>>,
    /// New email.
    pub email: Option<Option<String>>,
    /// New password.
    pub password: Option<Option<String>>,
    /// New bio (`null` or empty clears it).
    pub bio: Option<Option<String>>,
    /// New avatar URL (`null` or empty clears it).
    pub image: Option<Option<String>>,
    /// The password as it is now, which proves the change comes from the owner (see
    /// [`Reauth`]).
    pub current_password: Option<String>,
}

/// Whether changing the email or the password asks for the current password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauth {
    /// Always (the site's settings form: a session left open must not be enough to
    /// take the account over, as OWASP ASVS asks).
    Required,
    /// Only checked when given: the RealWorld API changes both with the sign-in token
    /// alone, and its clients must keep working.
    IfGiven,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
struct UserChangeset {
    username: Option<String>,
    /// Set with `username`.
    username_key: Option<String>,
    email: Option<String>,
    password_hash: Option<String>,
    bio: Option<Option<String>>,
    image: Option<Option<String>>,
    updated_at: Option<NaiveDateTime>,
    password_reset_required: Option<bool>,
    /// Cleared (`Some(None)`) with a new address.
    email_verified_at: Option<Option<NaiveDateTime>>,
}

/// Settings changes that passed validation, with a new password already hashed (no
/// `Debug`: it may hold the hash).
pub struct SettingsChange {
    changes: UserChangeset,
}

impl SettingsChange {
    /// Checks settings changes (sent-but-blank username, email or password are refused;
    /// empty bio or image clear them) and hashes a new password, outside any
    /// transaction.
    pub async fn prepare(
        raw: UserChanges,
        bcrypt_cost: u32,
        current: &User,
        reauth: Reauth,
    ) -> AppResult<Self> {
        let mut errors = FieldErrors::default();
        let mut changes = UserChangeset::default();
        if let Some(value) = &raw.username {
            changes.username = Some(input::username(&mut errors, value.as_deref()));
        }
        if let Some(value) = &raw.email {
            changes.email = Some(input::email(&mut errors, value.as_deref()));
        }
        let new_password = raw
            .password
            .as_ref()
            .map(|value| input::new_password(&mut errors, value.as_deref()));
        if let Some(value) = &raw.bio {
            changes.bio = Some(input::optional_text(
                &mut errors,
                "bio",
                value.as_deref(),
                input::BIO_MAX,
            ));
        }
        if let Some(value) = &raw.image {
            changes.image = Some(input::optional_image_url(&mut errors, value.as_deref()));
        }
        let sensitive =
            new_password.is_some() || changes.email.as_ref().is_some_and(|e| *e != current.email);
        let given = raw.current_password.filter(|p| !p.is_empty());
        match given {
            None if sensitive && reauth == Reauth::Required => errors.add(
                "currentPassword",
                "is needed to change your email or password",
            ),
            // Checked whenever given: a caller may take a success as proof.
            Some(given) => {
                let stored = current.password_hash.clone();
                let right = password::run_limited(move || {
                    password::verify(&given, Some(&stored), bcrypt_cost)
                })
                .await
                .map_err(AppError::Internal)?;
                if !right {
                    errors.add("currentPassword", "is not right");
                }
            }
            None => {}
        }
        errors.into_result()?;
        if let Some(password) = new_password {
            changes.password_hash = Some(hash_password(password, bcrypt_cost).await?);
            changes.password_reset_required = Some(false);
        }
        Ok(Self { changes })
    }

    /// True when the change shows to others (name, bio or picture), not only to the
    /// account itself (email, password).
    pub fn is_public(&self) -> bool {
        let c = &self.changes;
        c.username.is_some() || c.bio.is_some() || c.image.is_some()
    }
}

/// Applies `change` to `user_id` inside the caller's write transaction. A password
/// change is written to the audit log (never the password) with `ip`, and clears a
/// reset that staff asked for.
pub fn update(
    conn: &mut DbConnection,
    user_id: i32,
    change: SettingsChange,
    ip: Option<String>,
) -> AppResult<User> {
    let mut changes = change.changes;
    let current = User::find(conn, user_id)?.ok_or(AppError::InvalidToken)?;
    check_available(
        conn,
        Some(user_id),
        changes.username.as_deref(),
        changes.email.as_deref(),
    )?;
    changes.updated_at = Some(time::next_after(current.updated_at));
    changes.username_key = changes.username.as_deref().map(username_keys::key);
    let new_address = changes.email.as_ref().is_some_and(|e| *e != current.email);
    if new_address {
        changes.email_verified_at = Some(None);
    }
    let actor = Actor::user(&current, ip);
    if new_address {
        audit::record(
            conn,
            &actor,
            AuditEntry::on("email.change", "user", current.id, &current.username)
                .change(&current.email, changes.email.as_deref().unwrap_or_default()),
        )?;
    }
    if changes.password_hash.is_some() {
        audit::record(
            conn,
            &actor,
            AuditEntry::on("password.change", "user", current.id, &current.username)
                .change("", "password changed"),
        )?;
        crate::domain::events::security_notice(
            conn,
            user_id,
            crate::jobs::kinds::Notice::PasswordChanged,
        )?;
    }
    savepoint(conn, |conn| {
        diesel::update(users::table.find(user_id))
            .set(&changes)
            .execute(conn)
    })
    .map_err(|e| taken_or_internal(e, "username"))?;
    if new_address {
        crate::domain::events::email_changed(conn, user_id, current.email.clone())?;
    }
    User::find(conn, user_id)?.ok_or(AppError::InvalidToken)
}

/// Signs `user_id` out of every session and API token (inside the caller's write
/// transaction, which must also mark the account stale so every instance drops its
/// cached row and its set of live access tokens): sessions and JWTs carry the
/// generation they were issued under, and personal access tokens are revoked (signing
/// out everywhere follows a suspected takeover, and a token minted meanwhile must not
/// outlive it).
pub fn sign_out_everywhere(conn: &mut DbConnection, user_id: i32) -> QueryResult<()> {
    crate::domain::sessions::end_all(conn, user_id, None)?;
    crate::domain::access_tokens::revoke_all(conn, user_id)?;
    diesel::update(users::table.find(user_id))
        .set(users::token_generation.eq(users::token_generation + 1))
        .execute(conn)
        .map(drop)
}
