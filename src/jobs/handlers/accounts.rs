//! The account's own emails: the welcome (with the link that proves the address), a link
//! for a new address and a notice to the old one, and password recovery links. Tokens
//! are made in the job, so that only the email ever holds them.

use askama::Template;

use super::{AppHandlers, render};
use crate::db::{Db, write_transaction};
use crate::domain::users::User;
use crate::domain::{recovery, verification};
use crate::jobs::mail::Email;
use crate::jobs::{Job, JobError, kinds};

#[derive(Template)]
#[template(path = "email/welcome.txt")]
struct WelcomeText<'a> {
    username: &'a str,
    base: &'a str,
    verify: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "email/welcome.html")]
struct WelcomeHtml<'a> {
    username: &'a str,
    base: &'a str,
    verify: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "email/verify.txt")]
struct VerifyText<'a> {
    username: &'a str,
    email: &'a str,
    link: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "email/verify.html")]
struct VerifyHtml<'a> {
    username: &'a str,
    email: &'a str,
    link: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "email/address_changed.txt")]
struct AddressChangedText<'a> {
    username: &'a str,
    email: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "email/address_changed.html")]
struct AddressChangedHtml<'a> {
    username: &'a str,
    email: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "email/password_reset.txt")]
struct PasswordResetText<'a> {
    username: &'a str,
    link: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct PasswordResetHtml<'a> {
    username: &'a str,
    link: &'a str,
    base: &'a str,
}

impl AppHandlers {
    pub(super) fn welcome(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        let args: kinds::Welcome = job.args()?;
        let Some((user, token)) = self.verification_link(db, args.user_id)? else {
            return Ok(());
        };
        let verify = format!("{}/verify-email/{token}", self.base_url);
        let unsubscribe = self.unsubscribe_url(user.id, "all");
        let base = self.base_url.as_str();
        let email = Email {
            to: user.email.clone(),
            subject: "Welcome to Conduit: please confirm your address".into(),
            text: render(&WelcomeText {
                username: &user.username,
                base,
                verify: &verify,
                unsubscribe: &unsubscribe,
            })?,
            html: render(&WelcomeHtml {
                username: &user.username,
                base,
                verify: &verify,
                unsubscribe: &unsubscribe,
            })?,
            unsubscribe: Some(unsubscribe),
        };
        self.mailer.send(&format!("welcome-{}", user.id), email)
    }

    /// The account and a new token proving its current address (made here, so that only
    /// the email ever holds it); `None` when the account is gone.
    fn verification_link(&self, db: &Db, user_id: i32) -> Result<Option<(User, String)>, JobError> {
        let _turn = db.write_gate();
        let mut conn = db.conn()?;
        Ok(write_transaction(&mut conn, |conn| {
            let Some(user) = User::find(conn, user_id)? else {
                return Ok::<_, diesel::result::Error>(None);
            };
            let token = verification::issue(conn, &user)?;
            Ok(Some((user, token)))
        })?)
    }

    /// A link that proves the account's address as it is now.
    pub(super) fn verify_email(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        let args: kinds::Verify = job.args()?;
        let Some((user, token)) = self.verification_link(db, args.user_id)? else {
            return Ok(());
        };
        let link = format!("{}/verify-email/{token}", self.base_url);
        let base = self.base_url.as_str();
        let page = |html: bool| {
            let (username, email, link) = (&*user.username, &*user.email, &*link);
            if html {
                render(&VerifyHtml {
                    username,
                    email,
                    link,
                    base,
                })
            } else {
                render(&VerifyText {
                    username,
                    email,
                    link,
                    base,
                })
            }
        };
        let email = Email {
            to: user.email.clone(),
            subject: "Confirm your email address for Conduit".into(),
            text: page(false)?,
            html: page(true)?,
            unsubscribe: None,
        };
        self.mailer
            .send(&format!("verify-{}-{}", user.id, job.id), email)
    }

    /// Tells the old address that the account's email changed.
    pub(super) fn address_changed(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        let args: kinds::AddressChanged = job.args()?;
        let Some(user) = User::find(&mut *db.conn()?, args.user_id)? else {
            return Ok(());
        };
        let base = self.base_url.as_str();
        let (username, email) = (&*user.username, &*user.email);
        let message = Email {
            to: args.old_email.clone(),
            subject: "The email address of your Conduit account changed".into(),
            text: render(&AddressChangedText {
                username,
                email,
                base,
            })?,
            html: render(&AddressChangedHtml {
                username,
                email,
                base,
            })?,
            unsubscribe: None,
        };
        self.mailer
            .send(&format!("address-changed-{}-{}", user.id, job.id), message)
    }

    /// A recovery link for the account with the asked address, if there is one. The
    /// token is made here, so that only the email ever holds it.
    pub(super) fn password_reset(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        let args: kinds::PasswordReset = job.args()?;
        let issued = {
            let _turn = db.write_gate();
            let mut conn = db.conn()?;
            write_transaction(&mut conn, |conn| {
                let Some(user) = User::find_by_email(conn, &args.email)? else {
                    return Ok::<_, diesel::result::Error>(None);
                };
                let token = recovery::issue(conn, user.id)?;
                Ok(Some((user, token)))
            })?
        };
        let Some((user, token)) = issued else {
            return Ok(());
        };
        let link = format!("{}/password/reset/{token}", self.base_url);
        let base = self.base_url.as_str();
        let email = Email {
            to: user.email.clone(),
            subject: "Reset your Conduit password".into(),
            text: render(&PasswordResetText {
                username: &user.username,
                link: &link,
                base,
            })?,
            html: render(&PasswordResetHtml {
                username: &user.username,
                link: &link,
                base,
            })?,
            unsubscribe: None,
        };
        self.mailer
            .send(&format!("password-reset-{}-{}", user.id, job.id), email)
    }
}
