//! `GET /live`: a page's live updates as server-sent events (`static/live.js` listens;
//! every page works without it). The connection itself is `crate::live`'s; this handler
//! reads the request, checks the viewer may see the article, and writes the changes as
//! events, new comments rendered by the same partial as the article page.
//!
//! - `/live?article=SLUG&after=ID`: the article's comments (`comment`, `comment-removed`,
//!   `comments` with every visible id on connecting, `gone`), event id = newest comment id;
//! - `/live?feed=global&newest=ID`: `articles` with how many are new above article `ID`;
//! - both, and a bare `/live`, add `unread` with the signed-in viewer's count.
//!
//! A reconnecting browser sends `Last-Event-ID`, which takes the place of `after` /
//! `newest`, so what it missed arrives first.

use std::sync::atomic::Ordering;
use std::task::Poll;

use actix_session::SessionExt;
use actix_web::http::header::{self, ContentEncoding};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::PageResult;
use super::session::{self, CsrfToken, MaybeUser};
use super::views::{CommentCard, CommentOptions};
use crate::app::reads;
use crate::assets::Assets;
use crate::error::AppError;
use crate::live::{self, Change, Refusal, Topic, Viewer};
use crate::state::AppState;

/// The query string.
#[derive(Deserialize)]
pub struct LiveQuery {
    article: Option<String>,
    after: Option<i32>,
    feed: Option<String>,
    newest: Option<i32>,
}

/// `GET /live`
pub async fn stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    query: web::Query<LiveQuery>,
) -> PageResult {
    let query = query.into_inner();
    let resumed = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i32>().ok());
    let topic = match (query.article, query.feed.as_deref()) {
        (Some(slug), _) => Some(Topic::Article {
            slug,
            after: resumed.or(query.after).unwrap_or(0),
        }),
        (None, Some("global")) => Some(Topic::GlobalFeed {
            newest: resumed.or(query.newest),
        }),
        (None, Some(_)) => return Err(AppError::NotFound("feed").into()),
        (None, None) => None,
    };
    // Nothing to follow: 204 tells EventSource not to come back.
    if topic.is_none() && viewer.0.is_none() {
        return Ok(HttpResponse::NoContent().finish());
    }
    // The article must be the viewer's to see before anything streams (404 otherwise).
    let mut comment_view = CommentView {
        assets: state.assets.clone(),
        chrome: CommentChrome {
            user: viewer.0.as_ref().map(|u| u.username.clone()),
            csrf: CsrfToken::default(),
        },
        article: ArticleRef::default(),
        is_author: false,
    };
    if let Some(Topic::Article { slug, .. }) = &topic {
        let article = reads::article(&state.app, viewer.id(), slug).await?;
        comment_view.is_author = comment_view.chrome.is_me(&article.author.username);
        comment_view.article.slug = article.article.slug;
    }
    if viewer.0.is_some() {
        comment_view.chrome.csrf = session::csrf_token(&req.get_session())?;
    }
    let address = crate::middleware::rate_limit::client_ip(&req, state.trust_proxy).to_string();
    let slot = match state.live.admit(viewer.id(), address) {
        Ok(slot) => slot,
        Err(refusal) => return Ok(refused(refusal)),
    };
    let live_viewer = viewer.0.as_ref().and_then(|user| {
        session::session_key(&req).map(|key| Viewer {
            id: user.id,
            session_hash: crate::domain::sessions::key_hash(&key),
            generation: user.token_generation,
        })
    });
    let live::Opened {
        mut changes,
        dropped,
    } = live::open(&state.live, state.app.clone(), slot, live_viewer, topic);
    // How long a browser waits before reconnecting after a drop.
    let mut preamble = Some(Bytes::from_static(b"retry: 3000\n\n"));
    let body = futures_util::stream::poll_fn(move |cx| {
        if let Some(first) = preamble.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        // A client dropped for not reading gets no more: the error closes its connection.
        if dropped.load(Ordering::Acquire) {
            return Poll::Ready(Some(Err(actix_web::error::ErrorServiceUnavailable(
                "live client too slow",
            ))));
        }
        match changes.poll_recv(cx) {
            Poll::Ready(Some(change)) => Poll::Ready(Some(Ok(comment_view.frame(&change)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Compression would hold events back until a block fills.
        .insert_header(ContentEncoding::Identity)
        // Proxies that buffer responses (nginx) pass this one through as it comes.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

fn refused(refusal: Refusal) -> HttpResponse {
    let (status, text) = match refusal {
        Refusal::PerUser | Refusal::PerAddress => (
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "Too many live connections: close another tab first.",
        ),
        Refusal::Closing => (
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "The server is restarting.",
        ),
    };
    HttpResponse::build(status)
        .insert_header((header::RETRY_AFTER, "30"))
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

/// What the comment partial reads of the page's chrome.
struct CommentChrome {
    /// The viewer's username, if signed in.
    user: Option<String>,
    /// The viewer's CSRF token (for the delete form).
    csrf: CsrfToken,
}

impl CommentChrome {
    fn is_me(&self, username: &str) -> bool {
        self.user.as_deref() == Some(username)
    }
}

/// What the comment partial reads of the article.
#[derive(Default)]
struct ArticleRef {
    slug: String,
}

/// One comment, through the article page's own partial: identical markup.
#[derive(Template)]
#[template(source = "{% include \"partials/comment_card.html\" %}", ext = "html")]
struct LiveComment<'a> {
    comment: CommentCard,
    chrome: &'a CommentChrome,
    article: &'a ArticleRef,
    is_author: bool,
}

impl LiveComment<'_> {
    /// What the stream's reader may do with `comment`.
    fn comment_options<'a>(&'a self, comment: &'a CommentCard) -> CommentOptions<'a> {
        CommentOptions {
            slug: &self.article.slug,
            id: comment.id,
            author: &comment.author.username,
            is_author: self.is_author,
            reader: self.chrome.user.as_deref(),
            csrf: &self.chrome.csrf,
        }
    }
}

/// How this stream's changes are written.
struct CommentView {
    assets: std::sync::Arc<Assets>,
    chrome: CommentChrome,
    article: ArticleRef,
    is_author: bool,
}

impl CommentView {
    fn frame(&self, change: &Change) -> Bytes {
        let (id, name, data) = match change {
            Change::Heartbeat => return Bytes::from_static(b": heartbeat\n\n"),
            Change::CommentIds { ids, cursor } => (Some(*cursor), "comments", json!(ids)),
            Change::Comment { view, cursor } => {
                let html = LiveComment {
                    comment: CommentCard::of(&self.assets, view),
                    chrome: &self.chrome,
                    article: &self.article,
                    is_author: self.is_author,
                }
                .render();
                match html {
                    Ok(html) => (
                        Some(*cursor),
                        "comment",
                        json!({"id": view.comment.id, "html": html}),
                    ),
                    Err(e) => {
                        log::error!("live comment template: {e}");
                        return Bytes::from_static(b": skipped\n\n");
                    }
                }
            }
            Change::CommentRemoved { id, cursor } => {
                (Some(*cursor), "comment-removed", json!({"id": id}))
            }
            Change::ArticleGone => (None, "gone", json!({})),
            Change::NewArticles {
                count,
                more,
                newest,
            } => (*newest, "articles", json!({"count": count, "more": more})),
            Change::Unread(count) => (None, "unread", json!({"count": count})),
        };
        // JSON on one line: no newline can end the `data:` field early.
        let mut frame = String::new();
        if let Some(id) = id {
            frame.push_str(&format!("id: {id}\n"));
        }
        frame.push_str(&format!("event: {name}\ndata: {data}\n\n"));
        Bytes::from(frame)
    }
}
