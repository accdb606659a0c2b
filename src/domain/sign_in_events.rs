//! Sign-in attempts as security events: the failure counter behind the progressive
//! delay and the audit row, written together.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{Db, write_transaction};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::time;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};

/// How a sign-in attempt ended, for the counter and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in.
    Success,
    /// The password did not match.
    WrongPassword,
    /// The right password, but the account is suspended.
    Suspended,
    /// No account has that email.
    UnknownAccount,
    /// The right password of an account with two-factor sign-in: the code comes next,
    /// and failures so far are not forgiven until it is right.
    PasswordOnly,
    /// The right password, but a wrong (or spent) two-factor code.
    WrongCode,
}

/// Counts a failed sign-in or clears the count after a good one, and writes the audit
/// row, in one transaction. An unknown account is logged without what was typed (it
/// could be a password typed into the wrong field).
pub async fn record(
    db: &Db,
    user: Option<&User>,
    outcome: LoginOutcome,
    ip: Option<String>,
) -> AppResult<()> {
    let target = user.map(|u| (u.id, u.username.clone(), u.failed_logins));
    let actor = match user {
        Some(user) => Actor::user(user, ip),
        None => Actor::anonymous(ip),
    };
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let entry = match (&target, outcome) {
                (Some((id, name, _)), LoginOutcome::Success) => {
                    AuditEntry::on("login.success", "user", *id, name)
                }
                (Some((id, name, _)), LoginOutcome::Suspended) => {
                    AuditEntry::on("login.failure", "user", *id, name)
                        .change("suspended", "refused: account suspended")
                }
                (Some((id, name, _)), LoginOutcome::PasswordOnly) => {
                    AuditEntry::on("login.password", "user", *id, name)
                        .change("", "password right: two-factor code asked")
                }
                (Some((id, name, _)), LoginOutcome::WrongCode) => {
                    AuditEntry::on("login.failure", "user", *id, name)
                        .change("", "refused: wrong two-factor code")
                }
                (Some((id, name, _)), _) => AuditEntry::on("login.failure", "user", *id, name)
                    .change("", "refused: wrong password"),
                (None, _) => AuditEntry {
                    action: "login.failure",
                    target_kind: Some("user"),
                    target_label: Some("unknown account".into()),
                    after: Some("refused: no such account".into()),
                    ..AuditEntry::default()
                },
            };
            audit::record(conn, &actor, entry)?;
            let Some((id, _, failed_logins)) = target else {
                return Ok(());
            };
            let row = users::table.find(id);
            match outcome {
                LoginOutcome::Success if failed_logins > 0 => {
                    diesel::update(row)
                        .set((
                            users::failed_logins.eq(0),
                            users::last_failed_login_at.eq(None::<NaiveDateTime>),
                        ))
                        .execute(conn)?;
                }
                LoginOutcome::WrongPassword | LoginOutcome::WrongCode => {
                    diesel::update(row)
                        .set((
                            users::failed_logins.eq(users::failed_logins + 1),
                            users::last_failed_login_at.eq(Some(time::now())),
                        ))
                        .execute(conn)?;
                }
                _ => {}
            }
            Ok::<_, AppError>(())
        })
    })
    .await
}
