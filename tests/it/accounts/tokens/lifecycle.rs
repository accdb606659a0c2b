//! A token's life: expiry, revocation (by its owner only, at once on every instance, and
//! by a password reset), its last use, and a warm check that runs no SQL.

use std::time::{Duration, Instant};

use actix_web::test;
use awc::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{create, last_used, list, secret, sql};
use crate::accounts::recovery::{ask, links};
use crate::cluster::Cluster;
use crate::helpers::{TestApp, assert_error, send};
use crate::pages::browser::Browser;

crate::tests![
    expired_and_revoked_tokens_are_refused,
    last_use_shows_in_the_list,
    a_password_reset_revokes_every_token,
    a_warm_token_check_runs_no_sql,
    revocation_is_refused_on_every_instance,
];

/// How long a revocation may take to reach the other instances (the broadcast's delay).
const WITHIN: Duration = Duration::from_secs(1);

async fn expired_and_revoked_tokens_are_refused(app: TestApp) {
    let jwt = app.register("alice").await;
    let other = app.register("bob").await;
    let aged = create(&app, &jwt, "aged", &["read"], json!(7)).await;
    sql(
        &app,
        &format!(
            "UPDATE access_tokens SET expires_at = '2020-01-01 00:00:00' WHERE id = {}",
            aged["id"]
        ),
    );
    let refused = app.get("/api/user", Some(&secret(&aged))).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
    let listed = list(&app, &jwt).await;
    assert_eq!(listed[0]["expired"], true, "listed until revoked");

    let live = create(&app, &jwt, "live", &["read", "write"], Value::Null).await;
    let live_secret = secret(&live);
    let path = format!("/api/user/tokens/{}", live["id"]);
    assert_eq!(
        app.get("/api/user", Some(&live_secret)).await.status,
        StatusCode::OK
    );
    // Someone else's token is not found, for them.
    let foreign = app.delete(&path, Some(&other)).await;
    assert_error(&foreign, StatusCode::NOT_FOUND, "token", "not found");
    assert_eq!(
        app.get("/api/user", Some(&live_secret)).await.status,
        StatusCode::OK
    );
    // A token may revoke itself; it is refused on the very next request.
    let revoked = app.delete(&path, Some(&live_secret)).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let refused = app.get("/api/user", Some(&live_secret)).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
    assert_eq!(
        app.delete(&path, Some(&jwt)).await.status,
        StatusCode::NOT_FOUND,
        "revoked already"
    );
    assert!(
        !list(&app, &jwt).await.iter().any(|t| t["id"] == live["id"]),
        "revoked tokens are not listed"
    );
}

async fn last_use_shows_in_the_list(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "cron", &["read"], Value::Null).await;
    assert_eq!(list(&app, &jwt).await[0]["lastUsedAt"], Value::Null);
    for _ in 0..3 {
        let used = app.get("/api/articles/feed", Some(&secret(&token))).await;
        assert_eq!(used.status, StatusCode::OK, "{}", used.text);
    }
    let first = last_used(&app, &jwt, &token["id"]).await;
    // Written at most once in five minutes, not per request.
    app.get("/api/user", Some(&secret(&token))).await;
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(last_used(&app, &jwt, &token["id"]).await, first);
}

async fn a_password_reset_revokes_every_token(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = secret(&create(&app, &jwt, "laptop", &["read"], Value::Null).await);
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    ask(&app, "alice@example.com").await.expect(StatusCode::OK);
    let link = links(&app, "alice@example.com", 1).await.remove(0);
    Browser::new(&app)
        .submit(&link, &link, &[("password", "a-fresh-password-1")])
        .await
        .assert_redirect("/login");
    // Signed out everywhere: a token minted by whoever had the account goes too.
    let refused = app.get("/api/user", Some(&token)).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "alice@example.com", "password": "a-fresh-password-1"}}),
        )
        .await;
    let fresh = login.json["user"]["token"].as_str().expect("token");
    assert!(list(&app, fresh).await.is_empty());
}

async fn a_warm_token_check_runs_no_sql(app: TestApp) {
    let (db, _caches, service) = crate::counted_service!(&app);
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "hot", &["read"], Value::Null).await;
    let secret = secret(&token);
    let paths = ["/api/user", "/api/articles/feed"];
    let call = async |path: &str| {
        let request = test::TestRequest::get()
            .uri(path)
            .insert_header(("Authorization", format!("Token {secret}")))
            .to_request();
        let response = test::call_service(&service, request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    };
    for path in paths {
        call(path).await;
    }
    // The first use is recorded in the background; then nothing is written for a while.
    last_used(&app, &jwt, &token["id"]).await;
    for path in paths {
        let before = db.queries_executed();
        call(path).await;
        assert_eq!(
            db.queries_executed() - before,
            0,
            "{path}: warm, with a token"
        );
    }
}

async fn revocation_is_refused_on_every_instance(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "everywhere", &["read", "write"], Value::Null).await;
    let secret = secret(&token);
    // Three instances on PostgreSQL; on SQLite one server per file (this one).
    let postgres = app.config.database_url.kind() == conduit::db::BackendKind::Postgres;
    let cluster = Cluster::start(&app, if postgres { 3 } else { 0 }, &[]).await;
    let mut bases: Vec<String> = cluster.nodes.iter().map(|n| n.base.clone()).collect();
    if bases.is_empty() {
        bases.push(app.address.clone());
    }
    let status = async |base: &str| {
        send(
            &app.client,
            base,
            Method::GET,
            "/api/user",
            Some(&secret),
            None,
        )
        .await
        .status
    };
    // Every instance holds the token's grant and its owner's live set.
    for base in &bases {
        for _ in 0..2 {
            assert_eq!(status(base).await, StatusCode::OK, "{base}");
        }
    }
    let path = format!("/api/user/tokens/{}", token["id"]);
    let revoked = send(
        &app.client,
        &bases[0],
        Method::DELETE,
        &path,
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let since = Instant::now();
    assert_eq!(
        status(&bases[0]).await,
        StatusCode::UNAUTHORIZED,
        "the revoking instance refuses it on the very next request"
    );
    for (i, base) in bases.iter().enumerate().skip(1) {
        while status(base).await != StatusCode::UNAUTHORIZED {
            assert!(
                since.elapsed() < WITHIN,
                "instance {i} still takes the revoked token"
            );
            actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let delay = since.elapsed();
    // Refused for good: no instance takes it again.
    for base in &bases {
        for _ in 0..3 {
            assert_eq!(status(base).await, StatusCode::UNAUTHORIZED, "{base}");
        }
    }
    eprintln!("revocation reached every instance in {delay:?}");
}
