//! The admin area's searchable lists of users, articles and comments: a case-insensitive
//! substring match, a page of rows and the total, in a fixed number of queries.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::Db;
use crate::db::schema::{articles, comments, users};
use crate::domain::articles::Article;
use crate::domain::audit::escape_like;
use crate::domain::comments::Comment;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends (portable instead of `ILIKE`).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// One page of a list and the total matching.
#[derive(Debug, Clone)]
pub struct Found<T> {
    /// The page.
    pub rows: Vec<T>,
    /// Every match.
    pub total: i64,
}

/// `%term%` in lowercase, escaped for `LIKE … ESCAPE '\'`; `None` for a blank search.
fn pattern(term: &str) -> Option<String> {
    let term = term.trim();
    (!term.is_empty()).then(|| format!("%{}%", escape_like(&term.to_lowercase())))
}

/// Users whose name or email contains `term`, newest first.
pub async fn users(db: &Db, term: String, limit: i64, offset: i64) -> AppResult<Found<User>> {
    db.run(move |conn| {
        let query = || {
            let mut q = users::table.into_boxed();
            if let Some(p) = pattern(&term) {
                q = q.filter(
                    lower(users::username)
                        .like(p.clone())
                        .escape('\\')
                        .or(users::email.like(p).escape('\\')),
                );
            }
            q
        };
        let total: i64 = query().count().get_result(conn)?;
        let rows = query()
            .order((users::created_at.desc(), users::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(User::as_select())
            .load(conn)?;
        Ok::<_, AppError>(Found { rows, total })
    })
    .await
}

/// An article row with its author's name.
#[derive(Debug, Clone)]
pub struct ArticleRow {
    /// The article.
    pub article: Article,
    /// Author's username.
    pub author: String,
}

/// Articles whose title or slug contains `term`, hidden ones included, newest first.
pub async fn articles(
    db: &Db,
    term: String,
    limit: i64,
    offset: i64,
) -> AppResult<Found<ArticleRow>> {
    db.run(move |conn| {
        let query = || {
            let mut q = articles::table.into_boxed();
            if let Some(p) = pattern(&term) {
                q = q.filter(
                    lower(articles::title)
                        .like(p.clone())
                        .escape('\\')
                        .or(articles::slug.like(p).escape('\\')),
                );
            }
            q
        };
        let total: i64 = query().count().get_result(conn)?;
        let rows: Vec<(Article, String)> = query()
            .inner_join(users::table)
            .order((articles::created_at.desc(), articles::id.desc()))
            .limit(limit)
            .offset(offset)
            .select((Article::as_select(), users::username))
            .load(conn)?;
        let rows = rows
            .into_iter()
            .map(|(article, author)| ArticleRow { article, author })
            .collect();
        Ok::<_, AppError>(Found { rows, total })
    })
    .await
}

/// A comment row with its author's name and its article's slug.
#[derive(Debug, Clone)]
pub struct CommentRow {
    /// The comment.
    pub comment: Comment,
    /// Author's username.
    pub author: String,
    /// Slug of the article it is under.
    pub article_slug: String,
}

/// Comments whose text contains `term`, hidden ones included, newest first.
pub async fn comments(
    db: &Db,
    term: String,
    limit: i64,
    offset: i64,
) -> AppResult<Found<CommentRow>> {
    db.run(move |conn| {
        let query = || {
            let mut q = comments::table.into_boxed();
            if let Some(p) = pattern(&term) {
                q = q.filter(lower(comments::body).like(p).escape('\\'));
            }
            q
        };
        let total: i64 = query().count().get_result(conn)?;
        let rows: Vec<(Comment, String)> = query()
            .inner_join(users::table)
            .order((comments::created_at.desc(), comments::id.desc()))
            .limit(limit)
            .offset(offset)
            .select((Comment::as_select(), users::username))
            .load(conn)?;
        let article_ids: Vec<i32> = rows.iter().map(|(c, _)| c.article_id).collect();
        let slugs: HashMap<i32, String> = articles::table
            .filter(articles::id.eq_any(&article_ids))
            .select((articles::id, articles::slug))
            .load::<(i32, String)>(conn)?
            .into_iter()
            .collect();
        let rows = rows
            .into_iter()
            .map(|(comment, author)| CommentRow {
                article_slug: slugs.get(&comment.article_id).cloned().unwrap_or_default(),
                author,
                comment,
            })
            .collect();
        Ok::<_, AppError>(Found { rows, total })
    })
    .await
}
