//! Signed-in members share one rendering of an article page, with each one's own parts
//! (navbar, CSRF token, buttons, comment form, what they may do with each comment)
//! written in per request: whoever warmed it, each member gets their own page, and
//! their changes show on their next request.

use super::browser::{Browser, Page};
use crate::admin::comment;
use crate::helpers::TestApp;
use crate::tests;

tests![
    members_get_their_own_parts_of_the_shared_page,
    a_members_changes_show_on_their_next_page,
];

/// The page is whole, signed in as `username`, and every form carries that
/// session's own token.
fn assert_own_page(page: &Page, username: &str) {
    let body = page.expect(awc::http::StatusCode::OK);
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(body.trim_end().ends_with("</html>"), "{body}");
    assert!(!body.contains('\u{1}'), "no hole's mark is left: {body}");
    assert!(
        body.contains(&format!("{username}@example.com")),
        "{username}"
    );
    assert!(
        body.contains(&format!(
            "class=\"nav-link nav-user\" href=\"/profile/{username}\""
        )),
        "{username}'s navbar"
    );
    let token = page.csrf();
    assert_eq!(
        page.count("name=\"csrf_token\""),
        page.count(&format!("name=\"csrf_token\" value=\"{token}\"")),
        "{username}: one token in every form"
    );
    for other in ["writer", "commenter", "other"] {
        if other != username {
            assert!(
                !body.contains(&format!("{other}@example.com")),
                "{username}"
            );
        }
    }
}

async fn members_get_their_own_parts_of_the_shared_page(app: TestApp) {
    let writer = app.register("writer").await;
    let commenter = app.register("commenter").await;
    app.register("other").await;
    let slug = app.publish(&writer, "Shared page", &["common"]).await;
    let first = comment(&app, &commenter, &slug, "First comment").await;
    let reply = comment(&app, &writer, &slug, "The writer's reply").await;
    let path = format!("/article/{slug}");

    // Another member warms the shared page first, then each reads it twice.
    let browsers = ["other", "writer", "commenter"].map(|name| (name, Browser::new(&app)));
    for (name, browser) in &browsers {
        browser.sign_in(name).await;
    }
    for _ in 0..2 {
        for (name, browser) in &browsers {
            let page = browser.get(&path).await;
            assert_own_page(&page, name);
            assert!(page.body.contains("First comment"), "{name}");
            assert!(page.body.contains("The writer&#39;s reply"), "{name}");
            assert_eq!(page.count("class=\"card comment-form\""), 1, "{name}");
            let delete = |id: i64| format!("/article/{slug}/comments/{id}/delete");
            let report = |id: i64| format!("/report?kind=comment&amp;target={id}");
            match *name {
                "writer" => {
                    assert_eq!(page.count("Edit Article"), 1);
                    assert_eq!(page.count("Delete Article"), 1);
                    assert!(!page.body.contains("Follow writer"));
                    // The writer keeps the thread clean: both comments may go.
                    assert!(page.body.contains(&delete(first)));
                    assert!(page.body.contains(&delete(reply)));
                    assert!(
                        page.body
                            .contains("aria-label=\"Delete comment by commenter\"")
                    );
                    assert_eq!(page.count("report-link"), 0);
                }
                "commenter" => {
                    assert!(!page.body.contains("Edit Article"));
                    assert!(page.body.contains("Follow writer"));
                    assert!(page.body.contains(&delete(first)));
                    assert!(!page.body.contains(&delete(reply)));
                    assert!(page.body.contains("aria-label=\"Delete comment\""));
                    assert!(page.body.contains(&report(reply)));
                    assert!(!page.body.contains(&report(first)));
                }
                _ => {
                    assert!(!page.body.contains("Edit Article"));
                    assert_eq!(page.count("/comments/"), 0, "no delete form");
                    assert!(page.body.contains(&report(first)));
                    assert!(page.body.contains(&report(reply)));
                }
            }
        }
    }
    // A visitor still gets the visitors' page.
    let visitor = Browser::new(&app).get(&path).await;
    let body = visitor.expect(awc::http::StatusCode::OK);
    assert!(body.contains("data-auth-state=\"unauthenticated\""));
    assert!(!body.contains("csrf_token"));
    assert_eq!(visitor.count("report-link"), 0);
}

async fn a_members_changes_show_on_their_next_page(app: TestApp) {
    let writer = app.register("writer").await;
    app.register("reader").await;
    let slug = app.publish(&writer, "Changing page", &[]).await;
    let path = format!("/article/{slug}");
    let reader = Browser::new(&app);
    reader.sign_in("reader").await;
    let page = reader.get(&path).await;
    assert!(
        page.body
            .contains("Favorite Article <span class=\"counter\">(0)</span>")
    );

    reader
        .submit(&path, &format!("{path}/favorite"), &[("next", &path)])
        .await
        .assert_redirect(&path);
    let page = reader.get(&path).await;
    assert!(
        page.body
            .contains("Unfavorite Article <span class=\"counter\">(1)</span>"),
        "{}",
        page.body
    );
    reader
        .submit(&path, "/profile/writer/follow", &[("next", &path)])
        .await
        .assert_redirect(&path);
    assert!(reader.get(&path).await.body.contains("Unfollow writer"));
    reader
        .submit(&path, "/profile/writer/unfollow", &[("next", &path)])
        .await
        .assert_redirect(&path);
    assert!(reader.get(&path).await.body.contains(">Follow writer"));

    // A comment from the form: on the next page, with the reader's own delete button.
    reader
        .submit(&path, &format!("{path}/comments"), &[("body", "Mine")])
        .await;
    let page = reader.get(&path).await;
    assert_own_page(&page, "reader");
    assert!(page.body.contains("<p class=\"card-text\">Mine</p>"));
    assert!(page.body.contains("aria-label=\"Delete comment\""));

    // Deleted from its own button: gone from the next page.
    let form = format!("{path}/comments/");
    let at = page.body.find(&form).expect("the delete form") + form.len();
    let rest = &page.body[at..];
    let id = &rest[..rest.find('/').expect("an id")];
    reader
        .submit(&path, &format!("{path}/comments/{id}/delete"), &[])
        .await;
    let page = reader.get(&path).await;
    assert!(!page.body.contains("<p class=\"card-text\">Mine</p>"));
}
