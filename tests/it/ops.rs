//! Health and readiness.

use awc::http::StatusCode;

use crate::helpers::{METRICS_TOKEN, ServerProcess, TestApp};

crate::tests![
    health_and_readiness,
    readiness_fails_without_the_schema,
    metrics_need_the_token_and_count,
    metrics_are_off_without_a_token,
];

async fn health_and_readiness(app: TestApp) {
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.json["status"], "ready");
}

async fn readiness_fails_without_the_schema(app: TestApp) {
    // The database loses its tables (a restore gone wrong, a dropped schema).
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    db.revert_all().expect("drop everything");
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );
    assert_eq!(ready.json["checks"]["database"], "failing");
    assert_eq!(
        app.get("/healthz", None).await.status,
        StatusCode::OK,
        "alive, just not ready"
    );
}

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut request = app.client.get(format!("{}/metrics", app.address));
    if let Some(token) = token {
        request = request.insert_header(("Authorization", format!("Bearer {token}")));
    }
    let mut response = request.send().await.expect("answered");
    let body = response.body().await.expect("body");
    (
        response.status(),
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The value of the `http_requests_total` series for `GET route 200`.
fn requests_counted(text: &str, route: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .filter(|l| {
            l.contains(&format!("route=\"{route}\""))
                && l.contains("status=\"200\"")
                && l.contains("method=\"GET\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn metrics_need_the_token_and_count(app: TestApp) {
    assert_eq!(scrape(&app, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&app, Some("wrong-token-wrong-token")).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.get("/api/tags", None).await;
    let (status, before) = scrape(&app, Some(METRICS_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    let counted = requests_counted(&before, "/api/tags");
    assert!(counted >= 1.0, "{before}");
    for _ in 0..3 {
        app.get("/api/tags", None).await;
    }
    let (_, after) = scrape(&app, Some(METRICS_TOKEN)).await;
    assert!(
        requests_counted(&after, "/api/tags") >= counted + 3.0,
        "{after}"
    );
    // Routes are counted by their pattern, never by the path asked for (one series
    // per article would grow without bound), scopes included.
    let author = app.register("counted").await;
    let slug = app.publish(&author, "Counted", &[]).await;
    app.get(&format!("/api/articles/{slug}"), None).await;
    app.get(&format!("/article/{slug}"), None).await;
    let (_, after) = scrape(&app, Some(METRICS_TOKEN)).await;
    for route in ["/api/articles/{slug}", "/article/{slug}"] {
        assert!(requests_counted(&after, route) >= 1.0, "{route}: {after}");
    }
    assert!(
        !after.contains(&slug),
        "no series names the article:\n{after}"
    );
    for series in [
        "http_request_duration_seconds_bucket",
        "db_pool_connections",
        "db_pool_in_use_connections",
        "db_pool_wait_seconds",
        "db_statements_total",
    ] {
        assert!(after.contains(series), "{series} missing:\n{after}");
    }
    // The memory the budget is about, read at each scrape.
    let resident = gauge(&after, "process_resident_memory_bytes");
    assert!(resident > 1e6 && resident < 1e11, "{after}");
}

/// The value of an unlabelled gauge; panics when it is missing.
fn gauge(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
}

async fn metrics_are_off_without_a_token(app: TestApp) {
    let server = ServerProcess::start(&app, &[]).await;
    let reply = app
        .client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), StatusCode::NOT_FOUND);
    server.terminate();
    let (status, _) = server.wait_with_output();
    assert!(status.success());
}
