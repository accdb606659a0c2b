//! Article histories: the list and the diff between two revisions (author and staff
//! only), and restoring a revision, which is an ordinary edit through
//! [`articles::update`](super::articles::update) (same validation, cache invalidation,
//! search re-indexing and `article.updated` webhook) and so records a new revision:
//! restoring never rewrites history.

use super::App;
use crate::domain::articles::{Article, ArticleChanges};
use crate::domain::revisions::{self, Revision, RevisionEntry, diff};
use crate::error::{AppError, AppResult};

/// An article's history as its author or staff see it.
#[derive(Debug)]
pub struct History {
    /// The article as it is now.
    pub article: Article,
    /// Its revisions, newest first.
    pub revisions: Vec<RevisionEntry>,
}

/// Two revisions side by side and what differs.
#[derive(Debug)]
pub struct Comparison {
    /// The article as it is now.
    pub article: Article,
    /// The older side and who saved it.
    pub from: (Revision, String),
    /// The newer side and who saved it.
    pub to: (Revision, String),
    /// The number of the newest revision (the current content).
    pub latest: i32,
    /// What changed from `from` to `to`.
    pub diff: diff::RevisionDiff,
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The article's slug (unchanged: edits keep it).
    pub slug: String,
    /// The revision whose content is back.
    pub restored: i32,
    /// The revision that recorded it; `None` when it was the current content already.
    pub recorded: Option<i32>,
}

/// The history of `slug` for `viewer`; 404 unless they wrote it or are staff.
pub async fn history(app: &App, viewer: Option<i32>, slug: String) -> AppResult<History> {
    app.db()
        .run(move |conn| {
            let article = revisions::readable_article(conn, viewer, &slug)?;
            let revisions = revisions::list(conn, article.id)?;
            Ok(History { article, revisions })
        })
        .await
}

/// Revisions `from` and `to` of `slug` and their differences, for `viewer` (404 unless
/// they wrote it or are staff, or when a revision does not exist). Without `to`, the
/// newest; without `from`, the one before `to`.
pub async fn compare(
    app: &App,
    viewer: Option<i32>,
    slug: String,
    from: Option<i32>,
    to: Option<i32>,
) -> AppResult<Comparison> {
    let (article, from, to, latest) = app
        .db()
        .run(move |conn| {
            let article = revisions::readable_article(conn, viewer, &slug)?;
            let latest = revisions::latest_number(conn, article.id)?;
            let to = to.unwrap_or(latest);
            let from = match from {
                Some(n) => n,
                None => revisions::number_before(conn, article.id, to)?.unwrap_or(to),
            };
            let from = revisions::find(conn, article.id, from)?;
            let to = revisions::find(conn, article.id, to)?;
            Ok::<_, AppError>((article, from, to, latest))
        })
        .await?;
    // Diffing two 100 KB bodies is CPU work: off the async workers.
    let (from_rev, to_rev) = (from.0.clone(), to.0.clone());
    let diff = actix_web::web::block(move || diff::compare(&from_rev, &to_rev))
        .await
        .map_err(|e| AppError::Internal(format!("revision diff: {e}")))?;
    Ok(Comparison {
        article,
        from,
        to,
        latest,
        diff,
    })
}

/// Writes revision `number` of `slug` back as the article's content, on behalf of
/// `user_id`: 404 unless they may read the history, then whatever an edit by them
/// answers (403 for staff, who may read but not edit others' articles).
pub async fn restore(app: &App, user_id: i32, slug: String, number: i32) -> AppResult<Restored> {
    let lookup = slug.clone();
    let (revision, before) = app
        .db()
        .run(move |conn| {
            let article = revisions::readable_article(conn, Some(user_id), &lookup)?;
            let (revision, _) = revisions::find(conn, article.id, number)?;
            let before = revisions::latest_number(conn, article.id)?;
            Ok::<_, AppError>((revision, before))
        })
        .await?;
    let article_id = revision.article_id;
    let changes = ArticleChanges {
        title: Some(Some(revision.title.clone())),
        description: Some(Some(revision.description.clone())),
        body: Some(Some(revision.body.clone())),
        tag_list: Some(Some(revision.tag_list())),
        published: None,
        publish_at: None,
    };
    let edited = super::articles::update(app, user_id, slug, changes).await?;
    let after = app
        .db()
        .run(move |conn| revisions::latest_number(conn, article_id).map_err(AppError::from))
        .await?;
    Ok(Restored {
        slug: edited.view.article.slug,
        restored: number,
        recorded: (after > before).then_some(after),
    })
}
