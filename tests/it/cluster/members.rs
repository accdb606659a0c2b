//! A member's own state (favorites, follows, role, suspension) is cached per reader on
//! every instance, and a change shows on the member's next request: at once on the
//! instance that made it, and on the others as soon as the broadcast arrives (within a
//! second here; milliseconds in `docs/benchmarks.md`).

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use serde_json::json;

use super::{Cluster, Node};
use crate::admin::{cli, create_admin, post, signed_in};
use crate::helpers::TestApp;

crate::tests![
    member_state_is_cached_and_changes_show_everywhere,
    notifications_show_in_the_unread_count_everywhere,
];

const WITHIN: Duration = Duration::from_secs(1);

async fn favorited(node: &Node, slug: &str, token: &str) -> bool {
    let reply = node
        .get(&format!("/api/articles/{slug}"), Some(token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["article"]["favorited"] == json!(true)
}

async fn following(node: &Node, username: &str, token: &str) -> bool {
    let reply = node
        .get(&format!("/api/profiles/{username}"), Some(token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["profile"]["following"] == json!(true)
}

/// Asserts `check` on `writer` at once, then on every node within [`WITHIN`].
async fn shows<F>(cluster: &Cluster, writer: usize, what: &str, check: F)
where
    F: AsyncFn(&Node) -> bool,
{
    assert!(
        check(&cluster.nodes[writer]).await,
        "{what}: not on the writing instance's next request"
    );
    let since = Instant::now();
    for (i, node) in cluster.nodes.iter().enumerate() {
        while !check(node).await {
            assert!(
                since.elapsed() < WITHIN,
                "{what}: instance {i} still shows the old state"
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn member_state_is_cached_and_changes_show_everywhere(app: TestApp) {
    create_admin(&app, "boss");
    let alice = app.register("alice").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&alice, "Members only", &[]).await;
    let session = signed_in(&app, "reader").await;
    let boss = signed_in(&app, "boss").await;
    // On SQLite one server per file: the test's own instance is the cluster.
    let postgres = app.config.database_url.kind() == conduit::db::BackendKind::Postgres;
    let cluster = if postgres {
        Cluster::start(&app, 3, &[]).await
    } else {
        Cluster::start(&app, 1, &[]).await
    };
    let last = cluster.nodes.len() - 1;
    // Warm every instance's copy of the reader's state.
    for node in &cluster.nodes {
        assert!(!favorited(node, &slug, &reader).await);
        assert!(!following(node, "alice", &reader).await);
        let home = session.at(&node.base).get("/").await;
        assert!(home.body.contains("data-auth-state=\"authenticated\""));
    }

    let favorite = format!("/api/articles/{slug}/favorite");
    cluster.nodes[0]
        .post(&favorite, Some(&reader), json!({}))
        .await;
    shows(&cluster, 0, "a favorite", async |n| {
        favorited(n, &slug, &reader).await
    })
    .await;
    cluster.nodes[last].delete(&favorite, Some(&reader)).await;
    shows(&cluster, last, "an unfavorite", async |n| {
        !favorited(n, &slug, &reader).await
    })
    .await;

    let follow = "/api/profiles/alice/follow";
    cluster.nodes[last]
        .post(follow, Some(&reader), json!({}))
        .await;
    shows(&cluster, last, "a follow", async |n| {
        following(n, "alice", &reader).await
    })
    .await;
    cluster.nodes[0].delete(follow, Some(&reader)).await;
    shows(&cluster, 0, "an unfollow", async |n| {
        !following(n, "alice", &reader).await
    })
    .await;

    // A role change from the command line: the admin area opens on every instance.
    for node in &cluster.nodes {
        let page = session.at(&node.base).get("/admin").await;
        assert_ne!(page.status, StatusCode::OK, "not staff yet");
    }
    let (ok, out) = cli(&app, &["promote", "reader", "--role", "moderator"], "");
    assert!(ok, "{out}");
    let since = Instant::now();
    for (i, node) in cluster.nodes.iter().enumerate() {
        while session.at(&node.base).get("/admin").await.status != StatusCode::OK {
            assert!(since.elapsed() < WITHIN, "role change: instance {i}");
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // A suspension through the last instance: token and session refused everywhere.
    let (ok, out) = cli(&app, &["promote", "reader", "--role", "user"], "");
    assert!(ok, "{out}");
    post(
        &boss.at(&cluster.nodes[last].base),
        "/admin/users/reader/suspend",
        &[("reason", "testing the overlay"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/users/reader");
    shows(&cluster, last, "a suspension", async |n| {
        let token = n.get("/api/user", Some(&reader)).await.status == StatusCode::FORBIDDEN;
        let page = session.at(&n.base).get("/").await;
        token && page.body.contains("data-auth-state=\"unauthenticated\"")
    })
    .await;
}

/// The unread count in the navbar (cached per member on every instance) moves with the
/// write that notifies: a comment, a favorite and a follow, each made on one instance,
/// show on the author's next page on every instance.
async fn notifications_show_in_the_unread_count_everywhere(app: TestApp) {
    let alice = app.register("alice").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&alice, "Told at once", &[]).await;
    let session = signed_in(&app, "alice").await;
    let postgres = app.config.database_url.kind() == conduit::db::BackendKind::Postgres;
    let cluster = Cluster::start(&app, if postgres { 3 } else { 1 }, &[]).await;
    let last = cluster.nodes.len() - 1;
    let unread = async |node: &Node| -> Option<String> {
        let page = session.at(&node.base).get("/").await;
        assert!(page.body.contains("data-auth-state=\"authenticated\""));
        let (_, rest) = page.body.split_once("data-testid=\"unread-count\">")?;
        rest.split_once('<').map(|(count, _)| count.to_owned())
    };
    for node in &cluster.nodes {
        assert_eq!(unread(node).await, None, "nothing unread yet");
    }

    let comments = format!("/api/articles/{slug}/comments");
    let posted = cluster.nodes[0]
        .post(
            &comments,
            Some(&reader),
            json!({"comment": {"body": "Hello"}}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    shows(&cluster, 0, "a comment's notification", async |n| {
        unread(n).await.as_deref() == Some("1")
    })
    .await;
    let favorite = format!("/api/articles/{slug}/favorite");
    cluster.nodes[last]
        .post(&favorite, Some(&reader), json!({}))
        .await;
    shows(&cluster, last, "a favorite's notification", async |n| {
        unread(n).await.as_deref() == Some("2")
    })
    .await;
    cluster.nodes[0]
        .post("/api/profiles/alice/follow", Some(&reader), json!({}))
        .await;
    shows(&cluster, 0, "a follow's notification", async |n| {
        unread(n).await.as_deref() == Some("3")
    })
    .await;
}
