//! A feed is composed of the list entries of its articles: those the caches hold
//! already, and the others read without their bodies. Either way an entry is the one
//! the article lists show, with the reader's marks.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tests;

tests![feed_entries_are_the_list_entries_whether_read_or_not];

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
