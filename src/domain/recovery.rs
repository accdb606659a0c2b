//! Password recovery: single-use links with random tokens, of which only a hash is
//! stored (see `auth::link_token`). A link works once, for [`VALID_FOR_MINUTES`], and only while it
//! is its account's newest: asking again voids the older ones. Using one sets the new
//! password and signs the account out everywhere (see
//! [`crate::domain::users::sign_out_everywhere`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::link_token::{new_token, stored_hash as hash};
use crate::db::DbConnection;
use crate::db::schema::{password_resets, users};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::time;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};

/// How long a link works.
pub const VALID_FOR_MINUTES: i64 = 60;

/// Makes a new link's token for `user_id`, voiding the account's earlier ones (inside
/// the caller's write transaction). Only the hash is stored; the token goes in the email.
pub fn issue(conn: &mut DbConnection, user_id: i32) -> QueryResult<String> {
    let token = new_token();
    let now = time::now();
    diesel::delete(password_resets::table.filter(password_resets::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user_id),
            password_resets::token_hash.eq(hash(&token)),
            password_resets::created_at.eq(now),
            password_resets::expires_at.eq(now + chrono::Duration::minutes(VALID_FOR_MINUTES)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Why a link does not work, as the page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Unknown: mistyped, or voided by a newer link.
    Unknown,
    /// Older than [`VALID_FOR_MINUTES`].
    Expired,
    /// Used already.
    Used,
}

impl Refused {
    /// The sentence for the page.
    pub fn message(self) -> &'static str {
        match self {
            Refused::Unknown => {
                "This link is not valid: it may be mistyped, or a newer one was sent since."
            }
            Refused::Expired => "This link has expired: links work for an hour.",
            Refused::Used => "This link was used already: each works once.",
        }
    }
}

/// The account a link would reset, or why it would not.
pub fn check(conn: &mut DbConnection, token: &str) -> QueryResult<Result<i32, Refused>> {
    let row: Option<(i32, NaiveDateTime, Option<NaiveDateTime>)> = password_resets::table
        .filter(password_resets::token_hash.eq(hash(token)))
        .select((
            password_resets::user_id,
            password_resets::expires_at,
            password_resets::used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Err(Refused::Unknown),
        Some((_, _, Some(_))) => Err(Refused::Used),
        Some((_, expires, None)) if expires <= time::now() => Err(Refused::Expired),
        Some((user_id, _, None)) => Ok(user_id),
    })
}

/// Uses the link `token`: sets `password_hash` (already hashed), marks the link used and
/// signs the account out everywhere, inside the caller's write transaction; or says why
/// the link does not work (any more).
pub fn complete(
    conn: &mut DbConnection,
    token: &str,
    password_hash: &str,
    ip: Option<String>,
) -> AppResult<Result<User, Refused>> {
    let user_id = match check(conn, token)? {
        Ok(user_id) => user_id,
        Err(why) => return Ok(Err(why)),
    };
    // The first of two racing uses wins: the second finds it used.
    let claimed = diesel::update(
        password_resets::table
            .filter(password_resets::token_hash.eq(hash(token)))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(time::now()))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(Err(Refused::Used));
    }
    let user = User::find(conn, user_id)?.ok_or(AppError::NotFound("user"))?;
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(password_hash),
            users::password_reset_required.eq(false),
            users::failed_logins.eq(0),
            users::updated_at.eq(time::next_after(user.updated_at)),
        ))
        .execute(conn)?;
    crate::domain::users::sign_out_everywhere(conn, user_id)?;
    crate::domain::events::security_notice(
        conn,
        user_id,
        crate::jobs::kinds::Notice::PasswordChanged,
    )?;
    audit::record(
        conn,
        &Actor::user(&user, ip),
        AuditEntry::on("password.reset", "user", user.id, &user.username)
            .change("", "password reset by email link; signed out everywhere"),
    )?;
    Ok(Ok(
        User::find(conn, user_id)?.ok_or(AppError::NotFound("user"))?
    ))
}
