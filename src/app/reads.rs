//! The cached reads: the same answers as the domain's loaders, built from the shared
//! entries plus the viewer's own state, itself cached per reader ([`super::viewer`]).
//! Staff, and readers whose own content staff hid, see hidden content: their lists and
//! threads are read for them; everyone else's come from the shared entries.

use std::sync::Arc;

use super::App;
use super::viewer::{self, personalise, sees_shared};
use crate::cache::{Account, Caches, FeedPage, ListKey, MAX_CACHED_OFFSET, SharedProfile};
use crate::db::Db;
use crate::domain::articles::{
    Article, ArticleFilter, ArticlePage, ArticleView, PageRequest, count_matching, featured_ids,
    ids_in_window, shared_views, summary_views,
};
use crate::domain::comments::{self, CommentView};
use crate::domain::profiles::Profile;
use crate::domain::users::User;
use crate::domain::{markdown, tags};
use crate::error::{AppError, AppResult};

/// A page of articles matching `filter`, newest first, as `viewer` sees them.
pub async fn article_list(
    app: &App,
    viewer: Option<i32>,
    filter: ArticleFilter,
    page: PageRequest,
) -> AppResult<ArticlePage> {
    let (ids, total) = page_ids(app, viewer, filter, page).await?;
    let shared = shared_articles(&app.db, &app.caches, &ids).await?;
    let articles = personalise(app, viewer, shared).await?;
    Ok(ArticlePage { articles, total })
}

/// As [`article_list`] for an anonymous reader, for answers that show no body (the
/// API's list entries): the articles are read as [`summary_sources`] reads them, so a
/// page of articles no one opened brings no body from the database or into the
/// `articles` store (the answer itself is what gets cached).
pub async fn summary_list(
    app: &App,
    filter: ArticleFilter,
    page: PageRequest,
) -> AppResult<ArticlePage> {
    let (ids, total) = page_ids(app, None, filter, page).await?;
    let found = summary_sources(&app.db, &app.caches, ids.to_vec()).await?;
    let articles = ids
        .iter()
        .filter_map(|id| found.iter().find(|v| v.article.id == *id))
        .map(|v| (**v).clone())
        .collect();
    Ok(ArticlePage { articles, total })
}

/// The ids of a page of articles matching `filter` as `viewer` sees them, newest
/// first, and how many match in all.
async fn page_ids(
    app: &App,
    viewer: Option<i32>,
    filter: ArticleFilter,
    page: PageRequest,
) -> AppResult<(Arc<Vec<i32>>, i64)> {
    let (db, c) = (&app.db, &*app.caches);
    let ids_and_total = if filter.feed_of.is_some()
        && filter.feed_of == viewer
        && (page.after.is_some() || page.offset <= MAX_CACHED_OFFSET)
    {
        // A feed is its reader's alone: cached under their id (the key's `feed_of`),
        // ids and count only; their favorited and following marks are added below.
        let entry = feed_page(app, filter.clone(), page, None).await?;
        (Arc::clone(&entry.ids), entry.total)
    } else if filter.feed_of.is_some() || !sees_shared(app, viewer, true).await? {
        // Staff, and authors of hidden articles, see hidden articles: their ids are not
        // shared, only the articles are.
        let f = filter.clone();
        db.run(move |conn| {
            let total = count_matching(conn, &f, viewer)?;
            Ok::<_, AppError>((Arc::new(ids_in_window(conn, &f, viewer, page)?), total))
        })
        .await?
    } else {
        let favorites = filter.favorited_by.is_some();
        let (lists, counts) = if favorites {
            (&c.favorite_lists, &c.favorite_counts)
        } else {
            (&c.lists, &c.counts)
        };
        let total = counts
            .get_or_load(filter.clone(), || {
                let f = filter.clone();
                db.run(move |conn| Ok(count_matching(conn, &f, None)?))
            })
            .await?;
        let load_ids = || {
            let f = filter.clone();
            db.run(move |conn| Ok(Arc::new(ids_in_window(conn, &f, None, page)?)))
        };
        let ids = if page.after.is_some() || page.offset <= MAX_CACHED_OFFSET {
            lists
                .get_or_load(ListKey::of(&filter, page), load_ids)
                .await?
        } else {
            load_ids().await?
        };
        (ids, total)
    };
    Ok(ids_and_total)
}

/// A page of the feed that `filter.feed_of` reads: ids and length, cached per reader;
/// kept on their `account` too when the caller has it (see `cache::slot`).
pub(super) async fn feed_page(
    app: &App,
    filter: ArticleFilter,
    page: PageRequest,
    account: Option<&Account>,
) -> AppResult<Arc<FeedPage>> {
    let reader = filter.feed_of;
    let key = ListKey::of(&filter, page);
    let load = || {
        let f = filter.clone();
        app.db.run(move |conn| {
            let total = count_matching(conn, &f, reader)?;
            let ids = Arc::new(ids_in_window(conn, &f, reader, page)?);
            Ok(Arc::new(FeedPage::new(page, ids, total)))
        })
    };
    let feeds = &app.caches.feeds;
    match account {
        Some(account) => {
            let fits = |kept: &Arc<FeedPage>| kept.page == page;
            feeds
                .get_or_load_kept_if(key, &account.feed, fits, load)
                .await
        }
        None => feeds.get_or_load(key, load).await,
    }
}

/// The featured articles `viewer` may see, most recently featured first.
pub async fn featured(app: &App, viewer: Option<i32>) -> AppResult<Vec<ArticleView>> {
    let (db, c) = (&app.db, &*app.caches);
    let load = || db.run(move |conn| Ok::<_, AppError>(Arc::new(featured_ids(conn, viewer)?)));
    let ids = if sees_shared(app, viewer, true).await? {
        c.featured.get_or_load((), load).await?
    } else {
        load().await?
    };
    let shared = shared_articles(db, c, &ids).await?;
    personalise(app, viewer, shared).await
}

/// The article `slug` as `viewer` sees it; 404 when it is hidden from them or someone
/// else's draft. No cache holds a draft: its author reads it from the database.
pub async fn article(app: &App, viewer: Option<i32>, slug: &str) -> AppResult<ArticleView> {
    let account = match viewer {
        Some(id) => viewer::account(app, id).await?,
        None => None,
    };
    let (shared, favorited, following) = article_shared(app, account.as_deref(), slug).await?;
    let mut view = (*shared).clone();
    view.favorited = favorited;
    view.author.following = following;
    Ok(view)
}

/// As [`article`], without copying it: the view as everyone sees it (or as it was read
/// for `viewer`: their own draft or hidden article) and `viewer`'s marks on it,
/// favorited and following its author.
pub async fn article_shared(
    app: &App,
    reader: Option<&Account>,
    slug: &str,
) -> AppResult<(Arc<ArticleView>, bool, bool)> {
    let (db, c) = (&app.db, &*app.caches);
    let viewer = reader.map(|account| account.id);
    let id = match (article_id(db, c, slug).await, viewer) {
        (Ok(id), _) => id,
        (Err(AppError::NotFound(_)), Some(_)) => {
            let own = crate::domain::articles::get(db, viewer, slug.to_owned()).await?;
            let (favorited, following) = (own.favorited, own.author.following);
            return Ok((Arc::new(own), favorited, following));
        }
        (Err(e), _) => return Err(e),
    };
    let view = shared_articles(db, c, &[id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("article"))?;
    if view.article.hidden
        && viewer != Some(view.article.author_id)
        && !reader.is_some_and(|account| account.is_staff())
    {
        return Err(AppError::NotFound("article"));
    }
    let (favorited, following) = match reader {
        Some(account) => viewer::marks_on(app, account, &view).await?,
        None => (false, false),
    };
    Ok((view, favorited, following))
}

/// The article `slug` if everyone may see it (published, not hidden), from the caches
/// (loaded into them on a miss); `None` otherwise. Writes about it check it here
/// instead of reading it again inside their transaction.
pub(super) async fn public_article(app: &App, slug: &str) -> AppResult<Option<Arc<ArticleView>>> {
    let (db, c) = (&app.db, &*app.caches);
    let id = match article_id(db, c, slug).await {
        Ok(id) => id,
        Err(AppError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let view = shared_articles(db, c, &[id]).await?.pop();
    Ok(view.filter(|v| !v.article.hidden))
}

/// The id of the published article `slug`; 404 when there is none (or a draft).
async fn article_id(db: &Db, c: &Caches, slug: &str) -> AppResult<i32> {
    c.slugs
        .get_or_load(slug.to_owned(), || {
            let slug = slug.to_owned();
            db.run(move |conn| {
                Article::find_by_slug(conn, &slug)?
                    .filter(|a| !a.draft)
                    .map(|a| a.id)
                    .ok_or(AppError::NotFound("article"))
            })
        })
        .await
}

/// The shared views of `ids`, in that order (articles deleted meanwhile are left out).
pub(super) async fn shared_articles(
    db: &Db,
    c: &Caches,
    ids: &[i32],
) -> AppResult<Vec<Arc<ArticleView>>> {
    let found = c
        .articles
        .get_many(ids, |missing| {
            db.run(move |conn| {
                Ok::<_, AppError>(
                    shared_views(conn, &missing)?
                        .into_iter()
                        .map(|v| (v.article.id, Arc::new(v)))
                        .collect(),
                )
            })
        })
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|(k, _)| k == id).map(|(_, v)| v.clone()))
        .collect())
}

/// The views of `ids` that list entries are rendered from, in any order: those the
/// `articles` store holds, and the others read without their bodies
/// ([`summary_views`]) and not kept there. Cold feed and list pages take in articles
/// no one opens; loaded whole into that store, their bodies crowded out the articles
/// people read, and were most of what the page read from the database.
pub(super) async fn summary_sources(
    db: &Db,
    c: &Caches,
    ids: Vec<i32>,
) -> AppResult<Vec<Arc<ArticleView>>> {
    let mut views = Vec::with_capacity(ids.len());
    let mut unread = Vec::new();
    for id in ids {
        match c.articles.peek(&id).await {
            Some(view) => views.push(view),
            None => unread.push(id),
        }
    }
    if !unread.is_empty() {
        let read = db
            .run(move |conn| Ok::<_, AppError>(summary_views(conn, &unread)?))
            .await?;
        views.extend(read.into_iter().map(Arc::new));
    }
    Ok(views)
}

/// Comments of `slug`, oldest first, as `viewer` sees their authors.
pub async fn comments(app: &App, viewer: Option<i32>, slug: &str) -> AppResult<Vec<CommentView>> {
    let (thread, shared) = thread(app, viewer, slug).await?;
    let (Some(viewer), true) = (viewer, shared) else {
        return Ok(thread.iter().cloned().collect());
    };
    let marks = viewer::marks(app, viewer).await?;
    Ok(thread
        .iter()
        .map(|c| {
            let mut view = c.clone();
            view.author.following = marks.follows(view.comment.author_id);
            view
        })
        .collect())
}

/// The comments of `slug` that `viewer` may see, oldest first, without copying them:
/// the shared thread (`true`; authors' following marks unset) or, for staff and the
/// authors of hidden comments, one read for them (`false`; marks set).
pub async fn thread(
    app: &App,
    viewer: Option<i32>,
    slug: &str,
) -> AppResult<(Arc<Vec<CommentView>>, bool)> {
    let (db, c) = (&app.db, &*app.caches);
    let own = || async {
        Ok((
            Arc::new(comments::list(db, viewer, slug.to_owned()).await?),
            false,
        ))
    };
    if !sees_shared(app, viewer, false).await? {
        // Staff, and authors of hidden comments, see hidden comments: their thread is
        // read as they see it, with their following state.
        return own().await;
    }
    let shared = c
        .comments
        .get_or_load(slug.to_owned(), || {
            let db = db.clone();
            let slug = slug.to_owned();
            async move { Ok(Arc::new(comments::list(&db, None, slug).await?)) }
        })
        .await;
    match (shared, viewer) {
        (Ok(shared), _) => Ok((shared, true)),
        // A hidden article has no shared thread; its author (and staff) see it.
        (Err(AppError::NotFound(_)), Some(_)) => own().await,
        (Err(e), _) => Err(e),
    }
}

/// The profile of `username` as `viewer` sees it.
pub async fn profile(app: &App, viewer: Option<i32>, username: &str) -> AppResult<Profile> {
    let (db, c) = (&app.db, &*app.caches);
    let shared = c
        .profiles
        .get_or_load(username.to_owned(), || {
            let username = username.to_owned();
            db.run(move |conn| {
                let user = User::find_by_username(conn, &username)?
                    .ok_or(AppError::NotFound("profile"))?;
                Ok(Arc::new(SharedProfile {
                    id: user.id,
                    profile: Profile::of(&user, false),
                }))
            })
        })
        .await?;
    let mut profile = shared.profile.clone();
    if let Some(viewer) = viewer {
        profile.following = viewer::marks(app, viewer).await?.follows(shared.id);
    }
    Ok(profile)
}

/// The popular tags.
pub async fn popular_tags(app: &App) -> AppResult<Arc<Vec<String>>> {
    let db = &app.db;
    app.caches
        .tags
        .get_or_load((), || async { Ok(Arc::new(tags::popular(db).await?)) })
        .await
}

/// The body of published article `view` as safe HTML: looked up by its version, so a
/// warm read costs no hash of the body; a miss goes through [`markdown_html`].
pub async fn article_html(app: &App, view: &ArticleView) -> AppResult<Arc<str>> {
    let version = (view.article.id, view.article.updated_at);
    app.caches
        .bodies
        .get_or_load(version, || markdown_html(app, &view.article.body))
        .await
}

/// `body` rendered to safe HTML, cached by the hash of its content (so equal bodies,
/// and an article's body across edits of other fields, render once). A miss renders on
/// the blocking pool: highlighting a long listing is milliseconds of CPU, which an
/// async worker would spend away from every other request it serves.
async fn markdown_html(app: &App, body: &str) -> AppResult<Arc<str>> {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    app.caches
        .markdown
        .get_or_load(u128::from_le_bytes(key), || {
            let body = body.to_owned();
            async move {
                let html = tokio::task::spawn_blocking(move || markdown::to_safe_html(&body))
                    .await
                    .map_err(|e| AppError::Internal(format!("rendering Markdown: {e}")))?;
                Ok(Arc::from(html))
            }
        })
        .await
}
