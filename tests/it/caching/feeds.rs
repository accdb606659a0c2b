//! A feed is composed of the list entries of its articles: those the caches hold
//! already, and the others read without their bodies. Either way an entry is the one
//! the article lists show, with the reader's marks. A member's page keeps its entries
//! with it, compressed, so a warm one needs none from the shared store.

use actix_web::test;
use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tests;

tests![
    feed_entries_are_the_list_entries_whether_read_or_not,
    a_warm_feed_page_needs_no_entry_the_shared_store_let_go,
    the_feed_page_kept_on_a_members_account_follows_every_change,
];

fn entry<'a>(answer: &'a Value, slug: &str) -> &'a Value {
    answer["articles"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["slug"] == slug))
        .unwrap_or_else(|| panic!("{slug} in {answer}"))
}

async fn feed_entries_are_the_list_entries_whether_read_or_not(app: TestApp) {
    let writer = app.register("writer").await;
    let reader = app.register("reader").await;
    let read = app
        .publish(&writer, "Read before", &["zeta", "alpha"])
        .await;
    let unread = app.publish(&writer, "Never read", &["beta"]).await;
    app.post("/api/profiles/writer/follow", Some(&reader), json!({}))
        .await;
    app.post(
        &format!("/api/articles/{unread}/favorite"),
        Some(&reader),
        json!({}),
    )
    .await;
    // One article is in the caches from a read; the other is not.
    let article = app.get(&format!("/api/articles/{read}"), None).await;
    assert!(article.status.is_success(), "{}", article.text);

    let feed = app.get("/api/articles/feed", Some(&reader)).await;
    assert_eq!(feed.json["articlesCount"], 2, "{}", feed.text);
    let list = app.get("/api/articles?author=writer", Some(&reader)).await;
    for slug in [&read, &unread] {
        let shown = entry(&feed.json, slug);
        assert_eq!(shown, entry(&list.json, slug), "{slug}");
        assert!(shown.get("body").is_none(), "{shown}");
    }
    let unread_entry = entry(&feed.json, &unread);
    assert_eq!(unread_entry["title"], "Never read");
    assert_eq!(unread_entry["description"], "about it");
    assert_eq!(unread_entry["tagList"], json!(["beta"]));
    assert_eq!(unread_entry["favorited"], true);
    assert_eq!(unread_entry["favoritesCount"], 1);
    assert_eq!(unread_entry["author"]["following"], true);
}

/// At 1,000,000 articles members' feeds take in far more entries than the shared
/// `summaries` store holds; a warm page must not read them again. Here the store holds
/// about 25 entries (1 MiB of caches) and the page shows 40.
async fn a_warm_feed_page_needs_no_entry_the_shared_store_let_go(app: TestApp) {
    const ARTICLES: usize = 40;
    let (db, caches, service) = crate::counted_service!(&app, 1);
    let writer = app.register("writer").await;
    let reader = app.register("reader").await;
    app.post("/api/profiles/writer/follow", Some(&reader), json!({}))
        .await;
    for i in 0..ARTICLES {
        app.publish(&writer, &format!("Entry {i}"), &["packed"])
            .await;
    }
    let read = async || {
        let request = test::TestRequest::get()
            .uri(&format!("/api/articles/feed?limit={ARTICLES}"))
            .insert_header(("Authorization", format!("Token {reader}")))
            .to_request();
        let before = db.queries_executed();
        let response = test::call_service(&service, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = serde_json::from_slice(&test::read_body(response).await).expect("json");
        (body, db.queries_executed() - before)
    };
    let (cold, statements) = read().await;
    assert_eq!(cold["articles"].as_array().map(Vec::len), Some(ARTICLES));
    assert!(statements > 0, "cold: read from the database");
    let usage = caches.usage().await;
    let kept = usage
        .iter()
        .find(|(name, ..)| *name == "summaries")
        .map(|u| u.1);
    assert!(
        kept.is_some_and(|n| n < ARTICLES as u64),
        "the shared store should hold fewer entries than the page: {kept:?}"
    );
    let (warm, statements) = read().await;
    assert_eq!(statements, 0, "warm: no entry read again");
    assert_eq!(warm, cold);
    for (i, entry) in warm["articles"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        assert_eq!(entry["title"], format!("Entry {}", ARTICLES - 1 - i));
        assert_eq!(entry["author"]["following"], true, "{entry}");
    }
}

/// A member's last feed page is kept on their cached account (`cache::slot`): the next
/// request after a new article, an edit of an entry, a follow or an unfollow shows it,
/// and a page read once is never served for another page of the same feed.
async fn the_feed_page_kept_on_a_members_account_follows_every_change(app: TestApp) {
    let first = app.register("first").await;
    let second = app.register("second").await;
    let reader = app.register("reader").await;
    let old = app.publish(&first, "Older", &[]).await;
    app.post("/api/profiles/first/follow", Some(&reader), json!({}))
        .await;
    let titles = async |path: &str| {
        let feed = app.get(path, Some(&reader)).await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
        let titles: Vec<String> = feed.json["articles"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["title"].as_str().unwrap_or_default().to_owned())
            .collect();
        (titles, feed.json["articlesCount"].clone())
    };
    // Warm: read twice, the second time from the slot.
    for _ in 0..2 {
        assert_eq!(
            titles("/api/articles/feed").await,
            (vec!["Older".into()], json!(1))
        );
    }
    app.publish(&first, "Newer", &[]).await;
    let both = (vec!["Newer".to_owned(), "Older".to_owned()], json!(2));
    assert_eq!(titles("/api/articles/feed").await, both);
    // Another page of the same feed, then the first again: each its own, though
    // both keys' versions stand (the second read of each comes from the slot).
    for _ in 0..2 {
        assert_eq!(
            titles("/api/articles/feed?limit=1&offset=1").await,
            (vec!["Older".into()], json!(2))
        );
    }
    for _ in 0..2 {
        assert_eq!(titles("/api/articles/feed").await, both);
    }
    let edit = json!({"article": {"title": "Older, edited"}});
    let edited = app
        .put(&format!("/api/articles/{old}"), Some(&first), edit)
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(
        titles("/api/articles/feed").await,
        (vec!["Newer".into(), "Older, edited".into()], json!(2))
    );
    app.publish(&second, "Elsewhere", &[]).await;
    app.post("/api/profiles/second/follow", Some(&reader), json!({}))
        .await;
    assert_eq!(titles("/api/articles/feed").await.1, json!(3));
    app.delete("/api/profiles/first/follow", Some(&reader))
        .await;
    assert_eq!(
        titles("/api/articles/feed").await,
        (vec!["Elsewhere".into()], json!(1))
    );
}
