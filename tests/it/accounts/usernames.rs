//! Usernames are unique regardless of case, for sign-up, rename, profile URLs and the
//! API, and keep the case their owner chose; clashes from before are reported.

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};
use crate::jobs::db_of;
use crate::pages::browser::Browser;

crate::tests![
    case_variants_are_taken,
    names_resolve_regardless_of_case,
    clashes_from_before_are_reported,
];

async fn case_variants_are_taken(app: TestApp) {
    let token = app.register("Alice_Writer").await;
    let reply = app
        .post("/api/users", None, json!({"user": {"username": "ALICE_WRITER", "email": "other@example.com", "password": "password123"}}))
        .await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        "username",
        "has already been taken",
    );
    let bob_token = app.register("bob").await;
    let rename = app
        .put(
            "/api/user",
            Some(&bob_token),
            json!({"user": {"username": "alice_writer"}}),
        )
        .await;
    assert_error(
        &rename,
        StatusCode::CONFLICT,
        "username",
        "has already been taken",
    );
    // Owners may change the case of their own name; it is shown as they chose.
    let own = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"username": "alice_WRITER"}}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert_eq!(own.json["user"]["username"], "alice_WRITER");
    // The sign-up form says so beside the field.
    let browser = Browser::new(&app);
    let refused = browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "ALICE_writer"),
                ("email", "third@example.com"),
                ("password", "password123"),
            ],
        )
        .await;
    assert!(
        refused.body.contains("has already been taken"),
        "{}",
        refused.body
    );
}

async fn names_resolve_regardless_of_case(app: TestApp) {
    let token = app.register("Grace").await;
    app.post(
        "/api/articles",
        Some(&token),
        json!({"article": {"title": "Compilers", "description": "d", "body": "b", "tagList": []}}),
    )
    .await;
    let profile = app.get("/api/profiles/GRACE", None).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
    assert_eq!(profile.json["profile"]["username"], "Grace");
    let listed = app.get("/api/articles?author=grace", None).await;
    assert_eq!(listed.json["articlesCount"], 1, "{}", listed.text);
    let found = app.get("/api/search?q=compilers&author=gRACE", None).await;
    assert_eq!(found.json["articlesCount"], 1, "{}", found.text);
    let page = Browser::new(&app).get("/profile/grace").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("<h4>Grace</h4>"), "{body}");
    let missing = app.get("/api/profiles/nobody", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Accounts from before the rule whose names differ only by case: the older keeps the
/// key, the newer is reported and still reachable by its exact name.
async fn clashes_from_before_are_reported(app: TestApp) {
    app.register("mallory").await;
    let db = db_of(&app);
    let mut conn = db.conn().expect("conn");
    conn.batch_execute(
        "INSERT INTO users (username, email, password_hash, role, created_at, updated_at) \
         VALUES ('MALLORY', 'old@example.com', 'x', 'user', '2026-01-01 00:00:00', '2026-01-01 00:00:00'), \
                ('Trent', 'trent@example.com', 'x', 'user', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    .expect("rows from before");
    let clashes = conduit::db::username_keys::fill(&mut conn).expect("filled");
    assert_eq!(clashes.len(), 1, "{clashes:?}");
    assert_eq!(
        (clashes[0].username.as_str(), clashes[0].holder.as_str()),
        ("MALLORY", "mallory")
    );
    assert!(clashes[0].to_string().contains("rename one of them"));
    drop(conn);
    assert_eq!(
        app.get("/api/profiles/trent", None).await.json["profile"]["username"],
        "Trent",
        "keyed at once"
    );
    assert_eq!(
        app.get("/api/profiles/MALLORY", None).await.json["profile"]["username"],
        "MALLORY"
    );
    assert_eq!(
        app.get("/api/profiles/Mallory", None).await.json["profile"]["username"],
        "mallory"
    );
    let again = conduit::db::username_keys::fill(&mut db.conn().expect("conn")).expect("filled");
    assert_eq!(again.len(), 1, "reported until renamed");
}
