//! The audit log: one row per staff action and security event, written with the change
//! (none when the change fails), append-only, and never holding a secret.

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::{audit_total, cli, comment, create_admin, post, signed_in, with_role};
use crate::helpers::TestApp;
use crate::pages::browser::{Browser, PASSWORD};
use crate::tests;

tests![
    every_action_writes_one_audit_row,
    a_failed_action_leaves_no_audit_row,
    the_audit_log_is_append_only,
];

async fn every_action_writes_one_audit_row(app: TestApp) {
    create_admin(&app, "boss");
    let admin = signed_in(&app, "boss").await;
    assert_eq!(audit_total(&admin, "action=user.create&actor=cli").await, 1);
    assert_eq!(
        audit_total(&admin, "action=role.change&target=boss").await,
        1
    );
    assert_eq!(
        audit_total(&admin, "action=login.success&actor=boss").await,
        1
    );

    let author = app.register("author").await;
    let slug = app.publish(&author, "Subject", &["one", "two"]).await;
    let comment_id = comment(&app, &author, &slug, "remark").await.to_string();
    // Security events: a failed and a good sign-in, an unknown account, a password change.
    let bad = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "author@example.com", "password": "wrong-password"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let unknown = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "ghost@example.com", "password": "typed-secret-123"}}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let writer = signed_in(&app, "author").await;
    writer
        .submit(
            "/settings",
            "/settings",
            &[
                ("username", "author"),
                ("email", "author@example.com"),
                ("password", "another-password-1"),
            ],
        )
        .await
        .assert_redirect("/profile/author");
    let (ok, out) = cli(&app, &["promote", "author", "--role", "moderator"], "");
    assert!(ok, "{out}");

    // Staff actions, each once.
    let actions: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/admin/articles/{slug}/hide"), vec![]),
        (format!("/admin/articles/{slug}/unhide"), vec![]),
        (format!("/admin/articles/{slug}/feature"), vec![]),
        (format!("/admin/articles/{slug}/unfeature"), vec![]),
        (format!("/admin/comments/{comment_id}/hide"), vec![]),
        (format!("/admin/comments/{comment_id}/unhide"), vec![]),
        (
            "/admin/tags/rename".into(),
            vec![("from", "one"), ("to", "uno")],
        ),
        (
            "/admin/tags/merge".into(),
            vec![("from", "two"), ("into", "uno"), ("confirm", "yes")],
        ),
        (
            "/admin/users/author/suspend".into(),
            vec![("reason", "audit me"), ("confirm", "yes")],
        ),
        ("/admin/users/author/unsuspend".into(), vec![]),
        (
            "/admin/users/author/reset-password".into(),
            vec![("confirm", "yes")],
        ),
        (
            "/admin/users/author/role".into(),
            vec![("role", "user"), ("confirm", "yes")],
        ),
        (
            format!("/admin/comments/{comment_id}/delete"),
            vec![("confirm", "yes")],
        ),
        (
            format!("/admin/articles/{slug}/delete"),
            vec![("confirm", "yes")],
        ),
    ];
    for (action, fields) in &actions {
        let page = post(&admin, action, fields).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{action}: {}",
            page.body
        );
    }

    for (query, expected) in [
        ("action=login.failure&target=author", 1),
        ("action=login.failure&target=unknown+account", 1),
        ("action=login.success&target=author", 1),
        ("action=password.change&actor=author", 1),
        ("action=role.change&target=author&actor=cli", 1),
        ("action=role.change&target=author&actor=boss", 1),
        ("action=article.hide", 1),
        ("action=article.unhide", 1),
        ("action=article.feature", 1),
        ("action=article.unfeature", 1),
        ("action=article.delete", 1),
        ("action=comment.hide", 1),
        ("action=comment.unhide", 1),
        ("action=comment.delete", 1),
        ("action=tag.rename", 1),
        ("action=tag.merge", 1),
        ("action=user.suspend&target=author", 1),
        ("action=user.unsuspend", 1),
        ("action=user.password_reset", 1),
        ("action=article.&actor=boss", 5),
        ("kind=comment", 3),
    ] {
        assert_eq!(audit_total(&admin, query).await, expected, "{query}");
    }

    // Who, what, from where; never a password, hash or token.
    let all = admin.get("/admin/audit?actor=boss").await.body;
    assert!(all.contains("127.0.0.1"));
    assert!(all.contains("role=moderator → role=user"));
    let mut everything = String::new();
    for page in 1..=6 {
        everything.push_str(&admin.get(&format!("/admin/audit?page={page}")).await.body);
    }
    for secret in [
        PASSWORD,
        "another-password-1",
        "typed-secret-123",
        "ghost@example.com",
        "$2b$",
        author.as_str(),
    ] {
        assert!(!everything.contains(secret), "the audit log holds {secret}");
    }
}

async fn a_failed_action_leaves_no_audit_row(app: TestApp) {
    create_admin(&app, "boss");
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    app.publish(&author, "Tagged", &["first", "second"]).await;
    let admin = signed_in(&app, "boss").await;
    let moderator = signed_in(&app, "modest").await;

    // The rename writes its audit row, then hits the unique name and rolls back both.
    let page = post(
        &moderator,
        "/admin/tags/rename",
        &[("from", "first"), ("to", "second")],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_total(&admin, "action=tag.rename").await, 0);
    // Refused by the rules: a moderator on an admin, an admin on themselves.
    let page = post(
        &moderator,
        "/admin/users/boss/suspend",
        &[("reason", "coup"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = post(
        &admin,
        "/admin/users/boss/role",
        &[("role", "user"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_total(&admin, "action=user.suspend").await, 0);
    assert_eq!(
        audit_total(&admin, "action=role.change&actor=boss").await,
        0
    );
    // And a success right after is recorded.
    post(
        &moderator,
        "/admin/tags/rename",
        &[("from", "first"), ("to", "third")],
    )
    .await
    .assert_redirect("/admin/tags");
    assert_eq!(audit_total(&admin, "action=tag.rename").await, 1);
    assert!(
        Browser::new(&app)
            .get("/api/tags")
            .await
            .body
            .contains("third")
    );
}

async fn the_audit_log_is_append_only(app: TestApp) {
    create_admin(&app, "boss");
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    let mut conn = db.conn().expect("connection");
    let count = |conn: &mut conduit::db::Conn| {
        use diesel::prelude::*;
        conduit::db::schema::audit_log::table
            .count()
            .get_result::<i64>(&mut **conn)
            .expect("count")
    };
    let before = count(&mut conn);
    assert!(before >= 2);
    assert!(
        conn.batch_execute("UPDATE audit_log SET action = 'forged'")
            .is_err()
    );
    assert!(conn.batch_execute("DELETE FROM audit_log").is_err());
    assert_eq!(count(&mut conn), before);
    let admin = signed_in(&app, "boss").await;
    assert_eq!(audit_total(&admin, "action=forged").await, 0);
}
