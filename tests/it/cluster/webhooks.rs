//! Every write that raises an event checks a cached directory of the site's webhooks:
//! one added or removed through one instance applies to the writes of every instance
//! within a second, and a write on an instance that has not heard of a removal yet
//! still succeeds.

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;

use super::{Cluster, Node};
use crate::helpers::TestApp;
use crate::jobs::db_of;

crate::tests![webhooks_added_and_removed_apply_to_writes_everywhere];

/// How long a change may take to reach every instance.
const VISIBLE_WITHIN: Duration = Duration::from_secs(1);

/// Deliveries queued, to any webhook.
fn deliveries(app: &TestApp) -> i64 {
    use conduit::db::schema::webhook_deliveries;
    let db = db_of(app);
    let mut conn = db.conn().expect("conn");
    webhook_deliveries::table
        .count()
        .get_result(&mut *conn)
        .expect("count")
}

async fn comment(node: &Node, token: &str, slug: &str) {
    let reply = node
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(token),
            json!({"comment": {"body": "A comment"}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: {}",
        node.base,
        reply.text
    );
}

async fn webhooks_added_and_removed_apply_to_writes_everywhere(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        return;
    }
    let author = app.register("hooked").await;
    let reader = app.register("chatty").await;
    let slug = app.publish(&author, "Talk to me", &[]).await;
    let cluster = Cluster::start(&app, 3, &[("CONDUIT_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    // Each instance writes once with no webhook on the site: each caches that.
    for node in &cluster.nodes {
        comment(node, &reader, &slug).await;
    }
    assert_eq!(deliveries(&app), 0);

    let added = cluster.nodes[0]
        .post(
            "/api/webhooks",
            Some(&author),
            json!({"webhook": {"url": "http://127.0.0.1:9/hook", "secret": "a-secret-of-16-chars", "events": ["comment.created"]}}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let hook = added.json["webhook"]["id"].as_i64().expect("id");
    let since = Instant::now();
    // Each instance's comments are heard within the second; every comment succeeds.
    for (i, node) in cluster.nodes.iter().enumerate() {
        loop {
            let before = deliveries(&app);
            comment(node, &reader, &slug).await;
            if deliveries(&app) == before + 1 {
                break;
            }
            assert!(
                since.elapsed() < VISIBLE_WITHIN,
                "instance {i} still writes without the new webhook after {VISIBLE_WITHIN:?}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
    }

    let removed = cluster.nodes[1]
        .delete(&format!("/api/webhooks/{hook}"), Some(&author))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    // Right away, before every instance may have heard: the writes still succeed (the
    // removal took the webhook's deliveries with it, and nothing new is queued).
    for node in &cluster.nodes {
        comment(node, &reader, &slug).await;
    }
    assert_eq!(deliveries(&app), 0);
}
