//! Who sees hidden content: staff and its author; everyone else gets "not found", as if
//! it did not exist. Lists filter in SQL (a subquery, so no extra statement per page).
//! Drafts are in no list at all, not even their author's (they have a tab of their
//! own), and only their author opens one.

use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::db::DbConnection;
use crate::db::schema::{articles, comments, users};
use crate::domain::articles::Article;
use crate::error::{AppError, AppResult};

type Backend = <DbConnection as diesel::Connection>::Backend;

/// A boxed condition on `T`'s rows.
pub type Condition<T> = Box<dyn BoxableExpression<T, Backend, SqlType = Bool>>;

/// Articles `viewer` may see in a list (never drafts).
pub fn articles_for(viewer: Option<i32>) -> Condition<articles::table> {
    match viewer {
        None => Box::new(articles::draft.eq(false).and(articles::hidden.eq(false))),
        Some(id) => Box::new(
            articles::draft.eq(false).and(
                articles::hidden
                    .eq(false)
                    .or(articles::author_id.eq(id))
                    .or(exists(
                        users::table
                            .filter(users::id.eq(id))
                            .filter(users::role.ne("user")),
                    )),
            ),
        ),
    }
}

/// Comments `viewer` may see in a thread.
pub fn comments_for(viewer: Option<i32>) -> Condition<comments::table> {
    match viewer {
        None => Box::new(comments::hidden.eq(false)),
        Some(id) => Box::new(
            comments::hidden
                .eq(false)
                .or(comments::author_id.eq(id))
                .or(exists(
                    users::table
                        .filter(users::id.eq(id))
                        .filter(users::role.ne("user")),
                )),
        ),
    }
}

/// Whether `viewer` is a moderator or an admin.
pub fn is_staff(conn: &mut DbConnection, viewer: Option<i32>) -> QueryResult<bool> {
    let Some(id) = viewer else {
        return Ok(false);
    };
    diesel::select(exists(
        users::table
            .filter(users::id.eq(id))
            .filter(users::role.ne("user")),
    ))
    .get_result(conn)
}

/// The article `slug` if `viewer` may see it; 404 when missing, hidden from them, or
/// someone else's draft.
pub fn visible_article(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    slug: &str,
) -> AppResult<Article> {
    let article = Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))?;
    if article.draft && Some(article.author_id) != viewer {
        return Err(AppError::NotFound("article"));
    }
    if article.hidden && Some(article.author_id) != viewer && !is_staff(conn, viewer)? {
        return Err(AppError::NotFound("article"));
    }
    Ok(article)
}

/// Most favorites kept in a viewer's cached state; beyond it their marks are looked up
/// per page instead (a set that large would crowd everyone else out of the cache).
pub const MAX_VIEWER_FAVORITES: i64 = 20_000;

/// What a signed-in reader's view of shared content depends on, loaded in three
/// statements whatever they read: whom they follow, what they favorited, and whether
/// they have hidden content of their own (only then do their lists and threads differ
/// from everyone else's; staff are told apart by their role).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewerMarks {
    /// Followed user ids, ascending.
    pub follows: Vec<i32>,
    /// Favorited article ids, ascending; `None` beyond [`MAX_VIEWER_FAVORITES`].
    pub favorites: Option<Vec<i32>>,
    /// They wrote an article that staff hid.
    pub hidden_articles: bool,
    /// They wrote a comment that staff hid.
    pub hidden_comments: bool,
}

impl ViewerMarks {
    /// Loads the marks of `user_id`.
    pub fn load(conn: &mut DbConnection, user_id: i32) -> QueryResult<Self> {
        use crate::db::schema::{favorites, follows};
        let follows: Vec<i32> = follows::table
            .filter(follows::follower_id.eq(user_id))
            .order(follows::followee_id.asc())
            .select(follows::followee_id)
            .load(conn)?;
        let favorites: Vec<i32> = favorites::table
            .filter(favorites::user_id.eq(user_id))
            .order(favorites::article_id.asc())
            .select(favorites::article_id)
            .limit(MAX_VIEWER_FAVORITES + 1)
            .load(conn)?;
        let over = favorites.len() as i64 > MAX_VIEWER_FAVORITES;
        let (hidden_articles, hidden_comments) = diesel::select((
            exists(
                articles::table
                    .filter(articles::author_id.eq(user_id))
                    .filter(articles::hidden.eq(true)),
            ),
            exists(
                comments::table
                    .filter(comments::author_id.eq(user_id))
                    .filter(comments::hidden.eq(true)),
            ),
        ))
        .get_result(conn)?;
        Ok(Self {
            follows,
            favorites: (!over).then_some(favorites),
            hidden_articles,
            hidden_comments,
        })
    }

    /// Whether they follow `user_id`.
    pub fn follows(&self, user_id: i32) -> bool {
        self.follows.binary_search(&user_id).is_ok()
    }

    /// Whether they favorited `article_id`; `None` when their favorites are not held.
    pub fn favorited(&self, article_id: i32) -> Option<bool> {
        self.favorites
            .as_ref()
            .map(|f| f.binary_search(&article_id).is_ok())
    }
}
