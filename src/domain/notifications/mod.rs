//! In-app notifications: created by the write that causes them ([`create`]), or by job
//! handlers (the followers of a new article, idempotently, keyed by `dedupe_key`);
//! listed (a page at a time, runs grouped) and marked read by their recipient.

mod create;
mod emails;
mod view;

pub use create::{
    EMAIL_GATHER, EMAIL_LOCK_CLASS, JOIN_QUEUED, bind_pg, create, ctes_pg, email_jobs_pg,
    email_run_at, queue_email, wanted_pg, writers_done,
};

pub use emails::{TAKE_AT_MOST, ToEmail, for_emails, take_waiting, taken_before};
pub use view::{Group, NotificationView, Subject, group};

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use crate::db::schema::{articles, follows, notifications, users};
use crate::db::{Db, DbConnection, prepared};
use crate::domain::{email_settings, time};
use crate::error::{AppError, AppResult};
use crate::jobs::{self, kinds};
use view::ArticleFacts;

/// Notifications the API answers at most (newest first).
pub const PAGE_SIZE: i64 = 50;

/// A notification row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    /// Primary key.
    pub id: i32,
    /// Recipient.
    pub user_id: i32,
    /// `article`, `comment`, `follower`, `favorite`, `moderation` or `report`.
    pub kind: String,
    /// Who caused it.
    pub actor_id: i32,
    /// The article concerned, if any (none once it is deleted).
    pub article_id: Option<i32>,
    /// What it was about, as it was named then (the article's title).
    pub subject: Option<String>,
    /// What staff did (`moderation`: `article_hidden`, `comment_deleted`…; `report`:
    /// the resolution's action).
    pub detail: Option<String>,
    /// Why, as staff wrote it.
    pub reason: Option<String>,
    /// When it was read.
    pub read_at: Option<NaiveDateTime>,
    /// When it happened.
    pub created_at: NaiveDateTime,
}

/// What [`fan_out`] did.
#[derive(Debug)]
pub enum FannedOut {
    /// Told these followers itself (whose unread counts may have changed).
    Notified(Vec<i32>),
    /// Queued this many batch jobs, for the workers to tell the followers.
    Queued(usize),
}

/// Tells the followers of a new article, inside the caller's write transaction. When
/// they fit in one batch of [`kinds::BATCH_SIZE`] (most authors) they are notified right
/// here, saving a job; more are split into id ranges of at most that size, one batch
/// job each. A re-run adds nothing (see [`notify_batch`]).
pub fn fan_out(conn: &mut DbConnection, fanout: &kinds::Fanout) -> QueryResult<FannedOut> {
    let followers: Vec<i32> = follows::table
        .filter(follows::followee_id.eq(fanout.author_id))
        .order(follows::follower_id.asc())
        .select(follows::follower_id)
        .load(conn)?;
    let batch_of = |chunk: &[i32]| match (chunk.first(), chunk.last()) {
        (Some(first), Some(last)) => Some(kinds::Batch {
            article_id: fanout.article_id,
            author_id: fanout.author_id,
            first: *first,
            last: *last,
        }),
        _ => None,
    };
    if followers.len() <= kinds::BATCH_SIZE {
        return match batch_of(&followers) {
            Some(batch) => notify_batch(conn, &batch).map(FannedOut::Notified),
            None => Ok(FannedOut::Notified(Vec::new())),
        };
    }
    let mut queued = 0;
    for batch in followers.chunks(kinds::BATCH_SIZE).filter_map(batch_of) {
        jobs::enqueue(conn, kinds::NOTIFY_BATCH, &batch)?;
        queued += 1;
    }
    Ok(FannedOut::Queued(queued))
}

/// Notifies one batch of followers with a single INSERT … SELECT that skips those
/// already notified (so a re-run adds nothing), then enqueues the emails of those who
/// want them, inside the caller's write transaction. Returns the followers of the batch
/// (whose unread counts may have changed).
pub fn notify_batch(conn: &mut DbConnection, batch: &kinds::Batch) -> QueryResult<Vec<i32>> {
    let kinds::Batch {
        article_id,
        author_id,
        first,
        last,
    } = *batch;
    // Every value bound, so that each connection prepares the statement once: it runs
    // with every new article on SQLite (in the create's transaction) and every batch job.
    const NOTIFY: &str = "\
        INSERT INTO notifications (user_id, kind, actor_id, article_id, subject, dedupe_key, \
          emailed, created_at) \
        SELECT f.follower_id, 'article', $2, a.id, a.title, $5 || CAST(f.follower_id AS TEXT), \
          FALSE, $1 \
        FROM follows f JOIN articles a ON a.id = $6 \
        WHERE f.followee_id = $2 AND f.follower_id BETWEEN $3 AND $4 \
        AND NOT EXISTS (SELECT 1 FROM notifications n \
          WHERE n.dedupe_key = $5 || CAST(f.follower_id AS TEXT))";
    let key_prefix = format!("article:{article_id}:");
    prepared(NOTIFY)
        .bind::<Timestamp, _>(time::now())
        .bind::<Integer, _>(author_id)
        .bind::<Integer, _>(first)
        .bind::<Integer, _>(last)
        .bind::<Text, _>(&key_prefix)
        .bind::<Integer, _>(article_id)
        .execute(conn)?;
    let followers: Vec<i32> = follows::table
        .filter(follows::followee_id.eq(author_id))
        .filter(follows::follower_id.between(first, last))
        .select(follows::follower_id)
        .load(conn)?;
    // Emails: only for followers who turned new-article emails on (a stored choice,
    // since the default is off, so usually few), and only once per notification. Their
    // notifications are found by key: a range of user ids would walk every notification
    // of every user in it.
    const WANTING: &str = "\
        SELECT user_id FROM email_settings WHERE on_article AND user_id IN \
          (SELECT follower_id FROM follows \
           WHERE followee_id = $1 AND follower_id BETWEEN $2 AND $3)";
    let wanting: Vec<i32> = prepared(WANTING)
        .bind::<Integer, _>(author_id)
        .bind::<Integer, _>(first)
        .bind::<Integer, _>(last)
        .load::<UserId>(conn)?
        .into_iter()
        .map(|row| row.user_id)
        .collect();
    if !wanting.is_empty() {
        let keys: Vec<String> = wanting
            .iter()
            .map(|user| format!("{key_prefix}{user}"))
            .collect();
        let ids: Vec<i32> = notifications::table
            .filter(notifications::dedupe_key.eq_any(&keys))
            .filter(notifications::emailed.eq(false))
            .select(notifications::id)
            .load(conn)?;
        queue_emails(conn, &ids, &wanting)?;
    }
    Ok(followers)
}

#[derive(QueryableByName)]
struct UserId {
    #[diesel(sql_type = Integer)]
    user_id: i32,
}

/// Creates the notification of a single-recipient job queued before writes made their
/// own ([`create`]), keyed by the job id, so a re-run adds nothing, and enqueues its
/// email if the recipient wants it, inside the caller's write transaction. True when a
/// notification was created.
pub fn notify_one(conn: &mut DbConnection, job_id: i32, one: &kinds::One) -> QueryResult<bool> {
    let key = format!("job:{job_id}");
    let exists: bool = diesel::select(diesel::dsl::exists(
        notifications::table.filter(notifications::dedupe_key.eq(&key)),
    ))
    .get_result(conn)?;
    let actor_exists: bool =
        diesel::select(diesel::dsl::exists(users::table.find(one.actor_id))).get_result(conn)?;
    if exists || !actor_exists {
        return Ok(false);
    }
    // The article may have been deleted before the job ran: the notification still
    // tells what happened (by its subject), without the reference.
    let article_id = match one.article_id {
        Some(id) => articles::table
            .find(id)
            .select(articles::id)
            .first::<i32>(conn)
            .optional()?,
        None => None,
    };
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(one.user_id),
            notifications::kind.eq(&one.kind),
            notifications::actor_id.eq(one.actor_id),
            notifications::article_id.eq(article_id),
            notifications::subject.eq(&one.subject),
            notifications::detail.eq(&one.detail),
            notifications::reason.eq(&one.reason),
            notifications::dedupe_key.eq(&key),
            notifications::emailed.eq(false),
            notifications::created_at.eq(time::now()),
        ))
        .execute(conn)?;
    if email_settings::load(conn, one.user_id)?.wants(&one.kind) {
        let id: i32 = notifications::table
            .filter(notifications::dedupe_key.eq(&key))
            .select(notifications::id)
            .first(conn)?;
        queue_emails(conn, &[id], &[one.user_id])?;
    }
    Ok(true)
}

/// Marks notifications `ids` (of `users`) as waiting for their email, and makes sure
/// each of `users` has a job to send them.
fn queue_emails(conn: &mut DbConnection, ids: &[i32], users: &[i32]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
        .set(notifications::emailed.eq(true))
        .execute(conn)?;
    for &user in users {
        queue_email(conn, user)?;
    }
    Ok(())
}

/// Unread notifications of `user_id`.
pub fn unread_count(conn: &mut DbConnection, user_id: i32) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Loads views for `rows` in two more queries (actors, articles). `sees_hidden(user)`:
/// the recipient is staff, who may read hidden articles; authors always read their own.
fn views(
    conn: &mut DbConnection,
    rows: Vec<Notification>,
    sees_hidden: impl Fn(i32) -> bool,
) -> QueryResult<Vec<NotificationView>> {
    let actor_ids: Vec<i32> = rows.iter().map(|n| n.actor_id).collect();
    let article_ids: Vec<i32> = rows.iter().filter_map(|n| n.article_id).collect();
    let actors: HashMap<i32, (String, Option<String>)> = users::table
        .filter(users::id.eq_any(&actor_ids))
        .select((users::id, users::username, users::image))
        .load::<(i32, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, name, image)| (id, (name, image)))
        .collect();
    let found: HashMap<i32, ArticleFacts> = articles::table
        .filter(articles::id.eq_any(&article_ids))
        .select((
            articles::id,
            articles::slug,
            articles::title,
            articles::hidden,
            articles::author_id,
        ))
        .load::<(i32, String, String, bool, i32)>(conn)?
        .into_iter()
        .map(|(id, slug, title, hidden, author)| (id, (slug, title, hidden, author)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|n| {
            let actor = actors.get(&n.actor_id).cloned();
            let article = n.article_id.and_then(|id| found.get(&id));
            let sees_hidden = sees_hidden(n.user_id);
            NotificationView::assemble(n, actor, article, sees_hidden)
        })
        .collect())
}

/// One page of a user's notifications, newest first.
pub struct NotificationPage {
    /// The notifications of the page.
    pub views: Vec<NotificationView>,
    /// Unread notifications in all.
    pub unread: i64,
    /// Notifications in all.
    pub total: i64,
}

/// `limit` notifications of `user` from `offset`, newest first, with the unread count
/// and the total (five queries).
pub async fn list(
    db: &Db,
    user: &crate::domain::users::User,
    offset: i64,
    limit: i64,
) -> AppResult<NotificationPage> {
    let (user_id, sees_hidden) = (user.id, user.is_staff());
    db.run(move |conn| {
        let mine = notifications::table.filter(notifications::user_id.eq(user_id));
        let rows = mine
            .order((notifications::created_at.desc(), notifications::id.desc()))
            .offset(offset)
            .limit(limit)
            .select(Notification::as_select())
            .load(conn)?;
        let views = views(conn, rows, |_| sees_hidden)?;
        let unread = unread_count(conn, user_id)?;
        let total = mine.count().get_result(conn)?;
        Ok::<_, AppError>(NotificationPage {
            views,
            unread,
            total,
        })
    })
    .await
}

/// Marks the given notifications of `user_id` read (all of them when `ids` is `None`),
/// inside the caller's write transaction; returns the unread count after.
pub fn mark_read(conn: &mut DbConnection, user_id: i32, ids: Option<Vec<i32>>) -> AppResult<i64> {
    let mine = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null());
    let now = time::now();
    match ids {
        Some(ids) => diesel::update(mine.filter(notifications::id.eq_any(ids)))
            .set(notifications::read_at.eq(now))
            .execute(conn)?,
        None => diesel::update(mine)
            .set(notifications::read_at.eq(now))
            .execute(conn)?,
    };
    Ok::<_, AppError>(unread_count(conn, user_id)?)
}
