//! The job guarantees at volume: a thousand comments posted at once, with the workers of
//! two "instances" (the app's own and a second pool on the same queue) claiming in
//! batches, give the article's author exactly one notification and one email for each.

use std::sync::Arc;

use awc::http::StatusCode;
use conduit::jobs;
use serde_json::json;

use super::{app_handler, count_jobs, db_of, eventually, notifications_of};
use crate::helpers::TestApp;
use crate::tests;

tests![a_thousand_comments_notify_exactly_once];

const COMMENTS: usize = 1000;
/// Requests in flight at a time.
const IN_FLIGHT: usize = 32;

async fn a_thousand_comments_notify_exactly_once(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let author = app.register("author").await;
    let slug = app.publish(&author, "Talked about", &[]).await;
    let mut commenters = Vec::new();
    for i in 0..10 {
        commenters.push(app.register(&format!("commenter{i}")).await);
    }
    let second = jobs::WorkerPool::start(
        db_of(&app),
        app.config.jobs.settings(2),
        Arc::new(app_handler(&app)),
    )
    .expect("workers start");
    app.pools.borrow_mut().push(second);

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
    eventually(180, "every notification and email job to be done", || {
        count_jobs(&db, "notify.one", Some("done")) == COMMENTS as i64
            && count_jobs(&db, "email.notification", Some("done")) == COMMENTS as i64
    })
    .await;
    for kind in ["notify.one", "email.notification", "webhook.event"] {
        assert_eq!(count_jobs(&db, kind, Some("dead")), 0, "{kind}");
    }
    assert_eq!(
        notifications_of(&db, "author"),
        COMMENTS as i64,
        "one notification per comment"
    );
    let emails = std::fs::read_dir(&app.config.jobs.mail_dir)
        .expect("mail folder")
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("notification-") && name.ends_with(".eml")
        })
        .count();
    assert_eq!(emails, COMMENTS, "one email per comment");
}
