//! Signed-in reads (pages with a session, API answers with a token) are built from the
//! domain's batched loaders: cold, one costs the same number of statements with 2 rows
//! as with 10 (no query per article, comment or author); warm, it costs none, the
//! reader's own state (account, follows, favorites, unread count) being cached too.
//!
//! They are served here by an in-process app whose statements are counted
//! ([`crate::counted_service`]); the session cookie and the token come from the real
//! server.

use actix_web::test;
use awc::http::StatusCode;
use serde_json::json;

use super::browser::Browser;
use crate::helpers::TestApp;
use crate::tests;

tests![pages_run_a_fixed_number_of_queries];

async fn pages_run_a_fixed_number_of_queries(app: TestApp) {
    let (db, caches, service) = crate::counted_service!(&app);

    let reader = app.register("reader").await;
    let browser = Browser::new(&app);
    browser.sign_in("reader").await;
    let cookie = browser.cookie_header();

    // Lists and the comment thread grow from 2 to 10 rows, each row with a new author,
    // its own tag, a favorite and a follow by the reader.
    let anchor_token = app.register("anchor").await;
    let anchor = app.publish(&anchor_token, "First post anchor", &[]).await;
    let add_row = async |i: usize| {
        let name = format!("author{i}");
        let token = app.register(&name).await;
        app.post(
            &format!("/api/profiles/{name}/follow"),
            Some(&reader),
            json!({}),
        )
        .await;
        let slug = app
            .publish(&token, &format!("Post {i}"), &["common", &format!("t{i}")])
            .await;
        app.post(
            &format!("/api/articles/{slug}/favorite"),
            Some(&reader),
            json!({}),
        )
        .await;
        let comment = json!({"comment": {"body": format!("comment {i}")}});
        let reply = app
            .post(
                &format!("/api/articles/{anchor}/comments"),
                Some(&token),
                comment,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    };
    for i in 0..2 {
        add_row(i).await;
    }

    let paths = [
        "/".to_owned(),
        "/?feed=following".to_owned(),
        "/tag/common".to_owned(),
        "/profile/reader/favorites".to_owned(),
        format!("/article/{anchor}"),
        "/api/articles".to_owned(),
        "/api/articles/feed".to_owned(),
        "/api/articles?tag=common".to_owned(),
        "/api/articles/post-0".to_owned(),
        format!("/api/articles/{anchor}/comments"),
        "/api/profiles/author1".to_owned(),
    ];
    // Pages carry the session cookie, API calls the token.
    let request_for = |path: &str| {
        let request = test::TestRequest::get().uri(path);
        if path.starts_with("/api/") {
            request
                .insert_header(("Authorization", format!("Token {reader}")))
                .to_request()
        } else {
            request
                .insert_header(("Cookie", cookie.clone()))
                .to_request()
        }
    };
    let signed_in = |path: &str, body: &[u8]| {
        let body = String::from_utf8_lossy(body);
        if path.starts_with("/api/") {
            // The reader's own marks are in the answer.
            assert!(body.contains("\"following\":true"), "{path}: {body}");
        } else {
            assert!(body.contains("data-auth-state=\"authenticated\""), "{path}");
        }
    };
    // Statements are counted from a cold cache: what a read costs when it is built.
    let cost = async |path: &str| {
        caches.clear();
        let before = db.queries_executed();
        let response = test::call_service(&service, request_for(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = test::read_body(response).await;
        signed_in(path, &body);
        db.queries_executed() - before
    };
    let mut small = Vec::new();
    for path in &paths {
        small.push(cost(path).await);
    }
    for i in 2..10 {
        add_row(i).await;
    }
    for (path, before) in paths.iter().zip(small) {
        let after = cost(path).await;
        assert_eq!(
            before, after,
            "{path}: statements with few rows vs many rows"
        );
        // Cold, the shared part and the viewer's part are loaded separately (so that
        // the shared part can be cached): a few more statements than one combined load,
        // and a page also checks that its session is still live.
        assert!(after <= 22, "{path}: {after} statements");
        let api_lists = [
            "/api/articles",
            "/api/articles/feed",
            "/api/articles?tag=common",
        ];
        if api_lists.contains(&path.as_str()) {
            // The API's lists show no body: a cold one reads its articles without
            // their bodies, and loads none whole into the store article pages use.
            // The feed keeps its ten as list entries.
            let usage = caches.usage().await;
            let entries = |store| usage.iter().find(|(name, ..)| *name == store).map(|u| u.1);
            assert_eq!(entries("articles"), Some(0), "{path}: articles kept whole");
            if path == "/api/articles/feed" {
                assert_eq!(entries("summaries"), Some(10), "{path}: list entries kept");
            }
        }
        // Warm, nothing is read: the reader's own state is cached too.
        let before_warm = db.queries_executed();
        let response = test::call_service(&service, request_for(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        signed_in(path, &test::read_body(response).await);
        let warm = db.queries_executed() - before_warm;
        assert_eq!(
            warm, 0,
            "{path}: warm, signed in (cold: {after} statements)"
        );
        if let Some(slug) = path.strip_prefix("/article/") {
            // The page members share, with this reader's own parts written in.
            let shared = caches.member_article_pages.peek(&slug.to_owned()).await;
            assert!(shared.is_some(), "{path}: from the members' page");
        }
    }
}
