//! Searching articles: the matching ids and snippets from the database's full-text
//! index, then the articles themselves through the shared caches, with the reader's
//! marks.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use super::App;
use super::reads::shared_articles;
use super::viewer::{personalise, sees_shared};
use crate::db::{Db, write_transaction};
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
        async move {
            index_pending(app).await?;
            app.db
                .run(move |conn| Ok::<_, AppError>(search::search(conn, searcher, &request)?))
                .await
        }
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

/// Indexes the articles written since the last search (see `search::flush_pending`), so
/// that a search always sees every write before it.
async fn index_pending(app: &App) -> AppResult<()> {
    let pending = app
        .db
        .run(|conn| Ok::<_, AppError>(search::has_pending(conn)?))
        .await?;
    if !pending {
        return Ok(());
    }
    app.write(|tx| Ok(search::flush_pending(tx.conn).map(drop)?))
        .await
}

/// Indexes the pending articles every second in the background, so that the list stays
/// short between searches; stops when dropped.
pub struct IndexFlusher {
    _stop: mpsc::Sender<()>,
}

impl IndexFlusher {
    /// Starts the flusher for `db`.
    pub fn start(db: Db) -> Result<Self, String> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(Duration::from_secs(1))
                {
                    if let Err(e) = flush_now(&db) {
                        log::warn!("indexing the pending articles failed: {e}");
                    }
                }
            })
            .map_err(|e| format!("cannot start the search indexer: {e}"))?;
        Ok(Self { _stop: stop })
    }
}

fn flush_now(db: &Db) -> Result<(), String> {
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    if !search::has_pending(&mut conn).map_err(|e| e.to_string())? {
        return Ok(());
    }
    let _turn = db.write_gate();
    write_transaction(&mut conn, search::flush_pending)
        .map(drop)
        .map_err(|e: diesel::result::Error| e.to_string())
}
