//! Writing and editing articles through the editor.

use awc::http::StatusCode;

use super::browser::Browser;
use crate::helpers::TestApp;
use crate::tests;

tests![
    editor_needs_a_signed_in_user,
    publishing_goes_to_the_article,
    refused_article_keeps_the_draft,
    authors_edit_their_articles,
    others_cannot_edit_or_delete,
];

async fn editor_needs_a_signed_in_user(app: TestApp) {
    let browser = Browser::new(&app);
    browser.get("/editor").await.assert_redirect("/login");
    browser.get("/settings").await.assert_redirect("/login");
    let token = browser.get("/login").await.csrf();
    browser
        .post_raw(
            "/editor",
            &[
                ("csrf_token", &token),
                ("title", "t"),
                ("description", "d"),
                ("body", "b"),
            ],
        )
        .await
        .assert_redirect("/login");
}

async fn publishing_goes_to_the_article(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    let form = browser.get("/editor").await;
    let body = form.expect(StatusCode::OK);
    for field in [
        "type=\"text\" name=\"title\"",
        "name=\"description\"",
        "textarea id=\"body\" name=\"body\"",
        "placeholder=\"Enter tags\"",
    ] {
        assert!(body.contains(field), "{field}");
    }
    assert!(body.contains("Publish Article</button>"));
    let page = browser
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", "My First Post"),
                ("description", "All about it"),
                ("body", "Hello **world**"),
                ("tags", "rust, web  intro"),
            ],
        )
        .await;
    page.assert_redirect("/article/my-first-post");
    let article = browser.get("/article/my-first-post").await;
    let body = article.expect(StatusCode::OK);
    assert!(body.contains("<h1>My First Post</h1>"));
    assert!(body.contains("<strong>world</strong>"));
    for tag in ["rust", "web", "intro"] {
        assert!(
            body.contains(&format!(
                "<li class=\"tag-default tag-pill tag-outline\">{tag}</li>"
            )),
            "{tag}"
        );
    }
    assert!(body.contains("Your article is published."));
}

async fn refused_article_keeps_the_draft(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    let page = browser
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", " "),
                ("description", "kept description"),
                ("body", "kept body"),
                ("tags", "kept-tag"),
            ],
        )
        .await;
    let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<li>title can&#39;t be blank</li>"), "{body}");
    assert!(body.contains("value=\"kept description\""));
    assert!(body.contains(">kept body</textarea>"));
    assert!(body.contains("value=\"kept-tag\""));
}

async fn authors_edit_their_articles(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    browser
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", "Draft title"),
                ("description", "d"),
                ("body", "b"),
                ("tags", "one two"),
            ],
        )
        .await
        .assert_redirect("/article/draft-title");
    let form = browser.get("/editor/draft-title").await;
    let body = form.expect(StatusCode::OK);
    assert!(body.contains("value=\"Draft title\""));
    assert!(body.contains("value=\"one, two\""));
    assert!(body.contains("action=\"/editor/draft-title\""));
    browser
        .submit(
            "/editor/draft-title",
            "/editor/draft-title",
            &[
                ("title", "Final title"),
                ("description", "d2"),
                ("body", "b2"),
                ("tags", "two three"),
            ],
        )
        .await
        .assert_redirect("/article/draft-title");
    let article = browser.get("/article/draft-title").await;
    assert!(article.body.contains("<h1>Final title</h1>"));
    assert!(article.body.contains(">three</li>") && !article.body.contains(">one</li>"));
    let refused = browser
        .submit(
            "/editor/draft-title",
            "/editor/draft-title",
            &[("title", "x"), ("description", ""), ("body", "b")],
        )
        .await;
    assert!(
        refused
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("description can&#39;t be blank")
    );
}

async fn others_cannot_edit_or_delete(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Alice writes", &[]).await;
    app.register("mallory").await;
    let browser = Browser::new(&app);
    browser.sign_in("mallory").await;

    let form = browser.get(&format!("/editor/{slug}")).await;
    assert!(
        form.expect(StatusCode::FORBIDDEN)
            .contains("You can&#39;t do that")
    );
    let article = browser.get(&format!("/article/{slug}")).await;
    assert!(!article.body.contains("Edit Article") && !article.body.contains("Delete Article"));

    let edit = browser
        .submit(
            "/",
            &format!("/editor/{slug}"),
            &[
                ("title", "Hacked"),
                ("description", "d"),
                ("body", "b"),
                ("tags", ""),
            ],
        )
        .await;
    edit.expect(StatusCode::FORBIDDEN);
    let delete = browser
        .submit("/", &format!("/article/{slug}/delete"), &[])
        .await;
    delete.expect(StatusCode::FORBIDDEN);
    let still = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(still.json["article"]["title"], "Alice writes");
    browser
        .get("/editor/missing")
        .await
        .expect(StatusCode::NOT_FOUND);
}
