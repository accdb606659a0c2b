//! Renaming and merging tags: articles keep their tags, never twice.

use awc::http::StatusCode;

use super::{audit_total, create_admin, post, signed_in, with_role};
use crate::helpers::TestApp;
use crate::tests;

tests![
    merging_tags_keeps_articles_tagged_once,
    renaming_a_tag_renames_it_everywhere
];

async fn tags_of(app: &TestApp, slug: &str) -> Vec<String> {
    let reply = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["article"]["tagList"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect()
}

async fn merging_tags_keeps_articles_tagged_once(app: TestApp) {
    create_admin(&app, "boss");
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let both = app
        .publish(&author, "Both", &["js", "javascript", "web"])
        .await;
    let short = app.publish(&author, "Short", &["js"]).await;
    let long = app.publish(&author, "Long", &["javascript"]).await;

    let moderator = signed_in(&app, "modest").await;
    let page = post(
        &moderator,
        "/admin/tags/merge",
        &[("from", "js"), ("into", "javascript")],
    )
    .await;
    assert!(
        page.expect(StatusCode::OK)
            .contains("Merge “js” into “javascript”?")
    );
    assert_eq!(
        tags_of(&app, &short).await,
        vec!["js"],
        "not merged before confirming"
    );
    post(
        &moderator,
        "/admin/tags/merge",
        &[("from", "js"), ("into", "javascript"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/tags");

    assert_eq!(tags_of(&app, &both).await, vec!["javascript", "web"]);
    assert_eq!(tags_of(&app, &short).await, vec!["javascript"]);
    assert_eq!(tags_of(&app, &long).await, vec!["javascript"]);
    let tags = app.get("/api/tags", None).await.json["tags"].clone();
    assert!(!tags.as_array().expect("tags").iter().any(|t| t == "js"));
    assert_eq!(
        app.get("/api/articles?tag=javascript", None).await.json["articlesCount"],
        3
    );
    assert_eq!(
        app.get("/api/articles?tag=js", None).await.json["articlesCount"],
        0
    );
    let page = moderator.get("/admin/tags").await;
    assert!(
        page.body
            .contains("<td><a href=\"/tag/javascript\">javascript</a></td><td>3</td>"),
        "{}",
        page.body
    );

    // Merging a tag into itself or into nothing is refused in place, before any
    // confirmation is asked.
    for into in ["web", " web "] {
        let page = post(
            &moderator,
            "/admin/tags/merge",
            &[("from", "web"), ("into", into)],
        )
        .await;
        let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("into must be another tag"), "{body}");
        assert!(!body.contains("Please confirm"));
    }
    let page = post(
        &moderator,
        "/admin/tags/merge",
        &[("from", "web"), ("into", "web"), ("confirm", "yes")],
    )
    .await;
    assert!(
        page.expect(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("into must be another tag")
    );
    let page = post(
        &moderator,
        "/admin/tags/merge",
        &[("from", "nothing"), ("into", "web"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    let admin = signed_in(&app, "boss").await;
    assert_eq!(audit_total(&admin, "action=tag.merge").await, 1);
}

async fn renaming_a_tag_renames_it_everywhere(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let one = app.publish(&author, "One", &["rust-lang", "systems"]).await;
    let two = app.publish(&author, "Two", &["rust-lang"]).await;
    let moderator = signed_in(&app, "modest").await;
    post(
        &moderator,
        "/admin/tags/rename",
        &[("from", "rust-lang"), ("to", " rust ")],
    )
    .await
    .assert_redirect("/admin/tags");
    assert_eq!(tags_of(&app, &one).await, vec!["rust", "systems"]);
    assert_eq!(tags_of(&app, &two).await, vec!["rust"]);
    // Renaming onto an existing tag is refused (merge instead), input kept.
    let page = post(
        &moderator,
        "/admin/tags/rename",
        &[("from", "rust"), ("to", "systems")],
    )
    .await;
    let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("name is already a tag (merge the two instead)"),
        "{body}"
    );
    assert!(body.contains("value=\"systems\""));
    assert_eq!(tags_of(&app, &two).await, vec!["rust"]);
}
