//! `GET /api/search`: full-text search, answering RealWorld-shaped articles with a
//! snippet of where each matched.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::ArticleSummary;
use super::error::ApiError;
use super::extract::MaybeApiUser;
use super::openapi::{Unauthorized, Unprocessable};
use crate::domain::search::{SearchRequest, snippet_html};
use crate::state::AppState;

/// Query string of `GET /api/search`; checked by the domain for clear errors.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find in titles, descriptions, bodies and tags: all of them must match;
    /// "quoted words" match as a phrase; the last word also matches longer words it
    /// begins (unless followed by a space). 1 to 200 characters.
    q: Option<String>,
    /// Only articles with this tag.
    tag: Option<String>,
    /// Only articles by this username.
    author: Option<String>,
    /// Page size.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 50, default = 20)]
    limit: Option<String>,
    /// Results to skip.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1_000, default = 0)]
    offset: Option<String>,
}

/// One result: the article as lists show it, and where it matched.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    #[serde(flatten)]
    article: ArticleSummary,
    /// A few words around the match, HTML-escaped, the matched words in `<mark>`.
    snippet: String,
}

/// `{"articles": […], "articlesCount": n}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchBody {
    /// Best match first (a title match weighs most; ties: newest first).
    articles: Vec<SearchHit>,
    /// Matches that can be paged through: all of them, or the newest 1,000 when more
    /// match (see `moreMatches`).
    articles_count: i64,
    /// Whether more articles match than the newest 1,000 that were ranked; add words, a
    /// tag or an author to reach the others.
    more_matches: bool,
}

/// `GET /api/search`
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "Articles",
    operation_id = "SearchArticles",
    summary = "Full-text search of articles",
    description = "Ranked by relevance (title, then tags and description, then body), ties \
        newest first; when more than 1,000 articles match, the newest 1,000 are ranked. \
        Hidden articles are found only by their author and staff.",
    params(SearchQuery),
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "A page of results, best first", body = SearchBody),
        Unauthorized,
        Unprocessable,
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = SearchRequest::parse(
        query.q.as_deref(),
        query.tag.as_deref(),
        query.author.as_deref(),
        query.limit.as_deref(),
        query.offset.as_deref(),
    )?;
    let user = viewer.account().map(|account| &account.user);
    let results = crate::app::search::search(&state.app, user, request).await?;
    Ok(HttpResponse::Ok().json(SearchBody {
        articles_count: results.total,
        more_matches: results.more,
        articles: results
            .hits
            .into_iter()
            .map(|(view, snippet)| SearchHit {
                snippet: snippet_html(&snippet),
                article: ArticleSummary::new(view),
            })
            .collect(),
    }))
}
