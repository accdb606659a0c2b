//! Browser sign-ins as rows: one per signed-in browser, so that a member sees where
//! they are signed in and can end any of those sessions. The cookie holds a random key;
//! the row only its SHA-256 (see `auth::link_token`), so the table gives no working
//! session away. A session lasts while its browser keeps coming back: [`IDLE_DAYS`], or
//! [`KEPT_IDLE_DAYS`] when "Keep me signed in" was ticked.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::link_token::stored_hash;
use crate::db::DbConnection;
use crate::db::schema::sessions;
use crate::domain::time;

/// Days a browser session survives without a visit.
pub const IDLE_DAYS: i64 = 7;
/// Days a kept ("Keep me signed in") session survives without a visit.
pub const KEPT_IDLE_DAYS: i64 = 30;
/// The longest a user agent string is kept.
const MAX_USER_AGENT: usize = 300;

/// A session as its owner's list shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    /// Row id, named by "sign out" buttons.
    pub id: i32,
    /// SHA-256 of the cookie's key: tells the list which row is the current browser.
    pub key_hash: String,
    /// As the browser sent it.
    pub user_agent: String,
    /// The client address at the last recorded visit.
    pub ip: Option<String>,
    /// "Keep me signed in".
    pub persistent: bool,
    /// Sign-in time.
    pub created_at: NaiveDateTime,
    /// Last recorded visit.
    pub last_seen_at: NaiveDateTime,
}

/// A sign-in about to be recorded.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The account.
    pub user_id: i32,
    /// The cookie's random key (only its hash is stored).
    pub key: String,
    /// The browser's device cookie (only its hash is stored).
    pub device: String,
    /// The browser's `User-Agent`.
    pub user_agent: String,
    /// The client address.
    pub ip: Option<String>,
    /// "Keep me signed in".
    pub persistent: bool,
}

/// A fresh random session key for the cookie.
pub fn new_key() -> String {
    crate::auth::link_token::new_token()
}

/// What identifies a session key in the table.
pub fn key_hash(key: &str) -> String {
    stored_hash(key)
}

/// Records a sign-in; true when the account has signed in before, but never from that
/// device (the very first sign-in is no news to its owner).
pub fn start(conn: &mut DbConnection, new: NewSession) -> QueryResult<bool> {
    let device_hash = stored_hash(&new.device);
    let mine = sessions::table.filter(sessions::user_id.eq(new.user_id));
    let signed_in_before = diesel::select(diesel::dsl::exists(mine)).get_result::<bool>(conn)?;
    let device_known = diesel::select(diesel::dsl::exists(
        mine.filter(sessions::device_hash.eq(&device_hash)),
    ))
    .get_result::<bool>(conn)?;
    let new_device = signed_in_before && !device_known;
    let now = time::now();
    let user_agent: String = new.user_agent.chars().take(MAX_USER_AGENT).collect();
    diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(new.user_id),
            sessions::key_hash.eq(stored_hash(&new.key)),
            sessions::device_hash.eq(device_hash),
            sessions::user_agent.eq(user_agent),
            sessions::ip.eq(new.ip),
            sessions::persistent.eq(new.persistent),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(new_device)
}

/// The oldest last visit a live session of each kind may have.
fn idle_limits(now: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    (
        now - chrono::Duration::days(IDLE_DAYS),
        now - chrono::Duration::days(KEPT_IDLE_DAYS),
    )
}

/// Live sessions only: not ended, and visited recently enough for their kind.
macro_rules! live {
    ($query:expr, $now:expr) => {{
        let (browser, kept) = idle_limits($now);
        $query.filter(sessions::ended_at.is_null()).filter(
            sessions::last_seen_at
                .ge(browser)
                .or(sessions::persistent.and(sessions::last_seen_at.ge(kept))),
        )
    }};
}

/// The key hashes of `user_id`'s live sessions: what every signed-in page checks its
/// own against (from the cache; see `app::viewer::credentials`).
pub fn live_keys(conn: &mut DbConnection, user_id: i32) -> QueryResult<HashSet<String>> {
    let keys: Vec<String> = live!(
        sessions::table.filter(sessions::user_id.eq(user_id)),
        time::now()
    )
    .select(sessions::key_hash)
    .load(conn)?;
    Ok(keys.into_iter().collect())
}

/// `user_id`'s live sessions, the most recently seen first.
pub fn list(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<SessionRow>> {
    live!(
        sessions::table.filter(sessions::user_id.eq(user_id)),
        time::now()
    )
    .order((sessions::last_seen_at.desc(), sessions::id.desc()))
    .select(SessionRow::as_select())
    .load(conn)
}

/// Notes a visit of the session with key `key` (at most every few minutes: see the
/// page session's `SEEN_PRECISION`).
pub fn touch(conn: &mut DbConnection, key: &str, ip: Option<String>) -> QueryResult<()> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash(key))))
        .set((sessions::last_seen_at.eq(time::now()), sessions::ip.eq(ip)))
        .execute(conn)
        .map(drop)
}

/// Ends `user_id`'s session `id`; false when there is no such live session of theirs.
pub fn end(conn: &mut DbConnection, user_id: i32, id: i32) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(time::now()))
    .execute(conn)
    .map(|n| n > 0)
}

/// Ends the session with key `key` (signing out).
pub fn end_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<i32>> {
    let hash = key_hash(key);
    let owner: Option<i32> = sessions::table
        .filter(sessions::key_hash.eq(&hash))
        .filter(sessions::ended_at.is_null())
        .select(sessions::user_id)
        .first(conn)
        .optional()?;
    diesel::update(sessions::table.filter(sessions::key_hash.eq(&hash)))
        .set(sessions::ended_at.eq(time::now()))
        .execute(conn)?;
    Ok(owner)
}

/// Ends every session of `user_id` but the one with key hash `except`; how many ended.
pub fn end_all(conn: &mut DbConnection, user_id: i32, except: Option<&str>) -> QueryResult<usize> {
    let open = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null());
    match except {
        Some(keep) => diesel::update(open.filter(sessions::key_hash.ne(keep)))
            .set(sessions::ended_at.eq(time::now()))
            .execute(conn),
        None => diesel::update(open)
            .set(sessions::ended_at.eq(time::now()))
            .execute(conn),
    }
}

/// How a session's browser is named in lists and emails: "Firefox on Linux".
pub fn device_name(user_agent: &str) -> String {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let known = |value: &str| {
        (!value.is_empty() && value != woothee::woothee::VALUE_UNKNOWN).then(|| value.to_owned())
    };
    let (browser, os) = match &parsed {
        Some(found) => (known(found.name), known(found.os)),
        None => (None, None),
    };
    match (browser, os) {
        (Some(browser), Some(os)) => format!("{browser} on {os}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "Unknown browser".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::device_name;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_name(firefox), "Firefox on Linux");
        assert_eq!(device_name(""), "Unknown browser");
    }
}
