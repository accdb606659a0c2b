//! `/admin/articles` and `/admin/comments`: searchable lists and the moderation buttons.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::users::ListQuery;
use super::{
    AdminFrame, Confirm, StaffUser, actor, ask, confirmed, frame, page_and_offset, query_value,
};
use crate::domain::moderation::content::ContentAction;
use crate::domain::moderation::search;
use crate::error::AppError;
use crate::routes::pages::session::{CsrfForm, FlashKind, flash, local_next};
use crate::routes::pages::views::{Chrome, PAGE_SIZE, Pagination, date};
use crate::routes::pages::{PageResult, ok, redirect};
use crate::state::AppState;

/// An article row of the admin list.
struct ArticleItem {
    slug: String,
    title: String,
    author: String,
    date: String,
    hidden: bool,
    featured: bool,
    /// Not published yet: its page answers 404 to everyone but its author.
    draft: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/articles.html")]
struct ArticlesPage {
    chrome: Chrome,
    admin: AdminFrame,
    q: String,
    total: i64,
    articles: Vec<ArticleItem>,
    pagination: Pagination,
}

/// `GET /admin/articles`
pub async fn articles(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    query: web::Query<ListQuery>,
) -> PageResult {
    let q = query.q.clone().unwrap_or_default();
    let (page, offset) = page_and_offset(query.page.as_deref());
    let found = search::articles(&state.db, q.clone(), PAGE_SIZE, offset).await?;
    let articles = found
        .rows
        .into_iter()
        .map(|row| ArticleItem {
            date: date(row.article.created_at),
            hidden: row.article.hidden,
            featured: row.article.featured_at.is_some(),
            draft: row.article.draft,
            slug: row.article.slug,
            title: row.article.title,
            author: row.author,
        })
        .collect();
    let base = format!("/admin/articles?q={}", query_value(&q));
    let (chrome, admin) = frame(&state, &req, &user.0, "Articles · Admin", "/admin/articles")?;
    ok(&ArticlesPage {
        chrome,
        admin,
        total: found.total,
        pagination: Pagination::new(&base, page, found.total),
        articles,
        q,
    })
}

/// A moderation button's form.
#[derive(Deserialize)]
pub struct ActionForm {
    next: Option<String>,
    confirm: Option<String>,
    /// Why, told to the content's author (asked on the delete confirmation).
    reason: Option<String>,
}

/// `POST /admin/articles/{slug}/{hide|unhide|feature|unfeature|delete}` (delete asks
/// for confirmation first)
pub async fn article_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<ActionForm>,
) -> PageResult {
    let (slug, name) = path.into_inner();
    let action = match name.as_str() {
        "hide" => ContentAction::HideArticle(slug.clone()),
        "unhide" => ContentAction::UnhideArticle(slug.clone()),
        "feature" => ContentAction::FeatureArticle(slug.clone()),
        "unfeature" => ContentAction::UnfeatureArticle(slug.clone()),
        "delete" => ContentAction::DeleteArticle(slug.clone()),
        _ => return Err(AppError::NotFound("action").into()),
    };
    let next = local_next(form.0.next.as_deref(), "/admin/articles");
    if name == "delete" && !confirmed(form.0.confirm.as_deref()) {
        return ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!(
                    "Delete the article “{slug}” with its comments? This cannot be undone; hiding it can."
                ),
                action: req.path().to_owned(),
                fields: vec![("next".into(), next.clone())],
                button: "Delete the article",
                cancel: &next,
                reason: Some("Reason (told to the author)"),
            },
        );
    }
    let done = action.done();
    let reason = form.0.reason;
    crate::app::moderation::content(&state.app, actor(&state, &req, &user.0), action, reason)
        .await?;
    flash(&req, FlashKind::Success, done);
    Ok(redirect(&next))
}

/// A comment row of the admin list.
struct CommentItem {
    id: i32,
    body: String,
    author: String,
    article_slug: String,
    date: String,
    hidden: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/comments.html")]
struct CommentsPage {
    chrome: Chrome,
    admin: AdminFrame,
    q: String,
    total: i64,
    comments: Vec<CommentItem>,
    pagination: Pagination,
}

/// Longest excerpt of a comment in the list.
const EXCERPT: usize = 200;

/// `GET /admin/comments`
pub async fn comments(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    query: web::Query<ListQuery>,
) -> PageResult {
    let q = query.q.clone().unwrap_or_default();
    let (page, offset) = page_and_offset(query.page.as_deref());
    let found = search::comments(&state.db, q.clone(), PAGE_SIZE, offset).await?;
    let comments = found
        .rows
        .into_iter()
        .map(|row| CommentItem {
            id: row.comment.id,
            body: row.comment.body.chars().take(EXCERPT).collect(),
            date: date(row.comment.created_at),
            hidden: row.comment.hidden,
            author: row.author,
            article_slug: row.article_slug,
        })
        .collect();
    let base = format!("/admin/comments?q={}", query_value(&q));
    let (chrome, admin) = frame(&state, &req, &user.0, "Comments · Admin", "/admin/comments")?;
    ok(&CommentsPage {
        chrome,
        admin,
        total: found.total,
        pagination: Pagination::new(&base, page, found.total),
        comments,
        q,
    })
}

/// `POST /admin/comments/{id}/{hide|unhide|delete}` (delete asks for confirmation first)
pub async fn comment_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<ActionForm>,
) -> PageResult {
    let (id, name) = path.into_inner();
    let id: i32 = id.parse().map_err(|_| AppError::NotFound("comment"))?;
    let action = match name.as_str() {
        "hide" => ContentAction::HideComment(id),
        "unhide" => ContentAction::UnhideComment(id),
        "delete" => ContentAction::DeleteComment(id),
        _ => return Err(AppError::NotFound("action").into()),
    };
    let next = local_next(form.0.next.as_deref(), "/admin/comments");
    if name == "delete" && !confirmed(form.0.confirm.as_deref()) {
        return ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!("Delete comment #{id}? This cannot be undone; hiding it can."),
                action: req.path().to_owned(),
                fields: vec![("next".into(), next.clone())],
                button: "Delete the comment",
                cancel: &next,
                reason: Some("Reason (told to the author)"),
            },
        );
    }
    let done = action.done();
    let reason = form.0.reason;
    crate::app::moderation::content(&state.app, actor(&state, &req, &user.0), action, reason)
        .await?;
    flash(&req, FlashKind::Success, done);
    Ok(redirect(&next))
}
