//! Publishing, editing and deleting articles, and favorites.

use super::{App, Tx};
use crate::cache::Stale;
use crate::domain::articles::{
    self, Article, ArticleChanges, ArticleInput, ArticleView, Edited, Publication,
};
use crate::error::AppResult;

/// Publishes an article by `author_id`, or saves it as a draft (which no cache holds,
/// so a draft stales nothing).
pub async fn create(app: &App, author_id: i32, input: ArticleInput) -> AppResult<ArticleView> {
    let author = app.publisher(author_id).await?;
    // Published with no webhook to tell, on PostgreSQL: with the articles published
    // meanwhile, in one statement.
    if let (false, Some(batch)) = (input.draft, &app.publish_batch)
        && app.webhooks_quiet(author_id, "article.published").await
    {
        let asked = Publication::checked(author_id, &input)?;
        for attempt in 0..articles::SLUG_ATTEMPTS {
            let Some(stored) = batch.submit(asked.attempt(attempt)).await? else {
                continue;
            };
            let (told, queued) = (stored.told.clone(), stored.queued);
            let view = Publication::view(&author, stored);
            let stale = Stale::ArticleCreated {
                tags: Some(view.tags.clone()),
            };
            app.batched_write_done(vec![stale], told, queued).await;
            return Ok(view);
        }
        return Err(articles::no_free_slug());
    }
    // A published article is one statement on PostgreSQL (a draft is several).
    let draft = input.draft;
    let write = move |tx: &mut Tx<'_>| {
        let view = articles::create(tx.conn, &author, input)?;
        if !view.article.draft {
            tx.stale(Stale::ArticleCreated {
                tags: Some(view.tags.clone()),
            });
        }
        Ok(view)
    };
    if draft {
        app.write(write).await
    } else {
        app.write_one_statement(author_id, "article.published", write)
            .await
    }
}

/// What publishing a draft makes stale: whatever a new article does, and anything of it
/// a cache may have picked up meanwhile. The editor and the scheduled job both use it.
pub fn published_draft(id: i32, slug: String) -> [Stale; 2] {
    [
        Stale::ArticleCreated { tags: None },
        Stale::ArticleEdited { id, slug },
    ]
}

/// The drafts of `user_id`, read from the database for them alone (never cached).
pub async fn drafts(app: &App, user_id: i32) -> AppResult<Vec<ArticleView>> {
    app.db
        .run(move |conn| articles::drafts_of(conn, user_id))
        .await
}

/// Edits the article `slug` for its author; `"published": true` publishes a draft.
pub async fn update(
    app: &App,
    user_id: i32,
    slug: String,
    changes: ArticleChanges,
) -> AppResult<Edited> {
    if changes.published == Some(true) {
        app.publisher(user_id).await?;
    }
    app.write(move |tx| {
        let edited = articles::update(tx.conn, user_id, &slug, changes)?;
        let (id, slug) = (edited.view.article.id, edited.view.article.slug.clone());
        if edited.published {
            for stale in published_draft(id, slug) {
                tx.stale(stale);
            }
        } else if !edited.view.article.draft {
            tx.stale(Stale::ArticleEdited { id, slug });
        }
        Ok(edited)
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
