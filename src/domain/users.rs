//! Accounts: registration, login and profile settings.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::password;
use crate::db::schema::users;
use crate::db::{Db, DbConnection, savepoint, username_keys};
use crate::domain::sign_in_events::{self, LoginOutcome};
use crate::domain::{input, time};
use crate::error::{AppError, AppResult, FieldErrors};

mod settings;

pub use settings::{Reauth, SettingsChange, UserChanges, sign_out_everywhere, update};

/// A user row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    /// Primary key.
    pub id: i32,
    /// Unique public name, used in URLs.
    pub username: String,
    /// Unique, lowercase.
    pub email: String,
    /// bcrypt hash; never leaves the server.
    pub password_hash: String,
    /// Short self-description.
    pub bio: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// `user`, `moderator` or `admin`.
    pub role: String,
    /// Sign-up time.
    pub created_at: NaiveDateTime,
    /// Last settings change.
    pub updated_at: NaiveDateTime,
    /// Consecutive failed sign-ins.
    pub failed_logins: i32,
    /// When the last of them happened.
    pub last_failed_login_at: Option<NaiveDateTime>,
    /// When staff suspended the account (`None`: not suspended).
    pub suspended_at: Option<NaiveDateTime>,
    /// When the suspension ends by itself (`None`: until lifted).
    pub suspended_until: Option<NaiveDateTime>,
    /// Why, as shown to the user.
    pub suspension_reason: Option<String>,
    /// Staff asked for a new password before the next sign-in is complete.
    pub password_reset_required: bool,
    /// Sessions and API tokens issued under an older generation are signed out.
    pub token_generation: i32,
    /// When the current email address was proved by a link (`None`: not yet).
    pub email_verified_at: Option<NaiveDateTime>,
    /// When two-factor sign-in was turned on (`None`: off).
    pub two_factor_since: Option<NaiveDateTime>,
}

/// Failed sign-ins allowed before each further attempt must wait.
pub const FREE_LOGIN_FAILURES: i32 = 3;
/// The longest wait between attempts, in seconds.
pub const MAX_LOGIN_DELAY_SECS: i64 = 300;

impl User {
    /// Seconds to wait before this account may try to sign in again: none for the first
    /// few failures, then 1, 2, 4… up to five minutes, counted from the last failure.
    pub fn login_wait(&self, now: NaiveDateTime) -> Option<u64> {
        let extra = self.failed_logins - FREE_LOGIN_FAILURES;
        if extra < 0 {
            return None;
        }
        let delay = 1_i64
            .checked_shl(u32::try_from(extra).unwrap_or(u32::MAX))
            .unwrap_or(MAX_LOGIN_DELAY_SECS)
            .min(MAX_LOGIN_DELAY_SECS);
        let until = self.last_failed_login_at? + chrono::Duration::seconds(delay);
        let remaining = (until - now).num_milliseconds();
        (remaining > 0).then(|| u64::try_from((remaining + 999) / 1000).unwrap_or(1))
    }
}

impl User {
    /// The user with this id.
    pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The user with this (lowercase) email.
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
        if !input::storable(email) {
            return Ok(None);
        }
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The user with this username, regardless of case (the exact name first: an
    /// account reported as clashing is found by its exact name only).
    pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
        if !input::storable(username) {
            return Ok(None);
        }
        let exact = users::table
            .filter(users::username.eq(username))
            .select(User::as_select())
            .first(conn)
            .optional()?;
        if exact.is_some() {
            return Ok(exact);
        }
        users::table
            .filter(users::username_key.eq(username_keys::key(username)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Just the id of the user with this username, regardless of case.
    pub fn id_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<i32>> {
        if !input::storable(username) {
            return Ok(None);
        }
        let exact = users::table
            .filter(users::username.eq(username))
            .select(users::id)
            .first(conn)
            .optional()?;
        if exact.is_some() {
            return Ok(exact);
        }
        users::table
            .filter(users::username_key.eq(username_keys::key(username)))
            .select(users::id)
            .first(conn)
            .optional()
    }
}

/// Whether `user` may use the API: 403 with the reason while suspended, or while staff
/// require a new password (chosen on the site).
pub fn check_api_access(user: &User) -> AppResult<()> {
    if let Some(suspension) = user.suspension(time::now()) {
        return Err(AppError::Suspended(suspension.message()));
    }
    if user.password_reset_required {
        return Err(AppError::PasswordResetRequired);
    }
    Ok(())
}

/// Sign-up form or API body, as received.
#[derive(Debug, Default, Clone)]
pub struct RegisterInput {
    /// Wanted username.
    pub username: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Chosen password.
    pub password: Option<String>,
}

/// Sign-in form or API body, as received.
#[derive(Debug, Default, Clone)]
pub struct LoginInput {
    /// Email address.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
}

/// An account as `conduit seed` makes them (and as most members look), for unit tests:
/// a plain user, no bio or picture, a bcrypt-sized hash, nothing failed or suspended.
#[cfg(test)]
impl User {
    pub(crate) fn sample(id: i32) -> Self {
        let now = time::now();
        User {
            id,
            username: format!("k3x9q2_{id}"),
            email: format!("k3x9q2_{id}@seed.example"),
            password_hash: format!("$2b$12${}", "x".repeat(53)),
            bio: None,
            image: None,
            role: "user".into(),
            created_at: now,
            updated_at: now,
            failed_logins: 0,
            last_failed_login_at: None,
            suspended_at: None,
            suspended_until: None,
            suspension_reason: None,
            password_reset_required: false,
            token_generation: 0,
            email_verified_at: None,
            two_factor_since: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_with(failures: i32, last: Option<NaiveDateTime>) -> User {
        User {
            failed_logins: failures,
            last_failed_login_at: last,
            ..User::sample(1)
        }
    }

    #[test]
    fn delay_grows_after_free_failures_and_is_capped() {
        let now = time::now();
        assert_eq!(user_with(2, Some(now)).login_wait(now), None);
        assert_eq!(user_with(3, Some(now)).login_wait(now), Some(1));
        assert_eq!(user_with(5, Some(now)).login_wait(now), Some(4));
        assert_eq!(user_with(60, Some(now)).login_wait(now), Some(300));
        let long_ago = now - chrono::Duration::seconds(10);
        assert_eq!(user_with(4, Some(long_ago)).login_wait(now), None);
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    username_key: Option<String>,
    email: &'a str,
    password_hash: &'a str,
    role: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A sign-up that passed validation, with its password already hashed (no `Debug`: it
/// holds the hash).
pub struct Registration {
    username: String,
    email: String,
    password_hash: String,
}

impl Registration {
    /// Checks a sign-up (422 on invalid input) and hashes its password, off the async
    /// workers and outside any transaction.
    pub async fn prepare(raw: RegisterInput, bcrypt_cost: u32) -> AppResult<Self> {
        let mut errors = FieldErrors::default();
        let username = input::username(&mut errors, raw.username.as_deref());
        let email = input::email(&mut errors, raw.email.as_deref());
        let password = input::new_password(&mut errors, raw.password.as_deref());
        errors.into_result()?;
        let password_hash = hash_password(password, bcrypt_cost).await?;
        Ok(Self {
            username,
            email,
            password_hash,
        })
    }
}

/// Creates the account inside the caller's write transaction; 409 when the username or
/// email is taken.
pub fn register(conn: &mut DbConnection, account: Registration) -> AppResult<User> {
    check_available(conn, None, Some(&account.username), Some(&account.email))?;
    let now = time::now();
    savepoint(conn, |conn| {
        diesel::insert_into(users::table)
            .values(NewUser {
                username: &account.username,
                username_key: Some(username_keys::key(&account.username)),
                email: &account.email,
                password_hash: &account.password_hash,
                role: "user",
                created_at: now,
                updated_at: now,
            })
            .execute(conn)
    })
    .map_err(|e| taken_or_internal(e, "username"))?;
    let user = User::find_by_username(conn, &account.username)?
        .ok_or_else(|| AppError::Internal("inserted user vanished".into()))?;
    crate::domain::events::user_registered(conn, user.id)?;
    Ok(user)
}

/// Checks an email and password. 422 when either is blank, 401 when they do not match.
///
/// Every attempt on a known account, and every failure, is written to the audit log with
/// the client address `ip`. An account with two-factor sign-in is returned too: the
/// caller must still ask for its code (see `domain::two_factor`). A suspended account is
/// refused (with its reason) only after
/// the right password, so the reason is never shown to someone guessing.
pub async fn login(
    db: &Db,
    bcrypt_cost: u32,
    raw: LoginInput,
    ip: Option<String>,
) -> AppResult<User> {
    let mut errors = FieldErrors::default();
    let email = raw
        .email
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_lowercase();
    let password = raw.password.unwrap_or_default();
    if email.is_empty() {
        errors.add("email", "can't be blank");
    }
    if password.is_empty() {
        errors.add("password", "can't be blank");
    }
    errors.into_result()?;

    let user = db
        .run(move |conn| Ok::<_, AppError>(User::find_by_email(conn, &email)?))
        .await?;
    // Refused before the password is even checked, so guessing cannot go on meanwhile.
    if let Some(wait) = user.as_ref().and_then(|u| u.login_wait(time::now())) {
        return Err(AppError::TooManyAttempts(wait));
    }
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches =
        password::run_limited(move || password::verify(&password, stored.as_deref(), bcrypt_cost))
            .await
            .map_err(AppError::Internal)?;
    let suspension = user
        .as_ref()
        .and_then(|u| u.suspension(time::now()))
        .filter(|_| matches);
    let outcome = match (&user, matches, &suspension) {
        (None, _, _) => LoginOutcome::UnknownAccount,
        (Some(_), false, _) => LoginOutcome::WrongPassword,
        (Some(_), true, Some(_)) => LoginOutcome::Suspended,
        (Some(u), true, None) if u.two_factor_since.is_some() => LoginOutcome::PasswordOnly,
        (Some(_), true, None) => LoginOutcome::Success,
    };
    sign_in_events::record(db, user.as_ref(), outcome, ip).await?;
    match (user, outcome) {
        (Some(user), LoginOutcome::Success | LoginOutcome::PasswordOnly) => Ok(user),
        (Some(_), LoginOutcome::Suspended) => Err(AppError::Suspended(
            suspension.map(|s| s.message()).unwrap_or_default(),
        )),
        _ => Err(AppError::InvalidCredentials),
    }
}

/// Checks a new password as sign-up does (422 on `password`) and hashes it, off the
/// async workers.
pub async fn prepare_new_password(raw: Option<&str>, cost: u32) -> AppResult<String> {
    let mut errors = FieldErrors::default();
    let password = input::new_password(&mut errors, raw);
    errors.into_result()?;
    hash_password(password, cost).await
}

async fn hash_password(password: String, cost: u32) -> AppResult<String> {
    password::run_limited(move || password::hash(&password, cost))
        .await
        .map_err(AppError::Internal)?
        .map_err(|e| AppError::Internal(format!("bcrypt: {e}")))
}

/// 409 when `username` or `email` belongs to someone other than `except`.
fn check_available(
    conn: &mut DbConnection,
    except: Option<i32>,
    username: Option<&str>,
    email: Option<&str>,
) -> AppResult<()> {
    let errors = taken(conn, except, username, email)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Conflict(errors))
    }
}

/// "has already been taken" for `username` or `email` when it belongs to someone other
/// than `except`. Values are compared as validation would store them (trimmed, the
/// email in lower case), so a form can report a taken name beside its other mistakes.
pub fn taken(
    conn: &mut DbConnection,
    except: Option<i32>,
    username: Option<&str>,
    email: Option<&str>,
) -> QueryResult<FieldErrors> {
    let mut errors = FieldErrors::default();
    let other = |found: Option<User>| found.is_some_and(|u| Some(u.id) != except);
    if let Some(name) = username.map(str::trim).filter(|n| !n.is_empty())
        && other(User::find_by_username(conn, name)?)
    {
        errors.add("username", "has already been taken");
    }
    if let Some(mail) = email
        .map(|m| m.trim().to_lowercase())
        .filter(|m| !m.is_empty())
        && other(User::find_by_email(conn, &mail)?)
    {
        errors.add("email", "has already been taken");
    }
    Ok(errors)
}

/// A unique violation that slipped past the check (a concurrent sign-up) is still a 409.
fn taken_or_internal(err: diesel::result::Error, field: &str) -> AppError {
    if crate::db::is_unique_violation(&err) {
        AppError::Conflict(FieldErrors::single(field, "has already been taken"))
    } else {
        err.into()
    }
}
