//! What staff do to dead jobs from `/admin/jobs`: retry or discard, each audited in the
//! same transaction as the change.

use crate::db::{Db, write_transaction};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::error::{AppError, AppResult};
use crate::jobs::queue;

/// Queues dead job `id` again; false when it was not dead (nothing changes then).
pub async fn retry(db: &Db, actor: Actor, id: i32) -> AppResult<bool> {
    actor.require_admin()?;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let retried = queue::retry(conn, id)?;
            if retried {
                let entry = AuditEntry::on("job.retry", "job", id, format!("job {id}"))
                    .change("dead", "queued");
                audit::record(conn, &actor, entry)?;
            }
            Ok::<_, AppError>(retried)
        })
    })
    .await
}

/// Deletes dead job `id` for good; false when it was not dead.
pub async fn discard(db: &Db, actor: Actor, id: i32) -> AppResult<bool> {
    actor.require_admin()?;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let discarded = queue::discard(conn, id)?;
            if discarded {
                let entry = AuditEntry::on("job.discard", "job", id, format!("job {id}"))
                    .change("dead", "discarded");
                audit::record(conn, &actor, entry)?;
            }
            Ok::<_, AppError>(discarded)
        })
    })
    .await
}
