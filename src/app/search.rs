//! Searching articles: the matching ids and snippets from the database's full-text
//! index, then the articles themselves through the shared caches, with the reader's
//! marks.

use super::App;
use super::reads::shared_articles;
use super::viewer::{personalise, sees_shared};
use crate::domain::articles::ArticleView;
use crate::domain::search::{self, SearchRequest, Searcher};
use crate::domain::users::User;
use crate::error::{AppError, AppResult};

/// A page of search results.
pub struct SearchResults {
    /// Each article with its raw snippet (see `search::snippet_html`), best first.
    pub hits: Vec<(ArticleView, String)>,
    /// Ranked matches in all (at most `search::RANKED`).
    pub total: i64,
    /// Whether more articles match than were ranked.
    pub more: bool,
}

/// Runs `request` as `viewer` (hidden articles are found by their author and staff).
pub async fn search(
    app: &App,
    viewer: Option<&User>,
    request: SearchRequest,
) -> AppResult<SearchResults> {
    let searcher = Searcher {
        id: viewer.map(|u| u.id),
        staff: viewer.is_some_and(User::is_staff),
    };
    let run = |searcher: Searcher| {
        let request = request.clone();
        app.db
            .run(move |conn| Ok::<_, AppError>(search::search(conn, searcher, &request)?))
    };
    // Readers who see what anonymous readers see share one cached answer per search,
    // dropped with the lists on any article change (on every instance).
    let found = if sees_shared(app, searcher.id, true).await? {
        let key = request.cache_key();
        app.caches
            .searches
            .get_or_load(key, || async {
                Ok(std::sync::Arc::new(run(Searcher::default()).await?))
            })
            .await?
    } else {
        std::sync::Arc::new(run(searcher).await?)
    };
    let (hits, total, more) = (&found.hits, found.total, found.more);
    let ids: Vec<i32> = hits.iter().map(|h| h.article_id).collect();
    let shared = shared_articles(&app.db, &app.caches, &ids).await?;
    let views = personalise(app, searcher.id, shared).await?;
    let hits = views
        .into_iter()
        .filter_map(|view| {
            let snippet = hits
                .iter()
                .find(|h| h.article_id == view.article.id)?
                .snippet
                .clone();
            Some((view, snippet))
        })
        .collect();
    Ok(SearchResults { hits, total, more })
}
