//! Personal access tokens: named API credentials with scopes and an optional expiry,
//! for scripts and integrations. The secret is `cdt_` and 256 random bits in hex, shown
//! once; only its SHA-256 is stored (see `auth::link_token`), so a database leak gives
//! no working token. The prefix tells a token from a JWT at a glance, for the API's
//! extractor and for secret scanners.
//!
//! What a scope allows: every token reads; `write` is needed for anything else (any
//! request but GET and HEAD); `admin` for what only staff may do (the open reports,
//! site-wide webhooks), and only staff accounts may have it.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::{link_token, password};
use crate::db::DbConnection;
use crate::db::schema::access_tokens;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::time;
use crate::domain::users::{Reauth, User};
use crate::error::{AppError, AppResult, FieldErrors};

mod scopes;

pub use scopes::{Scope, Scopes};

/// What every token's secret starts with.
pub const PREFIX: &str = "cdt_";
/// Longest name.
pub const NAME_MAX: usize = 60;
/// The expiries offered, in days (or none).
pub const EXPIRY_DAYS: [i64; 4] = [7, 30, 90, 365];
/// Most live (unrevoked, unexpired) tokens one account may have.
pub const MAX_LIVE: i64 = 50;
/// A token's last use is written at most this often (per instance): it is shown to
/// the owner to the day, and a write per request would make every read a write.
pub const TOUCH_EVERY_SECS: i64 = 300;

/// Whether `presented` is meant as an access token (rather than a JWT).
pub fn is_access_token(presented: &str) -> bool {
    presented.starts_with(PREFIX)
}

/// A token as its owner sees it listed (never the secret, nor its hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_tokens)]
pub struct AccessToken {
    /// Primary key.
    pub id: i32,
    /// Owner.
    pub user_id: i32,
    /// The owner's label for it.
    pub name: String,
    /// As stored: `read,write`.
    pub scopes: String,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// When it stops working (`None`: never).
    pub expires_at: Option<NaiveDateTime>,
    /// When it was last used, to within [`TOUCH_EVERY_SECS`].
    pub last_used_at: Option<NaiveDateTime>,
}

impl AccessToken {
    /// What it may do.
    pub fn scopes(&self) -> Scopes {
        Scopes::from_stored(&self.scopes)
    }

    /// Whether it has expired by `now`.
    pub fn expired(&self, now: NaiveDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// What a presented token grants, as the per-request check needs it: facts that never
/// change once the token exists (whether it is still live is asked separately, see
/// [`live_ids`]), so it can be cached by the secret's hash.
#[derive(Debug)]
pub struct Grant {
    /// The token's id.
    pub token_id: i32,
    /// Whose token it is.
    pub user_id: i32,
    /// What it may do.
    pub scopes: Scopes,
    /// When it stops working.
    pub expires_at: Option<NaiveDateTime>,
    /// When this process last wrote (or read) its last use, in Unix milliseconds, so
    /// that it writes at most once per [`TOUCH_EVERY_SECS`].
    last_written_ms: AtomicI64,
}

impl Grant {
    /// What `token` grants, its last use as stored.
    fn new(token: &AccessToken) -> Self {
        Self {
            token_id: token.id,
            user_id: token.user_id,
            scopes: token.scopes(),
            expires_at: token.expires_at,
            last_written_ms: AtomicI64::new(
                token
                    .last_used_at
                    .map_or(i64::MIN / 2, |at| at.and_utc().timestamp_millis()),
            ),
        }
    }

    /// Whether it has expired by `now`.
    pub fn expired(&self, now: NaiveDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// True when this use at `now` should be written as the token's last use: the last
    /// write is older than [`TOUCH_EVERY_SECS`]. Claims the write, so concurrent
    /// requests of this process write it once.
    pub fn claim_touch(&self, now: NaiveDateTime) -> bool {
        let now_ms = now.and_utc().timestamp_millis();
        let last = self.last_written_ms.load(Ordering::Acquire);
        now_ms - last >= TOUCH_EVERY_SECS * 1000
            && self
                .last_written_ms
                .compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }
}

/// A new token, as received from a form or the API (no `Debug`: it may hold the
/// password).
#[derive(Default, Clone)]
pub struct NewToken {
    /// Its label.
    pub name: Option<String>,
    /// Scope names.
    pub scopes: Vec<String>,
    /// Days until it expires (`None`: never).
    pub expires_in_days: Option<i64>,
    /// The owner's password, which proves the request comes from them (see
    /// [`Reauth`]): a token outlives the session that made it.
    pub current_password: Option<String>,
}

/// A token that passed the rules, ready for [`create`].
pub struct Checked {
    name: String,
    scopes: Scopes,
    expires_in_days: Option<i64>,
}

/// Checks `raw` for `owner` (every mistake at once): a name of 1 to [`NAME_MAX`]
/// characters, known scopes (at least one; `admin` for staff only), one of the offered
/// expiries, and the current password as `reauth` asks (checked on the blocking pool,
/// outside any transaction).
pub async fn prepare(
    raw: NewToken,
    owner: &User,
    reauth: Reauth,
    bcrypt_cost: u32,
) -> AppResult<Checked> {
    let mut errors = FieldErrors::default();
    match raw.current_password.filter(|p| !p.is_empty()) {
        None if reauth == Reauth::Required => {
            errors.add("currentPassword", "is needed to create a token");
        }
        Some(given) => {
            let stored = owner.password_hash.clone();
            let right =
                password::run_limited(move || password::verify(&given, Some(&stored), bcrypt_cost))
                    .await
                    .map_err(AppError::Internal)?;
            if !right {
                errors.add("currentPassword", "is not right");
            }
        }
        None => {}
    }
    let name =
        crate::domain::input::required_text(&mut errors, "name", raw.name.as_deref(), NAME_MAX);
    let scopes = match Scopes::parse(&raw.scopes) {
        Ok(scopes) if scopes.is_empty() => {
            errors.add("scopes", "choose at least one scope");
            scopes
        }
        Ok(scopes) => scopes,
        Err(unknown) => {
            errors.add(
                "scopes",
                format!("`{unknown}` is not a scope (read, write, admin)"),
            );
            Scopes::default()
        }
    };
    if scopes.contains(Scope::Admin) && !owner.is_staff() {
        errors.add("scopes", "admin is for moderators and administrators only");
    }
    if let Some(days) = raw.expires_in_days
        && !EXPIRY_DAYS.contains(&days)
    {
        errors.add("expiresInDays", "must be 7, 30, 90 or 365 days, or none");
    }
    errors.into_result()?;
    Ok(Checked {
        name,
        scopes,
        expires_in_days: raw.expires_in_days,
    })
}

/// Unrevoked tokens of `user_id` that have not expired by `now`.
fn live(user_id: i32, now: NaiveDateTime) -> access_tokens::BoxedQuery<'static, Backend> {
    access_tokens::table
        .filter(access_tokens::user_id.eq(user_id))
        .filter(access_tokens::revoked_at.is_null())
        .filter(
            access_tokens::expires_at
                .is_null()
                .or(access_tokens::expires_at.gt(now)),
        )
        .into_boxed()
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// Creates a token for `owner` (inside the caller's write transaction, which must mark
/// the owner's account stale: its set of live tokens changed), written to the audit log
/// with `ip`. Returns it with its secret, which is not kept anywhere.
pub fn create(
    conn: &mut DbConnection,
    owner: &User,
    checked: Checked,
    ip: Option<String>,
) -> AppResult<(AccessToken, String)> {
    let now = time::now();
    let count: i64 = live(owner.id, now).count().get_result(conn)?;
    if count >= MAX_LIVE {
        return Err(AppError::Validation(FieldErrors::single(
            "tokens",
            format!("are limited to {MAX_LIVE} at a time: revoke one first"),
        )));
    }
    let secret = format!("{PREFIX}{}", link_token::new_token());
    let hash = link_token::stored_hash(&secret);
    let expires_at = checked
        .expires_in_days
        .map(|days| now + chrono::Duration::days(days));
    diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::user_id.eq(owner.id),
            access_tokens::name.eq(&checked.name),
            access_tokens::token_hash.eq(&hash),
            access_tokens::scopes.eq(checked.scopes.to_string()),
            access_tokens::created_at.eq(now),
            access_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    let token = access_tokens::table
        .filter(access_tokens::token_hash.eq(&hash))
        .select(AccessToken::as_select())
        .first(conn)?;
    let expiry = expires_at.map_or("never expires".to_owned(), |at| {
        format!("expires {}", time::iso8601(at))
    });
    audit::record(
        conn,
        &Actor::user(owner, ip),
        AuditEntry::on("token.create", "user", owner.id, &owner.username).change(
            "",
            format!(
                "access token {} \"{}\" ({}; {expiry})",
                token.id, token.name, checked.scopes
            ),
        ),
    )?;
    Ok((token, secret))
}

/// The tokens of `user_id` that are not revoked (live or expired), newest first.
pub fn list(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<AccessToken>> {
    access_tokens::table
        .filter(access_tokens::user_id.eq(user_id))
        .filter(access_tokens::revoked_at.is_null())
        .order(access_tokens::id.desc())
        .select(AccessToken::as_select())
        .load(conn)
}

/// Revokes token `id` of `owner` (inside the caller's write transaction, which must
/// mark the owner's account stale), written to the audit log with `ip`: 404 when it is
/// not theirs or already revoked.
pub fn revoke(conn: &mut DbConnection, owner: &User, id: i32, ip: Option<String>) -> AppResult<()> {
    let token = access_tokens::table
        .find(id)
        .filter(access_tokens::user_id.eq(owner.id))
        .filter(access_tokens::revoked_at.is_null())
        .select(AccessToken::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("token"))?;
    diesel::update(access_tokens::table.find(id))
        .set(access_tokens::revoked_at.eq(time::now()))
        .execute(conn)?;
    audit::record(
        conn,
        &Actor::user(owner, ip),
        AuditEntry::on("token.revoke", "user", owner.id, &owner.username).change(
            format!(
                "access token {} \"{}\" ({})",
                token.id,
                token.name,
                token.scopes()
            ),
            "revoked",
        ),
    )?;
    Ok(())
}

/// Revokes every token of `user_id` (inside the caller's write transaction, which must
/// mark the account stale): part of signing out everywhere.
pub fn revoke_all(conn: &mut DbConnection, user_id: i32) -> QueryResult<usize> {
    diesel::update(
        access_tokens::table
            .filter(access_tokens::user_id.eq(user_id))
            .filter(access_tokens::revoked_at.is_null()),
    )
    .set(access_tokens::revoked_at.eq(time::now()))
    .execute(conn)
}

/// What the unrevoked token whose secret hashes to `hash` grants (`None`: no such
/// token, or revoked).
pub fn grant_by_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Grant>> {
    let token = access_tokens::table
        .filter(access_tokens::token_hash.eq(hash))
        .filter(access_tokens::revoked_at.is_null())
        .select(AccessToken::as_select())
        .first(conn)
        .optional()?;
    Ok(token.map(|t| Grant::new(&t)))
}

/// The ids of `user_id`'s live tokens: a token works only while it is among them.
pub fn live_ids(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<i32>> {
    live(user_id, time::now())
        .select(access_tokens::id)
        .order(access_tokens::id.asc())
        .load(conn)
}

/// Records a use of token `id` at `at`, unless another instance recorded one within
/// [`TOUCH_EVERY_SECS`].
pub fn touch(conn: &mut DbConnection, id: i32, at: NaiveDateTime) -> QueryResult<()> {
    let recent = at - chrono::Duration::seconds(TOUCH_EVERY_SECS);
    diesel::update(
        access_tokens::table.find(id).filter(
            access_tokens::last_used_at
                .is_null()
                .or(access_tokens::last_used_at.lt(recent)),
        ),
    )
    .set(access_tokens::last_used_at.eq(at))
    .execute(conn)
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(last_used: Option<NaiveDateTime>) -> Grant {
        Grant::new(&AccessToken {
            id: 1,
            user_id: 1,
            name: "test".into(),
            scopes: "read".into(),
            created_at: time::now(),
            expires_at: None,
            last_used_at: last_used,
        })
    }

    #[test]
    fn last_use_is_written_once_per_interval() {
        let now = time::now();
        let fresh = grant(None);
        assert!(fresh.claim_touch(now), "never used: written");
        assert!(!fresh.claim_touch(now), "claimed once");
        let later = now + chrono::Duration::seconds(TOUCH_EVERY_SECS);
        assert!(fresh.claim_touch(later), "an interval later: again");
        let used = grant(Some(now - chrono::Duration::seconds(10)));
        assert!(!used.claim_touch(now), "used just now elsewhere");
    }

    #[test]
    fn secrets_are_told_from_jwts() {
        assert!(is_access_token("cdt_0123"));
        assert!(!is_access_token("eyJhbGciOiJIUzI1NiJ9.e30.x"));
    }
}
