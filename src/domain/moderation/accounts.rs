//! Staff actions on accounts: roles, suspension, forced password reset; and the first
//! admin, created from the command line.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{Db, DbConnection};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::roles::Role;
use crate::domain::users::{Registration, User};
use crate::domain::{input, time};
use crate::error::{AppError, AppResult, FieldErrors};

/// Longest suspension reason.
pub const REASON_MAX: usize = 500;

/// A suspension as staff entered it.
#[derive(Debug, Clone, Default)]
pub struct SuspensionInput {
    /// Why (shown to the user).
    pub reason: Option<String>,
    /// Optional last day, `YYYY-MM-DD`: the suspension lasts through that whole day in
    /// UTC (the zone the form states), ending at the next midnight.
    pub until: Option<String>,
}

fn target(conn: &mut DbConnection, username: &str) -> AppResult<User> {
    User::find_by_username(conn, username)?.ok_or(AppError::NotFound("user"))
}

/// Staff may act on plain users; acting on staff takes an admin; nobody acts on
/// themselves (no one locks themselves out by mistake).
fn check_may_manage(actor: &Actor, target: &User) -> AppResult<()> {
    actor.require_staff()?;
    if target.is_staff() {
        actor.require_admin()?;
    }
    if actor.id == Some(target.id) {
        return Err(AppError::Validation(FieldErrors::single(
            "user",
            "is you: ask another admin",
        )));
    }
    Ok(())
}

/// The end of a suspension "until" a day: the midnight (UTC) after it, so the day itself
/// is covered whole. Today is allowed; a day already over is not.
fn parse_until(errors: &mut FieldErrors, raw: Option<&str>) -> Option<NaiveDateTime> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) => {
            let end = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
            if end <= time::now() {
                errors.add("until", "must be today or a later day");
            }
            Some(end)
        }
        Err(_) => {
            errors.add("until", "must be a date (YYYY-MM-DD)");
            None
        }
    }
}

/// Suspends `username`: sign-ins and API tokens are refused with `reason` until
/// `until` (or until lifted).
pub fn suspend(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    raw: SuspensionInput,
) -> AppResult<()> {
    actor.require_staff()?;
    let mut errors = FieldErrors::default();
    let reason = input::required_text(&mut errors, "reason", raw.reason.as_deref(), REASON_MAX);
    let until = parse_until(&mut errors, raw.until.as_deref());
    errors.into_result()?;
    let user = target(conn, username)?;
    check_may_manage(actor, &user)?;
    let before = standing(&user);
    let after = match until {
        Some(until) => format!(
            "suspended through {} (UTC): {reason}",
            crate::domain::roles::last_day(until)
        ),
        None => format!("suspended: {reason}"),
    };
    audit::record(
        conn,
        actor,
        AuditEntry::on("user.suspend", "user", user.id, &user.username).change(before, after),
    )?;
    diesel::update(users::table.find(user.id))
        .set((
            users::suspended_at.eq(Some(time::now())),
            users::suspended_until.eq(until),
            users::suspension_reason.eq(Some(&reason)),
        ))
        .execute(conn)?;
    Ok(())
}

fn standing(user: &User) -> String {
    match user.suspension(time::now()) {
        Some(s) => format!("suspended: {}", s.reason),
        None => "active".into(),
    }
}

/// Lifts the suspension of `username`, inside the caller's write transaction.
pub fn unsuspend(conn: &mut DbConnection, actor: &Actor, username: &str) -> AppResult<()> {
    actor.require_staff()?;
    let user = target(conn, username)?;
    check_may_manage(actor, &user)?;
    audit::record(
        conn,
        actor,
        AuditEntry::on("user.unsuspend", "user", user.id, &user.username)
            .change(standing(&user), "active"),
    )?;
    diesel::update(users::table.find(user.id))
        .set((
            users::suspended_at.eq(None::<NaiveDateTime>),
            users::suspended_until.eq(None::<NaiveDateTime>),
            users::suspension_reason.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives `username` the role `role` (admins only; the command line counts as one),
/// inside the caller's write transaction.
pub fn change_role(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    role: Role,
) -> AppResult<()> {
    actor.require_admin()?;
    let user = target(conn, username)?;
    check_may_manage(actor, &user)?;
    audit::record(
        conn,
        actor,
        AuditEntry::on("role.change", "user", user.id, &user.username).change(
            format!("role={}", user.role().as_str()),
            format!("role={}", role.as_str()),
        ),
    )?;
    diesel::update(users::table.find(user.id))
        .set((
            users::role.eq(role.as_str()),
            users::updated_at.eq(time::next_after(user.updated_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Requires `username` to choose a new password: their API tokens stop working and
/// their next sign-in on the site leads to the settings page. Runs inside the caller's
/// write transaction.
pub fn force_password_reset(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
) -> AppResult<()> {
    actor.require_staff()?;
    let user = target(conn, username)?;
    check_may_manage(actor, &user)?;
    audit::record(
        conn,
        actor,
        AuditEntry::on("user.password_reset", "user", user.id, &user.username)
            .change("", "new password required"),
    )?;
    diesel::update(users::table.find(user.id))
        .set(users::password_reset_required.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Creates an account with the admin role (for `conduit admin create`), inside the
/// caller's write transaction: the usual sign-up rules, then the role change, both in the
/// audit log.
pub fn create_admin(conn: &mut DbConnection, account: Registration) -> AppResult<User> {
    let user = crate::domain::users::register(conn, account)?;
    let actor = Actor::command_line();
    audit::record(
        conn,
        &actor,
        AuditEntry::on("user.create", "user", user.id, &user.username)
            .change("", "created from the command line"),
    )?;
    change_role(conn, &actor, &user.username, Role::Admin)?;
    User::find(conn, user.id)?.ok_or(AppError::NotFound("user"))
}

/// The account `username`, for its admin page.
pub async fn get(db: &Db, username: String) -> AppResult<User> {
    db.run(move |conn| target(conn, &username)).await
}
