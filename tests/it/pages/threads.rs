//! Long comment threads on the article page: the newest comments, and links that walk
//! back through the rest, so that no page grows with the thread.

use awc::http::StatusCode;
use serde_json::json;

use super::browser::Browser;
use crate::helpers::TestApp;
use crate::tests;

tests![long_threads_are_shown_a_window_at_a_time];

/// The page's comment texts, in order.
fn comment_texts(body: &str) -> Vec<String> {
    body.split("<p class=\"card-text\">")
        .skip(1)
        .filter_map(|rest| rest.split_once("</p>").map(|(text, _)| text.to_owned()))
        .collect()
}

/// The target of the page's `rel` link between comment windows.
fn pager_link(body: &str, rel: &str) -> Option<String> {
    let (before, _) = body.split_once(&format!("\" rel=\"{rel}\">"))?;
    let (_, href) = before.rsplit_once("href=\"")?;
    Some(href.replace("&#38;", "&"))
}

fn numbered(range: std::ops::RangeInclusive<i32>) -> Vec<String> {
    range.map(|n| format!("Comment {n}")).collect()
}

async fn long_threads_are_shown_a_window_at_a_time(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Much discussed", &[]).await;
    let bob = app.register("bob").await;
    let mut ids = Vec::new();
    for n in 1..=107 {
        let reply = app
            .post(
                &format!("/api/articles/{slug}/comments"),
                Some(&bob),
                json!({"comment": {"body": format!("Comment {n}")}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        ids.push(reply.json["comment"]["id"].as_i64().expect("id"));
    }
    let path = format!("/article/{slug}");
    // The API still answers the whole thread, as the RealWorld spec says.
    let all = app
        .get(&format!("/api/articles/{slug}/comments"), None)
        .await;
    assert_eq!(all.json["comments"].as_array().map(Vec::len), Some(107));

    // Anonymous and signed in alike, the page opens on the newest 50, where live
    // updates add new ones.
    let visitor = Browser::new(&app);
    let member = Browser::new(&app);
    member.sign_in("bob").await;
    for browser in [&visitor, &member] {
        let page = browser.get(&path).await;
        let body = page.expect(StatusCode::OK);
        assert_eq!(comment_texts(body), numbered(58..=107));
        assert!(body.contains("data-live-article="), "{body}");
        assert!(body.contains("Show earlier comments (57)"), "{body}");
        assert_eq!(pager_link(body, "next"), None);
    }

    // Walking back shows every comment once, in order; the windows name the comment
    // they end before, and lead forward again.
    let earlier = pager_link(&visitor.get(&path).await.body, "prev").expect("a link back");
    assert_eq!(earlier, format!("{path}?before={}#comments", ids[57]));
    let middle = visitor.get(earlier.trim_end_matches("#comments")).await;
    let body = middle.expect(StatusCode::OK);
    assert_eq!(comment_texts(body), numbered(8..=57));
    assert!(
        !body.contains("data-live-article="),
        "no live updates mid-thread"
    );
    assert_eq!(pager_link(body, "next"), Some(format!("{path}#comments")));
    let first = pager_link(body, "prev").expect("a link further back");
    let first = member.get(first.trim_end_matches("#comments")).await;
    let body = first.expect(StatusCode::OK);
    assert_eq!(comment_texts(body), numbered(1..=7));
    assert_eq!(pager_link(body, "prev"), None);
    assert_eq!(
        pager_link(body, "next"),
        Some(format!("{path}?before={}#comments", ids[57]))
    );

    // A cursor that is not an id shows the newest comments, as without one.
    let mangled = visitor.get(&format!("{path}?before=yesterday")).await;
    assert_eq!(
        comment_texts(mangled.expect(StatusCode::OK)),
        numbered(58..=107)
    );
}
