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
    /// Those that email job `.1` of recipient `.0` took on an earlier attempt.
    TakenBefore(i32, i32),
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

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// Gives email job `job` the oldest notifications waiting for `user_id` that no other
/// job has taken, at most [`TAKE_AT_MOST`], and marks them mailed: their ids. A
/// notification that two jobs reach at once goes to one of them: the update locks it,
/// and the conditions are checked again on the locked row.
///
/// Taken is mailed, in one update of each row rather than one to take it and another,
/// once sent, to mark it: each update of a notification writes a new version of the
/// row and its index entries, to the WAL that every commit waits to flush. The job
/// keeps what it took (`email_job`) until it completes, so a retry sends those again
/// ([`taken_before`]), as a retry sent what it had taken before; a job that gives up
/// leaves them marked, as it left them taken.
pub fn take_waiting(
    conn: &mut DbConnection,
    job: i32,
    user_id: i32,
    now: chrono::NaiveDateTime,
) -> QueryResult<Vec<i32>> {
    // The terms of the partial index of waiting emails, then the job's own (rows a job
    // took before taking marked them, and its retry takes them again); again outside
    // the subquery, where PostgreSQL checks them on the locked row.
    const WAITING: &str = "user_id = $2 AND emailed AND mailed_at IS NULL \
                           AND (email_job IS NULL OR email_job = $1)";
    // The subquery finds the last id to take; the update takes the range up to it
    // (the same rows: one snapshot, the same terms). Never `id IN (subquery)`: without
    // statistics on the table (autovacuum off) PostgreSQL joined the two as a nested
    // loop that ran the subquery again for every waiting row, seconds of CPU a call
    // once a recipient had thousands waiting.
    Ok(prepared(format!(
        "UPDATE notifications SET email_job = $1, mailed_at = $4 WHERE {WAITING} AND id <= \
         (SELECT MAX(id) FROM \
           (SELECT id FROM notifications WHERE {WAITING} ORDER BY id LIMIT $3) AS first) \
         RETURNING id"
    ))
    .bind::<Integer, _>(job)
    .bind::<Integer, _>(user_id)
    .bind::<BigInt, _>(i64::try_from(TAKE_AT_MOST).unwrap_or(i64::MAX))
    .bind::<diesel::sql_types::Timestamp, _>(now)
    .load::<Taken>(conn)?
    .into_iter()
    .map(|row| row.id)
    .collect())
}

/// What the notifications that email job `job` took for `user_id` on an earlier attempt
/// say, oldest first: what its retry sends again. Read through the recipient's list,
/// since taken notifications leave the index of waiting ones; only retries ask.
pub fn taken_before(conn: &mut DbConnection, user_id: i32, job: i32) -> QueryResult<Vec<ToEmail>> {
    Ok(load(conn, Which::TakenBefore(user_id, job))?
        .into_iter()
        .map(|(_, to)| to)
        .collect())
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
        Which::TakenBefore(user, job) => query
            .filter(notifications::user_id.eq(user))
            .filter(notifications::emailed)
            .filter(notifications::email_job.eq(job))
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
