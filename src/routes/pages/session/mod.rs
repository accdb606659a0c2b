//! What the site keeps in its cookie session: who is signed in (through actix-identity),
//! which browser session that is (its row in the session list), a sign-in waiting for
//! its two-factor code; and the extractors pages use. CSRF tokens and flash messages
//! are in [`forms`].

use std::future::Future;
use std::pin::Pin;

use actix_identity::{Identity, IdentityExt};
use actix_session::SessionExt;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::{Deserialize, Serialize};

mod forms;

use forms::rotate_csrf;
pub use forms::{
    CSRF_FIELD, CsrfForm, CsrfToken, Flash, FlashKind, csrf_matches, csrf_token, flash, local_next,
    take_flash,
};

use super::errors::PageError;
use crate::domain::sessions::{IDLE_DAYS, KEPT_IDLE_DAYS};
use crate::domain::users::User;
use crate::error::AppError;
use crate::middleware::kept_session::{KeptSession, NewDevice};
use crate::state::AppState;

/// When the signed-in browser was last seen (Unix seconds, to [`SEEN_PRECISION`]).
const SEEN_KEY: &str = "seen";
/// When this session signed in (Unix seconds), for re-authentication.
const SIGNED_IN_KEY: &str = "signed_in";
/// The account's token generation when this session signed in (absent: 0).
const GENERATION_KEY: &str = "generation";
/// The session's random key; its row in `sessions` holds the hash (see
/// `domain::sessions`), and ending that row ends this session.
const SESSION_KEY: &str = "key";
/// "Keep me signed in" was ticked.
const KEPT_KEY: &str = "kept";
/// A sign-in waiting for its two-factor code: who, since when, and whether kept.
const PENDING_KEY: &str = "second_step";
/// How long a password stays good for the second step.
const PENDING_SECS: i64 = 5 * 60;
/// The browser's long-lived random id: a sign-in from one an account never used is
/// emailed to its owner.
pub const DEVICE_COOKIE: &str = "conduit_device";
/// How stale the stored last visit may be before a page writes it again. Writing it on
/// every request (as actix-identity's own visit deadline does) would re-encrypt and
/// re-send the session cookie with every page; this way a reader gets a new cookie at
/// most once in this long, and the idle timeout is exact to within it.
const SEEN_PRECISION: i64 = 10 * 60;

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, PageError>>>>;

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".into()).into())
}

/// The signed-in user, if any, as the application holds them now (cached, and dropped on
/// every instance by whatever changes them): an account deleted since sign-in counts as
/// signed out.
pub async fn load_user(req: &HttpRequest) -> Result<Option<User>, PageError> {
    let Some(id) = req
        .get_identity()
        .ok()
        .and_then(|identity| identity.id().ok())
        .and_then(|id| id.parse::<i32>().ok())
    else {
        return Ok(None);
    };
    let session = req.get_session();
    let now = chrono::Utc::now().timestamp();
    let kept = session
        .get::<bool>(KEPT_KEY)
        .ok()
        .flatten()
        .unwrap_or(false);
    let idle_days = if kept { KEPT_IDLE_DAYS } else { IDLE_DAYS };
    let seen = session.get::<i64>(SEEN_KEY).ok().flatten();
    let mark = match visit(seen, now, idle_days * 24 * 3600) {
        Visit::Recent => false,
        Visit::Mark => true,
        Visit::IdleTooLong => {
            sign_out(req)?;
            return Ok(None);
        }
    };
    let state = state_of(req)?;
    // Ended from the session list (here or on another instance): signed out.
    let Some(key) = session.get::<String>(SESSION_KEY).ok().flatten() else {
        sign_out(req)?;
        return Ok(None);
    };
    let hash = crate::domain::sessions::key_hash(&key);
    let app = &state.app;
    // A deleted account's sessions are gone with it.
    let Some(account) = crate::app::viewer::account(app, id).await? else {
        sign_out(req)?;
        return Ok(None);
    };
    if !crate::app::sessions::live_keys_of(app, &account)
        .await?
        .contains(&hash)
        && !crate::app::sessions::live_keys(app, id, true)
            .await?
            .contains(&hash)
    {
        sign_out(req)?;
        return Ok(None);
    }
    if mark {
        session
            .insert(SEEN_KEY, now)
            .map_err(|e| AppError::Internal(format!("session insert: {e}")))?;
        crate::app::sessions::touch(app, key, state.client_ip(req)).await?;
    }
    if kept {
        req.extensions_mut().insert(KeptSession);
    }
    let user = account.user.clone();
    // Signed out everywhere since (a password reset): the cached account row is dropped
    // on every instance by the write that raised the generation.
    let generation = session.get::<i32>(GENERATION_KEY).ok().flatten();
    if generation.unwrap_or(0) != user.token_generation {
        sign_out(req)?;
        return Ok(None);
    }
    // Suspension ends the session at once; the visitor is told why on the next page.
    if let Some(suspension) = user.suspension(crate::domain::time::now()) {
        sign_out(req)?;
        flash(req, FlashKind::Info, capitalized(&suspension.message()));
        return Ok(None);
    }
    // The navbar's count.
    let unread = crate::app::viewer::unread_of(app, &account).await?;
    let mut extensions = req.extensions_mut();
    extensions.insert(crate::middleware::request_log::LoggedUser(user.id));
    extensions.insert(UnreadCount(unread));
    extensions.insert(SignedIn(account));
    Ok(Some(user))
}

/// The account of the signed-in visitor, left in the request by [`load_user`] for
/// reads that use what it keeps at hand (their marks, see `cache::slot`).
#[derive(Clone)]
struct SignedIn(std::sync::Arc<crate::cache::Account>);

/// The account of `user`, signed in for this request: the one [`load_user`] found, or
/// (for a request it did not see) read again.
pub async fn account_of(
    state: &AppState,
    req: &HttpRequest,
    user: &User,
) -> Result<Option<std::sync::Arc<crate::cache::Account>>, PageError> {
    let found = req.extensions().get::<SignedIn>().map(|s| s.0.clone());
    match found {
        Some(account) if account.id == user.id => Ok(Some(account)),
        _ => Ok(crate::app::viewer::account(&state.app, user.id).await?),
    }
}

/// What a signed-in visit does with the session's last-visit mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    /// Seen within [`SEEN_PRECISION`]: nothing to write.
    Recent,
    /// Write the mark (first visit, or the mark has aged), here and in the session's row.
    Mark,
    /// Away longer than the session's idle limit: signed out.
    IdleTooLong,
}

fn visit(seen: Option<i64>, now: i64, idle_secs: i64) -> Visit {
    match seen {
        Some(seen) if now - seen > idle_secs => Visit::IdleTooLong,
        Some(seen) if now - seen < SEEN_PRECISION => Visit::Recent,
        _ => Visit::Mark,
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The signed-in user's unread notifications, left in the request by [`load_user`] for
/// the navbar.
#[derive(Debug, Clone, Copy)]
pub struct UnreadCount(pub i64);

/// A page visitor who may or may not be signed in.
pub struct MaybeUser(pub Option<User>);

impl MaybeUser {
    /// The visitor's id, if signed in.
    pub fn id(&self) -> Option<i32> {
        self.0.as_ref().map(|u| u.id)
    }
}

impl FromRequest for MaybeUser {
    type Error = PageError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Self(load_user(&req).await?)) })
    }
}

/// A signed-in user; anyone else is sent to the sign-in page.
pub struct CurrentUser(pub User);

impl FromRequest for CurrentUser {
    type Error = PageError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            load_user(&req)
                .await?
                .map(Self)
                .ok_or(PageError::App(AppError::MissingToken))
        })
    }
}

/// A moderator or an admin. Anyone signed out is sent to the sign-in page; a plain
/// user gets 403. The guard of the admin area (see `admin::ROUTES`).
pub struct StaffUser(pub User);

impl FromRequest for StaffUser {
    type Error = PageError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = load_user(&req)
                .await?
                .ok_or(PageError::App(AppError::MissingToken))?;
            if !user.is_staff() {
                return Err(PageError::App(AppError::Forbidden("admin area")));
            }
            if user.two_factor_since.is_none() {
                let state = state_of(&req)?;
                let required = state.require_staff_two_factor
                    || crate::app::site_settings::current(&state.app)
                        .await?
                        .staff_two_factor;
                if required {
                    return Err(PageError::App(AppError::TwoFactorRequired));
                }
            }
            Ok(Self(user))
        })
    }
}

/// An admin: like [`StaffUser`], and moderators get 403 too.
pub struct AdminUser(pub User);

impl FromRequest for AdminUser {
    type Error = PageError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = StaffUser::from_request(req, payload);
        Box::pin(async move {
            let StaffUser(user) = staff.await?;
            if user.role() == crate::domain::roles::Role::Admin {
                Ok(Self(user))
            } else {
                Err(PageError::App(AppError::Forbidden("admin area")))
            }
        })
    }
}

/// Signs `user` in (their password, and their second factor if they have one, were
/// checked): a new session key (so a planted cookie is useless), a new CSRF token, and
/// a row in the session list. `kept`: "Keep me signed in".
pub async fn sign_in(req: &HttpRequest, user: &User, kept: bool) -> Result<(), PageError> {
    let state = state_of(req)?;
    let key = crate::domain::sessions::new_key();
    let device = match req.cookie(DEVICE_COOKIE) {
        Some(cookie) if !cookie.value().is_empty() => cookie.value().to_owned(),
        _ => {
            let device = crate::domain::sessions::new_key();
            req.extensions_mut().insert(NewDevice(device.clone()));
            device
        }
    };
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    crate::app::sessions::start(
        &state.app,
        crate::domain::sessions::NewSession {
            user_id: user.id,
            key: key.clone(),
            device,
            user_agent,
            ip: state.client_ip(req),
            persistent: kept,
        },
    )
    .await?;
    let session = req.get_session();
    session.remove(PENDING_KEY);
    // `Identity::login` renews too; renewing here keeps that guarantee visible and
    // independent of the identity crate's behaviour.
    session.renew();
    Identity::login(&req.extensions(), user.id.to_string())
        .map_err(|e| AppError::Internal(format!("session login: {e}")))?;
    let now = chrono::Utc::now().timestamp();
    let insert = |key: &str, value: i64| {
        session
            .insert(key, value)
            .map_err(|e| AppError::Internal(format!("session insert: {e}")))
    };
    insert(SEEN_KEY, now)?;
    insert(SIGNED_IN_KEY, now)?;
    insert(GENERATION_KEY, i64::from(user.token_generation))?;
    session
        .insert(SESSION_KEY, key)
        .and_then(|()| session.insert(KEPT_KEY, kept))
        .map_err(|e| AppError::Internal(format!("session insert: {e}")))?;
    if kept {
        req.extensions_mut().insert(KeptSession);
    }
    rotate_csrf(&session)
}

/// The random key of the visitor's session, if signed in.
pub fn session_key(req: &HttpRequest) -> Option<String> {
    req.get_session().get::<String>(SESSION_KEY).ok().flatten()
}

/// A sign-in waiting for its two-factor code.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// Whose password was right.
    pub user_id: i32,
    /// When (Unix seconds).
    at: i64,
    /// "Keep me signed in".
    pub kept: bool,
}

/// Remembers that `user_id`'s password was right; the code comes next (within
/// [`PENDING_SECS`]). The session is renewed, as at sign-in.
pub fn begin_second_step(req: &HttpRequest, user_id: i32, kept: bool) -> Result<(), PageError> {
    let session = req.get_session();
    session.renew();
    let pending = PendingSignIn {
        user_id,
        at: chrono::Utc::now().timestamp(),
        kept,
    };
    session
        .insert(PENDING_KEY, pending)
        .map_err(|e| AppError::Internal(format!("session insert: {e}")))?;
    rotate_csrf(&session)
}

/// The sign-in waiting for its code, if its password was right recently enough.
pub fn pending_second_step(req: &HttpRequest) -> Option<PendingSignIn> {
    let session = req.get_session();
    let pending = session.get::<PendingSignIn>(PENDING_KEY).ok().flatten()?;
    if chrono::Utc::now().timestamp() - pending.at > PENDING_SECS {
        session.remove(PENDING_KEY);
        return None;
    }
    Some(pending)
}

/// Whether this session signed in (or proved its password) within the last
/// `window_secs`: then changing the email or the password needs no current password,
/// as in GitHub's "sudo mode" (and a client that signs in, then changes them, works).
pub fn recently_signed_in(req: &HttpRequest, window_secs: i64) -> bool {
    let at = req.get_session().get::<i64>(SIGNED_IN_KEY).ok().flatten();
    at.is_some_and(|at| chrono::Utc::now().timestamp() - at < window_secs)
}

/// What changing a credential (the email, the password, an access token) asks of this
/// session: its password only once the sign-in is older than `window_secs`.
pub fn reauth(req: &HttpRequest, window_secs: i64) -> crate::domain::users::Reauth {
    if recently_signed_in(req, window_secs) {
        crate::domain::users::Reauth::IfGiven
    } else {
        crate::domain::users::Reauth::Required
    }
}

/// Records that the session just proved its password (the window starts again).
pub fn reauthenticated(req: &HttpRequest) {
    if let Err(e) = req
        .get_session()
        .insert(SIGNED_IN_KEY, chrono::Utc::now().timestamp())
    {
        log::warn!("session insert: {e}");
    }
}

/// Signs the visitor out and starts a fresh session.
pub fn sign_out(req: &HttpRequest) -> Result<(), PageError> {
    if let Ok(identity) = req.get_identity() {
        identity.logout();
    }
    let session = req.get_session();
    session.remove(SEEN_KEY);
    session.remove(SIGNED_IN_KEY);
    session.remove(GENERATION_KEY);
    session.remove(SESSION_KEY);
    session.remove(KEPT_KEY);
    session.remove(PENDING_KEY);
    session.renew();
    rotate_csrf(&session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_visit_is_written_rarely_and_ends_idle_sessions() {
        let now = 1_000_000_000;
        let idle = IDLE_DAYS * 24 * 3600;
        assert_eq!(visit(None, now, idle), Visit::Mark);
        assert_eq!(visit(Some(now), now, idle), Visit::Recent);
        assert_eq!(
            visit(Some(now - SEEN_PRECISION + 1), now, idle),
            Visit::Recent
        );
        assert_eq!(visit(Some(now - SEEN_PRECISION), now, idle), Visit::Mark);
        assert_eq!(visit(Some(now - idle), now, idle), Visit::Mark);
        assert_eq!(visit(Some(now - idle - 1), now, idle), Visit::IdleTooLong);
    }
}
