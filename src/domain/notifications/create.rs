//! Creating a notification inside the write that caused it.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use crate::db::schema::notifications;
use crate::db::{DbConnection, last_insert_id};
use crate::domain::{email_settings, time};
use crate::jobs::{self, kinds, queue, wake};

/// Creates `one`'s notification inside the write that caused it (a comment, a favorite,
/// a follow, a moderation decision), and queues its email if the recipient wants it.
/// Made in that transaction, it exists exactly when the cause commits, with no job in
/// between. The key only has to be unique: nothing runs this twice.
pub fn create(conn: &mut DbConnection, one: &kinds::One) -> QueryResult<()> {
    let key = format!("write:{:032x}", rand::random::<u128>());
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
struct QueuedJob {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)] // Only counted.
    id: i32,
}

/// [`create`] in one statement, since each statement is a round trip to PostgreSQL (three
/// of a comment post's eleven were these): the settings are read inside the insert, and
/// the email job is inserted from its `RETURNING` row when the email is wanted. The
/// job's payload is what [`kinds::NotificationEmail`] serializes to.
fn create_pg(pg: &mut diesel::PgConnection, one: &kinds::One, key: &str) -> QueryResult<()> {
    let wanted = match email_settings::column_of(&one.kind) {
        // Column names from our own table of them, never from input.
        Some(column) => format!(
            "COALESCE((SELECT {column} FROM email_settings WHERE user_id = $1), {})",
            email_settings::EmailSettings::default().wants(&one.kind)
        ),
        None => "FALSE".to_owned(),
    };
    let sql = format!(
        "WITH created AS (\
           INSERT INTO notifications (user_id, kind, actor_id, article_id, subject, detail, \
             reason, dedupe_key, emailed, created_at) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {wanted}, $9) \
           RETURNING id, emailed) \
         INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at, \
           updated_at) \
         SELECT $10, json_build_object('notification_id', id)::text, $11, 0, $12, $9, $9, $9 \
         FROM created WHERE emailed \
         RETURNING id"
    );
    let now = time::now();
    let queued: Vec<QueuedJob> = diesel::sql_query(sql)
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
        .load(pg)?;
    if !queued.is_empty() {
        wake::note_enqueued();
    }
    Ok(())
}
