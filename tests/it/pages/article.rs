//! The article page: Markdown, favorites, following, comments and deletion.

use awc::http::StatusCode;
use serde_json::json;

use super::browser::Browser;
use crate::helpers::TestApp;
use crate::tests;

tests![
    anonymous_readers_see_the_article,
    authors_see_edit_and_delete,
    favorite_and_unfavorite_go_back,
    next_only_goes_to_local_paths,
    comments_are_posted_and_deleted,
    blank_comment_is_refused_in_place,
    others_cannot_delete_comments,
    authors_delete_comments_on_their_articles,
    deleting_an_article_asks_first_then_goes_home,
    markdown_cannot_inject_script,
];

async fn anonymous_readers_see_the_article(app: TestApp) {
    let token = app.register("alice").await;
    let slug = app.publish(&token, "Readable", &["reading"]).await;
    let page = Browser::new(&app).get(&format!("/article/{slug}")).await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("class=\"article-page\""));
    assert!(body.contains("<div class=\"article-content\">"));
    assert!(
        body.contains("<h1 id=\"h-heading\">Heading<a class=\"anchor\"")
            && body.contains("<em>text</em>")
    );
    assert!(body.contains("class=\"author\" href=\"/profile/alice\">alice</a>"));
    assert!(body.contains("default-avatar.svg"));
    assert!(body.contains("Follow alice</button>"));
    assert!(body.contains(
        "btn-outline-primary\"><i class=\"ion-heart\" aria-hidden=\"true\"></i> Favorite Article"
    ));
    assert!(
        !body.contains("placeholder=\"Write a comment...\""),
        "no comment form when signed out"
    );
    assert!(body.contains("to add comments on this article"));
}

async fn authors_see_edit_and_delete(app: TestApp) {
    let token = app.register("alice").await;
    let slug = app.publish(&token, "Mine", &[]).await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let body = browser.get(&format!("/article/{slug}")).await.body;
    assert!(body.contains(&format!(
        "href=\"/editor/{slug}\"><i class=\"ion-edit\" aria-hidden=\"true\"></i> Edit Article</a>"
    )));
    assert!(body.contains("Delete Article</button>"));
    assert!(!body.contains("Follow alice"), "no following oneself");
    assert!(body.contains("placeholder=\"Write a comment...\""));
}

async fn favorite_and_unfavorite_go_back(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Lovely", &[]).await;
    app.register("bob").await;
    let browser = Browser::new(&app);
    browser.sign_in("bob").await;
    let path = format!("/article/{slug}");
    browser
        .submit(&path, &format!("{path}/favorite"), &[("next", &path)])
        .await
        .assert_redirect(&path);
    let body = browser.get(&path).await.body;
    assert!(body.contains("btn-primary\"><i class=\"ion-heart\" aria-hidden=\"true\"></i> Unfavorite Article <span class=\"counter\">(1)</span>"));
    let mine = browser.get("/profile/bob/favorites").await;
    assert!(mine.body.contains("Lovely"));

    browser
        .submit("/", &format!("{path}/unfavorite"), &[("next", "/?page=1")])
        .await
        .assert_redirect("/?page=1");
    let home = browser.get("/").await;
    assert!(
        home.body
            .contains("btn btn-sm btn-outline-primary\" aria-pressed=\"false\"")
    );

    browser
        .submit(&path, "/profile/alice/follow", &[("next", &path)])
        .await
        .assert_redirect(&path);
    assert!(
        browser
            .get(&path)
            .await
            .body
            .contains("Unfollow alice</button>")
    );
}

async fn next_only_goes_to_local_paths(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Safe", &[]).await;
    app.register("bob").await;
    let browser = Browser::new(&app);
    browser.sign_in("bob").await;
    for evil in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
    ] {
        browser
            .submit("/", &format!("/article/{slug}/favorite"), &[("next", evil)])
            .await
            .assert_redirect(&format!("/article/{slug}"));
    }
}

async fn comments_are_posted_and_deleted(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Discuss", &[]).await;
    app.register("bob").await;
    let browser = Browser::new(&app);
    browser.sign_in("bob").await;
    let path = format!("/article/{slug}");
    browser
        .submit(
            &path,
            &format!("{path}/comments"),
            &[("body", "Nice <b>post</b>!")],
        )
        .await
        .assert_redirect(&format!("{path}#comments"));
    let page = browser.get(&path).await;
    let body = page.expect(StatusCode::OK);
    assert!(
        body.contains("<p class=\"card-text\">Nice &#60;b&#62;post&#60;/b&#62;!</p>"),
        "{body}"
    );
    assert!(body.contains("class=\"comment-author-img\""));
    assert!(body.contains("<i class=\"ion-trash-a\" aria-hidden=\"true\"></i>"));
    let id = app
        .get(&format!("/api/articles/{slug}/comments"), None)
        .await
        .json["comments"][0]["id"]
        .as_i64()
        .expect("comment id");
    browser
        .submit(&path, &format!("{path}/comments/{id}/delete"), &[])
        .await
        .assert_redirect(&format!("{path}#comments"));
    assert!(!browser.get(&path).await.body.contains("card-text"));
}

async fn blank_comment_is_refused_in_place(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Quiet", &[]).await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let path = format!("/article/{slug}");
    let page = browser
        .submit(&path, &format!("{path}/comments"), &[("body", "   ")])
        .await;
    let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<li>body can&#39;t be blank</li>"));
    assert!(body.contains("<h1>Quiet</h1>"));
}

async fn others_cannot_delete_comments(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Mine to moderate?", &[]).await;
    let reply = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(&alice),
            json!({"comment": {"body": "first"}}),
        )
        .await;
    let id = reply.json["comment"]["id"].as_i64().expect("id");
    app.register("mallory").await;
    let browser = Browser::new(&app);
    browser.sign_in("mallory").await;
    let path = format!("/article/{slug}");
    assert!(!browser.get(&path).await.body.contains("ion-trash-a"));
    browser
        .submit(&path, &format!("{path}/comments/{id}/delete"), &[])
        .await
        .expect(StatusCode::FORBIDDEN);
}

async fn authors_delete_comments_on_their_articles(app: TestApp) {
    crate::admin::create_admin(&app, "boss");
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let slug = app.publish(&alice, "My corner", &[]).await;
    let id = crate::admin::comment(&app, &bob, &slug, "an unkind remark").await;
    let path = format!("/article/{slug}");

    let author = Browser::new(&app);
    author.sign_in("alice").await;
    let body = author.get(&path).await.body;
    assert!(body.contains(&format!("{path}/comments/{id}/delete")));
    assert!(body.contains("aria-label=\"Delete comment by bob\""));
    author
        .submit(&path, &format!("{path}/comments/{id}/delete"), &[])
        .await
        .assert_redirect(&format!("{path}#comments"));
    assert!(!author.get(&path).await.body.contains("an unkind remark"));

    // Written to the audit log, with who wrote the comment.
    let admin = crate::admin::signed_in(&app, "boss").await;
    assert_eq!(
        crate::admin::audit_total(&admin, "action=comment.delete_on_own_article&actor=alice").await,
        1
    );
    let log = admin
        .get("/admin/audit?action=comment.delete_on_own_article")
        .await;
    assert!(log.body.contains("written by bob"), "{}", log.body);
    // Deleting one's own comment on one's own article is not a moderation act.
    let own = crate::admin::comment(&app, &alice, &slug, "my own note").await;
    author
        .submit(&path, &format!("{path}/comments/{own}/delete"), &[])
        .await
        .assert_redirect(&format!("{path}#comments"));
    assert_eq!(
        crate::admin::audit_total(&admin, "action=comment.delete_on_own_article").await,
        1
    );
}

async fn deleting_an_article_asks_first_then_goes_home(app: TestApp) {
    let token = app.register("alice").await;
    let slug = app.publish(&token, "Short lived", &[]).await;
    let path = format!("/article/{slug}");
    app.register("mallory").await;
    let other = Browser::new(&app);
    other.sign_in("mallory").await;
    other
        .submit(&path, &format!("{path}/delete"), &[])
        .await
        .expect(StatusCode::FORBIDDEN);
    other
        .submit(&path, &format!("{path}/delete"), &[("confirm", "yes")])
        .await
        .expect(StatusCode::FORBIDDEN);

    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let article = browser.get(&path).await;
    assert!(article.body.contains("data-confirm=\"Delete “Short lived”"));
    let ask = browser.submit(&path, &format!("{path}/delete"), &[]).await;
    let body = ask.expect(StatusCode::OK);
    assert!(body.contains("<h1>Please confirm</h1>"));
    assert!(body.contains("Delete “Short lived” with its comments and favorites?"));
    assert!(body.contains(&format!("action=\"{path}/delete\"")));
    assert!(body.contains("<input type=\"hidden\" name=\"confirm\" value=\"yes\">"));
    assert!(body.contains(&format!("href=\"{path}\">Cancel</a>")));
    browser.get(&path).await.expect(StatusCode::OK);

    browser
        .submit(&path, &format!("{path}/delete"), &[("confirm", "yes")])
        .await
        .assert_redirect("/");
    assert!(
        browser
            .get("/")
            .await
            .body
            .contains("The article was deleted.")
    );
    browser.get(&path).await.expect(StatusCode::NOT_FOUND);
}

async fn markdown_cannot_inject_script(app: TestApp) {
    let token = app.register("alice").await;
    let reply = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {
                "title": "<script>alert('title')</script>",
                "description": "<img src=x onerror=alert(1)>",
                "body": "<script>alert('body')</script>\n\n<a href=\"javascript:alert(2)\">x</a> <img src=\"y.png\" onerror=\"alert(3)\">\n\n```rust\nlet a = 1;\n```",
                "tagList": []
            }}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let slug = reply.json["article"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    let browser = Browser::new(&app);
    let body = browser.get(&format!("/article/{slug}")).await.body;
    let lower = body.to_ascii_lowercase();
    assert!(!lower.contains("<script>alert"), "{body}");
    assert!(!lower.contains("onerror=\"alert") && !lower.contains("<img src=x"));
    assert!(!lower.contains("javascript:"));
    assert!(
        body.contains("&#60;script&#62;alert(&#39;title&#39;)&#60;/script&#62;"),
        "titles are escaped"
    );
    assert!(body.contains("<code class=\"language-rust\">"));
    let home = browser.get("/").await.body.to_ascii_lowercase();
    assert!(!home.contains("<script>alert") && !home.contains("<img src=x"));
}
