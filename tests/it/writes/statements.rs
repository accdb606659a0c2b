//! What a write costs in statements is fixed: posting a comment or creating an article
//! runs the same number of statements whether the article has one comment or thirty,
//! whether the site has one article or thirty, and whatever the number of tags (they
//! are attached in set-based statements, not one by one). The writes run through an
//! in-process app whose statements are counted ([`crate::counted_service`]).

use actix_web::test;
use awc::http::StatusCode;
use serde_json::{Value, json};

use diesel::RunQueryDsl;

use crate::helpers::TestApp;
use crate::tests;

tests![comment_posts_and_creates_run_a_fixed_number_of_statements];

async fn comment_posts_and_creates_run_a_fixed_number_of_statements(app: TestApp) {
    let (db, caches, service) = crate::counted_service!(&app);
    let author = app.register("author").await;
    let commenter = app.register("commenter").await;
    app.publish(&author, "Existing", &["existing"]).await;
    let slug = app.publish(&author, "Discussed", &[]).await;

    let warm_cost = async |path: &str, token: &str, body: Value| {
        let before = db.queries_executed();
        let request = test::TestRequest::post()
            .uri(path)
            .insert_header(("Authorization", format!("Token {token}")))
            .set_json(body)
            .to_request();
        let response = test::call_service(&service, request).await;
        let status = response.status();
        let text = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
        assert_eq!(status, StatusCode::CREATED, "{path}: {text}");
        db.queries_executed() - before
    };
    let cost = async |path: &str, token: &str, body: Value| {
        caches.clear();
        warm_cost(path, token, body).await
    };
    let comments = format!("/api/articles/{slug}/comments");
    let comment = |i: usize| json!({"comment": {"body": format!("Comment {i}")}});
    let create = |title: &str, tags: &[&str]| json!({"article": {"title": title, "description": "d", "body": "Body.", "tagList": tags}});

    let first_comment = cost(&comments, &commenter, comment(0)).await;
    // Warm, the article and the site's webhooks are known from the caches: the write
    // reads neither again.
    let warm_comment = warm_cost(&comments, &commenter, comment(100)).await;
    assert!(
        warm_comment + 2 <= first_comment,
        "a warm comment post: {warm_comment} statements, cold {first_comment}"
    );
    if app.config.database_url.kind() == conduit::db::BackendKind::Postgres {
        // One round trip: the comment with its notification and email job, a
        // transaction of its own without `BEGIN` and `COMMIT`; its invalidation leaves
        // from the pool's notifier.
        assert_eq!(warm_comment, 1, "a warm comment post on PostgreSQL");
    }
    let small_create = cost("/api/articles", &author, create("Small", &["existing"])).await;
    let tagged_create = cost(
        "/api/articles",
        &author,
        create(
            "Tagged",
            &["existing", "new-a", "new-b", "new-c", "new-d", "new-e"],
        ),
    )
    .await;
    assert_eq!(
        small_create, tagged_create,
        "an article create: 1 tag vs 6 (5 of them new)"
    );
    if app.config.database_url.kind() == conduit::db::BackendKind::Postgres {
        // The article with its tags, revision, search entry and fan-out job, a
        // transaction of its own; the author's account and the site's webhooks are
        // cached.
        let warm_create = warm_cost("/api/articles", &author, create("Warm", &["existing"])).await;
        assert_eq!(warm_create, 1, "a warm article create on PostgreSQL");
    }

    // The thread and the site grow: thirty more comments by the same commenter (the
    // old read-back walked them all) and thirty more articles.
    for i in 1..=30 {
        let reply = app.post(&comments, Some(&commenter), comment(i)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        app.publish(&author, &format!("Filler {i}"), &["existing"])
            .await;
    }
    let later_comment = cost(&comments, &commenter, comment(31)).await;
    assert_eq!(
        first_comment, later_comment,
        "a comment: 1st vs 32nd on the article"
    );
    let later_create = cost(
        "/api/articles",
        &author,
        create("Later", &["existing", "newer-a", "newer-b"]),
    )
    .await;
    assert_eq!(
        small_create, later_create,
        "an article create: 2 vs 34 articles"
    );

    // The app's pool is one connection, which ran every create and comment above: the
    // hand-written statements of both were prepared on it once and kept, not parsed
    // and planned again on each request (`conduit::db::prepared`).
    if let conduit::db::DbConnection::Pg(pg) = &mut *db.conn().expect("the pool's connection") {
        let mut kept = |start: &str| {
            diesel::sql_query(
                "SELECT COUNT(*) AS n FROM pg_prepared_statements WHERE starts_with(statement, $1)",
            )
            .bind::<diesel::sql_types::Text, _>(start)
            .get_result::<Count>(pg)
            .expect("pg_prepared_statements")
            .n
        };
        assert_eq!(kept("WITH art AS"), 1, "the article create's statement");
        assert_eq!(kept("WITH comment AS"), 1, "the comment's statement");
    }

    // The bounds keep the cost from creeping up unnoticed.
    assert!(
        first_comment <= 16,
        "a comment post: {first_comment} statements"
    );
    assert!(
        small_create <= 22,
        "an article create: {small_create} statements"
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
