//! Profiles and following.

use awc::http::StatusCode;

use crate::helpers::{TestApp, assert_error};

crate::tests![profile_and_follow_cycle, profile_errors];

async fn profile_and_follow_cycle(app: TestApp) {
    let fan = app.register("fan").await;
    app.register("star").await;
    let anon = app.get("/api/profiles/star", None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert_eq!(anon.json["profile"]["username"], "star");
    assert_eq!(anon.json["profile"]["following"], false);
    let followed = app
        .post(
            "/api/profiles/star/follow",
            Some(&fan),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.text);
    assert_eq!(followed.json["profile"]["following"], true);
    let again = app
        .post(
            "/api/profiles/star/follow",
            Some(&fan),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        again.json["profile"]["following"], true,
        "following twice is harmless"
    );
    assert_eq!(
        app.get("/api/profiles/star", Some(&fan)).await.json["profile"]["following"],
        true
    );
    assert_eq!(
        app.get("/api/profiles/star", None).await.json["profile"]["following"],
        false
    );
    let unfollowed = app.delete("/api/profiles/star/follow", Some(&fan)).await;
    assert_eq!(unfollowed.status, StatusCode::OK);
    assert_eq!(unfollowed.json["profile"]["following"], false);
    assert_eq!(
        app.get("/api/profiles/star", Some(&fan)).await.json["profile"]["following"],
        false
    );
}

async fn profile_errors(app: TestApp) {
    assert_error(
        &app.get("/api/profiles/ghost", None).await,
        StatusCode::NOT_FOUND,
        "profile",
        "not found",
    );
    let reply = app
        .post("/api/profiles/ghost/follow", None, serde_json::json!({}))
        .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "token", "is missing");
    assert_error(
        &app.delete("/api/profiles/ghost/follow", None).await,
        StatusCode::UNAUTHORIZED,
        "token",
        "is missing",
    );
    let me = app.register("solo").await;
    let reply = app
        .post(
            "/api/profiles/ghost/follow",
            Some(&me),
            serde_json::json!({}),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "profile", "not found");
    assert_error(
        &app.delete("/api/profiles/ghost/follow", Some(&me)).await,
        StatusCode::NOT_FOUND,
        "profile",
        "not found",
    );
    let reply = app
        .post(
            "/api/profiles/solo/follow",
            Some(&me),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no following yourself"
    );
}
