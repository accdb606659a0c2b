//! Creating a notification inside the write that caused it.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use crate::db::schema::notifications;
use crate::db::{DbConnection, Prepared, prepared};
use crate::domain::{email_settings, time};
use crate::jobs::{self, kinds, queue, wake};

/// Creates `one`'s notification inside the write that caused it (a comment, a favorite,
/// a follow, a moderation decision), and queues its email if the recipient wants it
/// ([`queue_email`]). Made in that transaction, it exists exactly when the cause commits,
/// with no job in between. It has no `dedupe_key`: nothing runs this twice.
pub fn create(conn: &mut DbConnection, one: &kinds::One) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        return create_pg(pg, one);
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
        notifications::emailed.eq(emailed),
        notifications::created_at.eq(time::now()),
    );
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)?;
    if !emailed {
        return Ok(());
    }
    queue_email(conn, one.user_id)
}

#[derive(QueryableByName)]
struct Queued {
    #[diesel(sql_type = BigInt)]
    queued: i64,
}

/// [`create`] in one statement, since each statement is a round trip to PostgreSQL (three
/// of a comment post's eleven were these): the settings are read inside the insert, and
/// the email job is inserted from its `RETURNING` row when the email is wanted.
fn create_pg(pg: &mut diesel::PgConnection, one: &kinds::One) -> QueryResult<()> {
    let sql = format!(
        "WITH {} SELECT (SELECT COUNT(*) FROM queued) AS queued",
        ctes_pg(one, 1)
    );
    let made: Queued = bind_pg(prepared(sql), one, time::now()).get_result(pg)?;
    if made.queued > 0 {
        wake::note_enqueued();
    }
    Ok(())
}

/// How long a recipient's email job waits before it runs, gathering what else comes in
/// meanwhile: under a stream of comments to one author, one job (and one email) takes
/// the comments of this long instead of the few that arrived since the workers' last
/// claim. Workers woken by a write look again after [`jobs::WAKE_HORIZON`], so a quiet
/// site sends within about twice this.
pub const EMAIL_GATHER: std::time::Duration = std::time::Duration::from_millis(200);

/// When an email job queued at `now` runs ([`EMAIL_GATHER`]).
pub fn email_run_at(now: NaiveDateTime) -> NaiveDateTime {
    now + chrono::Duration::from_std(EMAIL_GATHER).unwrap_or_default()
}

/// The advisory lock class of "notification emails of user N" ([`queue_email`]).
pub const EMAIL_LOCK_CLASS: i32 = 0x6d61_696c; // "mail"

/// The payload and coalesce key of `user_id`'s notification email job.
fn email_job(user_id: i32) -> (String, String) {
    let payload = format!("{{\"user_id\":{user_id}}}");
    (payload, format!("{}:{user_id}", kinds::EMAIL_NOTIFICATIONS))
}

/// What makes a job insert join the recipient's queued email job, when there is one.
pub const JOIN_QUEUED: &str =
    "ON CONFLICT (coalesce_key) WHERE state = 'queued' AND coalesce_key IS NOT NULL DO NOTHING";

/// Makes sure a job will email `user_id` their waiting notifications, inside the caller's
/// write transaction: a queued one that no worker has claimed yet takes them all, so a
/// recipient gets one job (and one email) for whatever arrived before it ran, not one
/// per notification.
///
/// On PostgreSQL a writer could find the queued job, add nothing, and commit only after
/// a worker claimed that job and read what waits: its notification would wait for good.
/// So writers hold a shared advisory lock on the recipient from before they look until
/// they commit, and a worker that claimed the job tries the lock exclusively before it
/// reads ([`writers_done`]): when it gets it, writers that found its job queued have
/// committed; when it does not, it queues the recipient another job for what they add.
/// SQLite runs one write at a time.
pub fn queue_email(conn: &mut DbConnection, user_id: i32) -> QueryResult<()> {
    let (payload, key) = email_job(user_id);
    let now = time::now();
    let columns = "kind, payload, state, attempts, max_attempts, run_at, created_at, \
                   updated_at, coalesce_key";
    // The writer's lock on PostgreSQL; SQLite has none to take, but its INSERT … SELECT
    // needs a WHERE before ON CONFLICT all the same.
    let hold = match conn {
        DbConnection::Pg(_) => format!("pg_advisory_xact_lock_shared({EMAIL_LOCK_CLASS}, $7)"),
        DbConnection::Sqlite(_) => "$7".to_owned(),
    };
    let added = prepared(format!(
        "INSERT INTO jobs ({columns}) SELECT $1, $2, $3, 0, $4, $8, $5, $5, $6 \
         WHERE {hold} IS NOT NULL {JOIN_QUEUED}"
    ))
    .bind::<Text, _>(kinds::EMAIL_NOTIFICATIONS)
    .bind::<Text, _>(&payload)
    .bind::<Text, _>(queue::QUEUED)
    .bind::<Integer, _>(jobs::DEFAULT_MAX_ATTEMPTS)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(&key)
    .bind::<Integer, _>(user_id)
    .bind::<Timestamp, _>(email_run_at(now))
    .execute(conn)?;
    if added > 0 {
        wake::note_enqueued();
    }
    Ok(())
}

/// Whether every write that may have joined the email job of `user_id` which the
/// caller claimed has committed (see [`queue_email`]): true when no writer holds the
/// recipient's lock now; always on SQLite. One statement that waits for nothing: a
/// worker that waited for the lock would hold back every new writer to that recipient
/// behind it. When it answers false, the caller reads what it can and queues the
/// recipient another job ([`queue_email`]), which takes the rest.
pub fn writers_done(conn: &mut DbConnection, user_id: i32) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Free {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        free: bool,
    }
    let DbConnection::Pg(pg) = conn else {
        return Ok(true);
    };
    let free: Free = prepared(format!(
        "SELECT pg_try_advisory_xact_lock({EMAIL_LOCK_CLASS}, $1) AS free"
    ))
    .bind::<Integer, _>(user_id)
    .get_result(pg)?;
    Ok(free.free)
}

/// `one`'s notification and its email job as the common table expressions `created`
/// and `queued` of a PostgreSQL statement, so that another insert of the same write can
/// travel with them in one round trip; the job joins a queued one as in [`queue_email`].
/// Their parameters are numbered from `$first`; [`bind_pg`] binds them, after the
/// statement's own. The text depends on the kind alone (which email choice it reads), so
/// a connection prepares one statement per kind ([`crate::db::prepared`]).
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
        now,
        job,
        queued,
        attempts,
        payload,
        coalesce,
        run_at,
    ] = std::array::from_fn(|n| format!("${}", first + n));
    let wanted = wanted_pg(&one.kind, &user);
    format!(
        "created AS (\
           INSERT INTO notifications (user_id, kind, actor_id, article_id, subject, detail, \
             reason, emailed, created_at) \
           VALUES ({user}, {kind}, {actor}, {article}, {subject}, {detail}, {reason}, \
             {wanted}, {now}) \
           RETURNING id, emailed), \
         queued AS (\
           INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, \
             created_at, updated_at, coalesce_key) \
           SELECT {job}, {payload}, {queued}, 0, {attempts}, {run_at}, {now}, {now}, \
             {coalesce} \
           FROM created \
           WHERE emailed AND pg_advisory_xact_lock_shared({EMAIL_LOCK_CLASS}, {user}) IS NOT NULL \
           {JOIN_QUEUED} \
           RETURNING id)"
    )
}

/// Whether recipient `user` (an SQL expression) wants an email of a notification of
/// `kind`, as a PostgreSQL expression: their choice, or the default choice.
pub fn wanted_pg(kind: &str, user: &str) -> String {
    match email_settings::column_of(kind) {
        // Column names from our own table of them, never from input.
        Some(column) => format!(
            "COALESCE((SELECT {column} FROM email_settings WHERE user_id = {user}), {})",
            email_settings::EmailSettings::default().wants(kind)
        ),
        None => "FALSE".to_owned(),
    }
}

/// A PostgreSQL common table expression `{name}` that queues an email job for each
/// distinct recipient of the notifications `told` (an expression with `user_id` and
/// `emailed` columns) who wants one, joining a queued job as [`queue_email`] does, under
/// its shared advisory lock; in the order of user ids, so that two statements queuing
/// for the same recipients wait for each other in one order. It answers the ids of the
/// jobs it queued. The other arguments are the placeholders of the job's kind, its
/// queued state, its attempts, when it runs and the time of the write.
pub fn email_jobs_pg(
    name: &str,
    told: &str,
    [kind, queued, attempts, run_at, now]: [&str; 5],
) -> String {
    format!(
        "{name} AS (\
           INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, \
             created_at, updated_at, coalesce_key) \
           SELECT {kind}, '{{\"user_id\":' || user_id || '}}', {queued}, 0, {attempts}, \
             {run_at}, {now}, {now}, {kind} || ':' || user_id \
           FROM (SELECT DISTINCT user_id FROM {told} WHERE emailed) r \
           WHERE pg_advisory_xact_lock_shared({EMAIL_LOCK_CLASS}, user_id) IS NOT NULL \
           ORDER BY user_id \
           {JOIN_QUEUED} \
           RETURNING id)"
    )
}

/// Binds the parameters of [`ctes_pg`] to `query`, made at `now`.
pub fn bind_pg<'f>(
    query: Prepared<'f, Pg>,
    one: &'f kinds::One,
    now: NaiveDateTime,
) -> Prepared<'f, Pg> {
    let (payload, coalesce) = email_job(one.user_id);
    query
        .bind::<Integer, _>(one.user_id)
        .bind::<Text, _>(&one.kind)
        .bind::<Integer, _>(one.actor_id)
        .bind::<Nullable<Integer>, _>(one.article_id)
        .bind::<Nullable<Text>, _>(&one.subject)
        .bind::<Nullable<Text>, _>(&one.detail)
        .bind::<Nullable<Text>, _>(&one.reason)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(kinds::EMAIL_NOTIFICATIONS)
        .bind::<Text, _>(queue::QUEUED)
        .bind::<Integer, _>(jobs::DEFAULT_MAX_ATTEMPTS)
        .bind::<Text, _>(payload)
        .bind::<Text, _>(coalesce)
        .bind::<Timestamp, _>(email_run_at(now))
}
