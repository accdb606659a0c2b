//! Whole API answers shared by every reader who sees the same content, cached once
//! with the places of each reader's marks ([`Marked`]): a signed-in reader's answer is
//! the shared bytes with their favorites and follows written in, so it costs a copy,
//! not a load and a serialization. Also the whole article page of readers without a
//! session, and the one signed-in readers share, with holes for each one's own parts
//! ([`ArticleStencil`]). What is rendered (JSON, HTML) is the caller's business.

use std::sync::Arc;

use super::App;
use super::reads::{article, feed_page, summary_list, summary_sources};
use super::viewer;
use crate::cache::Account;
use crate::cache::marked::Marked;
use crate::cache::stencil::ArticleStencil;
use crate::cache::{CachedBody, FeedEntries, ListKey, MAX_CACHED_OFFSET};
use crate::domain::articles::{ArticleFilter, ArticlePage, ArticleView, PageRequest};
use crate::domain::visibility::ViewerMarks;
use crate::error::{AppError, AppResult};

/// A shared answer and, for a signed-in reader, their marks to write into it.
pub type Answer = (Arc<Marked>, Option<Arc<ViewerMarks>>);

/// The marks of `viewer` when the shared answers serve them (see
/// [`viewer::sees_shared`]): `Ok(None)` for a signed-in reader they do not serve.
/// The account is the caller's, as authenticated for this request, so the marks are
/// the only cache this reads.
async fn shared_reader(
    app: &App,
    viewer: Option<&Account>,
) -> AppResult<Option<Option<Arc<ViewerMarks>>>> {
    let Some(account) = viewer else {
        return Ok(Some(None));
    };
    if account.is_staff() {
        return Ok(None);
    }
    let marks = viewer::marks_of(app, account).await?;
    // Favorites too many to hold are looked up per page, on the other path.
    let served = viewer::shares_view(&marks, true) && marks.favorites.is_some();
    Ok(served.then_some(Some(marks)))
}

/// A page of articles as one shared answer, rendered once by `render` (the API's JSON)
/// and cached unless the page lies too deep; `None` when `viewer` sees a list of their
/// own (staff, an author of hidden articles).
pub async fn list_answer<R>(
    app: &App,
    viewer: Option<&Account>,
    filter: ArticleFilter,
    page: PageRequest,
    render: R,
) -> AppResult<Option<Answer>>
where
    R: Fn(ArticlePage) -> AppResult<Arc<Marked>>,
{
    let Some(reader) = shared_reader(app, viewer).await? else {
        return Ok(None);
    };
    if page.after.is_none() && page.offset > MAX_CACHED_OFFSET {
        let body = render(summary_list(app, filter, page).await?)?;
        return Ok(Some((body, reader)));
    }
    let key = ListKey::of(&filter, page);
    let body = app
        .caches
        .api_lists
        .get_or_load(key, || async {
            render(summary_list(app, filter.clone(), page).await?)
        })
        .await?;
    Ok(Some((body, reader)))
}

/// The article `slug` as one shared answer, rendered once by `render` and cached;
/// `None` when it is hidden (its author and staff get it on the other path).
pub async fn article_answer<R>(
    app: &App,
    viewer: Option<&Account>,
    slug: &str,
    render: R,
) -> AppResult<Option<Answer>>
where
    R: Fn(ArticleView) -> AppResult<Arc<Marked>>,
{
    let reader = match viewer {
        None => None,
        Some(account) => {
            let marks = viewer::marks_of(app, account).await?;
            if marks.favorites.is_none() {
                return Ok(None);
            }
            Some(marks)
        }
    };
    let body = app
        .caches
        .api_articles
        .get_or_load(slug.to_owned(), || async {
            render(article(app, None, slug).await?)
        })
        .await;
    match body {
        Ok(body) => Ok(Some((body, reader))),
        Err(AppError::NotFound(_)) if viewer.is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A page of `viewer`'s feed as its list entries joined in one fragment ([`Marked::join`]:
/// each rendered once per article by `render` and cached in `summaries`, the page's kept
/// compressed with its ids and used while none changed), the feed's length and the
/// reader's marks; `None` when their favorites are too many to hold.
pub async fn feed_answer<R>(
    app: &App,
    reader: &Account,
    page: PageRequest,
    render: R,
) -> AppResult<Option<(FeedEntries, i64, Arc<ViewerMarks>)>>
where
    R: Fn(&ArticleView) -> AppResult<Arc<Marked>>,
{
    let (viewer, marks) = (reader.id, viewer::marks_of(app, reader).await?);
    if marks.favorites.is_none() || (page.after.is_none() && page.offset > MAX_CACHED_OFFSET) {
        return Ok(None);
    }
    let (db, c) = (&app.db, &*app.caches);
    let filter = ArticleFilter {
        feed_of: Some(viewer),
        ..ArticleFilter::default()
    };
    let key = ListKey::of(&filter, page);
    // Before the page: a change of its ids since then drops what is stored below.
    let stamp = c.feeds.stamp(&key);
    let entry = feed_page(app, filter, page, Some(reader)).await?;
    // Before the entries: any of them dropped as stale since then moves it.
    let version = c.summaries.version(&entry.ids);
    if entry.kept_at(version) {
        let total = entry.total;
        return Ok(Some((FeedEntries::Kept(entry), total, marks)));
    }
    let found = c
        .summaries
        .get_many(&entry.ids, |missing| async move {
            summary_sources(db, c, missing)
                .await?
                .iter()
                .map(|view| Ok((view.article.id, render(view)?)))
                .collect()
        })
        .await?;
    let parts: Vec<Arc<Marked>> = entry
        .ids
        .iter()
        .filter_map(|id| {
            found
                .iter()
                .find(|(k, _)| k == id)
                .map(|(_, v)| Arc::clone(v))
        })
        .collect();
    let entries = Marked::join(&parts);
    if c.feeds.caching()
        && let Some(kept) = entry.with_entries(version, &entries)
    {
        c.feeds.put_if_fresh(key, Arc::new(kept), stamp).await;
        // The page kept on the account has no entries: read the one with them next.
        reader.feed.clear();
    }
    Ok(Some((FeedEntries::Read(entries), entry.total, marks)))
}

/// The page of article `slug` for a reader without a session, made by `render` (which
/// reads through this module) and cached whole, with its ETag.
pub async fn anonymous_article_page<F, Fut>(
    app: &App,
    slug: &str,
    render: F,
) -> AppResult<Arc<CachedBody>>
where
    F: Fn() -> Fut,
    Fut: Future<Output = AppResult<Arc<CachedBody>>>,
{
    app.caches
        .article_pages
        .get_or_load(slug.to_owned(), render)
        .await
}

/// A document everyone gets alike, made from the shared lists (an RSS or Atom feed, a
/// sitemap), by `path`: rendered once by `render` and cached until the lists change.
pub async fn shared_document<F, Fut>(app: &App, path: &str, render: F) -> AppResult<Arc<CachedBody>>
where
    F: Fn() -> Fut,
    Fut: Future<Output = AppResult<Arc<CachedBody>>>,
{
    app.caches
        .documents
        .get_or_load(path.to_owned(), render)
        .await
}

/// The page of article `slug` as signed-in readers share it, made by `render` and
/// cached with the article page of readers without a session (and dropped with it).
pub async fn member_article_page<F, Fut>(
    app: &App,
    slug: &str,
    render: F,
) -> AppResult<Arc<ArticleStencil>>
where
    F: Fn() -> Fut,
    Fut: Future<Output = AppResult<Arc<ArticleStencil>>>,
{
    app.caches
        .member_article_pages
        .get_or_load(slug.to_owned(), render)
        .await
}
