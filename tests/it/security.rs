//! Security headers, request ids, and logs that never hold a secret.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{SECRET, ServerProcess, TestApp};

crate::tests![
    headers_on_pages_and_api,
    request_ids_are_echoed_or_made,
    logs_of_a_login_hold_no_secret,
    rate_limits_trip_and_recover,
    oversized_bodies_are_refused,
];

async fn headers_on_pages_and_api(app: TestApp) {
    for path in [
        "/",
        "/login",
        "/api/tags",
        "/api/articles/missing",
        "/no-such-page",
    ] {
        let reply = app.get(path, None).await;
        let csp = reply
            .headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(
            reply
                .headers
                .get("x-content-type-options")
                .map(|v| v.as_bytes()),
            Some(&b"nosniff"[..]),
            "{path}"
        );
        assert!(reply.headers.contains_key("referrer-policy"), "{path}");
        assert!(
            !reply.headers.contains_key("strict-transport-security"),
            "no HSTS over plain HTTP"
        );
    }
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let reply = app
        .client
        .get(format!("{}/api/tags", app.address))
        .insert_header(("X-Request-Id", "trace-42"))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        reply.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"trace-42"[..])
    );
    let made = app.get("/api/tags", None).await;
    let id = made.headers.get("x-request-id").expect("generated id");
    assert_eq!(id.len(), 16);
}

/// Runs the real binary with JSON logs at debug level, signs up and logs in, and reads
/// everything it wrote.
async fn logs_of_a_login_hold_no_secret(app: TestApp) {
    let server = ServerProcess::start(
        &app,
        &[("CONDUIT_LOG_FORMAT", "json"), ("RUST_LOG", "debug")],
    )
    .await;
    let base = server.base.clone();
    let password = "correct-horse-battery";
    let reply = app
        .client
        .post(format!("{base}/api/users"))
        .send_json(&json!({"user": {"username": "logged", "email": "logged@example.com", "password": password}}))
        .await
        .expect("register");
    assert_eq!(reply.status(), StatusCode::CREATED);
    let mut login = app
        .client
        .post(format!("{base}/api/users/login"))
        .send_json(&json!({"user": {"email": "logged@example.com", "password": password}}))
        .await
        .expect("login");
    let body: serde_json::Value = login.json().await.expect("json");
    let token = body["user"]["token"].as_str().expect("token").to_owned();
    app.client
        .get(format!("{base}/api/user?token={token}"))
        .insert_header(("Authorization", format!("Token {token}")))
        .send()
        .await
        .expect("current user");
    server.terminate();
    let (_, logs) = server.wait_with_output();

    for secret in [password, token.as_str(), SECRET] {
        assert!(!logs.contains(secret), "a secret reached the log:\n{logs}");
    }
    assert!(!logs.contains("$2b$"), "a bcrypt hash reached the log");
    let requests: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .filter(|entry: &serde_json::Value| entry["target"] == "conduit::request")
        .collect();
    let current = requests
        .iter()
        .find(|r| r["route"] == "/api/user")
        .unwrap_or_else(|| panic!("request line for /api/user in:\n{logs}"));
    assert_eq!(current["method"], "GET");
    assert_eq!(current["status"], 200);
    assert!(current["user_id"].is_i64(), "{current}");
    assert!(current["request_id"].is_string());
    assert!(current["latency_ms"].is_number());
}

/// At a base of 8 per minute, one IP gets 8 sign-in attempts at once, then one more every
/// 7.5 s; pages share the limits (sign-ups are half the base). The low rate keeps a slow
/// machine from refilling a slot during the burst.
async fn rate_limits_trip_and_recover(app: TestApp) {
    let server = ServerProcess::start(&app, &[("CONDUIT_RATE_LIMIT_PER_MINUTE", "8")]).await;
    let attempt = |i: usize, password: &str| {
        app.client
            .post(format!("{}/api/users/login", server.base))
            .send_json(
                &json!({"user": {"email": format!("nobody{i}@example.com"), "password": password}}),
            )
    };
    // The limiter counts attempts before the handler runs. Blank passwords (422) keep
    // each one instant, so the burst is only HTTP round trips.
    for i in 0..8 {
        let reply = attempt(i, "").await.expect("answered");
        assert_eq!(
            reply.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {i} is within the limit"
        );
    }
    let mut limited = attempt(8, "password123").await.expect("answered");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=8).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = limited.json().await.expect("json");
    assert!(body["errors"]["rate"][0].is_string());
    // Reads are never limited.
    let read = app
        .client
        .get(format!("{}/api/tags", server.base))
        .send()
        .await
        .expect("answered");
    assert_eq!(read.status(), StatusCode::OK);
    actix_web::rt::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    assert_eq!(
        attempt(9, "password123").await.expect("answered").status(),
        StatusCode::UNAUTHORIZED,
        "recovered"
    );

    for i in 0..4 {
        let reply = app
            .client
            .post(format!("{}/register", server.base))
            .send_form(&[("username", format!("u{i}"))])
            .await
            .expect("answered");
        assert_ne!(reply.status(), StatusCode::TOO_MANY_REQUESTS, "sign-up {i}");
    }
    let page = app
        .client
        .post(format!("{}/register", server.base))
        .send_form(&[("username", "one-too-many")])
        .await
        .expect("answered");
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    server.terminate();
    let _ = server.wait_with_output();
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let token = app.register("verbose").await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let reply = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "Huge", "description": "d", "body": huge}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Under the transport limit but over the article limit: a clear 422.
    let long = "x".repeat(150_000);
    let reply = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "Long", "description": "d", "body": long}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.json["errors"]["body"][0]
            .as_str()
            .unwrap_or_default()
            .contains("too long")
    );
    assert_eq!(
        app.get("/api/articles", None).await.json["articlesCount"],
        0
    );
}
