//! The admin area's site settings (see `domain::site_settings`): read from the cache on
//! every staff request, changed by admins, the change dropped on every instance.

use std::sync::Arc;

use super::App;
use crate::cache::Stale;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::site_settings::{self, SiteSettings};
use crate::error::{AppError, AppResult, FieldErrors};

/// The settings as the site runs with them now.
pub async fn current(app: &App) -> AppResult<Arc<SiteSettings>> {
    let db = &app.db;
    app.caches
        .site_settings
        .get_or_load((), || {
            db.run(|conn| Ok::<_, AppError>(Arc::new(SiteSettings::load(conn)?)))
        })
        .await
}

/// Sets whether staff need two-factor sign-in. An admin without it cannot turn it on
/// (they would lock themselves out of this very page): 422 on `staffTwoFactor`.
pub async fn set_staff_two_factor(
    app: &App,
    actor: Actor,
    actor_has_two_factor: bool,
    on: bool,
) -> AppResult<()> {
    actor.require_admin()?;
    if on && !actor_has_two_factor {
        return Err(AppError::Validation(FieldErrors::single(
            "staffTwoFactor",
            "needs your own two-factor sign-in first: turn it on in your settings, then come back",
        )));
    }
    app.write(move |tx| {
        let before = SiteSettings::load(tx.conn)?.staff_two_factor;
        site_settings::set_staff_two_factor(tx.conn, on)?;
        let word = |b: bool| if b { "required" } else { "optional" };
        let entry = AuditEntry {
            action: "site.staff_two_factor",
            target_label: Some("two-factor sign-in for staff".into()),
            before: Some(word(before).into()),
            after: Some(word(on).into()),
            ..AuditEntry::default()
        };
        audit::record(tx.conn, &actor, entry)?;
        tx.stale(Stale::SiteSettings);
        Ok(())
    })
    .await
}
