//! What a live page is pushed: new and deleted comments, the unread count, new articles
//! on the Global Feed; and what never reaches a reader: hidden comments, drafts.

use std::time::Duration;

use awc::http::StatusCode;
use serde_json::json;

use super::{Events, must_open, open};
use crate::admin::{comment, post, signed_in, with_role};
use crate::helpers::TestApp;

crate::tests![
    new_comment_is_pushed_as_the_page_renders_it,
    deleted_comment_is_pushed_as_removal,
    hidden_comment_is_never_pushed,
    drafts_have_no_stream_and_are_not_counted,
    unread_count_is_pushed,
    new_articles_are_counted,
    last_event_id_resumes,
];

/// The ids of a `comments` event.
fn ids(event: &super::Event) -> Vec<i64> {
    event
        .data
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|v| v.as_i64())
        .collect()
}

/// The newest article the Global Feed shows, as its page marks it for live updates.
async fn newest_on_home(app: &TestApp) -> String {
    let home = app.client.get(format!("{}/", app.address)).send().await;
    let body = home.expect("home").body().await.expect("body");
    let body = String::from_utf8_lossy(&body).into_owned();
    let marker = "data-live-newest=\"";
    let start = body
        .find(marker)
        .expect("home page marks its newest article")
        + marker.len();
    body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

async fn thread(app: &TestApp, slug: &str, cookie: Option<&str>) -> Events {
    let mut events = must_open(
        &app.address,
        &format!("/live?article={slug}&after=0"),
        cookie,
    )
    .await;
    events.expect("comments").await;
    events
}

async fn new_comment_is_pushed_as_the_page_renders_it(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Live talk", &[]).await;
    let mut reader = thread(&app, &slug, None).await;
    let id = comment(&app, &alice, &slug, "first & <b>loud</b>").await;
    let event = reader.expect("comment").await;
    assert_eq!(event.id.as_deref(), Some(id.to_string().as_str()));
    assert_eq!(event.data["id"], id);
    let html = event.data["html"].as_str().expect("html");
    assert!(html.contains(&format!("id=\"comment-{id}\"")), "{html}");
    assert!(
        html.contains("first &#38; &#60;b&#62;loud&#60;/b&#62;")
            || html.contains("first &amp; &lt;b&gt;loud&lt;/b&gt;"),
        "{html}"
    );
    // The same partial as the page: the page holds these very bytes.
    let page = app
        .client
        .get(format!("{}/article/{slug}", app.address))
        .send()
        .await;
    let body = page.expect("page").body().await.expect("body");
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains(html.trim()),
        "live markup differs from the page's"
    );
}

async fn deleted_comment_is_pushed_as_removal(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Live talk", &[]).await;
    let mut reader = thread(&app, &slug, None).await;
    let id = comment(&app, &alice, &slug, "soon gone").await;
    reader.expect("comment").await;
    let reply = app
        .delete(&format!("/api/articles/{slug}/comments/{id}"), Some(&alice))
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let removed = reader.expect("comment-removed").await;
    assert_eq!(removed.data["id"], id);
}

async fn hidden_comment_is_never_pushed(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let troll = app.register("troll").await;
    let slug = app.publish(&author, "Calm post", &[]).await;
    let moderator = signed_in(&app, "modest").await;
    let mut reader = thread(&app, &slug, None).await;
    let mut staff = thread(&app, &slug, Some(&moderator.cookie_header())).await;

    // Shown, then hidden: readers are told to remove it.
    let rude = comment(&app, &troll, &slug, "a rude remark").await;
    assert_eq!(reader.expect("comment").await.data["id"], rude);
    post(&moderator, &format!("/admin/comments/{rude}/hide"), &[])
        .await
        .assert_redirect("/admin/comments");
    assert_eq!(reader.expect("comment-removed").await.data["id"], rude);

    // Later changes push the thread again: never the hidden one to a reader, while staff
    // (who may see it) keep it.
    let kind = comment(&app, &author, &slug, "a kind reply").await;
    let seen = reader.drain(Duration::from_millis(800)).await;
    assert!(
        seen.iter()
            .any(|e| e.name == "comment" && e.data["id"] == kind)
    );
    assert!(
        !seen
            .iter()
            .any(|e| e.name == "comment" && e.data["id"] == rude),
        "{seen:?}"
    );
    let staff_seen = staff.drain(Duration::from_millis(300)).await;
    assert!(
        !staff_seen.iter().any(|e| e.name == "comment-removed"),
        "{staff_seen:?}"
    );

    // A new reader's list of visible comments leaves it out too.
    let (status, fresh) = open(&app.address, &format!("/live?article={slug}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let listed = ids(&fresh.expect("stream").expect("comments").await);
    assert_eq!(listed, vec![kind]);
}

async fn drafts_have_no_stream_and_are_not_counted(app: TestApp) {
    let alice = app.register("alice").await;
    app.publish(&alice, "Published one", &[]).await;
    let newest_id = newest_on_home(&app).await;
    let mut feed = must_open(
        &app.address,
        &format!("/live?feed=global&newest={newest_id}"),
        None,
    )
    .await;

    let draft =
        crate::drafts::create(&app, &alice, "Secret Plans", json!({"published": false})).await;
    let draft_slug = draft["slug"].as_str().expect("slug").to_owned();
    let seen = feed.drain(Duration::from_millis(800)).await;
    assert!(
        !seen.iter().any(|e| e.name == "articles"),
        "a draft was counted: {seen:?}"
    );
    // Nobody but its author may follow a draft's thread.
    let (status, _) = open(
        &app.address,
        &format!("/live?article={draft_slug}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Published: now it counts.
    let reply = app
        .put(
            &format!("/api/articles/{draft_slug}"),
            Some(&alice),
            json!({"article": {"published": true}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let counted = feed.expect("articles").await;
    assert_eq!(counted.data["count"], 1);
}

async fn unread_count_is_pushed(app: TestApp) {
    let bob = app.register("bob").await;
    let alice = app.register("alice").await;
    let slug = app.publish(&bob, "Bob writes", &[]).await;
    let browser = signed_in(&app, "bob").await;
    let mut bell = must_open(&app.address, "/live", Some(&browser.cookie_header())).await;
    assert_eq!(bell.expect("unread").await.data["count"], 0);
    comment(&app, &alice, &slug, "nice one").await;
    assert_eq!(bell.expect("unread").await.data["count"], 1);
    let reply = app
        .post("/api/notifications/read", Some(&bob), json!({}))
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    assert_eq!(bell.expect("unread").await.data["count"], 0);
    // An anonymous visitor has no count to follow.
    let (status, _) = open(&app.address, "/live", None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn new_articles_are_counted(app: TestApp) {
    let alice = app.register("alice").await;
    app.publish(&alice, "Old news", &[]).await;
    let old = app.get("/api/articles", None).await;
    assert_eq!(old.json["articlesCount"], 1);
    let newest = newest_on_home(&app).await;
    let mut feed = must_open(
        &app.address,
        &format!("/live?feed=global&newest={newest}"),
        None,
    )
    .await;
    app.publish(&alice, "Fresh news", &[]).await;
    let first = feed.expect("articles").await;
    assert_eq!(
        (first.data["count"].clone(), first.data["more"].clone()),
        (json!(1), json!(false))
    );
    assert_eq!(first.id.as_deref(), Some(newest.as_str()));
    app.publish(&alice, "Fresher news", &[]).await;
    assert_eq!(feed.expect("articles").await.data["count"], 2);
}

async fn last_event_id_resumes(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Live talk", &[]).await;
    let c1 = comment(&app, &alice, &slug, "one").await;
    let c2 = comment(&app, &alice, &slug, "two").await;
    let c3 = comment(&app, &alice, &slug, "three").await;
    // The client had seen up to c2 when it dropped; c1 was deleted meanwhile.
    app.delete(&format!("/api/articles/{slug}/comments/{c1}"), Some(&alice))
        .await;
    let (status, events) = open(
        &app.address,
        &format!("/live?article={slug}&after=0"),
        None,
        Some(&c2.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut events = events.expect("stream");
    let listed = events.expect("comments").await;
    assert_eq!(ids(&listed), vec![c2, c3]);
    let missed = events.drain(Duration::from_millis(500)).await;
    let pushed: Vec<_> = missed
        .iter()
        .filter(|e| e.name == "comment")
        .map(|e| e.data["id"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(pushed, vec![c3], "only what was missed: {missed:?}");
    assert_eq!(missed[0].id.as_deref(), Some(c3.to_string().as_str()));
}
