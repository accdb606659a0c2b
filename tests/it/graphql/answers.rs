//! The cache of query answers: the same query asked again is served without a
//! statement, per token, and every write shows in the very next answer, on every
//! instance; a token that does not work never gets the anonymous answer.

use awc::http::StatusCode;
use serde_json::json;

use super::{data, gql, gql_at};
use crate::cluster::Cluster;
use crate::helpers::TestApp;

crate::tests![
    a_repeated_query_is_served_from_the_cache,
    answers_follow_every_write,
    answers_are_per_token,
    answers_follow_writes_through_other_instances,
];

const ARTICLE: &str =
    "query($s:String!){article(slug:$s){favorited favoritesCount commentsCount author{following}}}";

async fn a_repeated_query_is_served_from_the_cache(app: TestApp) {
    let (db, caches, service) = crate::counted_service!(&app);
    let author = app.register("author").await;
    let slug = app.publish(&author, "Counted", &[]).await;
    let ask = async || {
        let request = actix_web::test::TestRequest::post()
            .uri("/api/graphql")
            .set_json(json!({"query": ARTICLE, "variables": {"s": slug}}))
            .to_request();
        let before = db.queries_executed();
        let response = actix_web::test::call_service(&service, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = actix_web::test::read_body_json(response).await;
        assert!(body.get("errors").is_none(), "{body}");
        (db.queries_executed() - before, body)
    };
    caches.clear();
    let (cold, first) = ask().await;
    assert!(cold > 0, "a cold answer reads the database");
    let (warm, second) = ask().await;
    assert_eq!(warm, 0, "the same query again runs no statement");
    assert_eq!(first, second);
}

async fn answers_follow_every_write(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&author, "Watched", &[]).await;
    let look = async |token: Option<&str>| {
        data(&gql(&app, token, ARTICLE, json!({"s": slug})).await)["article"].clone()
    };
    let feed = async || {
        data(&gql(&app, Some(&reader), "{feed{articlesCount}}", json!({})).await)["feed"]
            ["articlesCount"]
            .clone()
    };
    // Asked twice, so the second answer is the cached one.
    for _ in 0..2 {
        assert_eq!(look(Some(&reader)).await["favorited"], json!(false));
        assert_eq!(look(None).await["favoritesCount"], json!(0));
        assert_eq!(feed().await, json!(0));
    }
    app.post(
        &format!("/api/articles/{slug}/favorite"),
        Some(&reader),
        json!({}),
    )
    .await;
    assert_eq!(look(Some(&reader)).await["favorited"], json!(true));
    assert_eq!(look(None).await["favoritesCount"], json!(1));
    app.post("/api/profiles/author/follow", Some(&reader), json!({}))
        .await;
    assert_eq!(
        look(Some(&reader)).await["author"]["following"],
        json!(true)
    );
    assert_eq!(feed().await, json!(1));
    crate::admin::comment(&app, &reader, &slug, "a remark").await;
    assert_eq!(look(None).await["commentsCount"], json!(1));
}

async fn answers_are_per_token(app: TestApp) {
    let first = app.register("reader").await;
    let viewer = "{viewer{username token}}";
    let mine = data(&gql(&app, Some(&first), viewer, json!({})).await)["viewer"].clone();
    assert_eq!(mine["token"], json!(first));
    // Another token of the same account gets its own answer. (A token names the second
    // it was issued in: one issued a second later differs.)
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "reader@example.com", "password": "password123"}}),
        )
        .await;
    let second = login.json["user"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_ne!(second, first);
    let theirs = data(&gql(&app, Some(&second), viewer, json!({})).await)["viewer"].clone();
    assert_eq!(theirs["token"], json!(second));
    // An article as anonymous readers see it, cached, is not the answer to a bad token.
    let slug = app.publish(&first, "Public", &[]).await;
    data(&gql(&app, None, ARTICLE, json!({"s": slug})).await);
    data(&gql(&app, None, ARTICLE, json!({"s": slug})).await);
    let refused = gql(&app, Some("not-a-token"), ARTICLE, json!({"s": slug})).await;
    assert_eq!(
        refused.json["errors"][0]["extensions"]["status"],
        json!(401),
        "{}",
        refused.text
    );
}

async fn answers_follow_writes_through_other_instances(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        // Several instances share one database only on PostgreSQL.
        return;
    }
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&author, "Everywhere", &[]).await;
    let cluster = Cluster::start(&app, 2, &[("CONDUIT_RATE_LIMIT_PER_MINUTE", "0")]).await;
    let look = async |base: &str, token: Option<&str>| {
        data(&gql_at(&app.client, base, token, ARTICLE, json!({"s": slug})).await)["article"]
            .clone()
    };
    for node in &cluster.nodes {
        for _ in 0..2 {
            assert_eq!(
                look(&node.base, Some(&reader)).await["favorited"],
                json!(false)
            );
            assert_eq!(look(&node.base, None).await["favoritesCount"], json!(0));
        }
    }
    app.post(
        &format!("/api/articles/{slug}/favorite"),
        Some(&reader),
        json!({}),
    )
    .await;
    // The invalidation travels through PostgreSQL: give it the moment it takes.
    for node in &cluster.nodes {
        let started = std::time::Instant::now();
        while look(&node.base, None).await["favoritesCount"] != json!(1) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(1),
                "{} still answers from before the write",
                node.base
            );
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            look(&node.base, Some(&reader)).await["favorited"],
            json!(true)
        );
    }
}
