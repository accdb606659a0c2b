//! Publishing, editing and deleting articles, and favorites.

use super::App;
use crate::cache::Stale;
use crate::domain::articles::{self, Article, ArticleChanges, ArticleInput, ArticleView};
use crate::error::AppResult;

/// Publishes an article by `author_id`.
pub async fn create(app: &App, author_id: i32, input: ArticleInput) -> AppResult<ArticleView> {
    app.check_may_publish(author_id).await?;
    app.write(move |tx| {
        let view = articles::create(tx.conn, author_id, input)?;
        tx.stale(Stale::ArticleCreated);
        Ok(view)
    })
    .await
}

/// Edits the article `slug` for its author.
pub async fn update(
    app: &App,
    user_id: i32,
    slug: String,
    changes: ArticleChanges,
) -> AppResult<ArticleView> {
    app.write(move |tx| {
        let view = articles::update(tx.conn, user_id, &slug, changes)?;
        tx.stale(Stale::ArticleEdited {
            id: view.article.id,
            slug: view.article.slug.clone(),
        });
        Ok(view)
    })
    .await
}

/// Deletes the article `slug` for its author; returns the row as it was.
pub async fn delete(app: &App, user_id: i32, slug: String) -> AppResult<Article> {
    app.write(move |tx| {
        let gone = articles::delete(tx.conn, user_id, &slug)?;
        tx.stale(Stale::ArticleDeleted {
            id: gone.id,
            slug: gone.slug.clone(),
        });
        Ok(gone)
    })
    .await
}

/// Makes `slug` a favorite of `user_id` (idempotent).
pub async fn favorite(app: &App, user_id: i32, slug: String) -> AppResult<ArticleView> {
    set_favorite(app, user_id, slug, true).await
}

/// Removes `slug` from the favorites of `user_id` (idempotent).
pub async fn unfavorite(app: &App, user_id: i32, slug: String) -> AppResult<ArticleView> {
    set_favorite(app, user_id, slug, false).await
}

async fn set_favorite(app: &App, user_id: i32, slug: String, on: bool) -> AppResult<ArticleView> {
    app.write(move |tx| {
        let view = articles::set_favorite(tx.conn, user_id, &slug, on)?;
        tx.stale(Stale::Favorite {
            id: view.article.id,
            slug: view.article.slug.clone(),
            user: user_id,
        });
        Ok(view)
    })
    .await
}
