//! Writing articles: publish, edit, delete and favorites.

use diesel::prelude::*;

use super::fields::{Fields, required_body};
use super::list::one_view;
use super::slugs::{slug_stem, with_free_slug};
use super::{Article, ArticleView, drafts, publish_pg};
use crate::db::schema::{articles, favorites};
use crate::db::{Db, DbConnection};
use crate::domain::profiles::Profile;
use crate::domain::users::User;
use crate::domain::{events, input, revisions, search, tags, time, visibility};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::jobs::wake;

/// A new article, as received (from the editor form or the API).
#[derive(Debug, Default, Clone)]
pub struct ArticleInput {
    /// Headline.
    pub title: Option<String>,
    /// Summary.
    pub description: Option<String>,
    /// Markdown body.
    pub body: Option<String>,
    /// Tags.
    pub tag_list: Option<Vec<String>>,
    /// Save it unpublished.
    pub draft: bool,
    /// For a draft: when to publish it (see [`super::drafts::publish_time`]).
    pub publish_at: Option<String>,
}

/// Edits to an article, as received: absent fields (outer `None`) stay as they are; an
/// inner `None` was sent as `null`.
#[derive(Debug, Default, Clone)]
pub struct ArticleChanges {
    /// New headline.
    pub title: Option<Option<String>>,
    /// New summary.
    pub description: Option<Option<String>>,
    /// New body.
    pub body: Option<Option<String>>,
    /// New tags; `[]` removes all, `null` is refused.
    pub tag_list: Option<Option<Vec<String>>>,
    /// `Some(true)` publishes a draft now; `Some(false)` keeps it a draft (refused for a
    /// published article: unpublishing is not offered).
    pub published: Option<bool>,
    /// For a draft: a new publication time, or `None` to cancel the schedule.
    pub publish_at: Option<Option<String>>,
}

/// What an edit did, besides the article as it now is.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The article as its author sees it.
    pub view: ArticleView,
    /// The edit published a draft (lists, counts and tags change as for a new article).
    pub published: bool,
}

#[derive(Insertable)]
#[diesel(table_name = articles)]
struct NewArticle<'a> {
    slug: &'a str,
    title: &'a str,
    description: &'a str,
    body: &'a str,
    author_id: i32,
    favorites_count: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    draft: bool,
    publish_at: Option<chrono::NaiveDateTime>,
}

#[derive(AsChangeset)]
#[diesel(table_name = articles)]
struct ArticleChangeset {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    updated_at: chrono::NaiveDateTime,
}

/// Publishes an article by `author_id` (or saves it as a draft, maybe scheduled), inside
/// the caller's write transaction. Equal titles get distinct slugs. A draft fires no
/// events until it is published.
pub fn create(conn: &mut DbConnection, author: &User, raw: ArticleInput) -> AppResult<ArticleView> {
    let author_id = author.id;
    let Fields {
        title,
        description,
        body,
        tags,
        publish_at,
    } = Fields::checked(&raw)?;
    let now = time::now();
    let stem = slug_stem(&title);
    if !raw.draft
        && let DbConnection::Pg(pg) = &mut *conn
    {
        // A published article on PostgreSQL: one statement per slug tried (each
        // statement is a round trip there), then its webhooks, which their cached
        // directory usually answers without one.
        let stored = with_free_slug(&stem, |slug| {
            let new = publish_pg::NewPublished {
                slug,
                title: &title,
                description: &description,
                body: &body,
                author_id,
                tags: &tags,
                now,
            };
            publish_pg::publish(pg, &new)
        })?;
        if stored.queued {
            wake::note_enqueued();
        }
        events::told_users(&stored.told);
        let view = new_view(author, stored.article, stored.tags);
        events::article_published_webhooks(conn, &view.article, &view.author.username)?;
        return Ok(view);
    }
    let article = with_free_slug(&stem, |slug| {
        let new = NewArticle {
            slug,
            title: &title,
            description: &description,
            body: &body,
            author_id,
            favorites_count: 0,
            created_at: now,
            updated_at: now,
            draft: raw.draft,
            publish_at,
        };
        insert_unless_slug_taken(conn, &new)
    })?;
    tags::attach_to_new_article(conn, article.id, &tags)?;
    search::index(conn, &[article.id])?;
    // Its tags are read back, in the database's order of names, as reads show them.
    let stored_tags = tags::of_article(conn, article.id)?;
    let view = new_view(author, article, stored_tags);
    if let Some(at) = publish_at {
        drafts::schedule(conn, view.article.id, at)?;
    }
    if !view.article.draft {
        revisions::record_original(conn, &view.article, author_id, &view.tags)?;
        events::article_published(conn, &view.article, &view.author.username)?;
    }
    Ok(view)
}

/// A new article as its author sees it, as `one_view` would build it without its reads
/// of what the create knows: nobody has favorited an article that does not exist yet,
/// and its author, as the caller's sign-in just loaded them, follows nobody as
/// themselves. `tags` are as stored, in the database's order of names.
pub(super) fn new_view(author: &User, article: Article, tags: Vec<String>) -> ArticleView {
    ArticleView {
        tags,
        favorited: false,
        author: Profile::of(author, false),
        reading_minutes: crate::domain::markdown::reading_minutes(&article.body),
        article,
    }
}

/// Inserts `new` unless its slug is taken; the stored article, or `None`. One
/// statement on PostgreSQL (the row comes back from the insert), where each is a round
/// trip; on SQLite the row is read back by its id.
fn insert_unless_slug_taken(
    conn: &mut DbConnection,
    new: &NewArticle<'_>,
) -> QueryResult<Option<Article>> {
    match conn {
        DbConnection::Pg(pg) => diesel::insert_into(articles::table)
            .values(new)
            .on_conflict(articles::slug)
            .do_nothing()
            .returning(Article::as_returning())
            .get_result(pg)
            .optional(),
        DbConnection::Sqlite(sqlite) => {
            let stored = diesel::insert_into(articles::table)
                .values(new)
                .on_conflict(articles::slug)
                .do_nothing()
                .execute(sqlite)?;
            if stored == 0 {
                return Ok(None);
            }
            let id = crate::db::last_insert_id(sqlite)?;
            articles::table
                .find(id)
                .select(Article::as_select())
                .first(sqlite)
                .optional()
        }
    }
}

/// Edits the article `slug` on behalf of `user_id`: 404 when missing, 403 when not
/// theirs, then 422 for invalid changes. The slug stays, so links keep working. Editing
/// a draft fires no events; publishing it fires those of a new article.
/// Runs inside the caller's write transaction.
pub fn update(
    conn: &mut DbConnection,
    user_id: i32,
    slug: &str,
    raw: ArticleChanges,
) -> AppResult<Edited> {
    let article = owned_article(conn, user_id, slug)?;
    let mut errors = FieldErrors::default();
    let title = raw
        .title
        .map(|v| input::required_text(&mut errors, "title", v.as_deref(), input::TITLE_MAX));
    let description = raw.description.map(|v| {
        input::required_text(
            &mut errors,
            "description",
            v.as_deref(),
            input::DESCRIPTION_MAX,
        )
    });
    let body = raw.body.map(|v| required_body(&mut errors, v.as_deref()));
    let tags = match raw.tag_list {
        None => None,
        Some(None) => {
            errors.add("tagList", "must be a list (use [] to remove all tags)");
            None
        }
        Some(Some(list)) => Some(input::tag_list(&mut errors, &list)),
    };
    let publish_at = raw.publish_at.map(|at| {
        at.as_deref()
            .and_then(|at| drafts::publish_time(&mut errors, at))
    });
    if !article.draft && raw.published == Some(false) {
        errors.add(
            "published",
            "a published article cannot become a draft again",
        );
    }
    if !article.draft && matches!(publish_at, Some(Some(_))) {
        errors.add("publishAt", "only a draft can be scheduled");
    }
    errors.into_result()?;

    let searchable_change =
        title.is_some() || description.is_some() || body.is_some() || tags.is_some();
    diesel::update(articles::table.find(article.id))
        .set(ArticleChangeset {
            title,
            description,
            body,
            updated_at: time::next_after(article.updated_at),
        })
        .execute(conn)?;
    if let Some(tags) = tags {
        tags::set_for_article(conn, article.id, &tags)?;
    }
    if searchable_change {
        search::index(conn, &[article.id])?;
    }
    let published = article.draft && raw.published == Some(true);
    if article.draft && !published {
        drafts::reschedule(conn, &article, publish_at)?;
    }
    if published {
        drafts::publish_now(conn, &article)?;
    }
    let article = Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))?;
    let view = one_view(conn, Some(user_id), article)?;
    if !view.article.draft {
        revisions::record(conn, &view.article, user_id, &view.tags)?;
    }
    if !view.article.draft && !published {
        events::article_updated(conn, &view.article, &view.author.username)?;
    }
    Ok(Edited { view, published })
}

/// The article `slug` loaded for its author to edit: 404 when missing, 403 when not
/// theirs (the same check as [`update`], so the edit form is refused exactly when saving
/// would be).
pub async fn editable(db: &Db, user_id: i32, slug: String) -> AppResult<ArticleView> {
    db.run(move |conn| {
        let article = owned_article(conn, user_id, &slug)?;
        one_view(conn, Some(user_id), article)
    })
    .await
}

/// Deletes the article `slug` (with its comments, tags links and favorites) inside the
/// caller's write transaction; returns the row as it was, so callers can drop what they
/// cached of it.
pub fn delete(conn: &mut DbConnection, user_id: i32, slug: &str) -> AppResult<Article> {
    let article = owned_article(conn, user_id, slug)?;
    let author = crate::domain::users::User::find(conn, user_id)?
        .map(|u| u.username)
        .unwrap_or_default();
    // Nobody heard of a draft: its deletion is no news either.
    if !article.draft {
        events::article_deleted(conn, &article, &author)?;
    }
    diesel::delete(articles::table.find(article.id)).execute(conn)?;
    Ok(article)
}

/// Marks `slug` as a favorite of `user_id` (`on`) or removes it (idempotent both ways),
/// inside the caller's write transaction.
pub fn set_favorite(
    conn: &mut DbConnection,
    user_id: i32,
    slug: &str,
    on: bool,
) -> AppResult<ArticleView> {
    let article = visibility::visible_article(conn, Some(user_id), slug)?;
    lock_for_favorites(conn, article.id)?;
    let key = favorites::table.find((user_id, article.id));
    let already: bool = diesel::select(diesel::dsl::exists(key)).get_result(conn)?;
    let delta = match (on, already) {
        (true, false) => {
            diesel::insert_into(favorites::table)
                .values((
                    favorites::user_id.eq(user_id),
                    favorites::article_id.eq(article.id),
                    favorites::created_at.eq(time::now()),
                ))
                .execute(conn)?;
            events::favorited(conn, &article, user_id)?;
            1
        }
        (false, true) => {
            diesel::delete(key).execute(conn)?;
            -1
        }
        _ => 0,
    };
    if delta != 0 {
        diesel::update(articles::table.find(article.id))
            .set(articles::favorites_count.eq(articles::favorites_count + delta))
            .execute(conn)?;
    }
    let article = Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))?;
    one_view(conn, Some(user_id), article)
}

/// Makes concurrent favorite toggles of one article queue. On PostgreSQL two of them
/// would otherwise both see "not favorited yet" and the second insert would fail on the
/// key (the benchmark's write mix found it); SQLite's `BEGIN IMMEDIATE` already queues
/// them.
fn lock_for_favorites(conn: &mut DbConnection, article_id: i32) -> QueryResult<()> {
    if let DbConnection::Pg(_) = conn {
        diesel::sql_query("SELECT id FROM articles WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Integer, _>(article_id)
            .execute(conn)?;
    }
    Ok(())
}

/// The article `slug` if `user_id` wrote it: 404 before 403.
fn owned_article(conn: &mut DbConnection, user_id: i32, slug: &str) -> AppResult<Article> {
    let article = Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))?;
    if article.author_id != user_id {
        return Err(AppError::Forbidden("article"));
    }
    Ok(article)
}
