//! Scheduled drafts: the job publishes the draft when it is due. Several workers (on
//! several instances) may hold copies of the job after a lease lapsed or a restart; the
//! conditional `UPDATE` in the domain lets exactly one of them publish, and only while
//! the draft still carries the time the job was queued for.

use super::AppHandlers;
use crate::app::articles::published_draft;
use crate::cache::Stale;
use crate::db::{Db, write_transaction};
use crate::domain::{articles, events};
use crate::error::AppError;
use crate::jobs::{Job, JobError, kinds, wake};

impl AppHandlers {
    /// Publishes the job's draft if it is still due, in one transaction that queues the
    /// publication's events and broadcasts what it stales, so every instance (this one's
    /// server included) drops its cached lists as for a new article.
    pub(super) fn publish_scheduled(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        let args: kinds::Publish = job.args()?;
        let _turn = db.write_gate();
        let mut conn = db.conn()?;
        let written = write_transaction(&mut conn, |conn| {
            // Left behind by a write that failed earlier on this thread.
            events::take_told();
            let published = articles::publish_scheduled(conn, args.article_id, args.publish_at)?;
            if let Some(article) = published {
                let mut stale = published_draft(article.id, article.slug).to_vec();
                // Followers told in this transaction (SQLite): their unread counts.
                let users = events::take_told();
                if !users.is_empty() {
                    stale.push(Stale::Unread { users });
                }
                self.broadcast.publish(conn, &stale)?;
            }
            Ok::<_, AppError>(())
        });
        wake::after_commit(written.is_ok());
        written.map_err(|e| JobError::Retry(e.to_string()))
    }
}
