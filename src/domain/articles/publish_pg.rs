//! Publishing a new article on PostgreSQL in one statement.
//!
//! Each statement is a round trip to PostgreSQL, and an article create used to send
//! seven of them between `BEGIN` and `COMMIT`: the article, its new tags, their links,
//! the search queue, the read-back of its tags, its first revision and its followers'
//! fan-out job. They are one statement of common table expressions here, each reading
//! the article from the insert's `RETURNING` row, so a taken slug inserts nothing at all
//! and the caller tries the next one. SQLite, where statements cost no round trip, runs
//! them one by one ([`super::write::create`]).
//!
//! The statement also tells the author's followers, up to one batch of them
//! ([`kinds::BATCH_SIZE`]), as SQLite's create does: a fan-out job was four more
//! statements (its insert, claim, run and completion) for every article, most of them
//! for authors with a handful of followers or none, and under a flood of creates the
//! workers fell thousands of jobs behind. An author with more followers gets the job.

use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamp};

use super::Article;
use crate::domain::notifications;
use crate::domain::revisions;
use crate::jobs::{self, kinds, queue};

/// A published article as one statement stored it.
pub struct Stored {
    /// The row.
    pub article: Article,
    /// Its tags in the database's order of names.
    pub tags: Vec<String>,
    /// The followers told (their unread counts changed).
    pub told: Vec<i32>,
    /// It queued jobs (emails, or the fan-out).
    pub queued: bool,
}

/// What a publishing statement answers for each article it stored.
#[derive(QueryableByName)]
pub(super) struct Row {
    #[diesel(embed)]
    article: Article,
    /// The tags the statement attached, as a JSON array of names.
    #[diesel(sql_type = Text)]
    tag_names: String,
    /// The followers it told, as a JSON array of ids.
    #[diesel(sql_type = Text)]
    told: String,
    /// Jobs it queued: emails for followers who want them, or the fan-out.
    #[diesel(sql_type = BigInt)]
    queued: i64,
}

/// What to publish: the checked input of a create.
pub struct NewPublished<'a> {
    /// Free or not: a taken slug stores nothing.
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub body: &'a str,
    pub author_id: i32,
    /// Distinct names.
    pub tags: &'a [String],
    pub now: NaiveDateTime,
}

// The article's columns are named, not `*`: the statement stays prepared on each
// connection, and PostgreSQL refuses to run a prepared statement whose result columns a
// migration (another instance's, in a rolling upgrade) has changed.
//
// The tags are taken from `tags` as the statement found them plus those it inserted.
// A tag that another transaction inserted and committed while this statement waited on
// it is not in the statement's snapshot, so not in the first; the insert's
// `DO UPDATE` (which, unlike `DO NOTHING`, answers the row it met, committed since the
// snapshot or not) puts it in the second. It only ever meets such a tag: the names
// it tries are those the snapshot lacks, so tags in use are neither written nor locked.
// The statement thus attaches every tag, and the create is one statement.
static PUBLISH: LazyLock<String> = LazyLock::new(|| {
    let mailed = notifications::email_jobs_pg("mailed", "told", ["$13", "$11", "$12", "$15", "$6"]);
    format!(
        "\
WITH art AS (\
   INSERT INTO articles (slug, title, description, body, author_id, favorites_count, \
     created_at, updated_at, draft, publish_at) \
   VALUES ($1, $2, $3, $4, $5, 0, $6, $6, FALSE, NULL) \
   ON CONFLICT (slug) DO NOTHING \
   RETURNING id, slug, title, description, body, author_id, favorites_count, created_at, \
     updated_at, hidden, featured_at, draft, publish_at), \
 new_tags AS (\
   INSERT INTO tags (name) SELECT n FROM unnest($7::text[]) AS n \
   WHERE NOT EXISTS (SELECT 1 FROM tags WHERE name = n) \
   ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name \
   RETURNING id, name), \
 all_tags AS (\
   SELECT id, name FROM tags WHERE name = ANY($7::text[]) \
   UNION ALL SELECT id, name FROM new_tags), \
 attached AS (\
   INSERT INTO article_tags (article_id, tag_id) SELECT art.id, all_tags.id FROM art, all_tags), \
 pending AS (\
   INSERT INTO search_pending (article_id) SELECT id FROM art ON CONFLICT DO NOTHING), \
 revision AS (\
   INSERT INTO article_revisions (article_id, number, editor_id, created_at, title, \
     description, body, tags, added_lines, removed_lines) \
   SELECT id, 1, author_id, updated_at, title, description, body, $8, $9, 0 FROM art), \
 followers AS (\
   SELECT COUNT(*) AS n FROM (SELECT 1 FROM follows WHERE followee_id = $5 LIMIT $14 + 1) f), \
 told AS (\
   INSERT INTO notifications (user_id, kind, actor_id, article_id, subject, emailed, \
     created_at) \
   SELECT f.follower_id, 'article', art.author_id, art.id, art.title, \
     COALESCE((SELECT on_article FROM email_settings s WHERE s.user_id = f.follower_id), \
       FALSE), $6 \
   FROM art JOIN follows f ON f.followee_id = art.author_id \
   WHERE (SELECT n FROM followers) <= $14 \
   RETURNING user_id, emailed), \
 {mailed}, \
 fanout AS (\
   INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at, \
     updated_at) \
   SELECT $10, json_build_object('article_id', id, 'author_id', author_id)::text, $11, 0, \
     $12, $6, $6, $6 FROM art WHERE (SELECT n FROM followers) > $14 \
   RETURNING id) \
SELECT art.*, \
  (SELECT COALESCE(json_agg(name ORDER BY name), '[]') FROM all_tags)::text AS tag_names, \
  (SELECT COALESCE(json_agg(user_id), '[]') FROM told)::text AS told, \
  (SELECT COUNT(*) FROM mailed) + (SELECT COUNT(*) FROM fanout) AS queued \
FROM art"
    )
});

/// Stores `new` as a published article with its tags, its first revision, its place in
/// the search queue and its followers' notifications (and the emails of those who want
/// them), or their fan-out job ([`kinds::Fanout`]) for an author with more than a batch
/// of followers, inside the caller's transaction; `None`, having stored no article, when
/// the slug is taken.
pub fn publish(pg: &mut PgConnection, new: &NewPublished<'_>) -> QueryResult<Option<Stored>> {
    // Sorted, so that concurrent creates sharing new tags take their rows in one order.
    let mut names = new.tags.to_vec();
    names.sort_unstable();
    let (revision_tags, added_lines) = revisions::original_fields(new.body, new.tags);
    let row: Option<Row> = crate::db::prepared(PUBLISH.as_str())
        .bind::<Text, _>(new.slug)
        .bind::<Text, _>(new.title)
        .bind::<Text, _>(new.description)
        .bind::<Text, _>(new.body)
        .bind::<Integer, _>(new.author_id)
        .bind::<Timestamp, _>(new.now)
        .bind::<Array<Text>, _>(&names)
        .bind::<Text, _>(revision_tags)
        .bind::<Integer, _>(added_lines)
        .bind::<Text, _>(kinds::NOTIFY_FANOUT)
        .bind::<Text, _>(queue::QUEUED)
        .bind::<Integer, _>(jobs::DEFAULT_MAX_ATTEMPTS)
        .bind::<Text, _>(kinds::EMAIL_NOTIFICATIONS)
        .bind::<Integer, _>(i32::try_from(kinds::BATCH_SIZE).unwrap_or(i32::MAX))
        .bind::<Timestamp, _>(notifications::email_run_at(new.now))
        .get_result(pg)
        .optional()?;
    row.map(Row::stored).transpose()
}

impl Row {
    /// The stored article this row tells of.
    pub(super) fn stored(self) -> QueryResult<Stored> {
        let parse = |e| diesel::result::Error::DeserializationError(Box::new(e));
        Ok(Stored {
            article: self.article,
            tags: serde_json::from_str(&self.tag_names).map_err(parse)?,
            told: serde_json::from_str(&self.told).map_err(parse)?,
            queued: self.queued > 0,
        })
    }
}
