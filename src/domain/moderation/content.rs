//! Hiding, deleting and featuring articles and comments.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{articles, comments};
use crate::domain::articles::Article;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::comments::Comment;
use crate::domain::{events, time};
use crate::error::{AppError, AppResult};

/// One moderation change to one piece of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentAction {
    /// Hide the article with this slug from everyone but staff and its author.
    HideArticle(String),
    /// Show it again.
    UnhideArticle(String),
    /// Delete it with its comments.
    DeleteArticle(String),
    /// Pin it on the home page.
    FeatureArticle(String),
    /// Unpin it.
    UnfeatureArticle(String),
    /// Hide the comment with this id.
    HideComment(i32),
    /// Show it again.
    UnhideComment(i32),
    /// Delete it.
    DeleteComment(i32),
}

impl ContentAction {
    /// What the flash message says was done.
    pub fn done(&self) -> &'static str {
        match self {
            Self::HideArticle(_) => "The article is hidden.",
            Self::UnhideArticle(_) => "The article is visible again.",
            Self::DeleteArticle(_) => "The article was deleted.",
            Self::FeatureArticle(_) => "The article is featured on the home page.",
            Self::UnfeatureArticle(_) => "The article is no longer featured.",
            Self::HideComment(_) => "The comment is hidden.",
            Self::UnhideComment(_) => "The comment is visible again.",
            Self::DeleteComment(_) => "The comment was deleted.",
        }
    }
}

/// Applies `action` as `actor` (staff only), with its audit row, inside the caller's
/// write transaction; the content's author is told what was done and `reason` (hiding,
/// showing again, deleting; not featuring). This is the one entry point for content
/// moderation (report resolution uses it too).
pub fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &ContentAction,
    reason: Option<&str>,
) -> AppResult<()> {
    actor.require_staff()?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match action {
        ContentAction::HideArticle(slug) => set_article_hidden(conn, actor, slug, true, reason),
        ContentAction::UnhideArticle(slug) => set_article_hidden(conn, actor, slug, false, reason),
        ContentAction::DeleteArticle(slug) => {
            let article = article(conn, slug)?;
            tell_author(
                conn,
                actor,
                article.author_id,
                None,
                &article.title,
                "article_deleted",
                reason,
            )?;
            audit::record(
                conn,
                actor,
                AuditEntry::on("article.delete", "article", article.id, &article.slug)
                    .change(format!("title={}", article.title), "deleted"),
            )?;
            diesel::delete(articles::table.find(article.id)).execute(conn)?;
            Ok(())
        }
        ContentAction::FeatureArticle(slug) => set_featured(conn, actor, slug, true),
        ContentAction::UnfeatureArticle(slug) => set_featured(conn, actor, slug, false),
        ContentAction::HideComment(id) => set_comment_hidden(conn, actor, *id, true, reason),
        ContentAction::UnhideComment(id) => set_comment_hidden(conn, actor, *id, false, reason),
        ContentAction::DeleteComment(id) => {
            let comment = comment(conn, *id)?;
            let on = article_by_id(conn, comment.article_id)?;
            tell_author(
                conn,
                actor,
                comment.author_id,
                Some(on.id),
                &on.title,
                "comment_deleted",
                reason,
            )?;
            audit::record(
                conn,
                actor,
                AuditEntry::on(
                    "comment.delete",
                    "comment",
                    comment.id,
                    comment.audit_label(),
                )
                .change(visible_word(comment.hidden), "deleted"),
            )?;
            diesel::delete(comments::table.find(comment.id)).execute(conn)?;
            Ok(())
        }
    }
}

fn article(conn: &mut DbConnection, slug: &str) -> AppResult<Article> {
    Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))
}

fn comment(conn: &mut DbConnection, id: i32) -> AppResult<Comment> {
    comments::table
        .find(id)
        .select(Comment::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("comment"))
}

fn article_by_id(conn: &mut DbConnection, id: i32) -> AppResult<Article> {
    Ok(articles::table
        .find(id)
        .select(Article::as_select())
        .first(conn)?)
}

/// Tells the author of moderated content (never the staff member about their own).
fn tell_author(
    conn: &mut DbConnection,
    actor: &Actor,
    author_id: i32,
    article_id: Option<i32>,
    title: &str,
    detail: &str,
    reason: Option<&str>,
) -> AppResult<()> {
    let Some(staff_id) = actor.id else {
        return Ok(());
    };
    events::content_moderated(
        conn,
        author_id,
        staff_id,
        article_id,
        title.to_owned(),
        detail,
        reason,
    )?;
    Ok(())
}

fn visible_word(hidden: bool) -> &'static str {
    if hidden { "hidden" } else { "visible" }
}

fn set_article_hidden(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    hidden: bool,
    reason: Option<&str>,
) -> AppResult<()> {
    let article = article(conn, slug)?;
    if article.hidden != hidden {
        let detail = if hidden {
            "article_hidden"
        } else {
            "article_unhidden"
        };
        tell_author(
            conn,
            actor,
            article.author_id,
            Some(article.id),
            &article.title,
            detail,
            reason,
        )?;
    }
    let action = if hidden {
        "article.hide"
    } else {
        "article.unhide"
    };
    audit::record(
        conn,
        actor,
        AuditEntry::on(action, "article", article.id, &article.slug)
            .change(visible_word(article.hidden), visible_word(hidden)),
    )?;
    diesel::update(articles::table.find(article.id))
        .set(articles::hidden.eq(hidden))
        .execute(conn)?;
    Ok(())
}

fn set_featured(conn: &mut DbConnection, actor: &Actor, slug: &str, on: bool) -> AppResult<()> {
    let article = article(conn, slug)?;
    let word = |featured: bool| if featured { "featured" } else { "not featured" };
    let action = if on {
        "article.feature"
    } else {
        "article.unfeature"
    };
    audit::record(
        conn,
        actor,
        AuditEntry::on(action, "article", article.id, &article.slug)
            .change(word(article.featured_at.is_some()), word(on)),
    )?;
    diesel::update(articles::table.find(article.id))
        .set(articles::featured_at.eq(on.then(time::now)))
        .execute(conn)?;
    Ok(())
}

fn set_comment_hidden(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i32,
    hidden: bool,
    reason: Option<&str>,
) -> AppResult<()> {
    let comment = comment(conn, id)?;
    if comment.hidden != hidden {
        let on = article_by_id(conn, comment.article_id)?;
        let detail = if hidden {
            "comment_hidden"
        } else {
            "comment_unhidden"
        };
        tell_author(
            conn,
            actor,
            comment.author_id,
            Some(on.id),
            &on.title,
            detail,
            reason,
        )?;
    }
    let action = if hidden {
        "comment.hide"
    } else {
        "comment.unhide"
    };
    audit::record(
        conn,
        actor,
        AuditEntry::on(action, "comment", comment.id, comment.audit_label())
            .change(visible_word(comment.hidden), visible_word(hidden)),
    )?;
    diesel::update(comments::table.find(comment.id))
        .set(comments::hidden.eq(hidden))
        .execute(conn)?;
    Ok(())
}
