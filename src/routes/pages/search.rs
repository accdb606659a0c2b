//! `/search`: full-text search from the navbar, working without JS: the form, the
//! result count, each result with a snippet of where it matched, filters and pages.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::session::MaybeUser;
use super::views::{
    ArticleCard, Chrome, FormErrors, PAGE_SIZE, Pagination, form_errors, page_number,
};
use super::{PageResult, render};
use crate::domain::search::{SearchRequest, snippet_html};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/search.html")]
struct SearchPage {
    chrome: Chrome,
    errors: FormErrors,
    q: String,
    tag: String,
    author: String,
    /// Whether a search ran (a query was given and accepted).
    searched: bool,
    total: i64,
    /// Whether more articles match than were ranked.
    more: bool,
    /// Each result and its snippet as safe HTML.
    hits: Vec<(ArticleCard, String)>,
    pagination: Pagination,
}

/// The search form as submitted.
#[derive(Deserialize)]
pub struct SearchForm {
    q: Option<String>,
    tag: Option<String>,
    author: Option<String>,
    page: Option<String>,
}

/// `GET /search?q=&tag=&author=&page=`
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    form: web::Query<SearchForm>,
) -> PageResult {
    let form = form.into_inner();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let (q, tag, author) = (text(&form.q), text(&form.tag), text(&form.author));
    let page = page_number(form.page.as_deref());
    let chrome = Chrome::new(&state, &req, viewer.0.as_ref(), "Search", "search")?;
    let mut view = SearchPage {
        chrome,
        errors: FormErrors::default(),
        searched: false,
        total: 0,
        more: false,
        hits: Vec::new(),
        pagination: Pagination::new("/search", 1, 0),
        q,
        tag,
        author,
    };
    if view.q.trim().is_empty() && form.q.is_none() {
        return render(StatusCode::OK, &view);
    }
    // A page past the ranked matches is simply empty.
    let offset = ((page - 1) * PAGE_SIZE)
        .min(crate::domain::search::MAX_OFFSET)
        .to_string();
    let request = SearchRequest::parse(
        Some(&view.q),
        Some(&view.tag),
        Some(&view.author),
        Some(&PAGE_SIZE.to_string()),
        Some(&offset),
    );
    let request = match request {
        Ok(request) => request,
        Err(err) => {
            view.errors = form_errors(err)?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
        }
    };
    let results = crate::app::search::search(&state.app, viewer.0.as_ref(), request).await?;
    let base = format!(
        "/search?{}",
        serde_urlencoded::to_string([
            ("q", view.q.as_str()),
            ("tag", view.tag.as_str()),
            ("author", view.author.as_str()),
        ])
        .unwrap_or_default()
    );
    view.searched = true;
    view.total = results.total;
    view.more = results.more;
    view.pagination = Pagination::new(&base, page, results.total);
    view.hits = results
        .hits
        .iter()
        .map(|(article, snippet)| {
            (
                ArticleCard::of(&state.assets, article),
                snippet_html(snippet),
            )
        })
        .collect();
    render(StatusCode::OK, &view)
}
