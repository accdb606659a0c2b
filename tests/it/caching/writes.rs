//! After each kind of write, the next read shows it: through the API and the pages,
//! with every cache warmed first so a stale entry would be seen.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::pages::browser::Browser;
use crate::tests;

tests![
    article_writes_show_at_once,
    comments_show_at_once,
    favorites_show_at_once,
    profile_edits_show_at_once,
    follows_show_at_once,
    feeds_show_new_and_deleted_articles,
];

/// Reads everything an anonymous reader and the site would cache for `slug`.
async fn warm(app: &TestApp, browser: &Browser, slug: &str) {
    for path in [
        "/api/articles".to_owned(),
        "/api/articles?tag=cached".to_owned(),
        "/api/articles?author=writer".to_owned(),
        "/api/articles?favorited=reader".to_owned(),
        "/api/tags".to_owned(),
        format!("/api/articles/{slug}"),
        format!("/api/articles/{slug}/comments"),
        "/api/profiles/writer".to_owned(),
    ] {
        // Twice: the second read is served from the cache.
        app.get(&path, None).await;
        app.get(&path, None).await;
    }
    for path in [
        "/".to_owned(),
        "/tag/cached".to_owned(),
        format!("/article/{slug}"),
        "/profile/writer".to_owned(),
        "/profile/reader/favorites".to_owned(),
    ] {
        browser.get(&path).await;
        browser.get(&path).await;
    }
}

async fn article_writes_show_at_once(app: TestApp) {
    let writer = app.register("writer").await;
    let browser = Browser::new(&app);
    let first = app.publish(&writer, "First cached", &["cached"]).await;
    warm(&app, &browser, &first).await;

    // Created: every list, count and the tag list.
    let second = app.publish(&writer, "Second cached", &["fresh"]).await;
    let list = app.get("/api/articles", None).await;
    assert_eq!(list.json["articlesCount"], 2, "{}", list.text);
    assert_eq!(list.json["articles"][0]["slug"], second.as_str());
    let by_author = app.get("/api/articles?author=writer", None).await;
    assert_eq!(by_author.json["articlesCount"], 2);
    let tags = app.get("/api/tags", None).await;
    assert!(tags.text.contains("fresh"), "{}", tags.text);
    let home = browser.get("/").await;
    assert!(home.body.contains("Second cached"));
    assert!(home.body.contains("href=\"/tag/fresh\""));

    // Edited: title, body (rendered Markdown) and tags.
    let edit = json!({"article": {"title": "First renamed", "body": "Now **bold**", "tagList": ["recut"]}});
    let reply = app
        .put(&format!("/api/articles/{first}"), Some(&writer), edit)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let one = app.get(&format!("/api/articles/{first}"), None).await;
    assert_eq!(one.json["article"]["title"], "First renamed");
    assert_eq!(one.json["article"]["body"], "Now **bold**");
    assert_eq!(one.json["article"]["tagList"], json!(["recut"]));
    let page = browser.get(&format!("/article/{first}")).await;
    assert!(page.body.contains("<strong>bold</strong>"), "{}", page.body);
    assert!(page.body.contains("First renamed"));
    let tagged = app.get("/api/articles?tag=cached", None).await;
    assert_eq!(tagged.json["articlesCount"], 0, "{}", tagged.text);
    assert!(!browser.get("/tag/cached").await.body.contains("First"));
    let tags = app.get("/api/tags", None).await;
    assert!(!tags.text.contains("\"cached\""), "{}", tags.text);
    assert!(browser.get("/").await.body.contains("First renamed"));

    // Deleted: gone from the article routes and every list.
    let reply = app
        .delete(&format!("/api/articles/{first}"), Some(&writer))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let gone = app.get(&format!("/api/articles/{first}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let page = browser.get(&format!("/article/{first}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let list = app.get("/api/articles", None).await;
    assert_eq!(list.json["articlesCount"], 1);
    assert!(!browser.get("/").await.body.contains("First renamed"));
    assert!(!app.get("/api/tags", None).await.text.contains("recut"));
}

async fn comments_show_at_once(app: TestApp) {
    let writer = app.register("writer").await;
    let reader = app.register("reader").await;
    let browser = Browser::new(&app);
    let slug = app.publish(&writer, "Discussed", &["cached"]).await;
    warm(&app, &browser, &slug).await;

    let comment = json!({"comment": {"body": "A cached remark"}});
    let reply = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(&reader),
            comment,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.json["comment"]["id"].as_i64().expect("id");
    let listed = app
        .get(&format!("/api/articles/{slug}/comments"), None)
        .await;
    assert_eq!(listed.json["comments"][0]["body"], "A cached remark");
    assert!(
        browser
            .get(&format!("/article/{slug}"))
            .await
            .body
            .contains("A cached remark")
    );

    let reply = app
        .delete(
            &format!("/api/articles/{slug}/comments/{id}"),
            Some(&reader),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let listed = app
        .get(&format!("/api/articles/{slug}/comments"), None)
        .await;
    assert_eq!(listed.json["comments"], json!([]));
    assert!(
        !browser
            .get(&format!("/article/{slug}"))
            .await
            .body
            .contains("A cached remark")
    );
}

async fn favorites_show_at_once(app: TestApp) {
    let writer = app.register("writer").await;
    let reader = app.register("reader").await;
    let browser = Browser::new(&app);
    let slug = app.publish(&writer, "Liked", &["cached"]).await;
    warm(&app, &browser, &slug).await;

    let path = format!("/api/articles/{slug}/favorite");
    app.post(&path, Some(&reader), json!({})).await;
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(one.json["article"]["favoritesCount"], 1);
    assert_eq!(one.json["article"]["favorited"], false, "anonymous view");
    let list = app.get("/api/articles", None).await;
    assert_eq!(list.json["articles"][0]["favoritesCount"], 1);
    let favorites = app.get("/api/articles?favorited=reader", None).await;
    assert_eq!(favorites.json["articlesCount"], 1, "{}", favorites.text);
    let page = browser.get("/profile/reader/favorites").await;
    assert!(page.body.contains("Liked"));
    let page = browser.get(&format!("/article/{slug}")).await;
    assert!(page.body.contains("<span class=\"counter\">(1)</span>"));

    app.delete(&path, Some(&reader)).await;
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(one.json["article"]["favoritesCount"], 0);
    let favorites = app.get("/api/articles?favorited=reader", None).await;
    assert_eq!(favorites.json["articlesCount"], 0);
    assert!(
        !browser
            .get("/profile/reader/favorites")
            .await
            .body
            .contains("Liked")
    );
}

async fn profile_edits_show_at_once(app: TestApp) {
    let writer = app.register("writer").await;
    let browser = Browser::new(&app);
    let slug = app.publish(&writer, "Signed", &["cached"]).await;
    warm(&app, &browser, &slug).await;

    let change = json!({"user": {"bio": "New cached bio", "username": "penname"}});
    let reply = app.put("/api/user", Some(&writer), change).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(one.json["article"]["author"]["username"], "penname");
    assert_eq!(one.json["article"]["author"]["bio"], "New cached bio");
    let old = app.get("/api/profiles/writer", None).await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    let new = app.get("/api/profiles/penname", None).await;
    assert_eq!(new.json["profile"]["bio"], "New cached bio");
    let by_old_name = app.get("/api/articles?author=writer", None).await;
    assert_eq!(by_old_name.json["articlesCount"], 0);
    let page = browser.get("/profile/penname").await;
    assert!(page.body.contains("New cached bio"));
    assert!(browser.get("/").await.body.contains("penname"));
}

async fn follows_show_at_once(app: TestApp) {
    let writer = app.register("writer").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&writer, "Followed", &[]).await;
    for _ in 0..2 {
        app.get("/api/profiles/writer", Some(&reader)).await;
        app.get(&format!("/api/articles/{slug}"), Some(&reader))
            .await;
        app.get("/api/articles/feed", Some(&reader)).await;
    }
    app.post("/api/profiles/writer/follow", Some(&reader), json!({}))
        .await;
    let profile = app.get("/api/profiles/writer", Some(&reader)).await;
    assert_eq!(profile.json["profile"]["following"], true);
    let one = app
        .get(&format!("/api/articles/{slug}"), Some(&reader))
        .await;
    assert_eq!(one.json["article"]["author"]["following"], true);
    let feed = app.get("/api/articles/feed", Some(&reader)).await;
    assert_eq!(feed.json["articlesCount"], 1);

    app.delete("/api/profiles/writer/follow", Some(&reader))
        .await;
    let profile = app.get("/api/profiles/writer", Some(&reader)).await;
    assert_eq!(profile.json["profile"]["following"], false);
    let feed = app.get("/api/articles/feed", Some(&reader)).await;
    assert_eq!(feed.json["articlesCount"], 0);
}

/// A reader's feed page is cached per reader: warm it, then every article write by a
/// followed author shows at the next read, and another reader's feed is their own.
async fn feeds_show_new_and_deleted_articles(app: TestApp) {
    let writer = app.register("writer").await;
    let reader = app.register("reader").await;
    let stranger = app.register("stranger").await;
    let first = app.publish(&writer, "Feed one", &[]).await;
    app.post("/api/profiles/writer/follow", Some(&reader), json!({}))
        .await;
    for _ in 0..2 {
        let feed = app.get("/api/articles/feed", Some(&reader)).await;
        assert_eq!(feed.json["articlesCount"], 1, "{}", feed.text);
        let other = app.get("/api/articles/feed", Some(&stranger)).await;
        assert_eq!(other.json["articlesCount"], 0, "{}", other.text);
    }

    let second = app.publish(&writer, "Feed two", &[]).await;
    let feed = app.get("/api/articles/feed", Some(&reader)).await;
    assert_eq!(feed.json["articlesCount"], 2, "{}", feed.text);
    assert_eq!(feed.json["articles"][0]["slug"], second.as_str());
    let other = app.get("/api/articles/feed", Some(&stranger)).await;
    assert_eq!(other.json["articlesCount"], 0);

    let gone = app
        .delete(&format!("/api/articles/{first}"), Some(&writer))
        .await;
    assert!(gone.status.is_success(), "{}", gone.text);
    let feed = app.get("/api/articles/feed", Some(&reader)).await;
    assert_eq!(feed.json["articlesCount"], 1, "{}", feed.text);
    assert_eq!(feed.json["articles"][0]["slug"], second.as_str());

    // The stranger follows too: their feed changes, the reader's stays right.
    app.post("/api/profiles/writer/follow", Some(&stranger), json!({}))
        .await;
    let other = app.get("/api/articles/feed", Some(&stranger)).await;
    assert_eq!(other.json["articlesCount"], 1);
    let feed = app.get("/api/articles/feed", Some(&reader)).await;
    assert_eq!(feed.json["articlesCount"], 1);

    // A favorite keeps the feed pages and drops only the article's fragment, which a
    // warm feed page keeps beside its ids: the next read still shows the new count,
    // and the reader's own mark once it is theirs.
    let favorite = format!("/api/articles/{second}/favorite");
    for (who, count, mine) in [(&stranger, 1, false), (&reader, 2, true)] {
        app.get("/api/articles/feed", Some(&reader)).await;
        app.post(&favorite, Some(who), json!({})).await;
        let feed = app.get("/api/articles/feed", Some(&reader)).await;
        let entry = &feed.json["articles"][0];
        assert_eq!(entry["favoritesCount"], count, "{}", feed.text);
        assert_eq!(entry["favorited"], mine, "{}", feed.text);
    }
}
