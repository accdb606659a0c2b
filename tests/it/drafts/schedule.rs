//! Scheduled drafts: the `article.publish` job publishes them when due, once; a moved
//! or cancelled schedule leaves the older job with nothing to do; several instances
//! racing over copies of the job publish it once.

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use conduit::db::{Db, write_transaction};
use conduit::jobs::kinds;
use diesel::prelude::*;
use serde_json::json;

use super::{author_with_audience, create, published_deliveries, slugs};
use crate::cluster::Cluster;
use crate::helpers::TestApp;
use crate::jobs::{count_jobs, db_of, eventually, fanout_jobs, notifications_of};

crate::tests![
    a_scheduled_draft_is_published_by_the_workers,
    moving_or_cancelling_a_schedule_outdates_its_job,
    three_instances_racing_publish_once,
];

/// `seconds` from now, as the API takes it.
fn in_seconds(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds)).to_rfc3339()
}

/// Queues `copies` more jobs for the draft `slug`'s current schedule, as lapsed leases
/// or a restart could leave behind.
fn duplicate_jobs(db: &Db, slug: &str, copies: usize) {
    use conduit::db::schema::articles;
    let mut conn = db.conn().expect("conn");
    let (article_id, publish_at): (i32, Option<chrono::NaiveDateTime>) = articles::table
        .filter(articles::slug.eq(slug))
        .select((articles::id, articles::publish_at))
        .first(&mut *conn)
        .expect("the draft");
    let publish_at = publish_at.expect("scheduled");
    write_transaction(&mut conn, |conn| {
        for _ in 0..copies {
            let job = kinds::Publish {
                article_id,
                publish_at,
            };
            conduit::jobs::enqueue_at(conn, kinds::ARTICLE_PUBLISH, &job, publish_at)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .expect("queued");
}

async fn is_public(app: &TestApp, slug: &str) -> bool {
    app.get(&format!("/api/articles/{slug}"), None).await.status == StatusCode::OK
}

async fn a_scheduled_draft_is_published_by_the_workers(app: TestApp) {
    let (token, follower, seen) = author_with_audience(&app, "writer", "reader").await;
    let refused = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "t", "description": "d", "body": "b", "publishAt": "soon"}}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refused.json["errors"]["publishAt"].is_array());

    let draft = create(
        &app,
        &token,
        "Scheduled Plans",
        json!({"published": false, "publishAt": in_seconds(2)}),
    )
    .await;
    let slug = draft["slug"].as_str().expect("slug").to_owned();
    let db = db_of(&app);
    assert_eq!(count_jobs(&db, "article.publish", None), 1);
    duplicate_jobs(&db, &slug, 2);
    // Cached while it is a draft: the anonymous list and feed, then published by a
    // worker, whose write drops them.
    assert!(!slugs(&app.get("/api/articles", None).await).contains(&slug));
    assert!(!slugs(&app.get("/api/articles/feed", Some(&follower)).await).contains(&slug));
    assert!(!is_public(&app, &slug).await);
    eventually(15, "the scheduled publication", || {
        count_jobs(&db, "article.publish", Some("done")) == 3
    })
    .await;
    // The worker's invalidation reaches this server's caches through the listener (it
    // polls every 10 ms on SQLite), a moment after the job is marked done.
    let deadline = Instant::now() + Duration::from_secs(2);
    let list = loop {
        let list = app.get("/api/articles", None).await;
        if slugs(&list).first() == Some(&slug) || Instant::now() > deadline {
            break list;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(slugs(&list).first(), Some(&slug), "{}", list.text);
    assert!(slugs(&app.get("/api/articles/feed", Some(&follower)).await).contains(&slug));
    assert!(is_public(&app, &slug).await);
    assert!(app.get("/api/tags", None).await.text.contains("secrettag"));
    let history = app
        .get(&format!("/api/articles/{slug}/revisions"), Some(&token))
        .await;
    assert_eq!(history.json["revisionsCount"], 1, "{}", history.text);
    eventually(10, "the delivery", || published_deliveries(&seen) == 1).await;
    eventually(10, "the notification", || {
        notifications_of(&db, "reader") == 1
    })
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        count_jobs(&db, "notify.fanout", None),
        fanout_jobs(&app, 1),
        "published once"
    );
    assert_eq!(published_deliveries(&seen), 1);
    assert_eq!(notifications_of(&db, "reader"), 1);
}

async fn moving_or_cancelling_a_schedule_outdates_its_job(app: TestApp) {
    let (token, _follower, seen) = author_with_audience(&app, "writer", "reader").await;
    let db = db_of(&app);
    let moved = create(
        &app,
        &token,
        "Moved",
        json!({"published": false, "publishAt": in_seconds(3)}),
    )
    .await;
    let moved = moved["slug"].as_str().expect("slug").to_owned();
    let cancelled = create(
        &app,
        &token,
        "Cancelled",
        json!({"published": false, "publishAt": in_seconds(3)}),
    )
    .await;
    let cancelled = cancelled["slug"].as_str().expect("slug").to_owned();
    let later = app
        .put(
            &format!("/api/articles/{moved}"),
            Some(&token),
            json!({"article": {"publishAt": in_seconds(3600)}}),
        )
        .await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.text);
    let off = app
        .put(
            &format!("/api/articles/{cancelled}"),
            Some(&token),
            json!({"article": {"publishAt": null}}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    // The two first jobs come due and find nothing to do.
    eventually(10, "the outdated jobs", || {
        count_jobs(&db, "article.publish", Some("done")) == 2
    })
    .await;
    assert!(!is_public(&app, &moved).await);
    assert!(!is_public(&app, &cancelled).await);
    let drafts = app.get("/api/user/drafts", Some(&token)).await;
    assert_eq!(drafts.json["articlesCount"], 2, "{}", drafts.text);

    // Moved again, sooner: published then.
    let sooner = app
        .put(
            &format!("/api/articles/{moved}"),
            Some(&token),
            json!({"article": {"publishAt": in_seconds(1)}}),
        )
        .await;
    assert_eq!(sooner.status, StatusCode::OK, "{}", sooner.text);
    eventually(10, "the moved publication", || {
        count_jobs(&db, "article.publish", Some("done")) == 3
    })
    .await;
    assert!(is_public(&app, &moved).await);
    assert!(!is_public(&app, &cancelled).await);
    eventually(10, "the delivery", || published_deliveries(&seen) == 1).await;
    let scheduling_published = app
        .put(
            &format!("/api/articles/{moved}"),
            Some(&token),
            json!({"article": {"publishAt": in_seconds(60)}}),
        )
        .await;
    assert_eq!(
        scheduling_published.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn three_instances_racing_publish_once(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        // One server per SQLite file: the duplicated jobs above race its workers.
        return;
    }
    // Only the three instances run jobs.
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let (token, follower, seen) = author_with_audience(&app, "writer", "reader").await;
    let cluster = Cluster::start(
        &app,
        3,
        &[
            ("CONDUIT_WORKERS", "2"),
            ("CONDUIT_JOB_POLL_MS", "20"),
            ("CONDUIT_WEBHOOK_ALLOW_PRIVATE", "true"),
        ],
    )
    .await;
    let draft = create(
        &app,
        &token,
        "Raced",
        json!({"published": false, "publishAt": in_seconds(2)}),
    )
    .await;
    let slug = draft["slug"].as_str().expect("slug").to_owned();
    let db = db_of(&app);
    // Six copies of the job for six workers on three instances.
    duplicate_jobs(&db, &slug, 5);
    for node in &cluster.nodes {
        let list = node.get("/api/articles", None).await;
        assert!(!slugs(&list).contains(&slug), "cached as a draft-free list");
    }
    eventually(15, "every copy of the job", || {
        count_jobs(&db, "article.publish", Some("done")) == 6
    })
    .await;
    eventually(10, "the delivery", || published_deliveries(&seen) == 1).await;
    eventually(10, "the notification", || {
        notifications_of(&db, "reader") == 1
    })
    .await;
    for node in &cluster.nodes {
        let list = node.get("/api/articles", None).await;
        assert_eq!(
            slugs(&list).first(),
            Some(&slug),
            "every instance dropped its list"
        );
        let feed = node.get("/api/articles/feed", Some(&follower)).await;
        assert!(slugs(&feed).contains(&slug));
    }
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        count_jobs(&db, "notify.fanout", None),
        fanout_jobs(&app, 1),
        "published once"
    );
    assert_eq!(published_deliveries(&seen), 1, "one webhook delivery");
    assert_eq!(
        notifications_of(&db, "reader"),
        1,
        "one notification per follower"
    );
}
