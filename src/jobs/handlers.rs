//! The application's job handler: runs every kind in [`kinds::ALL`]. Each arm is
//! idempotent: notifications are keyed, a delivery is sent until it has succeeded, and an
//! email file is named after what it is about.

mod accounts;
mod deliveries;
mod notification_emails;
mod publishing;

use askama::Template;

use super::kinds;
use super::mail::Mailer;
use super::webhook_client::WebhookClient;
use super::{Job, JobError, JobHandler};
use crate::cache::Stale;
use crate::cache::broadcast::Broadcast;
use crate::config::Secret;
use crate::db::{Db, DbConnection, unit_of_work, write_transaction};
use crate::domain::{email_settings, notifications, webhooks};

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

    /// Runs the notification jobs of `jobs` (one kind: [`kinds::NOTIFY_ONE`],
    /// [`kinds::NOTIFY_FANOUT`] or [`kinds::NOTIFY_BATCH`]) in one transaction, each in
    /// its own savepoint so that one failing leaves the others done, and tells every
    /// instance whose unread counts moved. `notify` does one job's work and answers whose
    /// unread counts it may have changed.
    fn notify_together<A: serde::de::DeserializeOwned>(
        &self,
        db: &Db,
        jobs: &[&Job],
        notify: impl Fn(&mut DbConnection, &Job, A) -> diesel::QueryResult<Vec<i32>>,
    ) -> Vec<Result<(), JobError>> {
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
                let outcome = job.args::<A>().and_then(|args| {
                    users.extend(unit_of_work(conn, |conn| notify(conn, job, args))?);
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

    /// [`Self::notify_together`] for the jobs of one notification kind.
    fn notify_kind(&self, db: &Db, kind: &str, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        match kind {
            kinds::NOTIFY_FANOUT => {
                self.notify_together(db, jobs, |conn, _, args: kinds::Fanout| {
                    Ok(match notifications::fan_out(conn, &args)? {
                        notifications::FannedOut::Notified(users) => users,
                        notifications::FannedOut::Queued(_) => Vec::new(),
                    })
                })
            }
            kinds::NOTIFY_BATCH => self.notify_together(db, jobs, |conn, _, args: kinds::Batch| {
                notifications::notify_batch(conn, &args)
            }),
            kinds::NOTIFY_ONE => self.notify_together(db, jobs, |conn, job, args: kinds::One| {
                let created = notifications::notify_one(conn, job.id, &args)?;
                Ok(created.then_some(args.user_id).into_iter().collect())
            }),
            other => jobs
                .iter()
                .map(|_| {
                    Err(JobError::Permanent(format!(
                        "not a notification kind: {other}"
                    )))
                })
                .collect(),
        }
    }
}

/// The kinds whose jobs of one claimed batch run in one call ([`JobHandler::run_together`]).
const TOGETHER: [&str; 6] = [
    kinds::NOTIFY_FANOUT,
    kinds::NOTIFY_BATCH,
    kinds::NOTIFY_ONE,
    kinds::WEBHOOK_DELIVER,
    kinds::EMAIL_NOTIFICATION,
    kinds::EMAIL_NOTIFICATIONS,
];

impl JobHandler for AppHandlers {
    fn kinds(&self) -> Vec<&'static str> {
        kinds::ALL.to_vec()
    }

    /// A delivery waits on its receiver, which may take up to the client's timeout.
    fn waiting_kinds(&self) -> Vec<&'static str> {
        vec![kinds::WEBHOOK_DELIVER]
    }

    /// A notification job is a few small statements: a batch of them shares one commit
    /// (and one turn at SQLite's write gate) instead of one each, which is most of what
    /// they cost. Webhook deliveries of a batch are sent side by side and recorded
    /// together; notification emails read their data in one set of queries.
    fn runs_together(&self, kind: &str) -> bool {
        TOGETHER.contains(&kind)
    }

    fn run_together(&self, db: &Db, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        let mut outcomes: Vec<Option<Result<(), JobError>>> = vec![None; jobs.len()];
        for kind in TOGETHER {
            let indexes: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].kind == kind).collect();
            if indexes.is_empty() {
                continue;
            }
            let group: Vec<&Job> = indexes.iter().map(|&i| jobs[i]).collect();
            let results = match kind {
                kinds::WEBHOOK_DELIVER => self.deliver_all(db, &group),
                kinds::EMAIL_NOTIFICATION => self.notification_emails(db, &group),
                kinds::EMAIL_NOTIFICATIONS => self.waiting_emails(db, &group),
                _ => self.notify_kind(db, kind, &group),
            };
            for (i, outcome) in indexes.into_iter().zip(results) {
                outcomes[i] = Some(outcome);
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(JobError::Retry("no outcome".into()))))
            .collect()
    }

    fn run(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        match job.kind.as_str() {
            kinds::NOTIFY_FANOUT | kinds::NOTIFY_BATCH | kinds::NOTIFY_ONE => self
                .notify_kind(db, &job.kind, &[job])
                .pop()
                .unwrap_or_else(|| Err(JobError::Retry("no outcome".into()))),
            kinds::EMAIL_WELCOME => self.welcome(db, job),
            kinds::EMAIL_NOTIFICATION => self
                .notification_emails(db, &[job])
                .pop()
                .unwrap_or_else(|| Err(JobError::Retry("no outcome".into()))),
            kinds::EMAIL_NOTIFICATIONS => self
                .waiting_emails(db, &[job])
                .pop()
                .unwrap_or_else(|| Err(JobError::Retry("no outcome".into()))),
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
