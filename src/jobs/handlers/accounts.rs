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

#[derive(Template)]
#[template(path = "email/security.txt")]
struct SecurityText<'a> {
    username: &'a str,
    what: &'a str,
    advice: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "email/security.html")]
struct SecurityHtml<'a> {
    username: &'a str,
    what: &'a str,
    advice: &'a str,
    base: &'a str,
}

/// The subject and the sentence telling what happened.
fn security_wording(notice: &kinds::Notice) -> (&'static str, String) {
    use kinds::Notice;
    match notice {
        Notice::NewDevice { device, ip } => (
            "New sign-in to your Conduit account",
            match ip {
                Some(ip) => format!("Your account was just signed in to from {device}, at address {ip}, a browser it had not been used from before."),
                None => format!("Your account was just signed in to from {device}, a browser it had not been used from before."),
            },
        ),
        Notice::PasswordChanged => (
            "Your Conduit password was changed",
            "The password of your account was just changed.".to_owned(),
        ),
        Notice::TwoFactorOn => (
            "Two-factor sign-in is on for your Conduit account",
            "Two-factor sign-in was just turned on for your account: signing in now also asks for a code from your authenticator app.".to_owned(),
        ),
        Notice::TwoFactorOff => (
            "Two-factor sign-in is off for your Conduit account",
            "Two-factor sign-in was just turned off for your account: signing in now asks only for your password.".to_owned(),
        ),
        Notice::RecoveryCodeUsed { left } => (
            "A recovery code was used for your Conduit account",
            format!("One of your recovery codes was just used to sign in; {left} are left."),
        ),
    }
}

impl AppHandlers {
    /// Tells the account's owner about a change to its security.
    pub(super) fn security_notice(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        let args: kinds::SecurityNotice = job.args()?;
        let Some(user) = User::find(&mut *db.conn()?, args.user_id)? else {
            return Ok(());
        };
        let (subject, what) = security_wording(&args.notice);
        let advice = format!(
            "You can see where you are signed in, and sign out anywhere, at {}/settings/sessions.",
            self.base_url
        );
        let base = self.base_url.as_str();
        let username = user.username.as_str();
        let message = Email {
            to: user.email.clone(),
            subject: subject.into(),
            text: render(&SecurityText {
                username,
                what: &what,
                advice: &advice,
                base,
            })?,
            html: render(&SecurityHtml {
                username,
                what: &what,
                advice: &advice,
                base,
            })?,
            unsubscribe: None,
        };
        self.mailer
            .send(&format!("security-{}-{}", user.id, job.id), message)
    }

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
