//! Creating a notification inside the write that caused it.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use crate::db::schema::notifications;
use crate::db::{DbConnection, Prepared, last_insert_id, prepared};
use crate::domain::{email_settings, time};
use crate::jobs::{self, kinds, queue, wake};

/// Creates `one`'s notification inside the write that caused it (a comment, a favorite,
/// a follow, a moderation decision), and queues its email if the recipient wants it.
/// Made in that transaction, it exists exactly when the cause commits, with no job in
/// between. The key only has to be unique: nothing runs this twice.
pub fn create(conn: &mut DbConnection, one: &kinds::One) -> QueryResult<()> {
    let key = write_key();
    if let DbConnection::Pg(pg) = conn {
        return create_pg(pg, one, &key);
    }
    // On SQLite three statements, which cost no round trip.
    let emailed = email_settings::load(conn, one.user_id)?.wants(&one.kind);
    let row = (
        notifications::user_id.eq(one.user_id),
        notifications::kind.eq(&one.kind),
        notifications::actor_id.eq(one.actor_id),
        notifications::article_id.eq(one.article_id),
        notifications::subject.eq(&one.subject),
        notifications::detail.eq(&one.detail),
        notifications::reason.eq(&one.reason),
        notifications::dedupe_key.eq(&key),
        notifications::emailed.eq(emailed),
        notifications::created_at.eq(time::now()),
    );
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)?;
    if !emailed {
        return Ok(());
    }
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("PostgreSQL took create_pg above");
    };
    let notification_id = last_insert_id(sqlite)?;
    jobs::enqueue(
        conn,
        kinds::EMAIL_NOTIFICATION,
        &kinds::NotificationEmail { notification_id },
    )?;
    Ok(())
}

#[derive(QueryableByName)]
struct Queued {
    #[diesel(sql_type = BigInt)]
    queued: i64,
}

/// A fresh key for a notification made by a write: it only has to be unique, since
/// nothing runs that write twice.
pub fn write_key() -> String {
    format!("write:{:032x}", rand::random::<u128>())
}

/// [`create`] in one statement, since each statement is a round trip to PostgreSQL (three
/// of a comment post's eleven were these): the settings are read inside the insert, and
/// the email job is inserted from its `RETURNING` row when the email is wanted.
fn create_pg(pg: &mut diesel::PgConnection, one: &kinds::One, key: &str) -> QueryResult<()> {
    let sql = format!(
        "WITH {} SELECT (SELECT COUNT(*) FROM queued) AS queued",
        ctes_pg(one, 1)
    );
    let made: Queued = bind_pg(prepared(sql), one, key, time::now()).get_result(pg)?;
    if made.queued > 0 {
        wake::note_enqueued();
    }
    Ok(())
}

/// `one`'s notification and its email job as the common table expressions `created`
/// and `queued` of a PostgreSQL statement, so that another insert of the same write can
/// travel with them in one round trip. Their parameters are numbered from `$first`;
/// [`bind_pg`] binds them, after the statement's own. The job's payload is what
/// [`kinds::NotificationEmail`] serializes to. The text depends on the kind alone (which
/// email choice it reads), so a connection prepares one statement per kind
/// ([`crate::db::prepared`]).
pub fn ctes_pg(one: &kinds::One, first: usize) -> String {
    // The placeholders in the order [`bind_pg`] binds them.
    let [
        user,
        kind,
        actor,
        article,
        subject,
        detail,
        reason,
        key,
        now,
        job,
        queued,
        attempts,
    ] = std::array::from_fn(|n| format!("${}", first + n));
    let wanted = match email_settings::column_of(&one.kind) {
        // Column names from our own table of them, never from input.
        Some(column) => format!(
            "COALESCE((SELECT {column} FROM email_settings WHERE user_id = {user}), {})",
            email_settings::EmailSettings::default().wants(&one.kind)
        ),
        None => "FALSE".to_owned(),
    };
    format!(
        "created AS (\
           INSERT INTO notifications (user_id, kind, actor_id, article_id, subject, detail, \
             reason, dedupe_key, emailed, created_at) \
           VALUES ({user}, {kind}, {actor}, {article}, {subject}, {detail}, {reason}, {key}, \
             {wanted}, {now}) \
           RETURNING id, emailed), \
         queued AS (\
           INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, \
             created_at, updated_at) \
           SELECT {job}, json_build_object('notification_id', id)::text, {queued}, 0, \
             {attempts}, {now}, {now}, {now} \
           FROM created WHERE emailed \
           RETURNING id)"
    )
}

/// Binds the parameters of [`ctes_pg`] to `query`, made at `now` under `key`.
pub fn bind_pg<'f>(
    query: Prepared<'f, Pg>,
    one: &'f kinds::One,
    key: &'f str,
    now: NaiveDateTime,
) -> Prepared<'f, Pg> {
    query
        .bind::<Integer, _>(one.user_id)
        .bind::<Text, _>(&one.kind)
        .bind::<Integer, _>(one.actor_id)
        .bind::<Nullable<Integer>, _>(one.article_id)
        .bind::<Nullable<Text>, _>(&one.subject)
        .bind::<Nullable<Text>, _>(&one.detail)
        .bind::<Nullable<Text>, _>(&one.reason)
        .bind::<Text, _>(key)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(kinds::EMAIL_NOTIFICATION)
        .bind::<Text, _>(queue::QUEUED)
        .bind::<Integer, _>(jobs::DEFAULT_MAX_ATTEMPTS)
}
