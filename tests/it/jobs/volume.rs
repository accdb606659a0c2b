//! The job guarantees at volume: a thousand comments posted at once, with the workers of
//! two "instances" (the app's own and a second pool on the same queue) claiming in
//! batches, give the article's author exactly one notification and one email for each.
//! A new article reaches every follower, in batch jobs when they are many.
//! Notification jobs of one claimed batch (fan-outs, and those a queue may hold from
//! before an upgrade) share a commit; one that fails does so alone.

use std::sync::Arc;

use awc::http::StatusCode;
use conduit::db::schema::jobs as job_rows;
use conduit::db::write_transaction;
use conduit::jobs;
use diesel::prelude::*;
use serde_json::json;

use super::{
    app_handler, count_jobs, db_of, eventually, insert_articles, notices_in, notifications_of,
    unmailed, user_id,
};
use crate::helpers::{TestApp, emails};
use crate::tests;

tests![
    a_thousand_comments_notify_exactly_once,
    a_new_article_reaches_every_follower_beyond_one_batch,
    a_failing_notification_fails_alone_in_its_batch,
    fan_outs_of_one_claim_run_together_and_fail_alone,
];

const COMMENTS: usize = 1000;
/// More followers than one batch job takes (`kinds::BATCH_SIZE`, 500): three batches.
const FOLLOWERS: u32 = 1100;

/// Inserts `count` accounts (`fan1`…) following `author` straight into the database.
fn insert_followers(db: &conduit::db::Db, author: i32, count: u32) {
    use diesel::connection::SimpleConnection;
    let mut conn = db.conn().expect("conn");
    let series = match &*conn {
        conduit::db::DbConnection::Pg(_) => {
            format!("SELECT i FROM generate_series(1, {count}) AS i")
        }
        conduit::db::DbConnection::Sqlite(_) => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
             SELECT i FROM n"
        ),
    };
    let at = "'2026-01-01 00:00:00'";
    conn.batch_execute(&format!(
        "INSERT INTO users (username, email, password_hash, created_at, updated_at) \
         SELECT 'fan' || i, 'fan' || i || '@example.test', 'x', {at}, {at} FROM ({series}) AS s; \
         INSERT INTO follows (follower_id, followee_id, created_at) \
         SELECT id, {author}, {at} FROM users WHERE username LIKE 'fan%';"
    ))
    .expect("insert followers");
}

/// Starts `threads` workers of the app's handler on the test's queue, as another
/// instance would (stopped with the app).
fn start_workers(app: &TestApp, threads: u32) {
    let workers = jobs::WorkerPool::start(
        db_of(app),
        app.config.jobs.settings(threads),
        Arc::new(app_handler(app)),
    )
    .expect("workers start");
    app.pools.borrow_mut().push(workers);
}

/// Requests in flight at a time.
const IN_FLIGHT: usize = 32;

/// An author with few followers: the fan-out job tells them itself on PostgreSQL, the
/// create's own transaction on SQLite (no job at all). With more than a batch: one batch
/// job per 500, and each follower is told exactly once.
async fn a_new_article_reaches_every_follower_beyond_one_batch(app: TestApp) {
    let author = app.register("popular").await;
    let reader = app.register("reader").await;
    let followed = app
        .post("/api/profiles/popular/follow", Some(&reader), json!({}))
        .await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.text);
    let db = db_of(&app);
    app.publish(&author, "For one reader", &[]).await;
    assert_eq!(notifications_of(&db, "reader"), 1, "told by the create");
    assert_eq!(count_jobs(&db, "notify.fanout", None), 0, "no fan-out job");
    assert_eq!(
        count_jobs(&db, "notify.batch", None),
        0,
        "no batch job for one follower"
    );
    let unread = app.get("/api/notifications", Some(&reader)).await;
    assert_eq!(unread.json["unreadCount"], 1, "{}", unread.text);

    let author_id = user_id(&mut db.conn().expect("conn"), "popular");
    insert_followers(&db, author_id, FOLLOWERS);
    let slug = app.publish(&author, "For the crowd", &[]).await;
    eventually(20, "three batch jobs", || {
        count_jobs(&db, "notify.batch", Some("done")) == 3
    })
    .await;
    use conduit::db::schema::{articles, notifications};
    let mut conn = db.conn().expect("conn");
    let article: i32 = articles::table
        .filter(articles::slug.eq(&slug))
        .select(articles::id)
        .first(&mut *conn)
        .expect("article");
    let told: Vec<i32> = notifications::table
        .filter(notifications::article_id.eq(article))
        .select(notifications::user_id)
        .load(&mut *conn)
        .expect("notifications");
    let mut distinct = told.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let expected = usize::try_from(FOLLOWERS).expect("fits") + 1;
    assert_eq!(told.len(), expected, "one notification per follower");
    assert_eq!(distinct.len(), expected, "nobody told twice");
}

async fn a_thousand_comments_notify_exactly_once(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let author = app.register("author").await;
    let slug = app.publish(&author, "Talked about", &[]).await;
    let mut commenters = Vec::new();
    for i in 0..10 {
        commenters.push(app.register(&format!("commenter{i}")).await);
    }
    start_workers(&app, 2);

    let url = format!("{}/api/articles/{slug}/comments", app.address);
    for wave in 0..COMMENTS / IN_FLIGHT + 1 {
        let handles: Vec<_> = (wave * IN_FLIGHT..((wave + 1) * IN_FLIGHT).min(COMMENTS))
            .map(|i| {
                let request = app
                    .client
                    .post(url.clone())
                    .insert_header(("Authorization", format!("Token {}", commenters[i % 10])));
                actix_web::rt::spawn(async move {
                    let body = json!({"comment": {"body": format!("Comment number {i}")}});
                    request.send_json(&body).await.map(|r| r.status())
                })
            })
            .collect();
        for handle in handles {
            let status = handle.await.expect("task").expect("answered");
            assert_eq!(status, StatusCode::CREATED);
        }
    }

    let db = db_of(&app);
    // Each comment made its notification in its own transaction: all are there as
    // soon as the posts are answered, with no job in between.
    assert_eq!(
        notifications_of(&db, "author"),
        COMMENTS as i64,
        "one notification per comment"
    );
    assert_eq!(
        count_jobs(&db, "notify.one", None),
        0,
        "no notification job"
    );
    // A recipient's waiting notifications share one email job: the comments that came
    // in while one waited went out together, each in exactly one email.
    eventually(180, "every notification emailed", || {
        unmailed(&db, "author") == 0
    })
    .await;
    eventually(30, "the email jobs to finish", || {
        count_jobs(&db, "email.notifications", Some("queued"))
            + count_jobs(&db, "email.notifications", Some("running"))
            == 0
    })
    .await;
    for kind in ["email.notifications", "webhook.deliver"] {
        assert_eq!(count_jobs(&db, kind, Some("dead")), 0, "{kind}");
    }
    let jobs = count_jobs(&db, "email.notifications", None);
    assert!(
        jobs < COMMENTS as i64,
        "{jobs} email jobs for {COMMENTS} comments to one author"
    );
    assert_eq!(
        notifications_of(&db, "author"),
        COMMENTS as i64,
        "still one notification per comment"
    );
    let told: usize = emails(&app)
        .into_iter()
        .filter(|(name, _)| name.starts_with("notification-"))
        .map(|(_, text)| notices_in(&text))
        .sum();
    assert_eq!(told, COMMENTS, "each comment told in exactly one email");
}

/// Four notification jobs queued in one commit are claimed as one batch and run in one
/// transaction: the two good ones are done, the one whose payload cannot be read is dead
/// at once, and the one whose recipient is gone (its insert breaks a foreign key) is
/// rolled back alone and retried later, its notification not written.
async fn a_failing_notification_fails_alone_in_its_batch(app: TestApp) {
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    app.register("author").await;
    app.register("reader").await;
    let db = db_of(&app);
    let mut conn = db.conn().expect("conn");
    let (author, reader) = (user_id(&mut conn, "author"), user_id(&mut conn, "reader"));
    let one = |user_id: i32, subject: &str| {
        json!({"user_id": user_id, "kind": "comment", "actor_id": reader,
               "article_id": null, "subject": subject})
    };
    let ids: Vec<i32> = write_transaction(&mut conn, |conn| {
        [
            jobs::enqueue(conn, "notify.one", &one(author, "first")),
            jobs::enqueue(conn, "notify.one", &json!({"not": "a notification"})),
            jobs::enqueue(conn, "notify.one", &one(author + reader + 1000, "nobody")),
            jobs::enqueue(conn, "notify.one", &one(author, "second")),
        ]
        .into_iter()
        .collect::<Result<Vec<i32>, diesel::result::Error>>()
    })
    .expect("enqueued");
    let state = |conn: &mut conduit::db::DbConnection, id: i32| -> (String, i32) {
        job_rows::table
            .find(id)
            .select((job_rows::state, job_rows::attempts))
            .first(conn)
            .expect("job")
    };

    start_workers(&app, 1);
    eventually(20, "the batch to run", || {
        let mut conn = db.conn().expect("conn");
        let settled = |(state, _): (String, i32)| state == "done" || state == "dead";
        settled(state(&mut conn, ids[0]))
            && settled(state(&mut conn, ids[1]))
            && settled(state(&mut conn, ids[3]))
            && state(&mut conn, ids[2]).1 >= 1
    })
    .await;
    assert_eq!(state(&mut conn, ids[0]).0, "done");
    assert_eq!(state(&mut conn, ids[1]).0, "dead");
    // Failed and waiting for a retry (or retried, failing again: never done).
    let (retried, attempts) = state(&mut conn, ids[2]);
    assert!(
        retried != "done" && attempts >= 1,
        "{retried} after {attempts}"
    );
    assert_eq!(state(&mut conn, ids[3]).0, "done");
    assert_eq!(notifications_of(&db, "author"), 2);
}

/// The fan-outs of three articles (loaded in bulk, so that none was told yet) queued
/// while no worker runs, and one whose payload cannot be read, are claimed as one batch
/// and run in one transaction: each follower is told of each article once, the
/// unreadable one is dead, and the unread counts the server cached move.
async fn fan_outs_of_one_claim_run_together_and_fail_alone(app: TestApp) {
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    app.register("prolific").await;
    for name in ["first", "second"] {
        let token = app.register(name).await;
        let followed = app
            .post("/api/profiles/prolific/follow", Some(&token), json!({}))
            .await;
        assert_eq!(followed.status, StatusCode::OK, "{}", followed.text);
    }
    // The navbar's count, which each server caches per member.
    let session = crate::admin::signed_in(&app, "first").await;
    let unread = async || -> Option<String> {
        let page = session.get("/").await;
        let (_, rest) = page.body.split_once("data-testid=\"unread-count\">")?;
        rest.split_once('<').map(|(count, _)| count.to_owned())
    };
    assert_eq!(unread().await, None, "nothing unread yet");
    let db = db_of(&app);
    insert_articles(&db, "prolific", 3, "Body.");
    let mut conn = db.conn().expect("conn");
    let author_id = user_id(&mut conn, "prolific");
    let articles: Vec<i32> = conduit::db::schema::articles::table
        .filter(conduit::db::schema::articles::author_id.eq(author_id))
        .select(conduit::db::schema::articles::id)
        .load(&mut *conn)
        .expect("articles");
    assert_eq!(articles.len(), 3);
    write_transaction(&mut conn, |conn| {
        for article_id in &articles {
            let fanout = json!({"article_id": article_id, "author_id": author_id});
            jobs::enqueue(conn, "notify.fanout", &fanout)?;
        }
        jobs::enqueue(conn, "notify.fanout", &json!({"not": "a fan-out"}))
    })
    .expect("enqueued");
    drop(conn);
    assert_eq!(count_jobs(&db, "notify.fanout", Some("queued")), 4);

    start_workers(&app, 1);
    eventually(20, "the fan-outs to settle", || {
        count_jobs(&db, "notify.fanout", Some("done")) == 3
            && count_jobs(&db, "notify.fanout", Some("dead")) == 1
    })
    .await;
    for name in ["first", "second"] {
        assert_eq!(notifications_of(&db, name), 3, "{name}: one per article");
    }
    let mut seen = None;
    for _ in 0..100 {
        seen = unread().await;
        if seen.as_deref() == Some("3") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen.as_deref(), Some("3"), "the cached unread count moved");
}
