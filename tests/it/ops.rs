//! Health and readiness.

use awc::http::StatusCode;

use crate::helpers::TestApp;

crate::tests![health_and_readiness, readiness_fails_without_the_schema];

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
