//! Reads for feeds and sitemaps: the newest articles of a list, and the sitemap files.

use super::App;
use super::reads::article_list;
use crate::domain::articles::{ArticleFilter, ArticleView, PageRequest};
use crate::domain::discovery::{self, SitemapPage};
use crate::error::{AppError, AppResult};

/// Articles a feed carries.
pub const FEED_SIZE: i64 = 20;

/// The newest [`FEED_SIZE`] articles of `filter` as everyone sees them (through the
/// shared list caches).
pub async fn feed_articles(app: &App, filter: ArticleFilter) -> AppResult<Vec<ArticleView>> {
    let page = PageRequest {
        limit: FEED_SIZE,
        offset: 0,
        after: None,
    };
    Ok(article_list(app, None, filter, page).await?.articles)
}

/// The files of the sitemap index.
pub async fn sitemap_pages(app: &App) -> AppResult<Vec<SitemapPage>> {
    app.db
        .run(|conn| Ok::<_, AppError>(discovery::sitemap_pages(conn)?))
        .await
}

/// The articles (slug, last edit) of sitemap file `number`.
pub async fn sitemap_entries(
    app: &App,
    number: i64,
) -> AppResult<Vec<(String, chrono::NaiveDateTime)>> {
    app.db
        .run(move |conn| Ok::<_, AppError>(discovery::sitemap_entries(conn, number)?))
        .await
}
