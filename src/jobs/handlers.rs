//! The application's job handler: runs every kind in [`kinds::ALL`]. Each arm is
//! idempotent: notifications are keyed, a delivery is sent until it has succeeded, and an
//! email file is named after what it is about.

mod accounts;
mod deliveries;
mod publishing;

use askama::Template;

use super::kinds;
use super::mail::{Email, Mailer};
use super::webhook_client::WebhookClient;
use super::{Job, JobError, JobHandler};
use crate::cache::Stale;
use crate::cache::broadcast::Broadcast;
use crate::config::Secret;
use crate::db::{Db, unit_of_work, write_transaction};
use crate::domain::{email_settings, notifications, webhooks};

#[derive(Template)]
#[template(path = "email/notification.txt")]
struct NotificationText<'a> {
    username: &'a str,
    sentence: &'a str,
    link: &'a str,
    base: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "email/notification.html")]
struct NotificationHtml<'a> {
    username: &'a str,
    sentence: &'a str,
    link: &'a str,
    base: &'a str,
    unsubscribe: &'a str,
}

/// Everything the handlers need besides the database.
pub struct AppHandlers {
    /// New notifications change their recipients' unread counts, which the servers
    /// cache: jobs broadcast that like every other writer.
    broadcast: Broadcast,
    mailer: Mailer,
    client: WebhookClient,
    base_url: String,
    secret: Secret,
}

fn render(template: &impl Template) -> Result<String, JobError> {
    template
        .render()
        .map_err(|e| JobError::Permanent(format!("email template: {e}")))
}

impl AppHandlers {
    /// Handlers broadcasting with `broadcast`, sending mail through `mailer`, links based
    /// on `base_url`, unsubscribe links signed with `secret`.
    pub fn new(
        broadcast: Broadcast,
        mailer: Mailer,
        allow_private: bool,
        base_url: &str,
        secret: Secret,
    ) -> Self {
        Self {
            broadcast,
            mailer,
            client: WebhookClient::new(allow_private),
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret,
        }
    }

    fn unsubscribe_url(&self, user_id: i32, kind: &str) -> String {
        let token = email_settings::unsubscribe_token(self.secret.expose(), user_id, kind);
        format!("{}/unsubscribe/{token}", self.base_url)
    }

    fn notification_email(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        let args: kinds::NotificationEmail = job.args()?;
        let mut conn = db.conn()?;
        let Some((user, view)) = notifications::for_email(&mut conn, args.notification_id)? else {
            return Ok(());
        };
        // The user may have turned this kind off since it was queued.
        let kind = view.notification.kind.clone();
        if !email_settings::load(&mut conn, user.id)?.wants(&kind) {
            return Ok(());
        }
        drop(conn);
        let sentence = view.sentence();
        let path = view.link().unwrap_or_else(|| "/notifications".into());
        let link = format!("{}{path}", self.base_url);
        let unsubscribe = self.unsubscribe_url(user.id, &kind);
        let base = self.base_url.as_str();
        let email = Email {
            to: user.email.clone(),
            subject: sentence.clone(),
            text: render(&NotificationText {
                username: &user.username,
                sentence: &sentence,
                link: &link,
                base,
                unsubscribe: &unsubscribe,
            })?,
            html: render(&NotificationHtml {
                username: &user.username,
                sentence: &sentence,
                link: &link,
                base,
                unsubscribe: &unsubscribe,
            })?,
            unsubscribe: Some(unsubscribe),
        };
        self.mailer
            .send(&format!("notification-{}", args.notification_id), email)
    }

    /// Creates the notifications of `jobs` ([`kinds::NOTIFY_ONE`]) in one transaction,
    /// each in its own savepoint so that one failing leaves the others done, and tells
    /// every instance whose unread counts moved.
    fn notify_ones(&self, db: &Db, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        let all_fail = |error: &dyn std::fmt::Display| {
            jobs.iter()
                .map(|_| Err(JobError::Retry(format!("database: {error}"))))
                .collect()
        };
        let _turn = db.write_gate();
        let mut conn = match db.conn() {
            Ok(conn) => conn,
            Err(e) => return all_fail(&e),
        };
        let written = write_transaction(&mut conn, |conn| {
            let mut outcomes = Vec::with_capacity(jobs.len());
            let mut users = Vec::new();
            for job in jobs {
                let outcome = job.args::<kinds::One>().and_then(|args| {
                    let created =
                        unit_of_work(conn, |conn| notifications::notify_one(conn, job.id, &args))?;
                    if created {
                        users.push(args.user_id);
                    }
                    Ok(())
                });
                outcomes.push(outcome);
            }
            if !users.is_empty() {
                users.sort_unstable();
                users.dedup();
                self.broadcast.publish(conn, &[Stale::Unread { users }])?;
            }
            Ok::<_, diesel::result::Error>(outcomes)
        });
        written.unwrap_or_else(|e| all_fail(&e))
    }
}

impl JobHandler for AppHandlers {
    fn kinds(&self) -> Vec<&'static str> {
        kinds::ALL.to_vec()
    }

    /// A delivery waits on its receiver, which may take up to the client's timeout.
    fn waiting_kinds(&self) -> Vec<&'static str> {
        vec![kinds::WEBHOOK_DELIVER]
    }

    /// A single notification is a few small statements: a batch of them shares one
    /// commit (and one turn at SQLite's write gate) instead of one each, which is most
    /// of what they cost. Webhook deliveries of a batch are sent side by side and
    /// recorded together.
    fn runs_together(&self, kind: &str) -> bool {
        kind == kinds::NOTIFY_ONE || kind == kinds::WEBHOOK_DELIVER
    }

    fn run_together(&self, db: &Db, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        let (ones, deliveries): (Vec<usize>, Vec<usize>) =
            (0..jobs.len()).partition(|&i| jobs[i].kind == kinds::NOTIFY_ONE);
        let pick = |indexes: &[usize]| indexes.iter().map(|&i| jobs[i]).collect::<Vec<_>>();
        let mut outcomes: Vec<Option<Result<(), JobError>>> = vec![None; jobs.len()];
        if !ones.is_empty() {
            for (i, outcome) in ones.iter().zip(self.notify_ones(db, &pick(&ones))) {
                outcomes[*i] = Some(outcome);
            }
        }
        if !deliveries.is_empty() {
            for (i, outcome) in deliveries
                .iter()
                .zip(self.deliver_all(db, &pick(&deliveries)))
            {
                outcomes[*i] = Some(outcome);
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(JobError::Retry("no outcome".into()))))
            .collect()
    }

    fn run(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        match job.kind.as_str() {
            kinds::NOTIFY_FANOUT => {
                let args: kinds::Fanout = job.args()?;
                let _turn = db.write_gate();
                notifications::fan_out(&mut *db.conn()?, &args)?;
                Ok(())
            }
            kinds::NOTIFY_BATCH => {
                let args: kinds::Batch = job.args()?;
                let _turn = db.write_gate();
                let mut conn = db.conn()?;
                Ok(write_transaction(&mut conn, |conn| {
                    let users = notifications::notify_batch(conn, &args)?;
                    self.broadcast.publish(conn, &[Stale::Unread { users }])
                })?)
            }
            kinds::NOTIFY_ONE => self
                .notify_ones(db, &[job])
                .pop()
                .unwrap_or_else(|| Err(JobError::Retry("no outcome".into()))),
            kinds::EMAIL_WELCOME => self.welcome(db, job),
            kinds::EMAIL_NOTIFICATION => self.notification_email(db, job),
            kinds::EMAIL_PASSWORD_RESET => self.password_reset(db, job),
            kinds::EMAIL_VERIFY => self.verify_email(db, job),
            kinds::EMAIL_ADDRESS_CHANGED => self.address_changed(db, job),
            kinds::EMAIL_SECURITY => self.security_notice(db, job),
            kinds::WEBHOOK_EVENT => {
                let args: kinds::Event = job.args()?;
                let _turn = db.write_gate();
                webhooks::fan_out(&mut *db.conn()?, job.id, &args)?;
                Ok(())
            }
            kinds::WEBHOOK_DELIVER => self
                .deliver_all(db, &[job])
                .pop()
                .unwrap_or_else(|| Err(JobError::Retry("no outcome".into()))),
            kinds::ARTICLE_PUBLISH => self.publish_scheduled(db, job),
            other => Err(JobError::Permanent(format!("unknown job kind {other}"))),
        }
    }
}
