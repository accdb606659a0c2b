//! The listener loses its connection (PostgreSQL terminates it): the instance stops
//! serving from its caches at once, says so on `/readyz` and `/metrics`, reconnects
//! after its backoff and serves from its caches again; nothing stale is served meanwhile.
//! The pool's connections end (as in a database restart): the next requests succeed on
//! new ones.

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::json;

use super::{Cluster, Node, ready};
use crate::helpers::TestApp;

crate::tests![
    listener_outage_serves_nothing_stale,
    requests_after_the_pools_connections_ended_succeed
];

#[derive(QueryableByName)]
struct Terminated {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Terminates, from PostgreSQL, the listener connection of the process `pid`.
fn terminate_listener(pid: u32) -> i64 {
    terminate(&format!("conduit-listener {pid}-%"))
}

/// Terminates every connection whose application name is like `name`; how many.
fn terminate(name: &str) -> i64 {
    let url = std::env::var("CONDUIT_TEST_POSTGRES_URL").expect("postgres url");
    let mut conn = PgConnection::establish(&url).expect("connect");
    diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE application_name LIKE $1",
    )
    .bind::<diesel::sql_types::Text, _>(name)
    .get_result::<Terminated>(&mut conn)
    .expect("terminate")
    .n
}

/// Connections named `name` still open.
fn still_open(name: &str) -> i64 {
    let url = std::env::var("CONDUIT_TEST_POSTGRES_URL").expect("postgres url");
    let mut conn = PgConnection::establish(&url).expect("connect");
    diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Terminated>(&mut conn)
        .expect("count")
        .n
}

/// The value of the sample `name` (without labels) in a Prometheus text page.
pub fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

async fn readiness(node: &Node) -> (StatusCode, String) {
    let reply = node.get("/readyz", None).await;
    (
        reply.status,
        reply.json["checks"]["listener"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn body_of(node: &Node, slug: &str) -> String {
    let reply = node.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["article"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn listener_outage_serves_nothing_stale(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        // SQLite has no connection to lose: the watcher reports itself up.
        let reply = app.get("/readyz", None).await;
        assert_eq!(reply.json["checks"]["listener"], "up", "{}", reply.text);
        return;
    }
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Outage story", &[]).await;
    // A long first backoff keeps the outage open while the test writes and reads.
    let cluster = Cluster::start(&app, 2, &[("CONDUIT_LISTENER_BACKOFF_MS", "1500")]).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let page = format!("/article/{slug}");
    for _ in 0..2 {
        body_of(a, &slug).await;
        a.get(&page, None).await;
    }

    assert_eq!(terminate_listener(a.pid()), 1, "one listener connection");
    let started = Instant::now();
    loop {
        let (status, listener) = readiness(a).await;
        if status == StatusCode::SERVICE_UNAVAILABLE && listener == "down" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{status} {listener}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }

    // Written through the other instance during the outage, read back at once.
    let edit = b
        .put(
            &format!("/api/articles/{slug}"),
            Some(&alice),
            json!({"article": {"body": "Changed during the outage"}}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text);
    for _ in 0..3 {
        assert_eq!(body_of(a, &slug).await, "Changed during the outage");
        let html = a.get(&page, None).await.text;
        assert!(
            html.contains("Changed during the outage"),
            "stale page served"
        );
    }
    assert_eq!(readiness(a).await.1, "down", "still reconnecting");

    // Back after the backoff: ready, counted, and invalidations flow again.
    ready(&app.client, &a.base).await;
    assert_eq!(readiness(a).await, (StatusCode::OK, "up".to_owned()));
    assert_eq!(body_of(a, &slug).await, "Changed during the outage");
    body_of(a, &slug).await;
    let edit = b
        .put(
            &format!("/api/articles/{slug}"),
            Some(&alice),
            json!({"article": {"body": "After the outage"}}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text);
    let since = Instant::now();
    while body_of(a, &slug).await != "After the outage" {
        assert!(
            since.elapsed() < Duration::from_secs(1),
            "invalidation lost after reconnecting"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let metrics = a.metrics().await;
    assert_eq!(
        sample(&metrics, "cache_listener_disconnects_total"),
        1.0,
        "{metrics}"
    );
    assert_eq!(sample(&metrics, "cache_listener_reconnects_total"), 1.0);
    assert_eq!(sample(&metrics, "cache_listener_up"), 1.0);
    assert!(sample(&metrics, "cache_invalidations_received_total") >= 1.0);
    assert!(sample(&metrics, "cache_invalidation_delay_seconds_count") >= 1.0);
    assert!(sample(&b.metrics().await, "cache_invalidations_sent_total") >= 2.0);
}

/// Every pooled connection of an instance ends, as when PostgreSQL restarts: the
/// checkout notices the ended ones (without a round trip, see `ConnectionManager`) and
/// opens new ones, so no request fails.
async fn requests_after_the_pools_connections_ended_succeed(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        return; // A SQLite file has no connection to end.
    }
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Pool story", &[]).await;
    let cluster = Cluster::start(&app, 1, &[]).await;
    let node = &cluster.nodes[0];
    let comments = format!("/api/articles/{slug}/comments");
    let comment = |i: usize| json!({"comment": {"body": format!("Comment {i}")}});
    let posted = node.post(&comments, Some(&alice), comment(0)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);

    let name = format!("conduit {}", node.pid());
    assert!(terminate(&name) >= 2, "the pools' connections");
    let started = Instant::now();
    while still_open(&name) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "backends still up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    for i in 1..=20 {
        let posted = node.post(&comments, Some(&alice), comment(i)).await;
        assert_eq!(
            posted.status,
            StatusCode::CREATED,
            "comment {i}: {}",
            posted.text
        );
    }
    let listed = node.get(&comments, None).await;
    assert_eq!(listed.json["comments"].as_array().map(Vec::len), Some(21));
}
