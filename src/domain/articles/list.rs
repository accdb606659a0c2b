//! Reading articles: filtered lists, the feed and single articles.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Article, ArticleView, load_views};
use crate::db::schema::{article_tags, articles, favorites, follows};
use crate::db::{Db, DbConnection};
use crate::domain::{tags, users::User, visibility};
use crate::error::{AppError, AppResult, FieldErrors};

/// Largest page an API client may ask for.
pub const MAX_LIMIT: i64 = 100;
/// Page size when none is given.
pub const DEFAULT_LIMIT: i64 = 20;
/// Deepest offset accepted (beyond it, results are empty anyway on any real site).
pub const MAX_OFFSET: i64 = 10_000_000;

/// Which articles to list.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct ArticleFilter {
    /// Only articles with this tag.
    pub tag: Option<String>,
    /// Only articles by this username.
    pub author: Option<String>,
    /// Only articles favorited by this username.
    pub favorited_by: Option<String>,
    /// Only articles by authors this user id follows (the feed).
    pub feed_of: Option<i32>,
}

/// A validated page window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to return.
    pub limit: i64,
    /// Rows to skip (ignored when `after` is set).
    pub offset: i64,
    /// Keyset position: the page starts just after this article in list order, so deep
    /// pages cost the same as the first (the site's "Older" links use it).
    pub after: Option<Cursor>,
}

/// A position in a list ordered newest first: the last article of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// Its publication time.
    pub created_at: NaiveDateTime,
    /// Its id (breaks ties between equal times).
    pub id: i32,
}

impl Cursor {
    /// The cursor just after `article`.
    pub fn after(article: &Article) -> Self {
        Self {
            created_at: article.created_at,
            id: article.id,
        }
    }

    /// `<milliseconds since 1970>_<id>`, short and URL-safe.
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.created_at.and_utc().timestamp_millis(),
            self.id
        )
    }

    /// Reads [`Cursor::encode`]'s output; anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (millis, id) = raw.trim().split_once('_')?;
        let created_at = chrono::DateTime::from_timestamp_millis(millis.parse().ok()?)?.naive_utc();
        Some(Self {
            created_at,
            id: id.parse().ok()?,
        })
    }
}

impl PageRequest {
    /// Parses `limit` and `offset` query values; nonsense is a 422 naming the parameter.
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> AppResult<Self> {
        let mut errors = FieldErrors::default();
        let mut number = |name: &str, raw: Option<&str>, default: i64, min: i64, max: i64| match raw
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => default,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    errors.add(name, format!("must be a whole number from {min} to {max}"));
                    default
                }
            },
        };
        let limit = number("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
        let offset = number("offset", offset, 0, 0, MAX_OFFSET);
        errors.into_result()?;
        Ok(Self {
            limit,
            offset,
            after: None,
        })
    }
}

/// One page of articles and the total matching the filter.
#[derive(Debug, Clone)]
pub struct ArticlePage {
    /// The page, newest first.
    pub articles: Vec<ArticleView>,
    /// All matches, for pagination.
    pub total: i64,
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// Filter values resolved to ids; `None` in a field means "matches nothing".
struct Resolved {
    tag_id: Option<Option<i32>>,
    author_id: Option<Option<i32>>,
    favoriter_id: Option<Option<i32>>,
    feed_of: Option<i32>,
    viewer: Option<i32>,
}

impl Resolved {
    fn matches_nothing(&self) -> bool {
        [self.tag_id, self.author_id, self.favoriter_id]
            .iter()
            .any(|f| matches!(f, Some(None)))
    }

    /// The filtered articles. `for_page` picks the tag filter's shape: for one page in
    /// date order, `EXISTS` lets both backends walk the date index and stop after a
    /// page (flat at any table size); for a count, `IN` reads only the tag's index range.
    fn query(&self, for_page: bool) -> articles::BoxedQuery<'static, Backend> {
        let mut query = articles::table
            .into_boxed()
            .filter(visibility::articles_for(self.viewer));
        if let Some(Some(tag_id)) = self.tag_id
            && for_page
        {
            query = query.filter(diesel::dsl::exists(
                article_tags::table
                    .filter(article_tags::article_id.eq(articles::id))
                    .filter(article_tags::tag_id.eq(tag_id)),
            ));
        } else if let Some(Some(tag_id)) = self.tag_id {
            query = query.filter(
                articles::id.eq_any(
                    article_tags::table
                        .filter(article_tags::tag_id.eq(tag_id))
                        .select(article_tags::article_id),
                ),
            );
        }
        if let Some(Some(author_id)) = self.author_id {
            query = query.filter(articles::author_id.eq(author_id));
        }
        if let Some(Some(user_id)) = self.favoriter_id {
            query = query.filter(
                articles::id.eq_any(
                    favorites::table
                        .filter(favorites::user_id.eq(user_id))
                        .select(favorites::article_id),
                ),
            );
        }
        if let Some(follower) = self.feed_of {
            query = query.filter(
                articles::author_id.eq_any(
                    follows::table
                        .filter(follows::follower_id.eq(follower))
                        .select(follows::followee_id),
                ),
            );
        }
        query
    }
}

fn resolve(
    conn: &mut DbConnection,
    filter: &ArticleFilter,
    viewer: Option<i32>,
) -> QueryResult<Resolved> {
    Ok(Resolved {
        tag_id: filter
            .tag
            .as_deref()
            .map(|t| tags::id_by_name(conn, t))
            .transpose()?,
        author_id: filter
            .author
            .as_deref()
            .map(|u| User::id_by_username(conn, u))
            .transpose()?,
        favoriter_id: filter
            .favorited_by
            .as_deref()
            .map(|u| User::id_by_username(conn, u))
            .transpose()?,
        feed_of: filter.feed_of,
        viewer,
    })
}

/// How many articles match `filter` among those `viewer` may see (hidden ones count for
/// staff and their author only).
pub fn count_matching(
    conn: &mut DbConnection,
    filter: &ArticleFilter,
    viewer: Option<i32>,
) -> QueryResult<i64> {
    let resolved = resolve(conn, filter, viewer)?;
    if resolved.matches_nothing() {
        return Ok(0);
    }
    resolved.query(false).count().get_result(conn)
}

/// The ids of one page of articles matching `filter` that `viewer` may see, newest
/// first: by keyset when the page has a cursor (flat cost at any depth), else by offset.
pub fn ids_in_window(
    conn: &mut DbConnection,
    filter: &ArticleFilter,
    viewer: Option<i32>,
    page: PageRequest,
) -> QueryResult<Vec<i32>> {
    let resolved = resolve(conn, filter, viewer)?;
    if resolved.matches_nothing() {
        return Ok(Vec::new());
    }
    let mut query = resolved
        .query(true)
        .order((articles::created_at.desc(), articles::id.desc()))
        .limit(page.limit)
        .select(articles::id);
    match page.after {
        Some(cursor) => {
            // `<=` on the leading index column lets both backends seek; the `OR` only
            // breaks ties at equal times.
            query = query
                .filter(articles::created_at.le(cursor.created_at))
                .filter(
                    articles::created_at
                        .lt(cursor.created_at)
                        .or(articles::id.lt(cursor.id)),
                );
        }
        None => query = query.offset(page.offset),
    }
    query.load(conn)
}

/// The articles with these ids, in this order, as an anonymous reader sees them (no
/// favorited or following state): the part every viewer shares, so never a draft.
pub fn shared_views(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<ArticleView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = articles::table
        .filter(articles::id.eq_any(ids))
        .filter(articles::draft.eq(false))
        .select(Article::as_select())
        .load(conn)?;
    rows.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
    load_views(conn, None, rows)
}

/// As [`shared_views`] for list entries, which show no body: the body is not read
/// (left empty; `reading_minutes` is 1). Cold feed and list pages read many articles
/// no one opened, and the bodies were most of what their rows weigh, on disk and in
/// memory.
pub fn summary_views(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<ArticleView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let no_body = String::new().into_sql::<diesel::sql_types::Text>();
    let mut rows: Vec<Article> = articles::table
        .filter(articles::id.eq_any(ids))
        .filter(articles::draft.eq(false))
        .select((
            articles::id,
            articles::slug,
            articles::title,
            articles::description,
            no_body,
            articles::author_id,
            articles::favorites_count,
            articles::created_at,
            articles::updated_at,
            articles::hidden,
            articles::featured_at,
            articles::draft,
            articles::publish_at,
        ))
        .load(conn)?;
    rows.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
    load_views(conn, None, rows)
}

/// The viewer's own state for a page: which of `article_ids` they favorited and which
/// of `author_ids` they follow (two queries, none for anonymous viewers).
pub fn viewer_marks(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    article_ids: &[i32],
    author_ids: &[i32],
) -> QueryResult<(HashSet<i32>, HashSet<i32>)> {
    let Some(viewer) = viewer else {
        return Ok((HashSet::new(), HashSet::new()));
    };
    let favorited = if article_ids.is_empty() {
        HashSet::new()
    } else {
        favorites::table
            .filter(favorites::user_id.eq(viewer))
            .filter(favorites::article_id.eq_any(article_ids))
            .select(favorites::article_id)
            .load::<i32>(conn)?
            .into_iter()
            .collect()
    };
    let followed = crate::domain::profiles::followed_among(conn, Some(viewer), author_ids)?
        .into_iter()
        .collect();
    Ok((favorited, followed))
}

/// A page of articles matching `filter`, newest first, as `viewer` sees them, straight
/// from the database (the cached path is `crate::app::reads::article_list`).
pub async fn list(
    db: &Db,
    viewer: Option<i32>,
    filter: ArticleFilter,
    page: PageRequest,
) -> AppResult<ArticlePage> {
    db.run(move |conn| {
        let total = count_matching(conn, &filter, viewer)?;
        let ids = ids_in_window(conn, &filter, viewer, page)?;
        let mut rows = articles::table
            .filter(articles::id.eq_any(&ids))
            .select(Article::as_select())
            .load(conn)?;
        rows.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
        let articles = load_views(conn, viewer, rows)?;
        Ok::<_, AppError>(ArticlePage { articles, total })
    })
    .await
}

/// The article with `slug` as `viewer` sees it.
pub async fn get(db: &Db, viewer: Option<i32>, slug: String) -> AppResult<ArticleView> {
    db.run(move |conn| {
        let article = visibility::visible_article(conn, viewer, &slug)?;
        one_view(conn, viewer, article)
    })
    .await
}

/// The view of one loaded article.
pub(crate) fn one_view(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    article: Article,
) -> AppResult<ArticleView> {
    load_views(conn, viewer, vec![article])?
        .pop()
        .ok_or_else(|| AppError::Internal("article view missing".into()))
}

/// Longest list of featured articles pinned on the home page.
pub const FEATURED_MAX: i64 = 5;

/// The ids of the featured articles `viewer` may see, most recently featured first.
pub fn featured_ids(conn: &mut DbConnection, viewer: Option<i32>) -> QueryResult<Vec<i32>> {
    articles::table
        .filter(articles::featured_at.is_not_null())
        .filter(visibility::articles_for(viewer))
        .order((articles::featured_at.desc(), articles::id.desc()))
        .limit(FEATURED_MAX)
        .select(articles::id)
        .load(conn)
}
