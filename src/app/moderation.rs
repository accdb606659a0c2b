//! Staff actions. They are rare and change what lists, counts, threads and the featured
//! section show to everyone (or what an account may do), so each drops every cached
//! entry, on every instance.

use super::App;
use crate::cache::Stale;
use crate::domain::audit::Actor;
use crate::domain::moderation::accounts::{self, SuspensionInput};
use crate::domain::moderation::content::{self, ContentAction};
use crate::domain::moderation::reports::{self, Resolution};
use crate::domain::moderation::tags;
use crate::domain::roles::Role;
use crate::domain::users::{RegisterInput, Registration, User};
use crate::error::AppResult;

/// Hides, shows, features or deletes an article or a comment; its author is told,
/// with `reason` when staff gave one.
pub async fn content(
    app: &App,
    actor: Actor,
    action: ContentAction,
    reason: Option<String>,
) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        content::apply(tx.conn, &actor, &action, reason.as_deref())?;
        tx.stale(Stale::Everything);
        Ok(())
    })
    .await
}

/// Resolves report `id`, applying its action to the reported content.
pub async fn resolve_report(app: &App, actor: Actor, id: i32, raw: Resolution) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        if reports::resolve(tx.conn, &actor, id, raw)? {
            tx.stale(Stale::Everything);
        }
        Ok(())
    })
    .await
}

/// Suspends `username`.
pub async fn suspend(
    app: &App,
    actor: Actor,
    username: String,
    input: SuspensionInput,
) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        accounts::suspend(tx.conn, &actor, &username, input)?;
        tx.stale(Stale::Everything);
        Ok(())
    })
    .await
}

/// Lifts the suspension of `username`.
pub async fn unsuspend(app: &App, actor: Actor, username: String) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        accounts::unsuspend(tx.conn, &actor, &username)?;
        tx.stale(Stale::Everything);
        Ok(())
    })
    .await
}

/// Gives `username` the role `role`.
pub async fn change_role(app: &App, actor: Actor, username: String, role: Role) -> AppResult<()> {
    actor.require_admin()?;
    app.write(move |tx| {
        accounts::change_role(tx.conn, &actor, &username, role)?;
        tx.stale(Stale::Everything);
        Ok(())
    })
    .await
}

/// Requires `username` to choose a new password (their cached account row goes).
pub async fn force_password_reset(app: &App, actor: Actor, username: String) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        accounts::force_password_reset(tx.conn, &actor, &username)?;
        tx.stale(Stale::Everything);
        Ok(())
    })
    .await
}

/// Creates the first admin (from the command line).
pub async fn create_admin(app: &App, bcrypt_cost: u32, input: RegisterInput) -> AppResult<User> {
    let account = Registration::prepare(input, bcrypt_cost).await?;
    app.write(move |tx| {
        let user = accounts::create_admin(tx.conn, account)?;
        tx.stale(Stale::Everything);
        Ok(user)
    })
    .await
}

/// Renames tag `from` to `to`.
pub async fn rename_tag(app: &App, actor: Actor, from: String, to: String) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        tags::rename(tx.conn, &actor, &from, &to)?;
        tx.stale(Stale::Tags);
        Ok(())
    })
    .await
}

/// Merges tag `from` into `into`.
pub async fn merge_tags(app: &App, actor: Actor, from: String, into: String) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        tags::merge(tx.conn, &actor, &from, &into)?;
        tx.stale(Stale::Tags);
        Ok(())
    })
    .await
}
