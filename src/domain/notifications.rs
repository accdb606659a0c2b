//! In-app notifications: created by job handlers (idempotently, keyed by `dedupe_key`),
//! listed and marked read by their recipient.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Timestamp;

use crate::db::schema::{articles, follows, notifications, users};
use crate::db::{Db, DbConnection, write_transaction};
use crate::domain::{email_settings, time};
use crate::error::{AppError, AppResult};
use crate::jobs::{self, kinds};

/// Notifications shown on one page (newest first).
pub const PAGE_SIZE: i64 = 50;

/// A notification row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    /// Primary key.
    pub id: i32,
    /// Recipient.
    pub user_id: i32,
    /// `article`, `comment`, `follower` or `favorite`.
    pub kind: String,
    /// Who caused it.
    pub actor_id: i32,
    /// The article concerned, if any.
    pub article_id: Option<i32>,
    /// When it was read.
    pub read_at: Option<NaiveDateTime>,
    /// When it happened.
    pub created_at: NaiveDateTime,
}

/// A notification with the names it shows, fully loaded.
#[derive(Debug, Clone)]
pub struct NotificationView {
    /// The row.
    pub notification: Notification,
    /// The actor's username.
    pub actor: String,
    /// The actor's image.
    pub actor_image: Option<String>,
    /// The article's slug and title.
    pub article: Option<(String, String)>,
}

impl NotificationView {
    /// One line for people: "alice published “Title”".
    pub fn sentence(&self) -> String {
        let title = self
            .article
            .as_ref()
            .map(|(_, t)| t.as_str())
            .unwrap_or("your article");
        match self.notification.kind.as_str() {
            "article" => format!("{} published “{title}”", self.actor),
            "comment" => format!("{} commented on “{title}”", self.actor),
            "favorite" => format!("{} favorited “{title}”", self.actor),
            _ => format!("{} started following you", self.actor),
        }
    }

    /// Where the notification leads.
    pub fn link(&self) -> String {
        match &self.article {
            Some((slug, _)) => format!("/article/{slug}"),
            None => format!("/profile/{}", self.actor),
        }
    }
}

/// Splits the followers of `author_id` into id ranges of at most [`kinds::BATCH_SIZE`]
/// and enqueues one batch job per range (reads only follower ids).
pub fn fan_out(conn: &mut DbConnection, fanout: &kinds::Fanout) -> QueryResult<usize> {
    let followers: Vec<i32> = follows::table
        .filter(follows::followee_id.eq(fanout.author_id))
        .order(follows::follower_id.asc())
        .select(follows::follower_id)
        .load(conn)?;
    let chunks: Vec<&[i32]> = followers.chunks(kinds::BATCH_SIZE).collect();
    write_transaction(conn, |conn| {
        for chunk in &chunks {
            if let (Some(first), Some(last)) = (chunk.first(), chunk.last()) {
                let batch = kinds::Batch {
                    article_id: fanout.article_id,
                    author_id: fanout.author_id,
                    first: *first,
                    last: *last,
                };
                jobs::enqueue(conn, kinds::NOTIFY_BATCH, &batch)?;
            }
        }
        Ok(chunks.len())
    })
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
    // Integers only are formatted into the statement; the timestamp is bound.
    let key = format!("'article:{article_id}:' || CAST(f.follower_id AS TEXT)");
    let sql = format!(
        "INSERT INTO notifications (user_id, kind, actor_id, article_id, dedupe_key, emailed, created_at) \
         SELECT f.follower_id, 'article', {author_id}, {article_id}, {key}, FALSE, $1 \
         FROM follows f WHERE f.followee_id = {author_id} \
         AND f.follower_id BETWEEN {first} AND {last} \
         AND EXISTS (SELECT 1 FROM articles a WHERE a.id = {article_id}) \
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.dedupe_key = {key})"
    );
    let sql = match conn {
        DbConnection::Pg(_) => sql,
        DbConnection::Sqlite(_) => sql.replace("$1", "?1"),
    };
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(time::now())
        .execute(conn)?;
    // Emails: only for followers who turned new-article emails on (a stored choice,
    // since the default is off), and only once per notification.
    let wanting: Vec<i32> = notifications::table
        .inner_join(
            crate::db::schema::email_settings::table
                .on(crate::db::schema::email_settings::user_id.eq(notifications::user_id)),
        )
        .filter(notifications::article_id.eq(article_id))
        .filter(notifications::kind.eq("article"))
        .filter(notifications::user_id.between(first, last))
        .filter(notifications::emailed.eq(false))
        .filter(crate::db::schema::email_settings::on_article.eq(true))
        .select(notifications::id)
        .load(conn)?;
    queue_emails(conn, &wanting)?;
    follows::table
        .filter(follows::followee_id.eq(author_id))
        .filter(follows::follower_id.between(first, last))
        .select(follows::follower_id)
        .load(conn)
}

/// Creates the notification of a single-recipient job (keyed by the job id, so a re-run
/// adds nothing) and enqueues its email if the recipient wants it, inside the caller's
/// write transaction. True when a notification was created.
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
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(one.user_id),
            notifications::kind.eq(&one.kind),
            notifications::actor_id.eq(one.actor_id),
            notifications::article_id.eq(one.article_id),
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
        queue_emails(conn, &[id])?;
    }
    Ok(true)
}

fn queue_emails(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<()> {
    for id in ids {
        jobs::enqueue(
            conn,
            kinds::EMAIL_NOTIFICATION,
            &kinds::NotificationEmail {
                notification_id: *id,
            },
        )?;
    }
    if !ids.is_empty() {
        diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
            .set(notifications::emailed.eq(true))
            .execute(conn)?;
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

/// Loads views for `rows` in two more queries (actors, articles).
fn views(conn: &mut DbConnection, rows: Vec<Notification>) -> QueryResult<Vec<NotificationView>> {
    let actor_ids: Vec<i32> = rows.iter().map(|n| n.actor_id).collect();
    let article_ids: Vec<i32> = rows.iter().filter_map(|n| n.article_id).collect();
    let actors: HashMap<i32, (String, Option<String>)> = users::table
        .filter(users::id.eq_any(&actor_ids))
        .select((users::id, users::username, users::image))
        .load::<(i32, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, name, image)| (id, (name, image)))
        .collect();
    let titles: HashMap<i32, (String, String)> = articles::table
        .filter(articles::id.eq_any(&article_ids))
        .select((articles::id, articles::slug, articles::title))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, slug, title)| (id, (slug, title)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|n| {
            let (actor, actor_image) = actors.get(&n.actor_id).cloned().unwrap_or_default();
            let article = n.article_id.and_then(|id| titles.get(&id).cloned());
            NotificationView {
                notification: n,
                actor,
                actor_image,
                article,
            }
        })
        .collect())
}

/// The newest notifications of `user_id` and the unread count (four queries).
pub async fn list(db: &Db, user_id: i32) -> AppResult<(Vec<NotificationView>, i64)> {
    db.run(move |conn| {
        let rows = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .order((notifications::created_at.desc(), notifications::id.desc()))
            .limit(PAGE_SIZE)
            .select(Notification::as_select())
            .load(conn)?;
        let views = views(conn, rows)?;
        let unread = unread_count(conn, user_id)?;
        Ok::<_, AppError>((views, unread))
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

/// What an email about notification `id` needs: recipient, the view, and the recipient's
/// settings (`None` when the notification or its recipient is gone).
pub fn for_email(
    conn: &mut DbConnection,
    id: i32,
) -> QueryResult<Option<(crate::domain::users::User, NotificationView)>> {
    let Some(row) = notifications::table
        .find(id)
        .select(Notification::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let Some(user) = crate::domain::users::User::find(conn, row.user_id)? else {
        return Ok(None);
    };
    Ok(views(conn, vec![row])?.pop().map(|view| (user, view)))
}
