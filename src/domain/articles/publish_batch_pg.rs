//! New articles of concurrent requests published together on PostgreSQL, one statement
//! a batch ([`crate::db::Batcher`]): what [`super::publish_pg`] stores for one article
//! (the article, its new tags and their links, its first revision, its place in the
//! search queue, its followers' notifications and their emails, or their fan-out job),
//! for every article of the batch at once.
//!
//! Each stored article is matched to its request by its slug, which is unique: a batch
//! takes one request per slug (another request for a slug already in the batch is
//! answered "taken" and tries its next one), and a slug taken by an article stored
//! before stores nothing, as alone. The articles are inserted in the order of their
//! slugs and the new tags in the order of their names, as every create does, so two
//! batches that meet on the same new slugs or tags wait for each other in one order
//! instead of each waiting for the other.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamp};

use super::fields::Fields;
use super::publish_pg::{self, NewPublished, Stored};
use super::slugs::{candidate, slug_stem};
use super::write::new_view;
use super::{ArticleInput, ArticleView};
use crate::db::BatchSql;
use crate::domain::notifications;
use crate::domain::revisions;
use crate::domain::time;
use crate::domain::users::User;
use crate::error::AppResult;
use crate::jobs::{self, kinds, queue};

/// A new article to publish under `slug`.
#[derive(Debug, Clone)]
pub struct Publication {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub body: String,
    pub author_id: i32,
    /// Distinct names.
    pub tags: Vec<String>,
    pub now: NaiveDateTime,
}

impl Publication {
    /// The checked article `raw` by `author_id`, to publish under the slug its title
    /// asks for ([`Publication::attempt`] gives the next ones): 422 with every field's
    /// error when it is not an article.
    pub fn checked(author_id: i32, raw: &ArticleInput) -> AppResult<Self> {
        let fields = Fields::checked(raw)?;
        Ok(Self {
            slug: slug_stem(&fields.title),
            title: fields.title,
            description: fields.description,
            body: fields.body,
            author_id,
            tags: fields.tags,
            now: time::now(),
        })
    }

    /// This publication under the slug tried at `attempt` (from 0) of
    /// [`super::SLUG_ATTEMPTS`], from the slug [`Publication::checked`] gave it.
    pub fn attempt(&self, attempt: usize) -> Self {
        Self {
            slug: candidate(&slug_stem(&self.title), attempt),
            ..self.clone()
        }
    }

    /// The article `stored` as its author `author` sees it.
    pub fn view(author: &User, stored: Stored) -> ArticleView {
        new_view(author, stored.article, stored.tags)
    }
}

/// How the publications' batcher stores them: each answers its stored article, or
/// `None` when its slug is taken.
pub const SQL: BatchSql<Publication, Option<Stored>> = BatchSql {
    name: "publications",
    many: publish_many,
    one: publish_one,
};

/// [`publish_pg::publish`] for one publication, alone.
fn publish_one(pg: &mut PgConnection, item: &Publication) -> QueryResult<Option<Stored>> {
    publish_pg::publish(
        pg,
        &NewPublished {
            slug: &item.slug,
            title: &item.title,
            description: &item.description,
            body: &item.body,
            author_id: item.author_id,
            tags: &item.tags,
            now: item.now,
        },
    )
}

static PUBLISH_MANY: LazyLock<String> = LazyLock::new(|| {
    let mailed =
        notifications::email_jobs_pg("mailed", "told", ["$13", "$11", "$12", "$16", "$17"]);
    format!(
        "\
WITH input AS MATERIALIZED (\
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], \
     $6::timestamp[], $7::text[], $8::int4[]) \
   WITH ORDINALITY AS i(slug, title, description, body, author_id, at, revision_tags, \
     added_lines, n)), \
 tag_input AS MATERIALIZED (SELECT * FROM unnest($9::int8[], $10::text[]) AS t(n, name)), \
 art AS (\
   INSERT INTO articles (slug, title, description, body, author_id, favorites_count, \
     created_at, updated_at, draft, publish_at) \
   SELECT slug, title, description, body, author_id, 0, at, at, FALSE, NULL \
   FROM input ORDER BY slug \
   ON CONFLICT (slug) DO NOTHING \
   RETURNING id, slug, title, description, body, author_id, favorites_count, created_at, \
     updated_at, hidden, featured_at, draft, publish_at), \
 stored AS MATERIALIZED (\
   SELECT art.*, i.n, i.revision_tags, i.added_lines FROM art JOIN input i USING (slug)), \
 names AS (SELECT DISTINCT name FROM tag_input), \
 new_tags AS (\
   INSERT INTO tags (name) SELECT name FROM names \
   WHERE NOT EXISTS (SELECT 1 FROM tags WHERE tags.name = names.name) ORDER BY name \
   ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name \
   RETURNING id, name), \
 all_tags AS (\
   SELECT id, name FROM tags WHERE name IN (SELECT name FROM names) \
   UNION ALL SELECT id, name FROM new_tags), \
 tagged AS MATERIALIZED (\
   SELECT s.n, s.id AS article_id, a.id AS tag_id, a.name \
   FROM stored s JOIN tag_input t ON t.n = s.n JOIN all_tags a ON a.name = t.name), \
 attached AS (\
   INSERT INTO article_tags (article_id, tag_id) SELECT article_id, tag_id FROM tagged), \
 pending AS (\
   INSERT INTO search_pending (article_id) SELECT id FROM stored ON CONFLICT DO NOTHING), \
 revision AS (\
   INSERT INTO article_revisions (article_id, number, editor_id, created_at, title, \
     description, body, tags, added_lines, removed_lines) \
   SELECT id, 1, author_id, updated_at, title, description, body, revision_tags, \
     added_lines, 0 FROM stored), \
 followers AS MATERIALIZED (\
   SELECT s.n, (SELECT COUNT(*) FROM (SELECT 1 FROM follows WHERE followee_id = s.author_id \
     LIMIT $15 + 1) f) AS many FROM stored s), \
 told AS (\
   INSERT INTO notifications (user_id, kind, actor_id, article_id, subject, emailed, \
     created_at) \
   SELECT f.follower_id, 'article', s.author_id, s.id, s.title, \
     COALESCE((SELECT on_article FROM email_settings e WHERE e.user_id = f.follower_id), \
       FALSE), s.created_at \
   FROM stored s JOIN followers c USING (n) JOIN follows f ON f.followee_id = s.author_id \
   WHERE c.many <= $15 \
   RETURNING user_id, emailed, article_id), \
 {mailed}, \
 fanout AS (\
   INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at, \
     updated_at) \
   SELECT $14, json_build_object('article_id', s.id, 'author_id', s.author_id)::text, $11, \
     0, $12, s.created_at, s.created_at, s.created_at \
   FROM stored s JOIN followers c USING (n) WHERE c.many > $15 \
   RETURNING id) \
SELECT s.id, s.slug, s.title, s.description, s.body, s.author_id, s.favorites_count, \
  s.created_at, s.updated_at, s.hidden, s.featured_at, s.draft, s.publish_at, s.n, \
  (SELECT COALESCE(json_agg(name ORDER BY name), '[]') FROM tagged x WHERE x.n = s.n)::text \
    AS tag_names, \
  (SELECT COALESCE(json_agg(user_id), '[]') FROM told WHERE told.article_id = s.id)::text \
    AS told, \
  (SELECT COUNT(*) FROM mailed) + (SELECT COUNT(*) FROM fanout) AS queued \
FROM stored s ORDER BY s.n"
    )
});

#[derive(QueryableByName)]
struct Row {
    #[diesel(embed)]
    published: publish_pg::Row,
    /// The publication's place in the statement's input, from 1.
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Publishes `batch` in one statement, a transaction of its own; answers each
/// publication's stored article in the batch's order, or `None` for a slug taken.
fn publish_many(pg: &mut PgConnection, batch: &[Publication]) -> QueryResult<Vec<Option<Stored>>> {
    if let [one] = batch {
        return publish_one(pg, one).map(|stored| vec![stored]);
    }
    // One publication per slug: the first asks, the others hear "taken".
    let mut slugs = HashSet::new();
    let asked: Vec<(usize, &Publication)> = batch
        .iter()
        .enumerate()
        .filter(|(_, item)| slugs.insert(item.slug.as_str()))
        .collect();
    let now = batch.iter().map(|item| item.now).max().unwrap_or_default();
    let originals: Vec<(String, i32)> = asked
        .iter()
        .map(|(_, item)| revisions::original_fields(&item.body, &item.tags))
        .map(|(tags, added)| (tags.to_owned(), added))
        .collect();
    let column = |field: fn(&Publication) -> &str| -> Vec<&str> {
        asked.iter().map(|(_, item)| field(item)).collect()
    };
    let mut tag_n = Vec::new();
    let mut tag_names = Vec::new();
    for (n, (_, item)) in (1_i64..).zip(&asked) {
        for tag in &item.tags {
            tag_n.push(n);
            tag_names.push(tag.as_str());
        }
    }
    let rows: Vec<Row> = crate::db::prepared(PUBLISH_MANY.as_str())
        .bind::<Array<Text>, _>(column(|item| &item.slug))
        .bind::<Array<Text>, _>(column(|item| &item.title))
        .bind::<Array<Text>, _>(column(|item| &item.description))
        .bind::<Array<Text>, _>(column(|item| &item.body))
        .bind::<Array<Integer>, _>(
            asked
                .iter()
                .map(|(_, item)| item.author_id)
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Timestamp>, _>(asked.iter().map(|(_, item)| item.now).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(
            originals
                .iter()
                .map(|(tags, _)| tags.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Integer>, _>(
            originals
                .iter()
                .map(|(_, added)| *added)
                .collect::<Vec<_>>(),
        )
        .bind::<Array<BigInt>, _>(tag_n)
        .bind::<Array<Text>, _>(tag_names)
        .bind::<Text, _>(queue::QUEUED)
        .bind::<Integer, _>(jobs::DEFAULT_MAX_ATTEMPTS)
        .bind::<Text, _>(kinds::EMAIL_NOTIFICATIONS)
        .bind::<Text, _>(kinds::NOTIFY_FANOUT)
        .bind::<Integer, _>(i32::try_from(kinds::BATCH_SIZE).unwrap_or(i32::MAX))
        .bind::<Timestamp, _>(notifications::email_run_at(now))
        .bind::<Timestamp, _>(now)
        .load(pg)?;
    let mut answers: Vec<Option<Stored>> = batch.iter().map(|_| None).collect();
    for row in rows {
        let place = usize::try_from(row.n - 1)
            .ok()
            .and_then(|at| asked.get(at))
            .map(|(place, _)| *place);
        let Some(place) = place else {
            return Err(diesel::result::Error::DeserializationError(
                "a batch of articles answered a row it was not given".into(),
            ));
        };
        answers[place] = Some(row.published.stored()?);
    }
    Ok(answers)
}
