//! An article's page and what can be done there: favorite, comment, delete.

mod shared;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::confirm::{self, Confirm, confirmed};
use super::session::{self, CsrfForm, CurrentUser, FlashKind, MaybeUser, local_next};
use super::views::{
    ArticleActions, ArticleCard, Chrome, CommentCard, CommentForm as CommentFormPart,
    CommentOptions, FormErrors, Slot, avatar, form_errors, url_part,
};
use super::{PageResult, redirect, render};
use crate::app::{self, reads};
use crate::cache::CachedBody;
use crate::cache::stencil::Hole;
use crate::domain::comments::{CommentInput, PAGE_COMMENTS, ThreadWindow};
use crate::domain::users::User;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/article.html")]
struct ArticlePage {
    chrome: Chrome,
    article: ArticleCard,
    /// Sanitized HTML from the Markdown body, written `|safe` (so are the reader's own
    /// parts, `views::slots`, whose templates escape their values themselves).
    body_html: std::sync::Arc<str>,
    /// The comments shown: a window of the thread ([`ThreadWindow`]).
    comments: Vec<CommentCard>,
    /// Where the shown comments stand in the thread: links to earlier and later ones.
    window: ThreadWindow,
    /// Whether the viewer wrote it (shows Edit and Delete).
    is_author: bool,
    /// The author's name and the slug, for URLs ([`url_part`]).
    author_url: String,
    slug_url: String,
    /// Why the comment was refused.
    errors: FormErrors,
    comment_draft: String,
}

impl ArticlePage {
    /// The newest comment shown, where live updates of the thread start (0: none).
    fn newest_comment(&self) -> i32 {
        self.comments.iter().map(|c| c.id).max().unwrap_or(0)
    }

    /// How many comments come before the ones shown.
    fn earlier_count(&self) -> usize {
        self.window.shown.start
    }

    /// The article's buttons, as this page's reader gets them.
    fn actions(&self) -> Slot<ArticleActions<'_>> {
        self.chrome.slot(Hole::ArticleActions, || ArticleActions {
            chrome: &self.chrome,
            slug: &self.article.slug,
            title: &self.article.title,
            author: &self.article.author.username,
            author_url: &self.author_url,
            slug_url: &self.slug_url,
            following: self.article.author.following,
            favorited: self.article.favorited,
            favorites_count: self.article.favorites_count,
            is_author: self.is_author,
        })
    }

    /// The comment form.
    fn comment_form(&self) -> Slot<CommentFormPart<'_>> {
        self.chrome.slot(Hole::CommentForm, || CommentFormPart {
            chrome: &self.chrome,
            slug: &self.article.slug,
            draft: &self.comment_draft,
        })
    }

    /// What this page's reader may do with `comment`, one of the comments shown.
    fn comment_options<'a>(&'a self, comment: &'a CommentCard) -> Slot<CommentOptions<'a>> {
        if self.chrome.is_stencil() {
            let index = self.comments.iter().position(|c| c.id == comment.id);
            return Slot::Hole(Hole::CommentOptions(index.unwrap_or(0) as u16));
        }
        Slot::Filled(CommentOptions {
            slug: &self.article.slug,
            id: comment.id,
            author: &comment.author.username,
            is_author: self.is_author,
            reader: self.chrome.user.as_ref().map(|u| u.username.as_str()),
            csrf: &self.chrome.csrf,
        })
    }
}

/// Whose article page is made.
#[derive(Clone, Copy)]
enum Reader<'a> {
    /// The one asking: a visitor, or a signed-in member.
    One(&'a HttpRequest, Option<&'a User>),
    /// Every signed-in member whose page is the shared one: holes for their own parts.
    Members,
}

impl<'a> Reader<'a> {
    fn user(self) -> Option<&'a User> {
        match self {
            Reader::One(_, user) => user,
            Reader::Members => None,
        }
    }
}

/// `?before=<comment id>`: the comments just before that one, rather than the newest. A
/// value that is not an id is ignored, as a stale or mangled link should still show the
/// article.
fn comments_before(req: &HttpRequest) -> Option<i32> {
    #[derive(Deserialize)]
    struct ThreadQuery {
        before: Option<String>,
    }
    let query = web::Query::<ThreadQuery>::from_query(req.query_string()).ok()?;
    query.0.before?.parse().ok()
}

/// A form that names where to go back to.
#[derive(Deserialize)]
pub struct NextForm {
    pub(super) next: Option<String>,
}

/// The comment form as posted.
#[derive(Deserialize)]
pub struct CommentForm {
    body: Option<String>,
}

async fn page(
    state: &AppState,
    reader: Reader<'_>,
    slug: String,
    before: Option<i32>,
    comment_errors: FormErrors,
    comment_draft: String,
) -> Result<ArticlePage, super::PageError> {
    let user = reader.user();
    let viewer = user.map(|u| u.id);
    let account = match reader {
        Reader::One(req, Some(user)) => session::account_of(state, req, user).await?,
        _ => None,
    };
    // Shared, not copied: the page takes what it shows from them.
    let (view, favorited, following) =
        reads::article_shared(&state.app, account.as_deref(), &slug).await?;
    let (comments, _) = reads::thread(&state.app, viewer, &slug).await?;
    let ids: Vec<i32> = comments.iter().map(|c| c.comment.id).collect();
    let window = ThreadWindow::of(&ids, before, PAGE_COMMENTS);
    // A draft's body stays out of the shared Markdown cache: only its author reads it.
    let body_html = if view.article.draft {
        std::sync::Arc::from(crate::domain::markdown::to_safe_html(&view.article.body))
    } else {
        reads::article_html(&state.app, &view).await?
    };
    let author_page = [
        "/profile/",
        &super::home::path_segment(&view.author.username),
    ]
    .concat();
    let title = view.article.title.clone();
    let chrome = match reader {
        Reader::One(req, user) => Chrome::new(state, req, user, title, "article")?,
        Reader::Members => Chrome::stencil(state, title, "article"),
    };
    let chrome = chrome.with_meta(|meta| {
        meta.description = view.article.description.clone();
        meta.kind = "article";
        meta.set_canonical(&["/article/", &super::home::path_segment(&slug)].concat());
        meta.image = Some(meta.absolute(&avatar(&state.assets, view.author.image.as_deref())));
        meta.add_feeds(
            &["Articles by ", &view.author.username].concat(),
            &author_page,
        );
    });
    Ok(ArticlePage {
        is_author: chrome.is_me(&view.author.username),
        author_url: url_part(&view.author.username),
        slug_url: url_part(&view.article.slug),
        body_html,
        article: ArticleCard::of(&state.assets, &view).with_marks(favorited, following),
        comments: comments[window.shown.clone()]
            .iter()
            .map(|c| CommentCard::of(&state.assets, c))
            .collect(),
        window,
        chrome,
        errors: comment_errors,
        comment_draft,
    })
}

/// `GET /article/{slug}`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    slug: web::Path<String>,
) -> PageResult {
    let slug = slug.into_inner();
    let before = comments_before(&req);
    // Without a session cookie the page holds nothing of the reader's own (no navbar
    // user, token or flash message): everyone of them gets the same bytes, cached (the
    // newest comments only; earlier ones are rendered when asked for).
    if before.is_none()
        && viewer.0.is_none()
        && req.cookie(crate::startup::SESSION_COOKIE).is_none()
    {
        let body = crate::app::answers::anonymous_article_page(&state.app, &slug, || async {
            let page = page(
                &state,
                Reader::One(&req, None),
                slug.clone(),
                None,
                FormErrors::default(),
                String::new(),
            )
            .await
            .map_err(super::errors::PageError::into_app_error)?;
            let html = page
                .render()
                .map_err(|e| crate::error::AppError::Internal(format!("template: {e}")))?;
            Ok(CachedBody::new(html))
        })
        .await?;
        return Ok(body.response("text/html; charset=utf-8", crate::cache::accepts_gzip(&req)));
    }
    // A member's page is the one members share, with their own parts written in, unless
    // they see more of it than others do.
    if let (Some(user), None) = (&viewer.0, before)
        && let Some(html) = shared::member_page(&state, &req, user, &slug).await?
    {
        return Ok(super::html_response(StatusCode::OK, html));
    }
    let page = page(
        &state,
        Reader::One(&req, viewer.0.as_ref()),
        slug,
        before,
        FormErrors::default(),
        String::new(),
    )
    .await?;
    render(StatusCode::OK, &page)
}

/// The delete form: `confirm=yes` once the author has confirmed.
#[derive(Deserialize)]
pub struct DeleteForm {
    confirm: Option<String>,
}

/// `POST /article/{slug}/delete`: authors only (the domain refuses anyone else), after a
/// confirmation step.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    slug: web::Path<String>,
    form: CsrfForm<DeleteForm>,
) -> PageResult {
    let slug = slug.into_inner();
    if !confirmed(form.0.confirm.as_deref()) {
        let view = reads::article(&state.app, Some(user.0.id), &slug).await?;
        if view.author.username != user.0.username {
            return Err(AppError::Forbidden("article").into());
        }
        let back = format!("/article/{slug}");
        return confirm::ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!(
                    "Delete “{}” with its comments and favorites? This cannot be undone.",
                    view.article.title
                ),
                action: format!("/article/{slug}/delete"),
                fields: Vec::new(),
                button: "Delete Article",
                cancel: &back,
                reason: None,
            },
        );
    }
    app::articles::delete(&state.app, user.0.id, slug).await?;
    session::flash(&req, FlashKind::Info, "The article was deleted.");
    Ok(redirect("/"))
}

/// `POST /article/{slug}/favorite`
pub async fn favorite(
    state: web::Data<AppState>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: CsrfForm<NextForm>,
) -> PageResult {
    let slug = slug.into_inner();
    let back = local_next(form.0.next.as_deref(), &format!("/article/{slug}"));
    app::articles::favorite(&state.app, user.0.id, slug).await?;
    Ok(redirect(&back))
}

/// `POST /article/{slug}/unfavorite`
pub async fn unfavorite(
    state: web::Data<AppState>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: CsrfForm<NextForm>,
) -> PageResult {
    let slug = slug.into_inner();
    let back = local_next(form.0.next.as_deref(), &format!("/article/{slug}"));
    app::articles::unfavorite(&state.app, user.0.id, slug).await?;
    Ok(redirect(&back))
}

/// `POST /article/{slug}/comments`: a refused comment shows the page again with the draft.
pub async fn comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    slug: web::Path<String>,
    form: CsrfForm<CommentForm>,
) -> PageResult {
    let slug = slug.into_inner();
    let draft = form.0.body.clone().unwrap_or_default();
    let input = CommentInput { body: form.0.body };
    match app::comments::add(&state.app, user.0.id, slug.clone(), input).await {
        Ok(_) => Ok(redirect(&format!("/article/{slug}#comments"))),
        Err(err) => {
            let errors = form_errors(err)?;
            let page = page(
                &state,
                Reader::One(&req, Some(&user.0)),
                slug,
                None,
                errors,
                draft,
            )
            .await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// `POST /article/{slug}/comments/{id}/delete`: the comment's author only.
pub async fn delete_comment(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, i32)>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    let (slug, id) = path.into_inner();
    app::comments::delete(&state.app, user.0.id, slug.clone(), id).await?;
    Ok(redirect(&format!("/article/{slug}#comments")))
}
