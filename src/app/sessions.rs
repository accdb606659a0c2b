//! Browser sessions (see `domain::sessions`): starting one at sign-in, noting visits,
//! ending one or all. Each start and end marks the account stale, which drops its set
//! of live sessions here and on every other instance, so an ended session is refused on
//! its very next request wherever it lands.

use std::collections::HashSet;
use std::sync::Arc;

use super::App;
use crate::cache::{Account, Stale};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::sessions::{self, NewSession, SessionRow};
use crate::domain::users::{self, User};
use crate::error::{AppError, AppResult};
use crate::jobs::kinds::Notice;

/// Records a sign-in of `user` (the caller has checked the password, and the second
/// factor if the account has one); its owner is emailed when the device is new to the
/// account.
pub async fn start(app: &App, new: NewSession) -> AppResult<()> {
    app.write(move |tx| {
        let user_id = new.user_id;
        let device = sessions::device_name(&new.user_agent);
        let ip = new.ip.clone();
        if sessions::start(tx.conn, new)? {
            crate::domain::events::security_notice(
                tx.conn,
                user_id,
                Notice::NewDevice { device, ip },
            )?;
        }
        tx.stale(Stale::Account { id: user_id });
        Ok(())
    })
    .await
}

/// The key hashes of `user_id`'s live sessions, from the cache. `fresh` skips it (a
/// session missing from a cached set is looked up once more before it is refused, in
/// case this instance has not yet heard of a sign-in made through another).
pub async fn live_keys(app: &App, user_id: i32, fresh: bool) -> AppResult<Arc<HashSet<String>>> {
    if fresh {
        app.caches.sessions.invalidate(&user_id).await;
    }
    let db = &app.db;
    app.caches
        .sessions
        .get_or_load(user_id, || load_live_keys(db, user_id))
        .await
}

/// The key hashes of the live sessions of the member whose account this request
/// authenticated, from the slot their account keeps them in while current (see
/// `viewer::marks_of`).
pub async fn live_keys_of(app: &App, account: &Account) -> AppResult<Arc<HashSet<String>>> {
    let (db, user_id) = (&app.db, account.id);
    app.caches
        .sessions
        .get_or_load_kept(user_id, &account.sessions, || load_live_keys(db, user_id))
        .await
}

async fn load_live_keys(db: &crate::db::Db, user_id: i32) -> AppResult<Arc<HashSet<String>>> {
    db.run(move |conn| Ok::<_, AppError>(Arc::new(sessions::live_keys(conn, user_id)?)))
        .await
}

/// Notes a visit of the session `key` from `ip` (for the list's "last seen").
pub async fn touch(app: &App, key: String, ip: Option<String>) -> AppResult<()> {
    app.db
        .run_write(move |conn| Ok::<_, AppError>(sessions::touch(conn, &key, ip)?))
        .await
}

/// `user_id`'s live sessions.
pub async fn list(app: &App, user_id: i32) -> AppResult<Vec<SessionRow>> {
    app.db
        .run(move |conn| Ok::<_, AppError>(sessions::list(conn, user_id)?))
        .await
}

/// Ends `user`'s session `id` (404 when it is not one of theirs, or over already).
pub async fn end(app: &App, user: &User, id: i32, ip: Option<String>) -> AppResult<()> {
    let actor = Actor::user(user, ip);
    let (user_id, name) = (user.id, user.username.clone());
    app.write(move |tx| {
        if !sessions::end(tx.conn, user_id, id)? {
            return Err(AppError::NotFound("session"));
        }
        audit::record(
            tx.conn,
            &actor,
            AuditEntry::on("session.end", "user", user_id, name)
                .change("", format!("signed out session {id}")),
        )?;
        tx.stale(Stale::Account { id: user_id });
        Ok(())
    })
    .await
}

/// Ends the session `key` (signing out of it).
pub async fn end_key(app: &App, key: String) -> AppResult<()> {
    app.write(move |tx| {
        if let Some(user_id) = sessions::end_key(tx.conn, &key)? {
            tx.stale(Stale::Account { id: user_id });
        }
        Ok(())
    })
    .await
}

/// Signs `user` out of every session and API token, this browser's included.
pub async fn end_everywhere(app: &App, user: &User, ip: Option<String>) -> AppResult<()> {
    let actor = Actor::user(user, ip);
    let (user_id, name) = (user.id, user.username.clone());
    app.write(move |tx| {
        users::sign_out_everywhere(tx.conn, user_id)?;
        audit::record(
            tx.conn,
            &actor,
            AuditEntry::on("session.end_all", "user", user_id, name)
                .change("", "signed out everywhere"),
        )?;
        tx.stale(Stale::Account { id: user_id });
        Ok(())
    })
    .await
}
