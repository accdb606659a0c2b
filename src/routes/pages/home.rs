//! The home page: Global Feed, Your Feed and tag lists, with the popular tags.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::session::MaybeUser;
use super::views::{ArticleCard, Chrome, Pagination, page_number, page_request};
use super::{PageResult, ok, redirect};
use crate::app::reads;
use crate::domain::articles::ArticleFilter;
use crate::state::AppState;

/// Query string of the home page and tag pages.
#[derive(Deserialize)]
pub struct FeedQuery {
    feed: Option<String>,
    page: Option<String>,
    after: Option<String>,
}

/// Which tab is shown.
#[derive(PartialEq, Eq)]
enum Tab {
    Global,
    Following,
    Tag(String),
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/home.html")]
struct HomePage {
    chrome: Chrome,
    tab: Tab,
    articles: Vec<ArticleCard>,
    pagination: Pagination,
    popular_tags: std::sync::Arc<Vec<String>>,
    /// Articles pinned by staff (first page of the Global Feed only).
    featured: Vec<ArticleCard>,
    /// On the Global Feed's first page: the newest article shown (0: none), from which
    /// live updates count new ones.
    live_newest: Option<i32>,
}

impl HomePage {
    fn tag(&self) -> Option<&str> {
        match &self.tab {
            Tab::Tag(tag) => Some(tag),
            _ => None,
        }
    }
}

/// `GET /` (Global Feed) and `GET /?feed=following` (Your Feed, signed-in only).
pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    query: web::Query<FeedQuery>,
) -> PageResult {
    if query.feed.as_deref() == Some("following") {
        let Some(user_id) = viewer.id() else {
            return Ok(redirect("/login"));
        };
        let filter = ArticleFilter {
            feed_of: Some(user_id),
            ..ArticleFilter::default()
        };
        return feed(
            &state,
            &req,
            &viewer,
            Tab::Following,
            filter,
            (query.page.as_deref(), query.after.as_deref()),
        )
        .await;
    }
    feed(
        &state,
        &req,
        &viewer,
        Tab::Global,
        ArticleFilter::default(),
        (query.page.as_deref(), query.after.as_deref()),
    )
    .await
}

/// `GET /tag/{tag}`
pub async fn tag(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    tag: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> PageResult {
    let tag = tag.into_inner();
    let filter = ArticleFilter {
        tag: Some(tag.clone()),
        ..ArticleFilter::default()
    };
    feed(
        &state,
        &req,
        &viewer,
        Tab::Tag(tag),
        filter,
        (query.page.as_deref(), query.after.as_deref()),
    )
    .await
}

async fn feed(
    state: &AppState,
    req: &HttpRequest,
    viewer: &MaybeUser,
    tab: Tab,
    filter: ArticleFilter,
    (page, after): (Option<&str>, Option<&str>),
) -> PageResult {
    let page = page_number(page);
    let list =
        reads::article_list(&state.app, viewer.id(), filter, page_request(page, after)?).await?;
    let popular_tags = reads::popular_tags(&state.app).await?;
    let first_global_page = tab == Tab::Global && page == 1 && after.is_none();
    let live_newest = first_global_page.then(|| list.articles.first().map_or(0, |a| a.article.id));
    let featured = if first_global_page {
        ArticleCard::all(
            &state.assets,
            &reads::featured(&state.app, viewer.id()).await?,
        )
    } else {
        Vec::new()
    };
    let base = match &tab {
        Tab::Global => "/".to_owned(),
        Tab::Following => "/?feed=following".to_owned(),
        Tab::Tag(tag) => format!("/tag/{}", path_segment(tag)),
    };
    let title = match &tab {
        Tab::Tag(tag) => format!("#{tag}"),
        Tab::Following => "Your Feed".to_owned(),
        Tab::Global => "Home".to_owned(),
    };
    let chrome =
        Chrome::new(state, req, viewer.0.as_ref(), title, "home")?.with_meta(|meta| match &tab {
            Tab::Tag(tag) => {
                meta.description = format!("Articles tagged {tag} on Conduit.");
                meta.add_feeds(&format!("Articles tagged {tag}"), &base);
                meta.set_canonical(&base);
            }
            Tab::Global => meta.set_canonical("/"),
            Tab::Following => {}
        });
    ok(&HomePage {
        chrome,
        articles: ArticleCard::all(&state.assets, &list.articles),
        pagination: Pagination::new(&base, page, list.total).with_older(
            &base,
            page,
            list.total,
            list.articles.last(),
        ),
        popular_tags,
        featured,
        live_newest,
        tab,
    })
}

/// Percent-encodes a value for one URL path segment (tags may hold any character).
pub fn path_segment(value: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            other => {
                let _ = write!(out, "%{other:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn tags_are_encoded_for_paths() {
        assert_eq!(path_segment("rust"), "rust");
        assert_eq!(path_segment("c++ / é?"), "c%2B%2B%20%2F%20%C3%A9%3F");
    }
}
