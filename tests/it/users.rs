//! Registration, login and the current user.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

crate::tests![
    register_returns_user_and_token,
    register_rejects_blank_and_invalid_fields,
    register_rejects_taken_username_and_email,
    login_checks_credentials,
    current_user_needs_a_valid_token,
    update_changes_and_normalises_fields,
    update_rejects_bad_values,
    malformed_bodies_are_422,
    failed_logins_slow_down_one_account,
];

async fn register_returns_user_and_token(app: TestApp) {
    let reply = app
        .post("/api/users", None, json!({"user": {"username": "ada", "email": "Ada@Example.com", "password": "password123"}}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let user = &reply.json["user"];
    assert_eq!(user["username"], "ada");
    assert_eq!(user["email"], "ada@example.com");
    assert!(user["bio"].is_null() && user["image"].is_null());
    let token = user["token"].as_str().expect("token");
    let me = app.get("/api/user", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json["user"]["username"], "ada");
    assert!(
        !reply.text.contains("password"),
        "no hash or password leaks: {}",
        reply.text
    );
}

async fn register_rejects_blank_and_invalid_fields(app: TestApp) {
    for (field, body) in [
        (
            "username",
            json!({"username": "", "email": "a@b.io", "password": "password123"}),
        ),
        (
            "email",
            json!({"username": "a", "email": "", "password": "password123"}),
        ),
        (
            "password",
            json!({"username": "a", "email": "a@b.io", "password": ""}),
        ),
    ] {
        let reply = app.post("/api/users", None, json!({ "user": body })).await;
        assert_error(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
            "can't be blank",
        );
    }
    let reply = app
        .post(
            "/api/users",
            None,
            json!({"user": {"username": "bad name", "email": "nope", "password": "short"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["username", "email", "password"] {
        assert!(
            reply.json["errors"][field][0].is_string(),
            "{field}: {}",
            reply.text
        );
    }
}

async fn register_rejects_taken_username_and_email(app: TestApp) {
    app.register("grace").await;
    let reply = app
        .post("/api/users", None, json!({"user": {"username": "grace", "email": "other@example.com", "password": "password123"}}))
        .await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        "username",
        "has already been taken",
    );
    let reply = app
        .post("/api/users", None, json!({"user": {"username": "other", "email": "GRACE@example.com", "password": "password123"}}))
        .await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        "email",
        "has already been taken",
    );
}

async fn login_checks_credentials(app: TestApp) {
    app.register("linus").await;
    let ok = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "linus@example.com", "password": "password123"}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json["user"]["username"], "linus");
    let wrong = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "linus@example.com", "password": "wrongpass"}}),
        )
        .await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "credentials", "invalid");
    let unknown = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "nobody@example.com", "password": "password123"}}),
        )
        .await;
    assert_error(&unknown, StatusCode::UNAUTHORIZED, "credentials", "invalid");
    let blank = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "", "password": "x"}}),
        )
        .await;
    assert_error(
        &blank,
        StatusCode::UNPROCESSABLE_ENTITY,
        "email",
        "can't be blank",
    );
    let blank = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "linus@example.com", "password": ""}}),
        )
        .await;
    assert_error(
        &blank,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password",
        "can't be blank",
    );
}

async fn current_user_needs_a_valid_token(app: TestApp) {
    let reply = app.get("/api/user", None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "token", "is missing");
    assert_eq!(
        reply.headers.get("www-authenticate").map(|v| v.as_bytes()),
        Some(&b"Token"[..])
    );
    let reply = app.get("/api/user", Some("not-a-jwt")).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "token", "is invalid");
    let token = app.register("bearer").await;
    let reply = app
        .client
        .get(format!("{}/api/user", app.address))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), StatusCode::OK, "Bearer is accepted too");
    let reply = app
        .put("/api/user", None, json!({"user": {"bio": "x"}}))
        .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "token", "is missing");
}

async fn update_changes_and_normalises_fields(app: TestApp) {
    let token = app.register("margaret").await;
    let reply = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"bio": "Apollo", "image": "https://example.com/m.png"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["user"]["bio"], "Apollo");
    assert_eq!(reply.json["user"]["image"], "https://example.com/m.png");
    let reply = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"bio": "", "image": null}}),
        )
        .await;
    assert!(reply.json["user"]["bio"].is_null() && reply.json["user"]["image"].is_null());
    let reply = app
        .put("/api/user", Some(&token), json!({"user": {"username": "mh", "email": "mh@example.com", "password": "newpassword"}}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["user"]["username"], "mh");
    let me = app.get("/api/user", Some(&token)).await;
    assert_eq!(me.json["user"]["email"], "mh@example.com");
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "mh@example.com", "password": "newpassword"}}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "the new password works");
}

async fn update_rejects_bad_values(app: TestApp) {
    let token = app.register("dennis").await;
    app.register("ken").await;
    for body in [
        json!({"email": ""}),
        json!({"email": null}),
        json!({"username": ""}),
        json!({"username": null}),
        json!({"password": ""}),
        json!({"password": null}),
        json!({"password": "short7c"}),
        json!({"image": "javascript:alert(1)"}),
    ] {
        let reply = app
            .put("/api/user", Some(&token), json!({ "user": body }))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
    }
    let reply = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"username": "ken"}}),
        )
        .await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        "username",
        "has already been taken",
    );
    let reply = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"password": "a".repeat(64)}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "64-character passwords are accepted"
    );
}

async fn malformed_bodies_are_422(app: TestApp) {
    let reply = app
        .client
        .post(format!("{}/api/users", app.address))
        .insert_header(("Content-Type", "application/json"))
        .send_body("{not json")
        .await
        .expect("answered");
    assert_eq!(reply.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reply = app
        .post("/api/users", None, json!({"username": "flat"}))
        .await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "user",
        "is missing (expected an object)",
    );
    let reply = app
        .post("/api/users", None, json!({"user": {"username": 5}}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn failed_logins_slow_down_one_account(app: TestApp) {
    app.register("target").await;
    app.register("bystander").await;
    let login = |email: &str, password: &str| {
        app.post(
            "/api/users/login",
            None,
            json!({"user": {"email": email, "password": password}}),
        )
    };
    for _ in 0..3 {
        let reply = login("target@example.com", "wrong-guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password must wait, and says for how long.
    let refused = login("target@example.com", "password123").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert_eq!(
        refused.headers.get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    assert!(refused.json["errors"]["credentials"][0].is_string());
    // Other accounts are not affected.
    assert_eq!(
        login("bystander@example.com", "password123").await.status,
        StatusCode::OK
    );
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        login("target@example.com", "password123").await.status,
        StatusCode::OK
    );
    // A good sign-in clears the count: the next mistake is an ordinary 401 again.
    assert_eq!(
        login("target@example.com", "wrong-guess").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login("target@example.com", "password123").await.status,
        StatusCode::OK
    );
}
