//! Reports from users (form and API) through the queue to their resolution.

use awc::http::StatusCode;
use serde_json::json;

use super::{audit_total, comment, create_admin, post, signed_in, with_role};
use crate::helpers::{TestApp, assert_error};
use crate::tests;

tests![report_life_cycle, reports_are_validated];

async fn report(app: &TestApp, token: &str, kind: &str, target: &str, reason: &str) -> i64 {
    let reply = app
        .post(
            "/api/reports",
            Some(token),
            json!({"report": {"kind": kind, "target": target, "reason": reason}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json["report"]["status"], "open");
    assert_eq!(reply.json["report"]["kind"], kind);
    reply.json["report"]["id"].as_i64().expect("id")
}

async fn report_life_cycle(app: TestApp) {
    create_admin(&app, "boss");
    let moderator_token = with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&author, "Spammy post", &[]).await;
    let comment_id = comment(&app, &author, &slug, "buy now").await;

    let on_article = report(&app, &reader, "article", &slug, "it is spam").await;
    let on_comment = report(
        &app,
        &reader,
        "comment",
        &comment_id.to_string(),
        "also spam",
    )
    .await;
    let on_user = report(&app, &reader, "user", "author", "a spammer").await;
    // The form: from the article page's link.
    let browser = signed_in(&app, "reader").await;
    let form = browser
        .get(&format!("/report?kind=article&target={slug}"))
        .await;
    assert!(form.expect(StatusCode::OK).contains("Report the article “"));
    browser
        .submit(
            &format!("/report?kind=article&target={slug}"),
            "/report",
            &[
                ("kind", "article"),
                ("target", &slug),
                ("reason", "from the form"),
            ],
        )
        .await
        .assert_redirect(&format!("/article/{slug}"));
    assert!(
        browser
            .get(&format!("/article/{slug}"))
            .await
            .body
            .contains("/report?kind=article&amp;target=")
    );

    // The queue: staff only.
    let reply = app.get("/api/reports", Some(&reader)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = app.get("/api/reports", Some(&moderator_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["reportsCount"], 4);
    assert_eq!(reply.json["reports"][0]["reporter"], "reader");
    assert_eq!(reply.json["reports"][0]["reason"], "it is spam");
    let moderator = signed_in(&app, "modest").await;
    let queue = moderator.get("/admin/reports").await;
    let body = queue.expect(StatusCode::OK);
    assert!(body.contains("4 open reports"));
    assert!(body.contains("from the form"));
    // A reported comment links to the stretch of its thread that ends with it, however
    // many comments came after it.
    let link = format!("/article/{slug}?before={}", comment_id + 1);
    assert!(
        body.contains(&format!("{link}#comment-{comment_id}")),
        "{body}"
    );
    let thread = moderator.get(&link).await;
    assert!(
        thread
            .expect(StatusCode::OK)
            .contains(&format!("id=\"comment-{comment_id}\""))
    );

    // Resolve with "hide": the article is hidden in the same step.
    post(
        &moderator,
        &format!("/admin/reports/{on_article}/resolve"),
        &[("action", "hide"), ("note", "spam, hidden")],
    )
    .await
    .assert_redirect("/admin/reports");
    assert_eq!(
        app.get(&format!("/api/articles/{slug}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    // Not twice.
    let page = post(
        &moderator,
        &format!("/admin/reports/{on_article}/resolve"),
        &[("action", "dismiss"), ("note", "again")],
    )
    .await;
    assert!(
        page.expect(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("report is already resolved")
    );
    // A user report cannot "hide"; a note is required; both are refused in place.
    let page = post(
        &moderator,
        &format!("/admin/reports/{on_user}/resolve"),
        &[("action", "hide"), ("note", "n")],
    )
    .await;
    assert!(
        page.expect(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("applies to content only")
    );
    let page = post(
        &moderator,
        &format!("/admin/reports/{on_user}/resolve"),
        &[("action", "dismiss"), ("note", "")],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    post(
        &moderator,
        &format!("/admin/reports/{on_user}/resolve"),
        &[("action", "dismiss"), ("note", "not a spammer")],
    )
    .await
    .assert_redirect("/admin/reports");
    // Deleting the reported comment asks first.
    let page = post(
        &moderator,
        &format!("/admin/reports/{on_comment}/resolve"),
        &[("action", "delete"), ("note", "removed")],
    )
    .await;
    assert!(page.expect(StatusCode::OK).contains("Delete and resolve"));
    post(
        &moderator,
        &format!("/admin/reports/{on_comment}/resolve"),
        &[
            ("action", "delete"),
            ("note", "removed"),
            ("confirm", "yes"),
        ],
    )
    .await
    .assert_redirect("/admin/reports");

    let reply = app.get("/api/reports", Some(&moderator_token)).await;
    assert_eq!(
        reply.json["reportsCount"], 1,
        "only the form's report is left"
    );
    let resolved = moderator.get("/admin/reports?status=resolved").await;
    let body = resolved.expect(StatusCode::OK);
    assert!(body.contains("3 resolved reports"));
    assert!(body.contains("hide by modest: spam, hidden"));
    assert!(body.contains("dismiss by modest: not a spammer"));

    let admin = signed_in(&app, "boss").await;
    assert_eq!(audit_total(&admin, "action=report.resolve").await, 3);
    assert_eq!(
        audit_total(&admin, "action=article.hide&actor=modest").await,
        1
    );
    assert_eq!(audit_total(&admin, "action=comment.delete").await, 1);
}

async fn reports_are_validated(app: TestApp) {
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&author, "Post", &[]).await;
    let send = async |token: Option<&str>, body: serde_json::Value| {
        app.post("/api/reports", token, json!({ "report": body }))
            .await
    };
    let reply = send(
        None,
        json!({"kind": "article", "target": slug, "reason": "x"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = send(
        Some(&reader),
        json!({"kind": "planet", "target": slug, "reason": "x"}),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "kind",
        "must be article, comment or user",
    );
    let reply = send(
        Some(&reader),
        json!({"kind": "article", "target": slug, "reason": " "}),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reason",
        "can't be blank",
    );
    let reply = send(
        Some(&reader),
        json!({"kind": "article", "target": "nope", "reason": "x"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = send(
        Some(&reader),
        json!({"kind": "comment", "target": "12345", "reason": "x"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = send(
        Some(&reader),
        json!({"kind": "user", "target": "reader", "reason": "x"}),
    )
    .await;
    assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "target", "is you");
    let browser = super::signed_in(&app, "reader").await;
    let page = browser
        .submit(
            "/report?kind=user&target=author",
            "/report",
            &[("kind", "user"), ("target", "author"), ("reason", "")],
        )
        .await;
    let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Report the user author"));
    assert!(
        super::super::pages::browser::Browser::new(&app)
            .get("/report")
            .await
            .location()
            == "/login"
    );
}
