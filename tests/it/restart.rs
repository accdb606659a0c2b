//! Data and tokens survive a restart; start-up applies migrations.

use awc::http::StatusCode;

use crate::helpers::TestApp;

crate::tests![users_articles_and_tokens_survive_a_restart];

async fn users_articles_and_tokens_survive_a_restart(app: TestApp) {
    let token = app.register("durable").await;
    let slug = app.publish(&token, "Persistent", &["kept"]).await;
    let second = app.restart();
    let me = second.get("/api/user", Some(&token)).await;
    assert_eq!(
        me.status,
        StatusCode::OK,
        "old token still valid: {}",
        me.text
    );
    assert_eq!(me.json["user"]["username"], "durable");
    let article = second.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(
        article.json["article"]["tagList"],
        serde_json::json!(["kept"])
    );
}

/// Tests that need no running server of their own but do touch the database.
pub fn startup_tests() -> Vec<(&'static str, crate::helpers::TestFn)> {
    vec![("migrations_are_idempotent", |app| {
        Box::pin(migrations_are_idempotent(app))
    })]
}

async fn migrations_are_idempotent(app: TestApp) {
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    assert_eq!(
        db.migrate().expect("migrate"),
        0,
        "already applied at start-up"
    );
}
