//! The notifications page: opening one marks it read, runs are grouped, pages, content
//! that was since hidden or deleted, and what staff decisions tell authors and reporters.

use awc::http::StatusCode;
use serde_json::json;

use super::browser::Browser;
use crate::admin::{comment, post, signed_in, with_role};
use crate::helpers::TestApp;
use crate::tests;

tests![
    opening_a_notification_marks_it_read,
    runs_are_grouped_and_the_list_is_paged,
    gone_content_says_so_instead_of_a_404,
    staff_decisions_tell_authors_and_reporters,
];

/// The notifications page of `browser` once it contains `needle` (jobs create them).
async fn page_with(browser: &Browser, needle: &str) -> String {
    let mut body = String::new();
    for _ in 0..500 {
        body = browser.get("/notifications").await.body;
        if body.contains(needle) {
            return body;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no “{needle}” on the notifications page:\n{body}");
}

async fn follow(app: &TestApp, token: &str, whom: &str) {
    let reply = app
        .post(
            &format!("/api/profiles/{whom}/follow"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn opening_a_notification_marks_it_read(app: TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let slug = app.publish(&alice, "Worth a heart", &[]).await;
    let reply = app
        .post(
            &format!("/api/articles/{slug}/favorite"),
            Some(&bob),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let body = page_with(&browser, "bob favorited “Worth a heart”").await;
    assert!(body.contains("class=\"notification unread\""));
    let start = body
        .find("href=\"/notifications/open?ids=")
        .expect("an open link")
        + 6;
    let href = body[start..body[start..].find('"').expect("end") + start].replace("&#38;", "&");
    assert!(
        href.ends_with(&format!("&to=%2Farticle%2F{slug}")),
        "{href}"
    );
    browser
        .get(&href)
        .await
        .assert_redirect(&format!("/article/{slug}"));
    let after = browser.get("/notifications").await.body;
    assert!(!after.contains("class=\"notification unread\""), "{after}");
    assert!(!browser.get("/").await.body.contains("unread-count"));

    // Another reader's ids are not theirs to mark, and a foreign target is refused.
    let reply = app.get("/api/notifications", Some(&alice)).await;
    let id = reply.json["notifications"][0]["id"].as_i64().expect("id");
    let mallory = Browser::new(&app);
    app.register("mallory").await;
    mallory.sign_in("mallory").await;
    mallory
        .get(&format!(
            "/notifications/open?ids={id}&to=https://evil.example/"
        ))
        .await
        .assert_redirect("/notifications");
}

async fn runs_are_grouped_and_the_list_is_paged(app: TestApp) {
    let carol = app.register("carol").await;
    let bob = app.register("bob").await;
    follow(&app, &carol, "bob").await;
    for i in 1..=3 {
        app.publish(&bob, &format!("Bob's note {i}"), &[]).await;
    }
    let reader = Browser::new(&app);
    reader.sign_in("carol").await;
    let body = page_with(&reader, "bob published 3 articles").await;
    assert!(body.contains("data-count=\"3\""));
    assert!(body.contains("&#38;to=%2Fprofile%2Fbob\">bob published 3 articles</a>"));
    assert_eq!(body.matches("data-testid=\"notification\"").count(), 1);

    // 21 new followers of bob after carol, 20 notifications a page: two pages, each
    // one line.
    for i in 1..=21 {
        let token = app.register(&format!("fan{i:02}")).await;
        follow(&app, &token, "bob").await;
    }
    let author = Browser::new(&app);
    author.sign_in("bob").await;
    let first = page_with(&author, "fan21, fan20 and 18 others started following you").await;
    assert!(
        first.contains("<form class=\"pagination-form\" method=\"get\" action=\"/notifications\">")
    );
    assert!(first.contains("<li class=\"page-item active\"><button class=\"page-link\" type=\"submit\" name=\"page\" value=\"1\""));
    assert!(first.contains("value=\"2\">2</button>"));
    let second = author.get("/notifications?page=2").await;
    let second = second.expect(StatusCode::OK);
    assert!(
        second.contains("fan01 and carol started following you"),
        "{second}"
    );
    // "Mark read" on a run marks the whole run.
    let start = first.find("name=\"ids\" value=\"").expect("ids") + 18;
    let ids = &first[start..first[start..].find('"').expect("end") + start];
    assert_eq!(ids.split(',').count(), 20);
    let id = ids.split(',').next().expect("newest");
    post(
        &author,
        &format!("/notifications/{id}/read"),
        &[("ids", ids)],
    )
    .await
    .assert_redirect("/notifications");
    let reply = app.get("/api/notifications", Some(&bob)).await;
    assert_eq!(reply.json["unreadCount"], 2, "page 2 is left unread");
}

async fn gone_content_says_so_instead_of_a_404(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let carol = app.register("carol").await;
    let bob = app.register("bob").await;
    let dave = app.register("dave").await;
    follow(&app, &carol, "bob").await;
    follow(&app, &carol, "dave").await;
    let hidden = app.publish(&bob, "Soon hidden", &[]).await;
    app.publish(&dave, "Soon deleted", &[]).await;
    let reader = Browser::new(&app);
    reader.sign_in("carol").await;
    page_with(&reader, "dave published “Soon deleted”").await;
    page_with(&reader, "bob published “Soon hidden”").await;

    let moderator = signed_in(&app, "modest").await;
    post(&moderator, &format!("/admin/articles/{hidden}/hide"), &[])
        .await
        .assert_redirect("/admin/articles");
    let deleted = app.get("/api/articles?author=dave", None).await.json["articles"][0]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    let reply = app
        .delete(&format!("/api/articles/{deleted}"), Some(&dave))
        .await;
    assert!(reply.status.is_success());

    let body = reader.get("/notifications").await.body;
    assert!(body.contains(
        "<span class=\"notification-text\">bob published “Soon hidden” (since hidden by the moderators)</span>"
    ), "{body}");
    assert!(body.contains(
        "<span class=\"notification-text\">dave published “Soon deleted” (since deleted)</span>"
    ));
    assert!(!body.contains(&format!("%2Farticle%2F{hidden}")));
    // The API says so too, without the article.
    let reply = app.get("/api/notifications", Some(&carol)).await;
    let messages: Vec<&str> = reply.json["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"dave published “Soon deleted” (since deleted)"),
        "{messages:?}"
    );
    // The author still reads their own hidden article from their notifications.
    let writer = Browser::new(&app);
    writer.sign_in("bob").await;
    let body = page_with(&writer, "The moderators hid your article “Soon hidden”").await;
    assert!(body.contains(&format!(
        "&#38;to=%2Farticle%2F{hidden}\">The moderators hid"
    )));
}

async fn staff_decisions_tell_authors_and_reporters(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&author, "Spammy post", &[]).await;
    let remark = comment(&app, &author, &slug, "buy now").await;
    let reply = app
        .post(
            "/api/reports",
            Some(&reader),
            json!({"report": {"kind": "article", "target": slug, "reason": "spam"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let report = reply.json["report"]["id"].as_i64().expect("id");

    let moderator = signed_in(&app, "modest").await;
    post(
        &moderator,
        &format!("/admin/reports/{report}/resolve"),
        &[("action", "hide"), ("note", "advertising is not allowed")],
    )
    .await
    .assert_redirect("/admin/reports");
    // A comment deleted from the admin list, with the reason asked on confirmation.
    let ask = post(&moderator, &format!("/admin/comments/{remark}/delete"), &[]).await;
    assert!(
        ask.body
            .contains("<label for=\"confirm-reason\">Reason (told to the author)</label>")
    );
    post(
        &moderator,
        &format!("/admin/comments/{remark}/delete"),
        &[("confirm", "yes"), ("reason", "link farm")],
    )
    .await
    .assert_redirect("/admin/comments");

    let writer = Browser::new(&app);
    writer.sign_in("author").await;
    page_with(
        &writer,
        "The moderators hid your article “Spammy post”. Reason: advertising is not allowed",
    )
    .await;
    page_with(
        &writer,
        "The moderators deleted your comment on “Spammy post”. Reason: link farm",
    )
    .await;
    let reporter = Browser::new(&app);
    reporter.sign_in("reader").await;
    page_with(
        &reporter,
        &format!(
            "Your report about article {slug} was resolved: the content is now hidden. Reason: advertising is not allowed"
        ),
    )
    .await;
}
