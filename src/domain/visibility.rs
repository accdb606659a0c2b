//! Who sees hidden content: staff and its author; everyone else gets "not found", as if
//! it did not exist. Lists filter in SQL (a subquery, so no extra statement per page).

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

/// Articles `viewer` may see in a list.
pub fn articles_for(viewer: Option<i32>) -> Condition<articles::table> {
    match viewer {
        None => Box::new(articles::hidden.eq(false)),
        Some(id) => Box::new(
            articles::hidden
                .eq(false)
                .or(articles::author_id.eq(id))
                .or(exists(
                    users::table
                        .filter(users::id.eq(id))
                        .filter(users::role.ne("user")),
                )),
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

/// The article `slug` if `viewer` may see it; 404 when missing or hidden from them.
pub fn visible_article(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    slug: &str,
) -> AppResult<Article> {
    let article = Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))?;
    if article.hidden && Some(article.author_id) != viewer && !is_staff(conn, viewer)? {
        return Err(AppError::NotFound("article"));
    }
    Ok(article)
}
