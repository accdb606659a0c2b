//! Comments on articles.

pub mod batch_pg;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use crate::db::schema::comments;
use crate::db::{Db, DbConnection, is_foreign_key_violation};
use crate::domain::articles::Article;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::profiles::{self, Profile};
use crate::domain::users::User;
use crate::domain::{events, input, notifications, time, visibility};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::jobs::{kinds, wake};

/// A comment row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = comments)]
pub struct Comment {
    /// Primary key.
    pub id: i32,
    /// Plain text.
    pub body: String,
    /// The article it belongs to.
    pub article_id: i32,
    /// Writer.
    pub author_id: i32,
    /// Posting time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// Hidden by staff: only staff and the author see it.
    pub hidden: bool,
}

/// A comment with its author as the viewer sees them.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// The row.
    pub comment: Comment,
    /// The writer, with the viewer's following state.
    pub author: Profile,
}

/// A new comment, as received.
#[derive(Debug, Default, Clone)]
pub struct CommentInput {
    /// Text.
    pub body: Option<String>,
}

/// Comments of `slug`, oldest first, loaded in a fixed number of queries.
pub async fn list(db: &Db, viewer: Option<i32>, slug: String) -> AppResult<Vec<CommentView>> {
    db.run(move |conn| {
        let article = visibility::visible_article(conn, viewer, &slug)?;
        let rows = comments::table
            .filter(comments::article_id.eq(article.id))
            .filter(visibility::comments_for(viewer))
            .order((comments::created_at.asc(), comments::id.asc()))
            .select(Comment::as_select())
            .load(conn)?;
        Ok(views(conn, viewer, rows)?)
    })
    .await
}

/// How many comments of each of `article_ids` `viewer` may see, in one statement
/// (articles without any are left out).
pub fn visible_counts(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    article_ids: &[i32],
) -> AppResult<HashMap<i32, i64>> {
    let rows: Vec<(i32, i64)> = comments::table
        .filter(comments::article_id.eq_any(article_ids))
        .filter(visibility::comments_for(viewer))
        .group_by(comments::article_id)
        .select((comments::article_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Posts a comment by `author` on `slug`, inside the caller's write transaction.
/// `public` is the article when the caller already knows that everyone may see it
/// (from the caches); otherwise it is read here, with whether `author` may see it.
pub fn add(
    conn: &mut DbConnection,
    author: &User,
    slug: &str,
    public: Option<&Article>,
    raw: CommentInput,
) -> AppResult<CommentView> {
    let article = match public {
        Some(article) => Cow::Borrowed(article),
        None => Cow::Owned(visibility::visible_article(conn, Some(author.id), slug)?),
    };
    let new = NewComment::checked(author.id, &article, raw)?;
    let made = match insert(conn, &new) {
        Ok(made) => made,
        Err(e) => return Err(not_found_if_gone(e)),
    };
    if made.queued > 0 {
        wake::note_enqueued();
    }
    if let Some(one) = &new.notice {
        events::told(one);
    }
    let view = new.into_view(made.id, author);
    if !article.draft {
        events::comment_created(conn, &article, view.comment.id, &view.author.username)?;
    }
    Ok(view)
}

/// A comment checked and ready to be stored: its row and the notification it makes.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// The text, trimmed.
    pub body: String,
    pub article_id: i32,
    pub author_id: i32,
    pub created_at: NaiveDateTime,
    /// The article's author is told, unless they wrote it or the article is a draft.
    pub notice: Option<kinds::One>,
}

impl NewComment {
    /// Checks `raw` as a comment by `author_id` on `article`: 422 with the field's
    /// error when it is not one.
    pub fn checked(author_id: i32, article: &Article, raw: CommentInput) -> AppResult<Self> {
        let mut errors = FieldErrors::default();
        let body =
            input::required_text(&mut errors, "body", raw.body.as_deref(), input::COMMENT_MAX);
        errors.into_result()?;
        // Only its author can comment on a draft (notes to self): nobody is told.
        let notice = if article.draft {
            None
        } else {
            events::comment_notice(article, author_id)
        };
        Ok(Self {
            body,
            article_id: article.id,
            author_id,
            created_at: time::now(),
            notice,
        })
    }

    /// The comment, stored as `id`, as its author `author` sees it.
    pub fn into_view(self, id: i32, author: &User) -> CommentView {
        let comment = Comment {
            id,
            body: self.body,
            article_id: self.article_id,
            author_id: self.author_id,
            created_at: self.created_at,
            updated_at: self.created_at,
            hidden: false,
        };
        // Seen by its own author, who follows nobody as themselves.
        CommentView {
            comment,
            author: Profile::of(author, false),
        }
    }
}

/// A failed comment insert as the request hears of it: 404 when the article is gone
/// (deleted since the caller saw it cached), the error itself otherwise.
pub fn not_found_if_gone(e: diesel::result::Error) -> AppError {
    if is_foreign_key_violation(&e) {
        AppError::NotFound("article")
    } else {
        e.into()
    }
}

#[derive(Insertable)]
#[diesel(table_name = comments)]
struct CommentRow<'a> {
    body: &'a str,
    article_id: i32,
    author_id: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> From<&'a NewComment> for CommentRow<'a> {
    fn from(new: &'a NewComment) -> Self {
        Self {
            body: &new.body,
            article_id: new.article_id,
            author_id: new.author_id,
            created_at: new.created_at,
            updated_at: new.created_at,
        }
    }
}

/// A stored comment: its id, and how many email jobs its write queued.
#[derive(QueryableByName, Debug, Clone, Copy)]
pub struct Inserted {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = BigInt)]
    pub queued: i64,
}

/// Inserts a comment row with the notification it makes, if any, and returns its id,
/// taken from the insert itself. On PostgreSQL one statement does both, since each is
/// a round trip; on SQLite the id is the connection's last rowid (exact with
/// concurrent writers, and neither reads the article's other comments).
fn insert(conn: &mut DbConnection, new: &NewComment) -> QueryResult<Inserted> {
    if let DbConnection::Pg(pg) = conn {
        return insert_pg(pg, new);
    }
    diesel::insert_into(comments::table)
        .values(CommentRow::from(new))
        .execute(conn)?;
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("PostgreSQL returned above");
    };
    let id = crate::db::last_insert_id(sqlite)?;
    if let Some(one) = &new.notice {
        notifications::create(conn, one)?;
    }
    // SQLite's email jobs say so themselves ([`notifications::create`]).
    Ok(Inserted { id, queued: 0 })
}

/// [`insert`] on PostgreSQL: one statement, a transaction of its own when the caller
/// runs it outside one (a batch's item stored alone, [`batch_pg`]).
pub fn insert_pg(pg: &mut diesel::PgConnection, new: &NewComment) -> QueryResult<Inserted> {
    let Some(one) = &new.notice else {
        let id = diesel::insert_into(comments::table)
            .values(CommentRow::from(new))
            .returning(comments::id)
            .get_result(pg)?;
        return Ok(Inserted { id, queued: 0 });
    };
    let sql = format!(
        "WITH comment AS (\
           INSERT INTO comments (body, article_id, author_id, created_at, updated_at) \
           VALUES ($1, $2, $3, $4, $5) RETURNING id), {} \
         SELECT (SELECT id FROM comment) AS id, (SELECT COUNT(*) FROM queued) AS queued",
        notifications::ctes_pg(one, 6)
    );
    let query = crate::db::prepared(sql)
        .bind::<Text, _>(&new.body)
        .bind::<Integer, _>(new.article_id)
        .bind::<Integer, _>(new.author_id)
        .bind::<Timestamp, _>(new.created_at)
        .bind::<Timestamp, _>(new.created_at);
    notifications::bind_pg(query, one, new.created_at).get_result(pg)
}

impl Comment {
    /// How the audit log names it: its id and the start of its text.
    pub fn audit_label(&self) -> String {
        let start: String = self.body.chars().take(60).collect();
        format!("#{} {start}", self.id)
    }
}

/// Deletes comment `id` of `slug` inside the caller's write transaction: 404 for a
/// missing article or comment, 403 unless the user wrote the comment or the article.
/// An author removing someone else's comment from their article is written to the
/// audit log (with the comment's writer and text), so moderators can see it.
pub fn delete(conn: &mut DbConnection, user_id: i32, slug: &str, id: i32) -> AppResult<()> {
    let article = Article::find_by_slug(conn, slug)?.ok_or(AppError::NotFound("article"))?;
    let comment = comments::table
        .find(id)
        .filter(comments::article_id.eq(article.id))
        .select(Comment::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("comment"))?;
    if comment.author_id != user_id {
        if article.author_id != user_id {
            return Err(AppError::Forbidden("comment"));
        }
        let user = User::find(conn, user_id)?.ok_or(AppError::InvalidToken)?;
        let writer = User::find(conn, comment.author_id)?
            .map(|u| u.username)
            .unwrap_or_default();
        audit::record(
            conn,
            &Actor::user(&user, None),
            AuditEntry::on(
                "comment.delete_on_own_article",
                "comment",
                comment.id,
                comment.audit_label(),
            )
            .change(
                format!("written by {writer}"),
                "deleted by the article's author",
            ),
        )?;
    }
    diesel::delete(comments::table.find(comment.id)).execute(conn)?;
    Ok(())
}

fn views(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    rows: Vec<Comment>,
) -> QueryResult<Vec<CommentView>> {
    let mut author_ids: Vec<i32> = rows.iter().map(|c| c.author_id).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let followed: HashSet<i32> = profiles::followed_among(conn, viewer, &author_ids)?
        .into_iter()
        .collect();
    let authors: HashMap<i32, Profile> = profiles::users_by_ids(conn, &author_ids)?
        .iter()
        .map(|u| (u.id, Profile::of(u, followed.contains(&u.id))))
        .collect();
    rows.into_iter()
        .map(|comment| {
            let author = authors
                .get(&comment.author_id)
                .cloned()
                .ok_or(diesel::result::Error::NotFound)?;
            Ok(CommentView { comment, author })
        })
        .collect()
}

/// How many comments an article's page shows at once. A thread of thousands of comments
/// would otherwise make a page of megabytes, and the memory to build and send it for
/// every reader at once.
pub const PAGE_COMMENTS: usize = 50;

/// The stretch of a thread (oldest first) one page shows: the `size` comments just
/// before the comment `before`, or the newest `size` without it. A cursor, not a page
/// number, so that a link keeps showing the same comments while new ones arrive.
#[derive(Debug, PartialEq, Eq)]
pub struct ThreadWindow {
    /// Positions of the comments shown, in the thread.
    pub shown: std::ops::Range<usize>,
    /// The cursor of the comments just earlier, when there are any.
    pub earlier: Option<i32>,
    /// Whether these are the newest comments (the thread's end, where new ones appear).
    pub newest: bool,
    /// The cursor of the comments just after, unless they are the newest (no cursor).
    pub later: Option<i32>,
}

impl ThreadWindow {
    /// The window of `ids` (the thread's comment ids, in its order) ending before the
    /// comment `before`. A comment deleted since the link was made ends it where it
    /// stood: before every comment with a smaller id.
    pub fn of(ids: &[i32], before: Option<i32>, size: usize) -> Self {
        let end = match before {
            None => ids.len(),
            Some(before) => ids
                .iter()
                .position(|&id| id == before)
                .unwrap_or_else(|| ids.iter().filter(|&&id| id < before).count()),
        };
        let start = end.saturating_sub(size);
        Self {
            shown: start..end,
            earlier: (start > 0).then(|| ids[start]),
            newest: end == ids.len(),
            later: ids.get(end + size).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ThreadWindow;

    #[test]
    fn windows_walk_the_thread_from_its_newest_end() {
        let ids: Vec<i32> = (1..=7).map(|n| n * 10).collect();
        let newest = ThreadWindow::of(&ids, None, 3);
        assert_eq!(newest.shown, 4..7);
        assert_eq!(
            (newest.earlier, newest.newest, newest.later),
            (Some(50), true, None)
        );
        let middle = ThreadWindow::of(&ids, Some(50), 3);
        assert_eq!(middle.shown, 1..4);
        assert_eq!(
            (middle.earlier, middle.newest, middle.later),
            (Some(20), false, None)
        );
        let first = ThreadWindow::of(&ids, Some(20), 3);
        assert_eq!(first.shown, 0..1);
        assert_eq!(
            (first.earlier, first.newest, first.later),
            (None, false, Some(50))
        );
    }

    #[test]
    fn a_cursor_that_is_gone_ends_where_it_stood() {
        let ids = [10, 20, 40, 50];
        assert_eq!(ThreadWindow::of(&ids, Some(30), 10).shown, 0..2);
        assert_eq!(ThreadWindow::of(&ids, Some(1), 10).shown, 0..0);
        assert_eq!(ThreadWindow::of(&ids, Some(99), 10).shown, 0..4);
        assert!(ThreadWindow::of(&ids, Some(99), 10).newest);
        let short = ThreadWindow::of(&[], None, 10);
        assert_eq!(
            (short.shown, short.earlier, short.newest),
            (0..0, None, true)
        );
    }
}
