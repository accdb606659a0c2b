//! The home page, tag pages, feeds, pagination, 404s and static files.

use awc::http::StatusCode;

use super::browser::Browser;
use crate::helpers::TestApp;
use crate::tests;

tests![
    home_shows_articles_and_popular_tags,
    empty_home_says_so,
    your_feed_sends_anonymous_visitors_to_login,
    your_feed_lists_followed_authors_only,
    tag_page_filters_by_tag,
    pagination_moves_through_pages,
    unknown_pages_get_the_html_404,
    static_files_are_fingerprinted_and_cached,
    many_authors_on_one_page_render,
];

async fn home_shows_articles_and_popular_tags(app: TestApp) {
    let token = app.register("alice").await;
    app.publish(&token, "Learning Rust", &["rust", "beginners"])
        .await;
    let page = Browser::new(&app).get("/").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("class=\"banner\""));
    assert!(body.contains("Learning Rust"));
    assert!(body.contains("class=\"article-preview\""));
    assert!(body.contains("class=\"preview-link\" href=\"/article/learning-rust\""));
    assert!(body.contains(">Global Feed</a>"));
    assert!(
        !body.contains("Your Feed"),
        "anonymous visitors have no feed"
    );
    assert!(body.contains("class=\"sidebar\""));
    assert!(body.contains("<a class=\"tag-pill tag-default\" href=\"/tag/rust\">rust</a>"));
    assert!(body.contains("default-avatar.svg"), "alice has no image");
    assert!(body.contains("data-auth-state=\"unauthenticated\""));
    assert!(body.contains(">Sign in</a>"));
    assert!(body.contains("class=\"nav-link active\" href=\"/\""));
}

async fn empty_home_says_so(app: TestApp) {
    let page = Browser::new(&app).get("/").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("<div class=\"empty-feed-message\">No articles are here... yet.</div>"));
    assert!(!body.contains("class=\"pagination\""));
}

async fn your_feed_sends_anonymous_visitors_to_login(app: TestApp) {
    Browser::new(&app)
        .get("/?feed=following")
        .await
        .assert_redirect("/login");
}

async fn your_feed_lists_followed_authors_only(app: TestApp) {
    let alice = app.register("alice").await;
    let carol = app.register("carol").await;
    let bob = app.register("bob").await;
    app.publish(&alice, "By Alice", &[]).await;
    app.publish(&carol, "By Carol", &[]).await;
    let reply = app
        .post(
            "/api/profiles/alice/follow",
            Some(&bob),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    let browser = Browser::new(&app);
    browser.sign_in("bob").await;
    let page = browser.get("/?feed=following").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("By Alice"));
    assert!(!body.contains("By Carol"));
    assert!(body.contains("class=\"nav-link active\" href=\"/?feed=following\""));
    let global = browser.get("/").await;
    assert!(global.body.contains("By Carol") && global.body.contains("Your Feed"));

    app.register("dave").await;
    let lonely = Browser::new(&app);
    lonely.sign_in("dave").await;
    let empty = lonely.get("/?feed=following").await;
    let body = empty.expect(StatusCode::OK);
    assert!(body.contains("<div class=\"empty-feed-message\">"));
    assert!(body.contains("Your feed is empty."));
    assert!(body.contains("read the <a href=\"/\">Global Feed</a>"));
    assert!(!body.contains("By Alice"));
}

async fn tag_page_filters_by_tag(app: TestApp) {
    let token = app.register("alice").await;
    app.publish(&token, "Rusty", &["rust"]).await;
    app.publish(&token, "Pythonic", &["python"]).await;
    let browser = Browser::new(&app);
    let body = browser
        .get("/tag/rust")
        .await
        .expect(StatusCode::OK)
        .to_owned();
    assert!(body.contains("Rusty") && !body.contains("Pythonic"));
    assert!(body.contains("class=\"nav-link active\" href=\"/tag/rust\""));
    let none = browser.get("/tag/nothing-here").await;
    assert!(
        none.expect(StatusCode::OK)
            .contains("No articles are here... yet.")
    );
}

async fn pagination_moves_through_pages(app: TestApp) {
    let token = app.register("alice").await;
    for i in 1..=11 {
        app.publish(&token, &format!("Article number {i}"), &["paged"])
            .await;
    }
    let browser = Browser::new(&app);
    let first = browser.get("/").await;
    assert_eq!(first.count("class=\"article-preview\""), 10);
    assert!(first.body.contains("Article number 11"), "newest first");
    assert!(
        first
            .body
            .contains("<form class=\"pagination-form\" method=\"get\" action=\"/\">")
    );
    assert!(first.body.contains(
        "<li class=\"page-item active\"><button class=\"page-link\" type=\"submit\" name=\"page\" value=\"1\" aria-current=\"page\">1</button>"
    ));
    assert!(first.body.contains(
        "<li class=\"page-item\"><button class=\"page-link\" type=\"submit\" name=\"page\" value=\"2\">2</button>"
    ));

    let second = browser.get("/?page=2").await;
    assert_eq!(second.count("class=\"article-preview\""), 1);
    assert!(second.body.contains("Article number 1<"));
    assert!(
        second
            .body
            .contains("<li class=\"page-item active\"><button class=\"page-link\" type=\"submit\" name=\"page\" value=\"2\" aria-current=\"page\">")
    );

    let tagged = browser.get("/tag/paged?page=2").await;
    assert_eq!(tagged.count("class=\"article-preview\""), 1);
    assert!(tagged.body.contains("action=\"/tag/paged\""));

    let beyond = browser.get("/?page=9").await;
    assert!(beyond.body.contains("No articles are here... yet."));
    let nonsense = browser.get("/?page=abc").await;
    assert_eq!(nonsense.count("class=\"article-preview\""), 10);
}

async fn unknown_pages_get_the_html_404(app: TestApp) {
    let browser = Browser::new(&app);
    for path in [
        "/no/such/page",
        "/article/missing",
        "/profile/nobody",
        "/static/nope.css",
        // Under a first segment that has routes, but none of them this one.
        "/article/missing/nothing",
        "/settings/nothing",
        "/editor/a/b",
    ] {
        let page = browser.get(path).await;
        let body = page.expect(StatusCode::NOT_FOUND);
        assert!(body.contains("<h1>Page not found</h1>"), "{path}");
        assert!(body.contains("class=\"navbar\""), "{path} uses the layout");
    }
    for path in [
        "/api/no/such/thing",
        "/api/articles/some-slug/nothing",
        "/api/user/nothing",
    ] {
        let api = app.get(path, None).await;
        assert_eq!(api.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            api.json["errors"].is_object(),
            "{path}: the API keeps JSON errors"
        );
    }
}

async fn static_files_are_fingerprinted_and_cached(app: TestApp) {
    let browser = Browser::new(&app);
    let home = browser.get("/").await;
    for file in ["app.css", "app.js"] {
        let marker = format!("/static/{file}?v=");
        let start = home.body.find(&marker).expect("asset is linked");
        let end = home.body[start..].find('"').expect("url ends") + start;
        let asset = browser.get(&home.body[start..end]).await;
        assert_eq!(asset.status, StatusCode::OK);
        assert_eq!(
            asset
                .headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("public, max-age=31536000, immutable")
        );
    }
    let avatar = browser.get("/static/img/default-avatar.svg").await;
    assert!(avatar.expect(StatusCode::OK).contains("<svg"));
    let js = browser.get("/static/app.js").await;
    assert!(js.body.contains("__conduit_debug__"));
}

async fn many_authors_on_one_page_render(app: TestApp) {
    // Ten authors, each with tags: the page comes from the domain's batched loaders.
    for i in 0..10 {
        let token = app.register(&format!("writer{i}")).await;
        app.publish(
            &token,
            &format!("Post {i}"),
            &["shared", &format!("own{i}")],
        )
        .await;
    }
    let page = Browser::new(&app).get("/").await;
    let body = page.expect(StatusCode::OK);
    for i in 0..10 {
        assert!(body.contains(&format!(">writer{i}</a>")));
        assert!(body.contains(&format!(">own{i}</li>")));
    }
}
