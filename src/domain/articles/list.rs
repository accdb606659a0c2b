//! Reading articles: filtered lists, the feed and single articles.

use diesel::prelude::*;

use super::{Article, ArticleView, load_views};
use crate::db::schema::{article_tags, articles, favorites, follows};
use crate::db::{Db, DbConnection};
use crate::domain::{tags, users::User};
use crate::error::{AppError, AppResult, FieldErrors};

/// Largest page an API client may ask for.
pub const MAX_LIMIT: i64 = 100;
/// Page size when none is given.
pub const DEFAULT_LIMIT: i64 = 20;
/// Deepest offset accepted (beyond it, results are empty anyway on any real site).
pub const MAX_OFFSET: i64 = 10_000_000;

/// Which articles to list.
#[derive(Debug, Default, Clone)]
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
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// Rows to return.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
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
        Ok(Self { limit, offset })
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
}

impl Resolved {
    fn matches_nothing(&self) -> bool {
        [self.tag_id, self.author_id, self.favoriter_id]
            .iter()
            .any(|f| matches!(f, Some(None)))
    }

    fn query(&self) -> articles::BoxedQuery<'static, Backend> {
        let mut query = articles::table.into_boxed();
        if let Some(Some(tag_id)) = self.tag_id {
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

fn resolve(conn: &mut DbConnection, filter: &ArticleFilter) -> QueryResult<Resolved> {
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
    })
}

/// A page of articles matching `filter`, newest first, as `viewer` sees them.
pub async fn list(
    db: &Db,
    viewer: Option<i32>,
    filter: ArticleFilter,
    page: PageRequest,
) -> AppResult<ArticlePage> {
    db.run(move |conn| {
        let resolved = resolve(conn, &filter)?;
        if resolved.matches_nothing() {
            return Ok(ArticlePage {
                articles: Vec::new(),
                total: 0,
            });
        }
        let total: i64 = resolved.query().count().get_result(conn)?;
        let rows = resolved
            .query()
            .order((articles::created_at.desc(), articles::id.desc()))
            .limit(page.limit)
            .offset(page.offset)
            .select(Article::as_select())
            .load(conn)?;
        let articles = load_views(conn, viewer, rows)?;
        Ok::<_, AppError>(ArticlePage { articles, total })
    })
    .await
}

/// The article with `slug` as `viewer` sees it.
pub async fn get(db: &Db, viewer: Option<i32>, slug: String) -> AppResult<ArticleView> {
    db.run(move |conn| {
        let article = Article::find_by_slug(conn, &slug)?.ok_or(AppError::NotFound("article"))?;
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
