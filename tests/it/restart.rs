//! Data and tokens survive a restart; start-up applies migrations.

use awc::http::StatusCode;

use crate::helpers::TestApp;

crate::tests![
    users_articles_and_tokens_survive_a_restart,
    migrations_are_idempotent,
    migrations_are_reversible,
];

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

async fn migrations_are_idempotent(app: TestApp) {
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    assert_eq!(
        db.migrate().expect("migrate"),
        0,
        "already applied at start-up"
    );
}

/// Every migration's `down.sql` undoes its `up.sql`: revert all, then apply all again.
async fn migrations_are_reversible(app: TestApp) {
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    let reverted = db.revert_all().expect("revert all");
    assert!(reverted > 0);
    assert_eq!(db.migrate().expect("re-apply"), reverted);
    let token = app.register("after_redo").await;
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
}
