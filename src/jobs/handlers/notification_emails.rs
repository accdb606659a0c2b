//! Notification emails: everything waiting for one recipient goes out in one email when
//! their job runs (the notification itself when it is alone, a digest when several came
//! in first), and the jobs queued before that, one per notification.

use std::collections::{BTreeMap, HashMap};

use askama::Template;

use super::{AppHandlers, render};
use crate::db::{BackendKind, Db, write_transaction};
use crate::domain::notifications::{self, NotificationView, ToEmail};
use crate::domain::users::User;
use crate::jobs::mail::Email;
use crate::jobs::{Job, JobError, kinds};

/// Notifications a digest lists; it counts the others and links to them all.
const DIGEST_LISTED: usize = 20;

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

/// An email job and the recipient whose waiting notifications it sends.
#[derive(Clone, Copy)]
struct Taking {
    job: i32,
    user: i32,
    /// It ran before: what it took then goes out again.
    retry: bool,
}

/// One line of a digest.
struct Item {
    sentence: String,
    link: String,
}

#[derive(Template)]
#[template(path = "email/digest.txt")]
struct DigestText<'a> {
    username: &'a str,
    count: usize,
    items: &'a [Item],
    more: usize,
    all: &'a str,
    base: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    username: &'a str,
    count: usize,
    items: &'a [Item],
    more: usize,
    all: &'a str,
    base: &'a str,
    unsubscribe: &'a str,
}

impl AppHandlers {
    /// Runs `jobs` ([`kinds::EMAIL_NOTIFICATIONS`]): sees whether the writes that joined
    /// them have committed, gives each the notifications waiting for its recipient
    /// (marked mailed as they are taken), reads them in one statement, and sends one
    /// email per job; one outcome per job.
    pub(super) fn waiting_emails(&self, db: &Db, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        let args: Vec<Result<Taking, JobError>> = jobs
            .iter()
            .map(|job| {
                Ok(Taking {
                    job: job.id,
                    user: job.args::<kinds::NotificationEmails>()?.user_id,
                    // Claimed before: a retry, or a worker that died meanwhile.
                    retry: job.attempts > 1,
                })
            })
            .collect();
        let taking: Vec<Taking> = args.iter().flatten().copied().collect();
        let sent = self.send_waiting(db, &taking);
        args.into_iter()
            .map(|args| {
                let job = args?.job;
                match &sent {
                    Ok(outcomes) => outcomes.get(&job).cloned().unwrap_or(Ok(())),
                    Err(e) => Err(e.clone()),
                }
            })
            .collect()
    }

    /// Sends what waits for the recipients of `taking`; the outcome by job (none for a
    /// job that found nothing).
    fn send_waiting(
        &self,
        db: &Db,
        taking: &[Taking],
    ) -> Result<HashMap<i32, Result<(), JobError>>, JobError> {
        let mut users: Vec<i32> = taking.iter().map(|t| t.user).collect();
        users.sort_unstable();
        users.dedup();
        let mut conn = db.conn()?;
        let mut busy = Vec::new();
        for &user in &users {
            if !notifications::writers_done(&mut conn, user)? {
                busy.push(user);
            }
        }
        // Notification id → the job that took it.
        let mut holder: HashMap<i32, i32> = HashMap::new();
        {
            // A recipient with more waiting than one job takes gets another job.
            let now = crate::domain::time::now();
            let mut take = |conn: &mut crate::db::DbConnection| {
                let mut more = Vec::new();
                for t in taking {
                    let ids = notifications::take_waiting(conn, t.job, t.user, now)?;
                    if ids.len() >= notifications::TAKE_AT_MOST {
                        more.push(t.user);
                    }
                    holder.extend(ids.into_iter().map(|id| (id, t.job)));
                }
                Ok::<_, diesel::result::Error>(more)
            };
            let _turn = db.write_gate();
            busy.extend(match db.backend() {
                // One commit for them all at the file's one write lock.
                BackendKind::Sqlite => write_transaction(&mut conn, take)?,
                // Each its own statement, without two more round trips around them.
                BackendKind::Postgres => take(&mut conn)?,
            });
        }
        let mut taken: BTreeMap<i32, Vec<ToEmail>> = BTreeMap::new();
        let ids: Vec<i32> = holder.keys().copied().collect();
        if !ids.is_empty() {
            for (id, to) in notifications::for_emails(&mut conn, &ids)? {
                if let Some(&job) = holder.get(&id) {
                    taken.entry(job).or_default().push(to);
                }
            }
        }
        // Rare (a failed send, a worker that died): one statement per retried job.
        for t in taking.iter().filter(|t| t.retry) {
            let before = notifications::taken_before(&mut conn, t.user, t.job)?;
            taken.entry(t.job).or_default().extend(before);
        }
        let mut outcomes = HashMap::new();
        for (job, mut all) in taken {
            all.sort_by_key(|to| to.view.notification.id);
            all.dedup_by_key(|to| to.view.notification.id);
            // The user may have turned some kinds off since: those are not sent.
            let wanted: Vec<&ToEmail> = all
                .iter()
                .filter(|to| to.settings.wants(&to.view.notification.kind))
                .collect();
            let outcome = match wanted.as_slice() {
                [] => Ok(()),
                [one] => {
                    self.send_notification_email(one.view.notification.id, &one.user, &one.view)
                }
                several => self.send_digest(several),
            };
            outcomes.insert(job, outcome);
        }
        // Writes still in flight may have joined these jobs, or more waits than a job
        // takes: another job takes the rest.
        busy.sort_unstable();
        busy.dedup();
        if !busy.is_empty() {
            let _turn = db.write_gate();
            for user in busy {
                notifications::queue_email(&mut conn, user)?;
            }
        }
        // Each statement committed on its own: wake this process's workers for it now.
        crate::jobs::wake::after_commit(true);
        Ok(outcomes)
    }

    /// One email listing `several` notifications of one recipient, oldest first. Named
    /// after the first, so that sending it again (a retry) rewrites the same file.
    fn send_digest(&self, several: &[&ToEmail]) -> Result<(), JobError> {
        let Some(first) = several.first() else {
            return Ok(());
        };
        let user = &first.user;
        let kind = &first.view.notification.kind;
        let same_kind = several.iter().all(|to| &to.view.notification.kind == kind);
        let unsubscribe = self.unsubscribe_url(user.id, if same_kind { kind } else { "all" });
        let items: Vec<Item> = several
            .iter()
            .take(DIGEST_LISTED)
            .map(|to| Item {
                sentence: to.view.sentence(),
                link: self.link_to(&to.view),
            })
            .collect();
        let more = several.len() - items.len();
        let all = format!("{}/notifications", self.base_url);
        let (username, count, base) = (
            user.username.as_str(),
            several.len(),
            self.base_url.as_str(),
        );
        let email = Email {
            to: user.email.clone(),
            subject: format!("{count} new notifications"),
            text: render(&DigestText {
                username,
                count,
                items: &items,
                more,
                all: &all,
                base,
                unsubscribe: &unsubscribe,
            })?,
            html: render(&DigestHtml {
                username,
                count,
                items: &items,
                more,
                all: &all,
                base,
                unsubscribe: &unsubscribe,
            })?,
            unsubscribe: Some(unsubscribe.clone()),
        };
        let name = format!("notification-{}", first.view.notification.id);
        self.mailer.send(&name, email)
    }

    fn link_to(&self, view: &NotificationView) -> String {
        let path = view.link().unwrap_or_else(|| "/notifications".into());
        format!("{}{path}", self.base_url)
    }

    /// Sends the emails of `jobs` ([`kinds::EMAIL_NOTIFICATION`], queued before
    /// recipients shared one job), whose data comes in one statement for them all; one
    /// outcome per job.
    pub(super) fn notification_emails(&self, db: &Db, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        let args: Vec<Result<kinds::NotificationEmail, JobError>> =
            jobs.iter().map(|job| job.args()).collect();
        let ids: Vec<i32> = args
            .iter()
            .flatten()
            .map(|args| args.notification_id)
            .collect();
        let found = match db
            .conn()
            .map_err(JobError::from)
            .and_then(|mut conn| Ok(notifications::for_emails(&mut conn, &ids)?))
        {
            Ok(found) => found,
            Err(e) => return jobs.iter().map(|_| Err(e.clone())).collect(),
        };
        args.into_iter()
            .map(|args| {
                let id = args?.notification_id;
                match found.get(&id) {
                    // The user may have turned this kind off since it was queued.
                    Some(to) if to.settings.wants(&to.view.notification.kind) => {
                        self.send_notification_email(id, &to.user, &to.view)
                    }
                    _ => Ok(()),
                }
            })
            .collect()
    }

    fn send_notification_email(
        &self,
        id: i32,
        user: &User,
        view: &NotificationView,
    ) -> Result<(), JobError> {
        let kind = &view.notification.kind;
        let sentence = view.sentence();
        let link = self.link_to(view);
        let unsubscribe = self.unsubscribe_url(user.id, kind);
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
        self.mailer.send(&format!("notification-{id}"), email)
    }
}
