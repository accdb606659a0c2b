//! Comments.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

crate::tests![
    comment_cycle,
    comment_errors,
    a_comment_on_an_article_deleted_behind_the_cache_is_a_404,
];

async fn comment_cycle(app: TestApp) {
    let author = app.register("poster").await;
    let reader = app.register("commenter").await;
    let slug = app.publish(&author, "Discuss", &[]).await;
    let path = format!("/api/articles/{slug}/comments");
    let first = app
        .post(&path, Some(&reader), json!({"comment": {"body": "First!"}}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.json["comment"]["body"], "First!");
    assert_eq!(first.json["comment"]["author"]["username"], "commenter");
    let first_id = first.json["comment"]["id"].as_i64().expect("id");
    app.post(&path, Some(&author), json!({"comment": {"body": "Second"}}))
        .await;
    let listed = app.get(&path, None).await.json;
    let bodies: Vec<&str> = listed["comments"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["body"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(bodies, vec!["First!", "Second"], "oldest first");
    // Neither the comment's writer nor the article's author: refused.
    let stranger = app.register("stranger").await;
    let reply = app
        .delete(&format!("{path}/{first_id}"), Some(&stranger))
        .await;
    assert_error(&reply, StatusCode::FORBIDDEN, "comment", "forbidden");
    let reply = app
        .delete(&format!("{path}/{first_id}"), Some(&reader))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let listed = app.get(&path, Some(&reader)).await.json;
    assert_eq!(listed["comments"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["comments"][0]["body"], "Second");
    // The article's author may remove someone else's comment from their article.
    let third = app
        .post(
            &path,
            Some(&reader),
            json!({"comment": {"body": "Off topic"}}),
        )
        .await;
    let third_id = third.json["comment"]["id"].as_i64().expect("id");
    let reply = app
        .delete(&format!("{path}/{third_id}"), Some(&author))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let listed = app.get(&path, None).await.json;
    assert_eq!(listed["comments"].as_array().map(Vec::len), Some(1));
}

async fn comment_errors(app: TestApp) {
    let reply = app
        .post(
            "/api/articles/x/comments",
            None,
            json!({"comment": {"body": "b"}}),
        )
        .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "token", "is missing");
    assert_error(
        &app.delete("/api/articles/x/comments/1", None).await,
        StatusCode::UNAUTHORIZED,
        "token",
        "is missing",
    );
    let token = app.register("critic").await;
    let slug = app.publish(&token, "Target", &[]).await;
    let reply = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(&token),
            json!({"comment": {"body": ""}}),
        )
        .await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "body",
        "can't be blank",
    );
    let reply = app
        .post(
            "/api/articles/missing/comments",
            Some(&token),
            json!({"comment": {"body": "b"}}),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "article", "not found");
    let reply = app
        .delete("/api/articles/missing/comments/1", Some(&token))
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "article", "not found");
    for id in ["99999", "abc"] {
        let reply = app
            .delete(&format!("/api/articles/{slug}/comments/{id}"), Some(&token))
            .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "comment", "not found");
    }
}

/// A comment post checks a public article in the caches, not in its transaction:
/// another instance deleted it a moment ago and this one has not heard yet. The
/// comment is refused as on a missing article, not with a 500.
async fn a_comment_on_an_article_deleted_behind_the_cache_is_a_404(app: TestApp) {
    use diesel::connection::SimpleConnection;
    let author = app.register("poster").await;
    let reader = app.register("commenter").await;
    let slug = app.publish(&author, "Going away", &[]).await;
    let path = format!("/api/articles/{slug}/comments");
    let first = app
        .post(
            &path,
            Some(&reader),
            json!({"comment": {"body": "Cached now"}}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    let db = crate::jobs::db_of(&app);
    db.conn()
        .expect("conn")
        .batch_execute(&format!("DELETE FROM articles WHERE slug = '{slug}'"))
        .expect("deleted");
    let late = app
        .post(
            &path,
            Some(&reader),
            json!({"comment": {"body": "Too late"}}),
        )
        .await;
    assert_eq!(late.status, StatusCode::NOT_FOUND, "{}", late.text);
    assert!(late.text.contains("article"), "{}", late.text);
}
