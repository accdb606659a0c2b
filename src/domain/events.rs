//! The transactional outbox: what each domain change enqueues, called inside the change's
//! own transaction, so a committed change always has its jobs and a rolled-back one never
//! does. In-app notifications and webhook deliveries are made right there; the work
//! that waits on something else (email, the HTTP deliveries, a new article's followers
//! on PostgreSQL or beyond one batch) happens later in the workers.

use std::cell::RefCell;

use serde_json::json;

use crate::db::DbConnection;
use crate::domain::articles::Article;
use crate::domain::{notifications, webhooks};
use crate::jobs::{self, kinds};

type Result = diesel::QueryResult<()>;

fn article_data(article: &Article, author: &str) -> serde_json::Value {
    json!({ "article": {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
        "author": author,
    }})
}

/// Queues a delivery of `event` to each webhook that wants it: the owner's and the
/// site-wide ones. Without any, nothing is queued at all (most writes on most sites): a
/// webhook added later does not receive events from before it existed.
fn webhook_event(
    conn: &mut DbConnection,
    event: &str,
    owner_id: i32,
    data: serde_json::Value,
) -> Result {
    let hooks = webhooks::listeners::listening(conn, owner_id, event)?;
    if hooks.is_empty() {
        return Ok(());
    }
    webhooks::queue_deliveries(conn, &hooks, event, &data)
}

fn notify_one(
    conn: &mut DbConnection,
    user_id: i32,
    kind: &str,
    actor_id: i32,
    article: Option<&Article>,
) -> Result {
    notify(conn, one_about(user_id, kind, actor_id, article))
}

fn one_about(user_id: i32, kind: &str, actor_id: i32, article: Option<&Article>) -> kinds::One {
    kinds::One {
        user_id,
        kind: kind.into(),
        actor_id,
        article_id: article.map(|a| a.id),
        subject: article.map(|a| a.title.clone()),
        detail: None,
        reason: None,
    }
}

/// Creates one notification in the caller's transaction and notes its recipient for
/// [`take_told`]; nobody is told about what they did themselves.
fn notify(conn: &mut DbConnection, one: kinds::One) -> Result {
    if one.user_id == one.actor_id {
        return Ok(());
    }
    notifications::create(conn, &one)?;
    told(&one);
    Ok(())
}

/// Notes that the write on this thread made `one`: its recipient's unread count goes
/// stale when it commits.
pub fn told(one: &kinds::One) {
    TOLD.with(|told| told.borrow_mut().push(one.user_id));
}

/// [`told`] for notifications of `users` made in one statement.
pub fn told_users(users: &[i32]) {
    TOLD.with(|told| told.borrow_mut().extend_from_slice(users));
}

thread_local! {
    /// The users notified by the transaction running on this thread (a write runs on
    /// one thread from start to commit), whose unread counts the write makes stale.
    static TOLD: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
}

/// The users notified on this thread since the last call: the writer that commits the
/// transaction marks their unread counts stale (and calls this once before it starts,
/// so that a rolled-back write's leftovers are dropped).
pub fn take_told() -> Vec<i32> {
    TOLD.with(|told| std::mem::take(&mut *told.borrow_mut()))
}

/// Staff hid, showed again or deleted someone's content: its author is told what and
/// why. `article_id` is the article concerned while it exists (none once deleted);
/// `subject` names it as it was; `detail` says what was done (`article_hidden`,
/// `comment_deleted`…, worded by `notifications::NotificationView::sentence`).
pub fn content_moderated(
    conn: &mut DbConnection,
    author_id: i32,
    staff_id: i32,
    article_id: Option<i32>,
    subject: String,
    detail: &str,
    reason: Option<&str>,
) -> Result {
    notify(
        conn,
        kinds::One {
            user_id: author_id,
            kind: "moderation".into(),
            actor_id: staff_id,
            article_id,
            subject: Some(subject),
            detail: Some(detail.into()),
            reason: reason.map(str::to_owned),
        },
    )
}

/// A report was resolved: its reporter is told how (`action`) and why (`note`).
pub fn report_resolved(
    conn: &mut DbConnection,
    reporter_id: i32,
    staff_id: i32,
    subject: String,
    action: &str,
    note: &str,
) -> Result {
    notify(
        conn,
        kinds::One {
            user_id: reporter_id,
            kind: "report".into(),
            actor_id: staff_id,
            article_id: None,
            subject: Some(subject),
            detail: Some(action.into()),
            reason: Some(note.into()),
        },
    )
}

/// A recovery link was asked for `email` (known or not: the job finds out).
pub fn password_reset_asked(conn: &mut DbConnection, email: String) -> Result {
    jobs::enqueue(
        conn,
        kinds::EMAIL_PASSWORD_RESET,
        &kinds::PasswordReset { email },
    )
    .map(drop)
}

/// The account's email changed from `old_email`: a link to prove the new one, and a
/// notice to the old one.
pub fn email_changed(conn: &mut DbConnection, user_id: i32, old_email: String) -> Result {
    verification_asked(conn, user_id)?;
    jobs::enqueue(
        conn,
        kinds::EMAIL_ADDRESS_CHANGED,
        &kinds::AddressChanged { user_id, old_email },
    )
    .map(drop)
}

/// Something the owner of `user_id` must hear about their account's security.
pub fn security_notice(conn: &mut DbConnection, user_id: i32, notice: kinds::Notice) -> Result {
    jobs::enqueue(
        conn,
        kinds::EMAIL_SECURITY,
        &kinds::SecurityNotice { user_id, notice },
    )
    .map(drop)
}

/// The account asked for a new link to prove its address.
pub fn verification_asked(conn: &mut DbConnection, user_id: i32) -> Result {
    jobs::enqueue(conn, kinds::EMAIL_VERIFY, &kinds::Verify { user_id }).map(drop)
}

/// A new account: the welcome email (which carries the link that proves the address).
pub fn user_registered(conn: &mut DbConnection, user_id: i32) -> Result {
    jobs::enqueue(conn, kinds::EMAIL_WELCOME, &kinds::Welcome { user_id }).map(drop)
}

/// A new article: its author's followers are told.
///
/// On SQLite, up to one batch of them ([`kinds::BATCH_SIZE`]) is told right here, in the
/// article's own transaction, and more are queued as batch jobs. A job there is three
/// more writes (its claim, its run, its completion) that wait at the file's one write
/// lock behind the requests, and each commits on another connection than the server's
/// writer, whose page cache it then empties: under a flood of creates the fan-outs fell
/// thousands of jobs behind (`docs/benchmarks.md`), while the same few statements in
/// the create's transaction cost about what the job's run did. On PostgreSQL an article
/// create tells them in its one statement ([`crate::domain::articles::publish_pg`]);
/// a draft published later (which comes here) queues a [`kinds::NOTIFY_FANOUT`] job.
pub fn article_published(conn: &mut DbConnection, article: &Article, author: &str) -> Result {
    let fanout = kinds::Fanout {
        article_id: article.id,
        author_id: article.author_id,
    };
    match conn {
        DbConnection::Sqlite(_) => {
            if let notifications::FannedOut::Notified(users) =
                notifications::fan_out(conn, &fanout)?
            {
                TOLD.with(|told| told.borrow_mut().extend(users));
            }
        }
        DbConnection::Pg(_) => {
            jobs::enqueue(conn, kinds::NOTIFY_FANOUT, &fanout)?;
        }
    }
    article_published_webhooks(conn, article, author)
}

/// The webhook deliveries of a new article alone, for a write that queued its
/// [`kinds::Fanout`] job in a statement of its own (an article create on PostgreSQL).
pub fn article_published_webhooks(
    conn: &mut DbConnection,
    article: &Article,
    author: &str,
) -> Result {
    webhook_event(
        conn,
        "article.published",
        article.author_id,
        article_data(article, author),
    )
}

/// An edited article.
pub fn article_updated(conn: &mut DbConnection, article: &Article, author: &str) -> Result {
    webhook_event(
        conn,
        "article.updated",
        article.author_id,
        article_data(article, author),
    )
}

/// Draft `article_id` is to be published at `at`: the job that does it, due then. A
/// later schedule queues another; the job publishes only while the draft is still due
/// at the time it carries.
pub fn article_scheduled(
    conn: &mut DbConnection,
    article_id: i32,
    at: chrono::NaiveDateTime,
) -> Result {
    let publish = kinds::Publish {
        article_id,
        publish_at: at,
    };
    jobs::enqueue_at(conn, kinds::ARTICLE_PUBLISH, &publish, at).map(drop)
}

/// A deleted article (`article` as it was).
pub fn article_deleted(conn: &mut DbConnection, article: &Article, author: &str) -> Result {
    webhook_event(
        conn,
        "article.deleted",
        article.author_id,
        article_data(article, author),
    )
}

/// The notification a new comment on published `article` makes: its author is told,
/// unless they wrote it. The comment's insert makes it (on PostgreSQL in the same
/// statement), then calls [`told`] and [`comment_created`].
pub fn comment_notice(article: &Article, commenter_id: i32) -> Option<kinds::One> {
    (article.author_id != commenter_id)
        .then(|| one_about(article.author_id, "comment", commenter_id, Some(article)))
}

/// A new comment, whose notification was made with it ([`comment_notice`]): the
/// webhooks that want it.
pub fn comment_created(
    conn: &mut DbConnection,
    article: &Article,
    comment_id: i32,
    commenter: &str,
) -> Result {
    webhook_event(
        conn,
        "comment.created",
        article.author_id,
        json!({
            "comment": { "id": comment_id, "author": commenter },
            "article": { "slug": article.slug, "title": article.title },
        }),
    )
}

/// A new follower.
pub fn followed(
    conn: &mut DbConnection,
    follower_id: i32,
    follower: &str,
    followee_id: i32,
    followee: &str,
) -> Result {
    notify_one(conn, followee_id, "follower", follower_id, None)?;
    webhook_event(
        conn,
        "user.followed",
        followee_id,
        json!({ "follower": follower, "followed": followee }),
    )
}

/// A new favorite: the article's author is told.
pub fn favorited(conn: &mut DbConnection, article: &Article, user_id: i32) -> Result {
    notify_one(conn, article.author_id, "favorite", user_id, Some(article))
}
