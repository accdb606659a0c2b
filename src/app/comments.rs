//! Posting and deleting comments.

use super::{App, Tx, reads};
use crate::cache::Stale;
use crate::db::DbError;
use crate::domain::comments::{self, CommentInput, CommentView, NewComment};
use crate::error::{AppError, AppResult};

/// Posts a comment by `author_id` on `slug`.
pub async fn add(
    app: &App,
    author_id: i32,
    slug: String,
    input: CommentInput,
) -> AppResult<CommentView> {
    // The reply shows its author as the cache has them, as reads do; an article that
    // everyone may see is checked in the caches too, so the write need not read it.
    let author = app.publisher(author_id).await?;
    let public = reads::public_article(app, &slug).await?;
    // Known from the caches, the article costs no read: the comment's insert (with
    // its notification and email job) is then the write's one statement, which on
    // PostgreSQL it shares with the comments posted meanwhile.
    let owner = public.as_ref().map(|view| view.article.author_id);
    if let (Some(view), Some(batch)) = (&public, &app.comment_batch)
        && app
            .webhooks_quiet(view.article.author_id, "comment.created")
            .await
    {
        let new = NewComment::checked(author.id, &view.article, input)?;
        let made = match batch.submit(new.clone()).await {
            Ok(made) => made,
            Err(DbError::Query(e)) => return Err(comments::not_found_if_gone(e)),
            Err(e) => return Err(AppError::from(e)),
        };
        let told = new.notice.iter().map(|one| one.user_id).collect();
        app.batched_write_done(vec![Stale::Comments { slug }], told, made.queued > 0)
            .await;
        return Ok(new.into_view(made.id, &author));
    }
    let write = move |tx: &mut Tx<'_>| {
        let article = public.as_ref().map(|view| &view.article);
        let view = comments::add(tx.conn, &author, &slug, article, input)?;
        tx.stale(Stale::Comments { slug });
        Ok(view)
    };
    match owner {
        Some(owner) => {
            app.write_one_statement(owner, "comment.created", write)
                .await
        }
        None => app.write(write).await,
    }
}

/// Deletes comment `id` of `slug` for its author.
pub async fn delete(app: &App, user_id: i32, slug: String, id: i32) -> AppResult<()> {
    app.write(move |tx| {
        comments::delete(tx.conn, user_id, &slug, id)?;
        tx.stale(Stale::Comments { slug });
        Ok(())
    })
    .await
}
