//! What the emails about a batch of notifications need, read in one statement: a worker
//! sends them a batch at a time, and under load each statement is a round trip that
//! waits its turn behind the requests' own.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use super::view::ArticleFacts;
use super::{Notification, NotificationView};
use crate::db::schema::{articles, email_settings, notifications, users};
use crate::db::{DbConnection, prepared};
use crate::domain::email_settings::EmailSettings;
use crate::domain::time;
use crate::domain::users::User;

diesel::alias!(users as actors: Actors);

/// A notification to email, as its recipient sees it now.
#[derive(Debug)]
pub struct ToEmail {
    /// The recipient.
    pub user: User,
    /// What the notification says.
    pub view: NotificationView,
    /// The recipient's email choices (the defaults when never saved).
    pub settings: EmailSettings,
}

/// Which notifications to read for their emails.
enum Which<'a> {
    /// These ids.
    Ids(&'a [i32]),
    /// Those waiting for these recipients that these email jobs took.
    TakenBy(&'a [i32], &'a [i32]),
}

/// What the emails about notifications `ids` need, by notification id, in one statement
/// however many ids; notifications or recipients gone since are left out.
pub fn for_emails(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, ToEmail>> {
    Ok(load(conn, Which::Ids(ids))?
        .into_iter()
        .map(|(_, to)| (to.view.notification.id, to))
        .collect())
}

/// The most notifications one email job takes: a recipient with more waiting (after an
/// outage of the mail server, say) gets them over several jobs, so that no job reads,
/// renders or marks an unbounded number of rows.
pub const TAKE_AT_MOST: usize = 1000;

/// Gives email job `job` the oldest notifications waiting for `user_id` that no other
/// job has taken (and again those it took before, when it is a retry), at most
/// [`TAKE_AT_MOST`]; how many it holds. A notification that two jobs reach at once goes
/// to one of them: the update locks it, and the conditions are checked again on the
/// locked row.
pub fn take_waiting(conn: &mut DbConnection, job: i32, user_id: i32) -> QueryResult<usize> {
    // The terms of the partial index of waiting emails, then the job's own; again
    // outside the subquery, where PostgreSQL checks them on the locked row.
    const WAITING: &str = "user_id = $2 AND emailed AND mailed_at IS NULL \
                           AND (email_job IS NULL OR email_job = $1)";
    // The subquery finds the last id to take; the update takes the range up to it
    // (the same rows: one snapshot, the same terms). Never `id IN (subquery)`: without
    // statistics on the table (autovacuum off) PostgreSQL joined the two as a nested
    // loop that ran the subquery again for every waiting row, seconds of CPU a call
    // once a recipient had thousands waiting.
    prepared(format!(
        "UPDATE notifications SET email_job = $1 WHERE {WAITING} AND id <= \
         (SELECT MAX(id) FROM \
           (SELECT id FROM notifications WHERE {WAITING} ORDER BY id LIMIT $3) AS first)"
    ))
    .bind::<Integer, _>(job)
    .bind::<Integer, _>(user_id)
    .bind::<BigInt, _>(i64::try_from(TAKE_AT_MOST).unwrap_or(i64::MAX))
    .execute(conn)
}

/// What the notifications that `jobs` took for `users` say, each with the job holding
/// it, oldest first, in one statement.
pub fn taken_by(
    conn: &mut DbConnection,
    users: &[i32],
    jobs: &[i32],
) -> QueryResult<Vec<(i32, ToEmail)>> {
    load(conn, Which::TakenBy(users, jobs))
}

/// Marks the notifications that `jobs` took for `users` as emailed now.
pub fn mark_mailed(conn: &mut DbConnection, users: &[i32], jobs: &[i32]) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq_any(users))
            .filter(notifications::emailed)
            .filter(notifications::mailed_at.is_null())
            .filter(notifications::email_job.eq_any(jobs)),
    )
    .set(notifications::mailed_at.eq(Some(time::now())))
    .execute(conn)
}

/// The notifications `which` names, each with the job holding it (0 for none).
fn load(conn: &mut DbConnection, which: Which<'_>) -> QueryResult<Vec<(i32, ToEmail)>> {
    type Row = (
        Option<i32>,
        Notification,
        User,
        Option<(String, Option<String>)>,
        Option<ArticleFacts>,
        Option<EmailSettings>,
    );
    let query = notifications::table
        .inner_join(users::table.on(users::id.eq(notifications::user_id)))
        .left_join(actors.on(actors.field(users::id).eq(notifications::actor_id)))
        .left_join(articles::table.on(notifications::article_id.eq(articles::id.nullable())))
        .left_join(email_settings::table.on(email_settings::user_id.eq(notifications::user_id)))
        .select((
            notifications::email_job,
            Notification::as_select(),
            User::as_select(),
            actors.fields((users::username, users::image)).nullable(),
            (
                articles::slug,
                articles::title,
                articles::hidden,
                articles::author_id,
            )
                .nullable(),
            Option::<EmailSettings>::as_select(),
        ))
        .into_boxed();
    let query = match which {
        Which::Ids(ids) => query.filter(notifications::id.eq_any(ids)),
        // The terms of the partial index of waiting emails.
        Which::TakenBy(users, jobs) => query
            .filter(notifications::user_id.eq_any(users))
            .filter(notifications::emailed)
            .filter(notifications::mailed_at.is_null())
            .filter(notifications::email_job.eq_any(jobs))
            .order(notifications::id),
    };
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(job, notification, user, actor, article, settings)| {
            let view =
                NotificationView::assemble(notification, actor, article.as_ref(), user.is_staff());
            let to = ToEmail {
                user,
                view,
                settings: settings.unwrap_or_default(),
            };
            (job.unwrap_or_default(), to)
        })
        .collect())
}
