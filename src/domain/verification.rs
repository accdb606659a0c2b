//! Email verification: links that prove the account's current address (tokens stored
//! hashed, see `auth::link_token`). A link names the address it was sent to, so one for
//! an address changed since proves nothing; links work for [`VALID_FOR_HOURS`], and any
//! number of times while the address stays the same (opening it twice is harmless).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::link_token::{new_token, stored_hash};
use crate::db::DbConnection;
use crate::db::schema::{email_verifications, users};
use crate::domain::time;
use crate::domain::users::User;

/// How long a link works.
pub const VALID_FOR_HOURS: i64 = 48;

/// A new link's token for `user`'s current address (inside the caller's write
/// transaction).
pub fn issue(conn: &mut DbConnection, user: &User) -> QueryResult<String> {
    let token = new_token();
    let now = time::now();
    diesel::insert_into(email_verifications::table)
        .values((
            email_verifications::user_id.eq(user.id),
            email_verifications::email.eq(&user.email),
            email_verifications::token_hash.eq(stored_hash(&token)),
            email_verifications::created_at.eq(now),
            email_verifications::expires_at.eq(now + chrono::Duration::hours(VALID_FOR_HOURS)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Why a link proves nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Unknown (mistyped), or for an address the account no longer has.
    Unknown,
    /// Older than [`VALID_FOR_HOURS`].
    Expired,
}

impl Refused {
    /// The sentence for the page.
    pub fn message(self) -> &'static str {
        match self {
            Refused::Unknown => {
                "This link is not valid: it may be mistyped, or the address has changed since."
            }
            Refused::Expired => "This link has expired: ask for a new one in your settings.",
        }
    }
}

/// Marks the address of the link `token` as proved (inside the caller's write
/// transaction); the account, or why not.
pub fn confirm(conn: &mut DbConnection, token: &str) -> QueryResult<Result<User, Refused>> {
    let row: Option<(i32, String, NaiveDateTime)> = email_verifications::table
        .filter(email_verifications::token_hash.eq(stored_hash(token)))
        .select((
            email_verifications::user_id,
            email_verifications::email,
            email_verifications::expires_at,
        ))
        .first(conn)
        .optional()?;
    let Some((user_id, email, expires)) = row else {
        return Ok(Err(Refused::Unknown));
    };
    if expires <= time::now() {
        return Ok(Err(Refused::Expired));
    }
    let Some(user) = User::find(conn, user_id)? else {
        return Ok(Err(Refused::Unknown));
    };
    if user.email != email {
        return Ok(Err(Refused::Unknown));
    }
    if user.email_verified_at.is_none() {
        diesel::update(users::table.find(user_id))
            .set(users::email_verified_at.eq(time::now()))
            .execute(conn)?;
    }
    Ok(User::find(conn, user_id)?.ok_or(Refused::Unknown))
}
