//! The tag list.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

crate::tests![tags_are_listed_by_popularity, cors_allows_api_clients];

async fn tags_are_listed_by_popularity(app: TestApp) {
    let fresh = app.get("/api/tags", None).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.json, json!({"tags": []}));
    let token = app.register("tagger").await;
    app.publish(&token, "One", &["rare", "common"]).await;
    app.publish(&token, "Two", &["common"]).await;
    let tags = app.get("/api/tags", None).await.json;
    assert_eq!(tags["tags"], json!(["common", "rare"]));
}

async fn cors_allows_api_clients(app: TestApp) {
    let reply = app
        .client
        .request(
            awc::http::Method::OPTIONS,
            format!("{}/api/articles", app.address),
        )
        .insert_header(("Origin", "https://client.example"))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .insert_header((
            "Access-Control-Request-Headers",
            "authorization,content-type",
        ))
        .send()
        .await
        .expect("answered");
    assert!(reply.status().is_success(), "{}", reply.status());
    assert!(reply.headers().contains_key("access-control-allow-origin"));
    let unknown = app.get("/api/nothing-here", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json["errors"]["route"][0], "not found");
}
