//! Drafts: articles saved unpublished, seen only by their author, and their scheduled
//! publication. Publishing is one conditional `UPDATE` (still a draft, still due at the
//! time the job was queued for), so of several claimants only one wins and fires the
//! events; a changed or cancelled schedule turns the older job into a no-op.

use chrono::{DateTime, NaiveDateTime, Timelike};
use diesel::prelude::*;

use super::{Article, ArticleView, load_views};
use crate::db::DbConnection;
use crate::db::schema::{articles, users};
use crate::domain::{events, time};
use crate::error::{AppResult, FieldErrors};

/// Longest Drafts tab page (an author rarely has more drafts than this).
pub const DRAFTS_MAX: i64 = 100;

/// Reads a publication time: RFC 3339 (`2030-01-02T03:04:05Z`, any offset) or the
/// `datetime-local` form (`2030-01-02T03:04`, seconds optional) read as UTC. Kept to
/// whole seconds, so the stored time and the job's copy of it compare equal on both
/// backends. Nonsense is a 422 on `publishAt`.
pub fn publish_time(errors: &mut FieldErrors, raw: &str) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    let parsed = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S").ok())
        .or_else(|| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").ok());
    match parsed.and_then(|t| t.with_nanosecond(0)) {
        Some(t) if (1970..=9999).contains(&chrono::Datelike::year(&t)) => Some(t),
        _ => {
            errors.add(
                "publishAt",
                "must be a date and time such as 2030-01-31T09:30:00Z",
            );
            None
        }
    }
}

/// Queues the job that publishes draft `article_id` at `at` (inside the caller's
/// transaction).
pub(super) fn schedule(
    conn: &mut DbConnection,
    article_id: i32,
    at: NaiveDateTime,
) -> AppResult<()> {
    events::article_scheduled(conn, article_id, at)?;
    Ok(())
}

/// Sets (`Some(Some)`), cancels (`Some(None)`) or keeps (`None`) the time at which
/// `draft` is published; a new time queues its job (the older one then finds nothing).
pub(super) fn reschedule(
    conn: &mut DbConnection,
    draft: &Article,
    publish_at: Option<Option<NaiveDateTime>>,
) -> AppResult<()> {
    let Some(at) = publish_at else {
        return Ok(());
    };
    if at == draft.publish_at {
        return Ok(());
    }
    diesel::update(articles::table.find(draft.id))
        .set(articles::publish_at.eq(at))
        .execute(conn)?;
    if let Some(at) = at {
        schedule(conn, draft.id, at)?;
    }
    Ok(())
}

/// Turns draft `article` into a published article now: it takes this moment as its
/// publication time (so it heads the lists) and the usual events fire, once: the
/// `UPDATE` only matches while it is still a draft. `None` when it already was not.
pub(super) fn publish_now(
    conn: &mut DbConnection,
    article: &Article,
) -> AppResult<Option<Article>> {
    let now = time::now();
    let changed = diesel::update(
        articles::table
            .filter(articles::id.eq(article.id))
            .filter(articles::draft.eq(true)),
    )
    .set((
        articles::draft.eq(false),
        articles::publish_at.eq(None::<NaiveDateTime>),
        articles::created_at.eq(now),
        articles::updated_at.eq(time::next_after(article.updated_at)),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    announce(conn, article.id)
}

/// Publishes draft `article_id` if it is still due at `due` (what the job was queued
/// for); `None` when it was published, rescheduled, cancelled or deleted meanwhile.
/// Inside the caller's write transaction.
pub fn publish_scheduled(
    conn: &mut DbConnection,
    article_id: i32,
    due: NaiveDateTime,
) -> AppResult<Option<Article>> {
    let now = time::now();
    let changed = diesel::update(
        articles::table
            .filter(articles::id.eq(article_id))
            .filter(articles::draft.eq(true))
            .filter(articles::publish_at.eq(due)),
    )
    .set((
        articles::draft.eq(false),
        articles::publish_at.eq(None::<NaiveDateTime>),
        articles::created_at.eq(now),
        articles::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    announce(conn, article_id)
}

/// The events of a publication, for the article as it now is, and its history's first
/// revision (drafts keep none: the history starts with what was published).
fn announce(conn: &mut DbConnection, article_id: i32) -> AppResult<Option<Article>> {
    let (article, author) = articles::table
        .inner_join(users::table)
        .filter(articles::id.eq(article_id))
        .select((Article::as_select(), users::username))
        .first::<(Article, String)>(conn)?;
    let tags = crate::domain::tags::of_article(conn, article_id)?;
    crate::domain::revisions::record_original(conn, &article, article.author_id, &tags)?;
    events::article_published(conn, &article, &author)?;
    Ok(Some(article))
}

/// `author_id`'s drafts, last edited first, at most [`DRAFTS_MAX`], as they see them.
pub fn drafts_of(conn: &mut DbConnection, author_id: i32) -> AppResult<Vec<ArticleView>> {
    let rows = articles::table
        .filter(articles::draft.eq(true))
        .filter(articles::author_id.eq(author_id))
        .order((articles::updated_at.desc(), articles::id.desc()))
        .limit(DRAFTS_MAX)
        .select(Article::as_select())
        .load(conn)?;
    Ok(load_views(conn, Some(author_id), rows)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_times_read_rfc3339_and_datetime_local_as_utc() {
        let mut errors = FieldErrors::default();
        let t = publish_time(&mut errors, "2030-01-02T03:04:05.678+01:00").expect("parses");
        assert_eq!(t.to_string(), "2030-01-02 02:04:05");
        let local = publish_time(&mut errors, "2030-01-02T03:04").expect("parses");
        assert_eq!(local.to_string(), "2030-01-02 03:04:00");
        assert!(errors.is_empty());
        assert!(publish_time(&mut errors, "tomorrow").is_none());
        assert!(!errors.is_empty());
    }
}
