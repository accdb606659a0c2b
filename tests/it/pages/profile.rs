//! Profile pages and following.

use awc::http::StatusCode;

use super::browser::Browser;
use crate::helpers::TestApp;
use crate::tests;

tests![
    profile_shows_the_writer_and_their_articles,
    own_profile_links_to_settings,
    favorites_tab_lists_favorited_articles,
    follow_and_unfollow_from_the_profile,
];

async fn profile_shows_the_writer_and_their_articles(app: TestApp) {
    let alice = app.register("alice").await;
    app.publish(&alice, "Alice's piece", &[]).await;
    let bob = app.register("bob").await;
    app.publish(&bob, "Bob's piece", &[]).await;
    let page = Browser::new(&app).get("/profile/alice").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("class=\"profile-page\""));
    assert!(body.contains("<div class=\"user-info\">"));
    assert!(body.contains("<img class=\"user-img\" src=\"/static/img/default-avatar.svg?v="));
    assert!(body.contains("<h4>alice</h4>"));
    assert!(
        body.contains("<p class=\"bio\"></p>"),
        "an empty bio paragraph, never \"null\""
    );
    assert!(body.contains("Alice&#39;s piece") && !body.contains("Bob&#39;s piece"));
    assert!(body.contains("Follow alice</button>"));
    assert!(body.contains("href=\"/profile/alice/favorites\">Favorited Articles</a>"));
    assert!(!body.contains("Edit Profile Settings"));
}

async fn own_profile_links_to_settings(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    let body = browser.get("/profile/alice").await.body;
    assert!(body.contains(
        "href=\"/settings\"><i class=\"ion-gear-a\" aria-hidden=\"true\"></i> Edit Profile Settings</a>"
    ));
    assert!(!body.contains("Follow alice"));
    assert!(body.contains("No articles are here... yet."));
}

async fn favorites_tab_lists_favorited_articles(app: TestApp) {
    let alice = app.register("alice").await;
    let liked = app.publish(&alice, "Liked one", &[]).await;
    app.publish(&alice, "Other one", &[]).await;
    let bob = app.register("bob").await;
    let reply = app
        .post(
            &format!("/api/articles/{liked}/favorite"),
            Some(&bob),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = Browser::new(&app).get("/profile/bob/favorites").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("Liked one") && !body.contains("Other one"));
    assert!(body.contains("class=\"nav-link active\" href=\"/profile/bob/favorites\""));
}

async fn follow_and_unfollow_from_the_profile(app: TestApp) {
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_up("bob").await;
    browser
        .submit(
            "/profile/alice",
            "/profile/alice/follow",
            &[("next", "/profile/alice")],
        )
        .await
        .assert_redirect("/profile/alice");
    let body = browser.get("/profile/alice").await.body;
    assert!(body.contains("btn btn-sm btn-secondary\">Unfollow alice</button>"));
    browser
        .submit("/profile/alice", "/profile/alice/unfollow", &[])
        .await
        .assert_redirect("/profile/alice");
    assert!(
        browser
            .get("/profile/alice")
            .await
            .body
            .contains("Follow alice</button>")
    );
    // Anonymous readers get a button that leads to sign-in, and no session at all.
    let anonymous = Browser::new(&app);
    let page = anonymous.get("/profile/alice").await;
    assert!(
        page.body
            .contains("<form method=\"get\" action=\"/login\">")
    );
    assert!(page.body.contains("Follow alice</button>"));
    assert!(!page.body.contains("csrf_token"));
    assert!(
        !anonymous.has_cookie("conduit_session"),
        "no session for a reader"
    );
    anonymous
        .post_raw("/profile/alice/follow", &[])
        .await
        .assert_redirect("/login");
    browser
        .submit("/settings", "/profile/bob/follow", &[])
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
}
