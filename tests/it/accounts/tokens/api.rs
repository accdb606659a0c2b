//! The API: a token shown once and stored hashed, what each scope allows, the rules a
//! new token must meet.

use awc::http::StatusCode;
use serde_json::{Value, json};

use super::{create, list, secret, sql};
use crate::admin::with_role;
use crate::helpers::{TestApp, assert_error};
use crate::pages::browser::PASSWORD;

crate::tests![
    a_token_is_shown_once_and_stored_hashed,
    a_read_token_reads_and_cannot_write,
    scopes_names_and_expiries_are_checked,
    the_admin_scope_is_for_staff_actions,
];

async fn a_token_is_shown_once_and_stored_hashed(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "Deploy script", &["read", "write"], json!(30)).await;
    let secret = secret(&token);
    assert!(
        secret.starts_with("cdt_") && secret.len() == 4 + 64,
        "{secret}"
    );
    assert_eq!(token["name"], "Deploy script");
    assert_eq!(token["scopes"], json!(["read", "write"]));
    assert_eq!(token["lastUsedAt"], Value::Null);
    assert!(token["expiresAt"].is_string());

    // The list never holds the secret; the database holds only its SHA-256.
    let listed = app.get("/api/user/tokens", Some(&jwt)).await;
    assert!(!listed.text.contains(&secret[4..]), "{}", listed.text);
    assert_eq!(listed.json["tokens"][0]["id"], token["id"]);
    assert!(listed.json["tokens"][0].get("secret").is_none());
    let hash = conduit::auth::link_token::stored_hash(&secret);
    sql(
        &app,
        &format!("UPDATE access_tokens SET name = 'renamed' WHERE token_hash = '{hash}'"),
    );
    assert_eq!(
        list(&app, &jwt).await[0]["name"],
        "renamed",
        "found by its hash"
    );

    // It is accepted like the JWT, and `GET /api/user` echoes it.
    let me = app.get("/api/user", Some(&secret)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json["user"]["token"], secret.as_str());
    assert_eq!(me.json["user"]["username"], "alice");
    let bearer = app
        .client
        .get(format!("{}/api/user", app.address))
        .insert_header(("Authorization", format!("Bearer {secret}")))
        .send()
        .await
        .expect("answered");
    assert_eq!(bearer.status(), StatusCode::OK, "`Bearer` works too");

    // A token cannot mint more, whatever its scopes.
    let minted = app
        .post(
            "/api/user/tokens",
            Some(&secret),
            json!({"token": {"name": "more", "scopes": ["read"]}}),
        )
        .await;
    assert_error(&minted, StatusCode::FORBIDDEN, "token", "forbidden");
    // A mistyped token is refused like a bad JWT.
    let last = if secret.ends_with('0') { '1' } else { '0' };
    let typo = format!("{}{last}", &secret[..secret.len() - 1]);
    let refused = app.get("/api/user", Some(&typo)).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
}

async fn a_read_token_reads_and_cannot_write(app: TestApp) {
    let jwt = app.register("alice").await;
    let read = secret(&create(&app, &jwt, "reader", &["read"], Value::Null).await);
    let write = secret(&create(&app, &jwt, "writer", &["write"], json!(7)).await);
    for path in ["/api/user", "/api/articles/feed", "/api/user/tokens"] {
        let reply = app.get(path, Some(&read)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    }
    let article = json!({"article": {"title": "By token", "description": "d", "body": "b"}});
    let refused = app
        .post("/api/articles", Some(&read), article.clone())
        .await;
    assert_error(
        &refused,
        StatusCode::FORBIDDEN,
        "token",
        "lacks the `write` scope",
    );
    let bio = json!({"user": {"bio": "changed"}});
    let refused = app.put("/api/user", Some(&read), bio.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let refused = app.delete("/api/user/tokens/1", Some(&read)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(
        app.get("/api/articles?author=alice", None).await.json["articlesCount"],
        0,
        "nothing was written"
    );

    // `write` writes (and reads).
    let posted = app.post("/api/articles", Some(&write), article).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    assert_eq!(posted.json["article"]["author"]["username"], "alice");
    let changed = app.put("/api/user", Some(&write), bio).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json["user"]["token"], write.as_str());
    // But a token alone cannot take the account over: a new email or password needs
    // the current password.
    let takeover = app
        .put(
            "/api/user",
            Some(&write),
            json!({"user": {"email": "mallory@example.com"}}),
        )
        .await;
    assert_error(
        &takeover,
        StatusCode::UNPROCESSABLE_ENTITY,
        "currentPassword",
        "is needed to change your email or password",
    );
    let proved = app
        .put(
            "/api/user",
            Some(&write),
            json!({"user": {"email": "alice2@example.com", "currentPassword": PASSWORD}}),
        )
        .await;
    assert_eq!(proved.status, StatusCode::OK, "{}", proved.text);
}

async fn scopes_names_and_expiries_are_checked(app: TestApp) {
    let jwt = app.register("alice").await;
    let bad = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": " ", "scopes": [], "expiresInDays": 5}}),
        )
        .await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
        "can't be blank",
    );
    assert_eq!(bad.json["errors"]["scopes"][0], "choose at least one scope");
    assert_eq!(
        bad.json["errors"]["expiresInDays"][0],
        "must be 7, 30, 90 or 365 days, or none"
    );
    let unknown = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "x".repeat(61), "scopes": ["read", "sudo"]}}),
        )
        .await;
    assert_error(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scopes",
        "`sudo` is not a scope (read, write, admin)",
    );
    assert!(unknown.json["errors"]["name"].is_array(), "too long");
    let unreadable = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "x", "scopes": "read"}}),
        )
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);

    // At most 50 live tokens; revoking one makes room.
    let mut last = Value::Null;
    for i in 0..50 {
        last = create(&app, &jwt, &format!("t{i}"), &["read"], Value::Null).await;
    }
    let over = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "one more", "scopes": ["read"]}}),
        )
        .await;
    assert_error(
        &over,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tokens",
        "are limited to 50 at a time: revoke one first",
    );
    let id = last["id"].as_i64().expect("id");
    let revoked = app
        .delete(&format!("/api/user/tokens/{id}"), Some(&jwt))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    create(&app, &jwt, "one more", &["read"], Value::Null).await;
}

async fn the_admin_scope_is_for_staff_actions(app: TestApp) {
    let jwt = app.register("alice").await;
    let refused = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "power", "scopes": ["read", "admin"]}}),
        )
        .await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scopes",
        "admin is for moderators and administrators only",
    );

    let moderator = with_role(&app, "mod", "moderator").await;
    let plain = secret(&create(&app, &moderator, "plain", &["read", "write"], Value::Null).await);
    let admin = secret(&create(&app, &moderator, "staff", &["admin"], Value::Null).await);
    assert_eq!(
        app.get("/api/reports", Some(&moderator)).await.status,
        StatusCode::OK,
        "the JWT has every scope"
    );
    let without = app.get("/api/reports", Some(&plain)).await;
    assert_error(
        &without,
        StatusCode::FORBIDDEN,
        "token",
        "lacks the `admin` scope",
    );
    let with = app.get("/api/reports", Some(&admin)).await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.text);
    // `admin` does not imply `write`.
    let report = json!({"report": {"kind": "user", "target": "alice", "reason": "spam"}});
    let write = app.post("/api/reports", Some(&admin), report).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.text);
    // A plain user's token gets the plain 403, scopes or not.
    let user_token = secret(&create(&app, &jwt, "mine", &["read"], Value::Null).await);
    let queue = app.get("/api/reports", Some(&user_token)).await;
    assert_error(&queue, StatusCode::FORBIDDEN, "reports", "forbidden");

    // The document says which scope each operation needs.
    let doc = app.get("/api/openapi.json", None).await.json;
    assert_eq!(
        doc["paths"]["/api/reports"]["get"]["security"],
        json!([{"Token": ["admin"]}])
    );
    assert_eq!(
        doc["paths"]["/api/articles"]["post"]["security"],
        json!([{"Token": ["write"]}])
    );
    assert_eq!(
        doc["paths"]["/api/articles"]["get"]["security"],
        json!([{}, {"Token": ["read"]}])
    );
}
