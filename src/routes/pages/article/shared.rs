//! A signed-in member's article page, from the page members share.
//!
//! Most of an article page is the same for every member: the head, the article, its
//! tags and comments. It is rendered once per article version with holes where each
//! member's own parts go (`crate::cache::stencil`), cached with the visitors' page and
//! dropped with it; a member's request writes the shared text with their navbar,
//! buttons, comment form and comment options in between, through the same templates
//! a whole page uses (`views::slots`).

use std::sync::Arc;

use actix_web::HttpRequest;
use askama::Template;

use super::{ArticlePage, Reader, page};
use crate::app::{answers, reads, viewer};
use crate::cache::stencil::{ArticleFacts, ArticleStencil, Hole, Stencil};
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::routes::pages::errors::PageError;
use crate::routes::pages::session;
use crate::routes::pages::views::{
    ArticleActions, Chrome, CommentForm, CommentOptions, FormErrors, Slot,
};
use crate::state::AppState;

/// Holes of the layout and the article around the comments: the body's attributes,
/// the navbar's links, the flash message, the article's buttons and the comment form.
const FIXED_HOLES: usize = 5;

/// `user`'s page of article `slug` (the newest comments) from the shared page, or
/// `None` when theirs is not the shared one: a draft, a hidden article, or a thread
/// with hidden comments that they see.
pub(super) async fn member_page(
    state: &AppState,
    req: &HttpRequest,
    user: &User,
    slug: &str,
) -> Result<Option<String>, PageError> {
    let Some(account) = session::account_of(state, req, user).await? else {
        return Ok(None);
    };
    let (view, favorited, following) =
        reads::article_shared(&state.app, Some(&account), slug).await?;
    if view.article.hidden || view.article.draft {
        return Ok(None);
    }
    // Staff, and members whose comments staff hid, see hidden comments.
    if user.is_staff()
        || viewer::marks_of(&state.app, &account)
            .await?
            .hidden_comments
    {
        return Ok(None);
    }
    let stencil = answers::member_article_page(&state.app, slug, || stencil(state, slug)).await;
    let stencil = match stencil {
        Ok(stencil) => stencil,
        // Hidden or deleted since the checks above: the whole page says what there is.
        Err(AppError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let chrome = Chrome::reader_parts(state, req, Some(user), "article")?;
    let facts = &stencil.facts;
    let is_author = user.username == facts.author;
    let reader = Some(user.username.as_str());
    let mut html = String::with_capacity(stencil.page.len() + 4096);
    let written = stencil.page.fill(&mut html, |hole, out| match hole {
        Hole::BodyAttributes => chrome.body_attributes().write(out),
        Hole::NavLinks => chrome.nav_links().write(out),
        Hole::Flash => chrome.flash_note().write(out),
        Hole::ArticleActions => ArticleActions {
            chrome: &chrome,
            slug: &facts.slug,
            title: &facts.title,
            author: &facts.author,
            author_url: &facts.author_url,
            slug_url: &facts.slug_url,
            following,
            favorited,
            favorites_count: facts.favorites_count,
            is_author,
        }
        .render_into(out),
        Hole::CommentForm => CommentForm {
            chrome: &chrome,
            slug: &facts.slug,
            draft: "",
        }
        .render_into(out),
        Hole::CommentOptions(index) => match facts.comments.get(usize::from(index)) {
            Some((id, author)) => Slot::Filled(CommentOptions {
                slug: &facts.slug,
                id: *id,
                author,
                is_author,
                reader,
                csrf: &chrome.csrf,
            })
            .write(out),
            None => Ok(()),
        },
    });
    written.map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(Some(html))
}

/// The page of `slug` that members share, cut at its holes.
async fn stencil(state: &AppState, slug: &str) -> AppResult<Arc<ArticleStencil>> {
    let page: ArticlePage = page(
        state,
        Reader::Members,
        slug.to_owned(),
        None,
        FormErrors::default(),
        String::new(),
    )
    .await
    .map_err(PageError::into_app_error)?;
    let mut html = String::with_capacity(16 * 1024);
    page.render_into(&mut html)
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    let cut = Stencil::cut(&html, FIXED_HOLES + page.comments.len()).ok_or_else(|| {
        AppError::Internal(format!("the shared page of {slug} has holes it should not"))
    })?;
    Ok(Arc::new(ArticleStencil {
        page: cut,
        facts: ArticleFacts {
            slug: page.article.slug,
            title: page.article.title,
            author: page.article.author.username,
            author_url: page.author_url,
            slug_url: page.slug_url,
            favorites_count: page.article.favorites_count,
            comments: page
                .comments
                .into_iter()
                .map(|c| (c.id, c.author.username.into_boxed_str()))
                .collect(),
        },
    }))
}
