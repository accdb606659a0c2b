//! Article revisions: the history list, diffs, restoring, who may see them, the bound
//! on how many are kept, and that they go with their article.

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;

use crate::admin::{signed_in, with_role};
use crate::helpers::TestApp;
use crate::pages::browser::Browser;
use crate::tests;

tests![
    each_save_is_a_revision_listed_newest_first,
    the_diff_shows_lines_and_fields_escaped,
    restoring_brings_back_a_revision_everywhere_at_once,
    strangers_get_not_found_and_change_nothing,
    staff_read_the_history_but_cannot_restore,
    the_history_keeps_the_original_and_the_newest,
    deleting_the_article_deletes_its_revisions,
    the_api_lists_revisions_for_the_author_and_staff,
    racing_edits_each_get_a_number,
];

const ORIGINAL: &str = "Line one\nLine two\n<script>alert(1)</script>\n";
const SECOND: &str = "Line one\nLine 2\n<script>alert(1)</script>\n";
const THIRD: &str = "Line one\nLine 2\nLine three\n";

/// Publishes "Versioned" by `token` with [`ORIGINAL`] and edits it twice (to
/// [`SECOND`], then [`THIRD`] with a new title, description and tags).
async fn three_revisions(app: &TestApp, token: &str) -> String {
    let reply = app
        .post(
            "/api/articles",
            Some(token),
            json!({"article": {"title": "Versioned", "description": "first", "body": ORIGINAL, "tagList": ["alpha", "beta"]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let slug = reply.json["article"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    edit(app, token, &slug, json!({"body": SECOND})).await;
    edit(
        app,
        token,
        &slug,
        json!({"title": "Versioned again", "description": "third", "body": THIRD, "tagList": ["beta", "gamma"]}),
    )
    .await;
    slug
}

async fn edit(app: &TestApp, token: &str, slug: &str, article: serde_json::Value) {
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(token),
            json!({ "article": article }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// The revision numbers a history page lists, in page order.
fn listed(body: &str) -> Vec<i32> {
    body.split("data-testid=\"revision\" data-number=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

/// Stored revisions of the article `slug` (by its id, so they are found even once the
/// article is gone).
async fn stored(app: &TestApp, article_id: i32) -> i64 {
    use conduit::db::schema::article_revisions;
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    db.run(move |conn| {
        article_revisions::table
            .filter(article_revisions::article_id.eq(article_id))
            .count()
            .get_result::<i64>(conn)
            .map_err(conduit::error::AppError::from)
    })
    .await
    .expect("count")
}

async fn article_id(app: &TestApp, slug: &str) -> i32 {
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    let slug = slug.to_owned();
    db.run(move |conn| {
        conduit::domain::articles::Article::find_by_slug(conn, &slug)
            .map_err(conduit::error::AppError::from)
    })
    .await
    .expect("query")
    .expect("article")
    .id
}

async fn each_save_is_a_revision_listed_newest_first(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = three_revisions(&app, &alice).await;
    // Saving the same content again adds nothing.
    edit(
        &app,
        &alice,
        &slug,
        json!({"body": THIRD, "title": "Versioned again"}),
    )
    .await;

    let browser = signed_in(&app, "alice").await;
    let article = browser.get(&format!("/article/{slug}")).await;
    assert!(
        article
            .expect(StatusCode::OK)
            .contains(&format!("href=\"/article/{slug}/history\">History</a>")),
        "the author sees the History link"
    );
    let page = browser.get(&format!("/article/{slug}/history")).await;
    let body = page.expect(StatusCode::OK);
    assert_eq!(listed(body), [3, 2, 1]);
    assert_eq!(page.count("class=\"revision-editor\">alice</a>"), 3);
    assert!(body.contains("+3 −0 lines"), "the original's lines: {body}");
    assert!(
        body.contains("+1 −1 lines"),
        "one line changed in revision 2"
    );
    assert!(body.contains(&format!(
        "/article/{slug}/history/diff?from=1&amp;to=2\">Changes</a>"
    )));
    assert_eq!(stored(&app, article_id(&app, &slug).await).await, 3);
}

async fn the_diff_shows_lines_and_fields_escaped(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = three_revisions(&app, &alice).await;
    let browser = signed_in(&app, "alice").await;
    let page = browser
        .get(&format!("/article/{slug}/history/diff?from=1&to=3"))
        .await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("<del>Line two</del>"), "{body}");
    assert!(body.contains("<ins>Line 2</ins>"));
    assert!(body.contains("<ins>Line three</ins>"));
    assert!(
        body.contains("<del>&#60;script&#62;alert(1)&#60;/script&#62;</del>"),
        "{body}"
    );
    assert!(!body.contains("<script>alert"), "never raw");
    assert!(
        body.contains("<td class=\"diff-text\">Line one</td>"),
        "context"
    );
    assert!(body.contains("<del class=\"diff-del\">Versioned</del>"));
    assert!(body.contains("<ins class=\"diff-ins\">Versioned again</ins>"));
    assert!(body.contains("<ins class=\"diff-ins\">third</ins>"));
    assert!(body.contains("<li class=\"diff-del\"><del>alpha</del></li>"));
    assert!(body.contains("<li class=\"diff-ins\"><ins>gamma</ins></li>"));
    assert!(body.contains("<li class=\"diff-same\">beta</li>"));
    assert!(body.contains("Restore revision 1</button>"));
    assert!(
        !body.contains("Restore revision 3"),
        "the current one is not offered"
    );

    // Without numbers: the newest against the one before; nonsense is a 404.
    let latest = browser.get(&format!("/article/{slug}/history/diff")).await;
    assert!(
        latest
            .expect(StatusCode::OK)
            .contains("Revision 2 → revision 3")
    );
    for bad in ["from=x&to=3", "from=1&to=99", "from=-1"] {
        let page = browser
            .get(&format!("/article/{slug}/history/diff?{bad}"))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{bad}");
    }
}

async fn restoring_brings_back_a_revision_everywhere_at_once(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = three_revisions(&app, &alice).await;
    let path = format!("/article/{slug}");
    // Warm the caches an anonymous reader and the API are served from.
    let anonymous = Browser::new(&app);
    assert!(anonymous.get(&path).await.body.contains("Line three"));
    let api = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(api.json["article"]["title"], "Versioned again");

    let browser = signed_in(&app, "alice").await;
    let diff = format!("{path}/history/diff?from=1&to=3");
    let done = browser
        .submit(&diff, &format!("{path}/history/1/restore"), &[])
        .await;
    done.assert_redirect(&path);
    let shown = browser.get(&path).await;
    assert!(
        shown
            .body
            .contains("Revision 1 is restored, as revision 4."),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("<h1>Versioned</h1>"));

    let api = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(api.json["article"]["title"], "Versioned");
    assert_eq!(api.json["article"]["description"], "first");
    assert_eq!(api.json["article"]["body"], ORIGINAL);
    assert_eq!(api.json["article"]["tagList"], json!(["alpha", "beta"]));
    assert_eq!(api.json["article"]["slug"], slug.as_str(), "the slug stays");
    let page = anonymous.get(&path).await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("Line two") && !body.contains("Line three"));

    let history = browser.get(&format!("{path}/history")).await;
    assert_eq!(listed(&history.body), [4, 3, 2, 1]);
    // Restoring what is already current records nothing.
    browser
        .submit(&diff, &format!("{path}/history/1/restore"), &[])
        .await
        .assert_redirect(&path);
    assert!(
        browser
            .get(&path)
            .await
            .body
            .contains("Revision 1 is already the current content.")
    );
    assert_eq!(stored(&app, article_id(&app, &slug).await).await, 4);
}

async fn strangers_get_not_found_and_change_nothing(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = three_revisions(&app, &alice).await;
    app.register("bob").await;
    let bob = signed_in(&app, "bob").await;
    let anonymous = Browser::new(&app);
    let path = format!("/article/{slug}");
    assert!(!bob.get(&path).await.body.contains("/history\">History"));
    for visitor in [&bob, &anonymous] {
        for page in [
            format!("{path}/history"),
            format!("{path}/history/diff?from=1&to=3"),
        ] {
            assert_eq!(
                visitor.get(&page).await.status,
                StatusCode::NOT_FOUND,
                "{page}"
            );
        }
    }
    let token = bob.get("/settings").await.csrf();
    let refused = bob
        .post_raw(
            &format!("{path}/history/1/restore"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let refused = anonymous
        .post_raw(&format!("{path}/history/1/restore"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let api = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(api.json["article"]["body"], THIRD, "nothing changed");
    assert_eq!(stored(&app, article_id(&app, &slug).await).await, 3);
    // A missing article's history is as missing.
    assert_eq!(
        bob.get("/article/no-such-article/history").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn staff_read_the_history_but_cannot_restore(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = three_revisions(&app, &alice).await;
    with_role(&app, "mod", "moderator").await;
    let staff = signed_in(&app, "mod").await;
    let path = format!("/article/{slug}");
    assert!(
        staff
            .get(&path)
            .await
            .body
            .contains(&format!("href=\"/article/{slug}/history\">History</a>"))
    );
    let history = staff.get(&format!("{path}/history")).await;
    assert_eq!(listed(history.expect(StatusCode::OK)), [3, 2, 1]);
    let diff = staff.get(&format!("{path}/history/diff?from=1&to=3")).await;
    let body = diff.expect(StatusCode::OK);
    assert!(body.contains("<ins>Line three</ins>"));
    assert!(
        !body.contains("Restore revision"),
        "only the author restores"
    );
    let token = staff.get("/settings").await.csrf();
    let refused = staff
        .post_raw(
            &format!("{path}/history/1/restore"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let api = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(api.json["article"]["body"], THIRD, "nothing changed");
}

async fn the_history_keeps_the_original_and_the_newest(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Busy", &[]).await;
    // 1 + 55 saves: numbers 1..=56, of which the original and 8..=56 stay.
    for i in 0..55 {
        edit(&app, &alice, &slug, json!({"body": format!("Version {i}")})).await;
    }
    let id = article_id(&app, &slug).await;
    assert_eq!(stored(&app, id).await, 50);
    let browser = signed_in(&app, "alice").await;
    let history = browser.get(&format!("/article/{slug}/history")).await;
    let numbers = listed(history.expect(StatusCode::OK));
    let mut expected: Vec<i32> = (8..=56).rev().collect();
    expected.push(1);
    assert_eq!(numbers, expected);
    let diff = browser
        .get(&format!("/article/{slug}/history/diff?from=1&to=56"))
        .await;
    assert!(
        diff.expect(StatusCode::OK)
            .contains("<ins>Version 54</ins>")
    );
}

async fn deleting_the_article_deletes_its_revisions(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = three_revisions(&app, &alice).await;
    let id = article_id(&app, &slug).await;
    assert_eq!(stored(&app, id).await, 3);
    let reply = app
        .delete(&format!("/api/articles/{slug}"), Some(&alice))
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    assert_eq!(stored(&app, id).await, 0);
}

async fn the_api_lists_revisions_for_the_author_and_staff(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = three_revisions(&app, &alice).await;
    let path = format!("/api/articles/{slug}/revisions");
    let reply = app.get(&path, Some(&alice)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["revisionsCount"], 3);
    let revisions = reply.json["revisions"].as_array().expect("a list");
    let numbers: Vec<i64> = revisions
        .iter()
        .filter_map(|r| r["number"].as_i64())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(revisions[0]["editor"], "alice");
    assert_eq!(revisions[0]["title"], "Versioned again");
    assert_eq!(revisions[2]["addedLines"], 3);
    assert!(
        revisions[0]["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let staff = with_role(&app, "mod", "moderator").await;
    assert_eq!(app.get(&path, Some(&staff)).await.status, StatusCode::OK);
    let bob = app.register("bob").await;
    let refused = app.get(&path, Some(&bob)).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(
        refused.json["errors"]["article"].is_array(),
        "{}",
        refused.text
    );
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
}

async fn racing_edits_each_get_a_number(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Raced", &[]).await;
    // Eight edits at once: each is a revision of its own, none fails on the numbering.
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let request = app
                .client
                .put(format!("{}/api/articles/{slug}", app.address))
                .insert_header(("Authorization", format!("Token {alice}")));
            actix_web::rt::spawn(async move {
                let body = json!({"article": {"body": format!("Raced body {i}")}});
                request.send_json(&body).await.expect("answered").status()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.await.expect("task"), StatusCode::OK);
    }
    let browser = signed_in(&app, "alice").await;
    let history = browser.get(&format!("/article/{slug}/history")).await;
    assert_eq!(listed(&history.body), (1..=9).rev().collect::<Vec<i32>>());
}
