//! RSS 2.0 and Atom feeds of the global list, of each tag and of each author: the newest
//! articles with their full HTML (sanitized, links made absolute against
//! `CONDUIT_PUBLIC_URL`). Built with the `rss` and `atom_syndication` crates, cached
//! whole like the other shared reads and answered conditionally (ETag, Last-Modified).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, TimeZone, Utc};

use super::PageResult;
use super::home::path_segment;
use crate::app::{answers, discovery, reads};
use crate::cache::CachedBody;
use crate::domain::articles::{ArticleFilter, ArticleView};
use crate::domain::markdown;
use crate::error::AppError;
use crate::state::AppState;

/// Which list a feed follows.
#[derive(Debug, Clone)]
enum Scope {
    Everything,
    Tag(String),
    Author(String),
}

/// RSS or Atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Self::Rss => "feed.xml",
            Self::Atom => "atom.xml",
        }
    }
}

impl Scope {
    /// The list's page, as a site path.
    fn page(&self) -> String {
        match self {
            Self::Everything => "/".into(),
            Self::Tag(tag) => format!("/tag/{}", path_segment(tag)),
            Self::Author(name) => format!("/profile/{}", path_segment(name)),
        }
    }

    /// The feed's own path.
    fn path(&self, format: Format) -> String {
        match self {
            Self::Everything => format!("/{}", format.file()),
            _ => format!("{}/{}", self.page(), format.file()),
        }
    }

    fn title(&self) -> String {
        match self {
            Self::Everything => "Conduit".into(),
            Self::Tag(tag) => format!("Conduit: articles tagged {tag}"),
            Self::Author(name) => format!("Conduit: articles by {name}"),
        }
    }

    fn filter(&self) -> ArticleFilter {
        match self {
            Self::Everything => ArticleFilter::default(),
            Self::Tag(tag) => ArticleFilter {
                tag: Some(tag.clone()),
                ..ArticleFilter::default()
            },
            Self::Author(name) => ArticleFilter {
                author: Some(name.clone()),
                ..ArticleFilter::default()
            },
        }
    }
}

/// `GET /feed.xml`
pub async fn rss(state: web::Data<AppState>, req: HttpRequest) -> PageResult {
    answer(&state, &req, Scope::Everything, Format::Rss).await
}

/// `GET /atom.xml`
pub async fn atom(state: web::Data<AppState>, req: HttpRequest) -> PageResult {
    answer(&state, &req, Scope::Everything, Format::Atom).await
}

/// `GET /tag/{tag}/feed.xml`
pub async fn tag_rss(
    state: web::Data<AppState>,
    req: HttpRequest,
    tag: web::Path<String>,
) -> PageResult {
    answer(&state, &req, Scope::Tag(tag.into_inner()), Format::Rss).await
}

/// `GET /tag/{tag}/atom.xml`
pub async fn tag_atom(
    state: web::Data<AppState>,
    req: HttpRequest,
    tag: web::Path<String>,
) -> PageResult {
    answer(&state, &req, Scope::Tag(tag.into_inner()), Format::Atom).await
}

/// `GET /profile/{username}/feed.xml`
pub async fn author_rss(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> PageResult {
    answer(&state, &req, Scope::Author(name.into_inner()), Format::Rss).await
}

/// `GET /profile/{username}/atom.xml`
pub async fn author_atom(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> PageResult {
    answer(&state, &req, Scope::Author(name.into_inner()), Format::Atom).await
}

async fn answer(state: &AppState, req: &HttpRequest, scope: Scope, format: Format) -> PageResult {
    if let Scope::Author(name) = &scope {
        // An unknown author has no feed (404), rather than an empty one.
        reads::profile(&state.app, None, name).await?;
    }
    let path = scope.path(format);
    let body = answers::shared_document(&state.app, &path, || async {
        let articles = discovery::feed_articles(&state.app, scope.filter()).await?;
        let newest = articles.iter().map(|a| a.article.updated_at).max();
        let (site, scope, path) = (state.public_url.clone(), scope.clone(), path.clone());
        // Twenty bodies through Markdown and the sanitizer, then gzip: not on an async
        // worker.
        off_worker(move || {
            let base = ammonia::Url::parse(&format!("{site}/"))
                .map_err(|e| AppError::Internal(format!("CONDUIT_PUBLIC_URL: {e}")))?;
            let xml = match format {
                Format::Rss => rss_document(&site, &base, &scope, &articles),
                Format::Atom => atom_document(&site, &base, &scope, &path, &articles),
            };
            Ok(CachedBody::dated(xml, newest))
        })
        .await
    })
    .await?;
    Ok(document_response(req, &body, format.content_type()))
}

/// Runs `render` (CPU work: Markdown, XML) on the blocking pool, not an async worker.
pub async fn off_worker<T: Send + 'static>(
    render: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    web::block(render)
        .await
        .map_err(|e| AppError::Internal(format!("rendering: {e}")))?
}

/// A shared document as a public answer that caches revalidate (by its ETag and
/// Last-Modified).
pub fn document_response(
    req: &HttpRequest,
    body: &CachedBody,
    content_type: &'static str,
) -> HttpResponse {
    let mut response = body.response(content_type, crate::cache::accepts_gzip(req));
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("public, no-cache"),
    );
    response
}

fn utc(at: NaiveDateTime) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&at)
}

fn article_url(site: &str, view: &ArticleView) -> String {
    format!("{site}/article/{}", path_segment(&view.article.slug))
}

fn rss_document(
    site: &str,
    base: &ammonia::Url,
    scope: &Scope,
    articles: &[ArticleView],
) -> String {
    let items = articles
        .iter()
        .map(|view| {
            let link = article_url(site, view);
            rss::Item {
                title: Some(view.article.title.clone()),
                link: Some(link.clone()),
                description: Some(view.article.description.clone()),
                content: Some(markdown::to_feed_html(&view.article.body, base)),
                categories: view
                    .tags
                    .iter()
                    .map(|tag| rss::Category {
                        name: tag.clone(),
                        domain: None,
                    })
                    .collect(),
                guid: Some(rss::Guid {
                    value: link,
                    permalink: true,
                }),
                pub_date: Some(utc(view.article.created_at).to_rfc2822()),
                ..rss::Item::default()
            }
        })
        .collect();
    let channel = rss::Channel {
        title: scope.title(),
        link: format!("{site}{}", scope.page()),
        description: format!("{}: the newest articles", scope.title()),
        last_build_date: articles
            .iter()
            .map(|a| a.article.updated_at)
            .max()
            .map(|at| utc(at).to_rfc2822()),
        generator: Some("Conduit".into()),
        items,
        ..rss::Channel::default()
    };
    channel.to_string()
}

fn atom_document(
    site: &str,
    base: &ammonia::Url,
    scope: &Scope,
    path: &str,
    articles: &[ArticleView],
) -> String {
    let link = |href: String, rel: &str, mime: Option<&str>| atom_syndication::Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(str::to_owned),
        ..atom_syndication::Link::default()
    };
    let entries = articles
        .iter()
        .map(|view| {
            let url = article_url(site, view);
            atom_syndication::Entry {
                title: atom_syndication::Text::plain(view.article.title.clone()),
                id: url.clone(),
                updated: utc(view.article.updated_at).fixed_offset(),
                published: Some(utc(view.article.created_at).fixed_offset()),
                authors: vec![atom_syndication::Person {
                    name: view.author.username.clone(),
                    uri: Some(format!(
                        "{site}/profile/{}",
                        path_segment(&view.author.username)
                    )),
                    ..atom_syndication::Person::default()
                }],
                categories: view
                    .tags
                    .iter()
                    .map(|tag| atom_syndication::Category {
                        term: tag.clone(),
                        ..atom_syndication::Category::default()
                    })
                    .collect(),
                links: vec![link(url, "alternate", Some("text/html"))],
                summary: Some(atom_syndication::Text::plain(
                    view.article.description.clone(),
                )),
                content: Some(atom_syndication::Content {
                    value: Some(markdown::to_feed_html(&view.article.body, base)),
                    content_type: Some("html".into()),
                    ..atom_syndication::Content::default()
                }),
                ..atom_syndication::Entry::default()
            }
        })
        .collect();
    let updated = articles
        .iter()
        .map(|a| a.article.updated_at)
        .max()
        .map_or_else(|| utc(NaiveDateTime::default()), utc);
    let feed = atom_syndication::Feed {
        title: atom_syndication::Text::plain(scope.title()),
        id: format!("{site}{path}"),
        updated: updated.fixed_offset(),
        links: vec![
            link(
                format!("{site}{path}"),
                "self",
                Some("application/atom+xml"),
            ),
            link(
                format!("{site}{}", scope.page()),
                "alternate",
                Some("text/html"),
            ),
        ],
        entries,
        ..atom_syndication::Feed::default()
    };
    feed.to_string()
}
