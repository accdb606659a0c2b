//! Limits hold across instances: the rate limits (a table on PostgreSQL, one upsert per
//! limited request) and the per-account sign-in delay (on the user row) give a client one
//! allowance however many instances its requests are spread over.

use std::time::Duration;

use awc::http::StatusCode;
use conduit::db::BackendKind;
use diesel::RunQueryDsl;
use serde_json::json;

use super::{Cluster, Node};
use crate::helpers::{Reply, TestApp, send};

crate::tests![
    a_rate_limit_holds_across_three_instances,
    sign_in_delay_holds_across_instances,
];

/// Rows in `rate_limits`, read straight from the test's database.
fn shared_buckets(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    let mut conn = db.conn().expect("a connection");
    diesel::sql_query("SELECT COUNT(*) AS n FROM rate_limits")
        .get_result::<Count>(&mut *conn)
        .expect("count the buckets")
        .n
}

/// A sign-in with a blank password: refused at once with 422 (no password check), after
/// the limiter has counted it.
async fn blank_sign_in(node: &Node, i: usize) -> Reply {
    let email = format!("nobody{i}@example.com");
    let body = json!({"user": {"email": email, "password": ""}});
    node.post("/api/users/login", None, body).await
}

/// A write that the limiter counts (as the account's, with a token) before it is a 404.
async fn write(node: &Node, token: &str, i: usize) -> Reply {
    node.delete(&format!("/api/articles/missing-{i}"), Some(token))
        .await
}

fn retry_after(reply: &Reply) -> u64 {
    reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After in seconds: {reply:?}"))
}

/// At a base of 8 per minute, one IP gets 8 sign-in attempts in all, whichever of three
/// instances they reach; likewise an account's writes (16 a minute) are counted once.
async fn a_rate_limit_holds_across_three_instances(app: TestApp) {
    if app.config.database_url.kind() == BackendKind::Sqlite {
        // One server process: its limits stay in its memory and the table stays empty.
        let reply = app
            .post(
                "/api/users/login",
                None,
                json!({"user": {"email": "nobody@example.com", "password": ""}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(shared_buckets(&app), 0);
        return;
    }
    let cluster = Cluster::start(&app, 3, &[("CONDUIT_RATE_LIMIT_PER_MINUTE", "8")]).await;
    let nodes = &cluster.nodes;
    // Round robin: each instance alone would let all of these through, and 8 more.
    for i in 0..8 {
        let reply = blank_sign_in(&nodes[i % 3], i).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {i} (instance {}) is within the limit: {}",
            i % 3,
            reply.text
        );
    }
    let limited = blank_sign_in(&nodes[8 % 3], 8).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert!((1..=8).contains(&retry_after(&limited)), "{limited:?}");
    assert!(
        limited.json["errors"]["rate"][0].is_string(),
        "{}",
        limited.text
    );
    for (n, node) in nodes.iter().enumerate() {
        let reply = blank_sign_in(node, 9 + n).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "instance {n}");
        assert!((1..=8).contains(&retry_after(&reply)), "instance {n}");
        // Reads are never limited.
        assert_eq!(node.get("/api/tags", None).await.status, StatusCode::OK);
    }

    // Writes: 16 a minute per account, 32 per IP. Registered through the in-process app
    // (cheap hashes); every write below is a 404 that the limiter counted first.
    let first = app.register("first").await;
    let second = app.register("second").await;
    for i in 0..16 {
        let reply = write(&nodes[i % 3], &first, i).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "write {i}: {}",
            reply.text
        );
    }
    // The account's allowance is spent on every instance. These refusals cost nothing:
    // were they charged to the IP too, the second account's 16 would not all fit.
    for (n, node) in nodes.iter().enumerate() {
        let reply = write(node, &first, 16 + n).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "instance {n}");
        assert!(reply.headers.contains_key("retry-after"));
    }
    for i in 0..16 {
        let reply = write(&nodes[i % 3], &second, i).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "second's write {i}: {}",
            reply.text
        );
    }
    let spent = write(&nodes[1], &second, 16).await;
    assert_eq!(spent.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        shared_buckets(&app) >= 3,
        "the login, IP and account buckets"
    );
}

/// Failed sign-ins of one account, spread over the instances, make the next attempt wait
/// on every instance, even with the right password.
async fn sign_in_delay_holds_across_instances(app: TestApp) {
    let (_cluster, bases) = match app.config.database_url.kind() {
        BackendKind::Postgres => {
            // Without the IP limit, so that only the account's delay answers.
            let cluster = Cluster::start(&app, 3, &[("CONDUIT_RATE_LIMIT_PER_MINUTE", "0")]).await;
            let bases: Vec<String> = cluster.nodes.iter().map(|n| n.base.clone()).collect();
            (Some(cluster), bases)
        }
        // One server process on SQLite: the delay must outlive its memory, as across a
        // restart, so a second in-process server on the same file stands for the others.
        BackendKind::Sqlite => (None, vec![app.address.clone(), app.restart().address]),
    };
    let login = |i: usize, password: &'static str| {
        send(
            &app.client,
            &bases[i % bases.len()],
            awc::http::Method::POST,
            "/api/users/login",
            None,
            Some(json!({"user": {"email": "target@example.com", "password": password}})),
        )
    };
    // Through the in-process app: the instances would hash at cost 10 (slow in debug).
    app.register("target").await;
    // FREE_LOGIN_FAILURES (3) free failures, each on another instance.
    for i in 0..3 {
        let reply = login(i, "wrong-guess").await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "failure {i}: {}",
            reply.text
        );
    }
    // The right password on another instance than the last failure's must wait too.
    let refused = login(3, "password123").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert_eq!(retry_after(&refused), 1);
    assert!(
        refused.json["errors"]["credentials"][0].is_string(),
        "{}",
        refused.text
    );
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let signed_in = login(4, "password123").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    // A good sign-in clears the count for every instance.
    assert_eq!(
        login(5, "wrong-guess").await.status,
        StatusCode::UNAUTHORIZED
    );
}
