//! Article revisions: every save of an article keeps a full snapshot of what was saved
//! (title, description, body, tags), numbered per article from 1, the original. The
//! history is bounded: a save that changed nothing adds no revision, and at most
//! [`KEPT`] are kept per article — the original and the newest `KEPT - 1`; older ones
//! are pruned in the same transaction as the save. Bodies are capped by
//! [`input::BODY_MAX`](crate::domain::input::BODY_MAX), so one article's history stays
//! under about 50 × 101 KB ≈ 5 MB.
//!
//! Who may read a history: the author and staff (moderators, admins); to anyone else the
//! article's history does not exist (404), as for a hidden article.

pub mod diff;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{article_revisions, users};
use crate::domain::articles::Article;
use crate::domain::visibility;
use crate::error::{AppError, AppResult};

/// Most revisions kept per article: the original and the newest `KEPT - 1`.
pub const KEPT: i32 = 50;

/// A stored revision, with its full content.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions)]
pub struct Revision {
    /// Primary key.
    pub id: i32,
    /// The article it is a version of.
    pub article_id: i32,
    /// 1 for the original, then one more per save that changed something.
    pub number: i32,
    /// Who saved it.
    pub editor_id: i32,
    /// When it was saved.
    pub created_at: NaiveDateTime,
    /// Headline as saved.
    pub title: String,
    /// Summary as saved.
    pub description: String,
    /// Markdown body as saved.
    pub body: String,
    /// Tags as saved: a JSON array of names (read them with [`Revision::tag_list`]).
    pub tags: String,
    /// Body lines added since the revision before it.
    pub added_lines: i32,
    /// Body lines removed since the revision before it.
    pub removed_lines: i32,
}

impl Revision {
    /// The tags, alphabetical (an unreadable value reads as none).
    pub fn tag_list(&self) -> Vec<String> {
        let mut tags: Vec<String> = serde_json::from_str(&self.tags).unwrap_or_default();
        tags.sort();
        tags
    }

    fn same_content(&self, article: &Article, sorted_tags: &[String]) -> bool {
        self.title == article.title
            && self.description == article.description
            && self.body == article.body
            && self.tag_list() == sorted_tags
    }
}

/// One line of a history list: a revision without its content.
#[derive(Debug, Clone, Queryable)]
pub struct RevisionEntry {
    /// Its number.
    pub number: i32,
    /// Who saved it.
    pub editor: String,
    /// When.
    pub created_at: NaiveDateTime,
    /// Headline as saved.
    pub title: String,
    /// Body lines added since the revision before it.
    pub added_lines: i32,
    /// Body lines removed since the revision before it.
    pub removed_lines: i32,
}

#[derive(Insertable)]
#[diesel(table_name = article_revisions)]
struct NewRevision<'a> {
    article_id: i32,
    number: i32,
    editor_id: i32,
    created_at: NaiveDateTime,
    title: &'a str,
    description: &'a str,
    body: &'a str,
    tags: String,
    added_lines: i32,
    removed_lines: i32,
}

impl<'a> NewRevision<'a> {
    fn of(article: &'a Article, number: i32, editor_id: i32, tags: &[String]) -> Self {
        Self {
            article_id: article.id,
            number,
            editor_id,
            created_at: article.updated_at,
            title: &article.title,
            description: &article.description,
            body: &article.body,
            tags: serde_json::to_string(tags).unwrap_or_else(|_| "[]".into()),
            added_lines: 0,
            removed_lines: 0,
        }
    }
}

/// Records the first revision of a just-published `article` (one statement), inside
/// the caller's write transaction.
pub fn record_original(
    conn: &mut DbConnection,
    article: &Article,
    editor_id: i32,
    tags: &[String],
) -> QueryResult<()> {
    let (tags, added_lines) = original_fields(&article.body, tags);
    let new = NewRevision {
        tags,
        added_lines,
        ..NewRevision::of(article, 1, editor_id, &[])
    };
    diesel::insert_into(article_revisions::table)
        .values(&new)
        .execute(conn)?;
    Ok(())
}

/// What the first revision of an article with `body` and `tags` stores besides the
/// article's own fields: its tags (sorted, as JSON) and its added lines (all of them).
pub fn original_fields(body: &str, tags: &[String]) -> (String, i32) {
    let tags = serde_json::to_string(&sorted(tags)).unwrap_or_else(|_| "[]".into());
    (tags, to_i32(diff::line_count(body)))
}

/// Records `article` as just saved by `editor_id` with `tags`, inside the caller's
/// write transaction: nothing when it equals the latest revision, else a new one, and
/// the oldest beyond [`KEPT`] (never the original) are pruned. Returns the new number.
pub fn record(
    conn: &mut DbConnection,
    article: &Article,
    editor_id: i32,
    tags: &[String],
) -> QueryResult<Option<i32>> {
    let tags = sorted(tags);
    let latest: Option<Revision> = article_revisions::table
        .filter(article_revisions::article_id.eq(article.id))
        .order(article_revisions::number.desc())
        .select(Revision::as_select())
        .first(conn)
        .optional()?;
    if latest
        .as_ref()
        .is_some_and(|r| r.same_content(article, &tags))
    {
        return Ok(None);
    }
    let before = latest.as_ref().map_or("", |r| r.body.as_str());
    let (added, removed) = diff::line_changes(before, &article.body);
    let number = latest.as_ref().map_or(1, |r| r.number + 1);
    let mut new = NewRevision::of(article, number, editor_id, &tags);
    new.added_lines = to_i32(added);
    new.removed_lines = to_i32(removed);
    diesel::insert_into(article_revisions::table)
        .values(&new)
        .execute(conn)?;
    // Numbers only grow by one per save and pruning only takes the oldest, so the
    // newest KEPT - 1 are exactly those above `number - (KEPT - 1)`.
    if number > KEPT {
        diesel::delete(
            article_revisions::table
                .filter(article_revisions::article_id.eq(article.id))
                .filter(article_revisions::number.gt(1))
                .filter(article_revisions::number.le(number - (KEPT - 1))),
        )
        .execute(conn)?;
    }
    Ok(Some(number))
}

/// The article `slug` if `viewer` may read its history (its author or staff); 404 for
/// anyone else, as if it had none.
pub fn readable_article(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    slug: &str,
) -> AppResult<Article> {
    let article = Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))?;
    if Some(article.author_id) == viewer || visibility::is_staff(conn, viewer)? {
        Ok(article)
    } else {
        Err(AppError::NotFound("article"))
    }
}

/// The revisions of `article_id`, newest first, without their content.
pub fn list(conn: &mut DbConnection, article_id: i32) -> QueryResult<Vec<RevisionEntry>> {
    article_revisions::table
        .inner_join(users::table)
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::number.desc())
        .select((
            article_revisions::number,
            users::username,
            article_revisions::created_at,
            article_revisions::title,
            article_revisions::added_lines,
            article_revisions::removed_lines,
        ))
        .load(conn)
}

/// Revision `number` of `article_id` and who saved it; 404 when there is none.
pub fn find(
    conn: &mut DbConnection,
    article_id: i32,
    number: i32,
) -> AppResult<(Revision, String)> {
    article_revisions::table
        .inner_join(users::table)
        .filter(article_revisions::article_id.eq(article_id))
        .filter(article_revisions::number.eq(number))
        .select((Revision::as_select(), users::username))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("revision"))
}

/// The number of the newest revision of `article_id` (0 when it has none).
pub fn latest_number(conn: &mut DbConnection, article_id: i32) -> QueryResult<i32> {
    let latest: Option<i32> = article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .select(diesel::dsl::max(article_revisions::number))
        .first(conn)?;
    Ok(latest.unwrap_or(0))
}

/// The newest revision numbered below `number` (`None` for the original).
pub fn number_before(
    conn: &mut DbConnection,
    article_id: i32,
    number: i32,
) -> QueryResult<Option<i32>> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .filter(article_revisions::number.lt(number))
        .select(diesel::dsl::max(article_revisions::number))
        .first(conn)
}

fn sorted(tags: &[String]) -> Vec<String> {
    let mut tags = tags.to_vec();
    tags.sort();
    tags
}

/// Line counts of a body capped at 100 KB always fit; saturate rather than wrap.
fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
