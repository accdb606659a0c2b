//! Two viewers never see each other's favorited or following state, however warm the
//! caches, through the API and the pages; writes made through the site's forms show
//! at once too.

use serde_json::json;

use crate::helpers::TestApp;
use crate::pages::browser::Browser;
use crate::tests;

tests![
    viewers_never_share_state,
    site_form_writes_show_at_once,
    concurrent_favorites_all_succeed,
];

async fn viewers_never_share_state(app: TestApp) {
    let writer = app.register("writer").await;
    let fan = app.register("fan").await;
    let other = app.register("other").await;
    let slug = app.publish(&writer, "Shared", &["common"]).await;
    app.post(
        &format!("/api/articles/{slug}/favorite"),
        Some(&fan),
        json!({}),
    )
    .await;
    app.post("/api/profiles/writer/follow", Some(&fan), json!({}))
        .await;

    // The fan reads first, so any entry keyed wrongly would now hold their state.
    for _ in 0..2 {
        let article = app.get(&format!("/api/articles/{slug}"), Some(&fan)).await;
        assert_eq!(article.json["article"]["favorited"], true);
        assert_eq!(article.json["article"]["author"]["following"], true);
        let list = app.get("/api/articles", Some(&fan)).await;
        assert_eq!(list.json["articles"][0]["favorited"], true);
        let profile = app.get("/api/profiles/writer", Some(&fan)).await;
        assert_eq!(profile.json["profile"]["following"], true);
    }
    for token in [Some(other.as_str()), None] {
        let article = app.get(&format!("/api/articles/{slug}"), token).await;
        assert_eq!(article.json["article"]["favorited"], false, "{token:?}");
        assert_eq!(article.json["article"]["author"]["following"], false);
        assert_eq!(article.json["article"]["favoritesCount"], 1);
        let list = app.get("/api/articles?tag=common", token).await;
        assert_eq!(list.json["articles"][0]["favorited"], false);
        assert_eq!(list.json["articles"][0]["author"]["following"], false);
        let profile = app.get("/api/profiles/writer", token).await;
        assert_eq!(profile.json["profile"]["following"], false);
    }
    // And the other way round: anonymous and other readers warmed the caches last.
    let article = app.get(&format!("/api/articles/{slug}"), Some(&fan)).await;
    assert_eq!(article.json["article"]["favorited"], true);

    let fan_browser = Browser::new(&app);
    fan_browser.sign_in("fan").await;
    let other_browser = Browser::new(&app);
    other_browser.sign_in("other").await;
    let anonymous = Browser::new(&app);
    for path in [format!("/article/{slug}"), "/".to_owned()] {
        let fan_page = fan_browser.get(&path).await;
        assert!(fan_page.body.contains("btn-primary"), "{path}: favorited");
        for browser in [&other_browser, &anonymous] {
            let page = browser.get(&path).await;
            assert!(!page.body.contains("btn btn-sm btn-primary"), "{path}");
        }
        let other_page = other_browser.get(&path).await;
        assert_ne!(other_page.csrf(), fan_page.csrf(), "{path}: own CSRF token");
        let anonymous_page = anonymous.get(&path).await;
        assert!(
            !anonymous_page.body.contains("csrf_token"),
            "{path}: no token"
        );
    }
    let fan_article = fan_browser.get(&format!("/article/{slug}")).await;
    assert!(fan_article.body.contains("Unfollow writer"));
    let other_article = other_browser.get(&format!("/article/{slug}")).await;
    assert!(other_article.body.contains("Follow writer"));
    assert!(!other_article.body.contains("Unfollow writer"));
    assert!(other_article.body.contains("data-current-user=\""));
    assert!(!other_article.body.contains("fan@example.com"));
}

async fn site_form_writes_show_at_once(app: TestApp) {
    let writer = app.register("writer").await;
    app.register("reader").await;
    let slug = app.publish(&writer, "Formed", &[]).await;
    let path = format!("/article/{slug}");
    let browser = Browser::new(&app);
    browser.sign_in("reader").await;
    for _ in 0..2 {
        app.get(&format!("/api/articles/{slug}"), None).await;
        browser.get(&path).await;
    }
    browser
        .submit(&path, &format!("{path}/favorite"), &[])
        .await
        .assert_redirect(&path);
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(one.json["article"]["favoritesCount"], 1);
    browser
        .submit(
            &path,
            &format!("{path}/comments"),
            &[("body", "From the form")],
        )
        .await;
    assert!(browser.get(&path).await.body.contains("From the form"));
    let listed = app
        .get(&format!("/api/articles/{slug}/comments"), None)
        .await;
    assert_eq!(listed.json["comments"][0]["body"], "From the form");
}

/// The same favorite sent many times at once (the benchmark's write mix does this) is
/// answered 200 every time and counted once.
async fn concurrent_favorites_all_succeed(app: TestApp) {
    let writer = app.register("writer").await;
    let fan = app.register("fan").await;
    let slug = app.publish(&writer, "Contended", &[]).await;
    let url = format!("{}/api/articles/{slug}/favorite", app.address);
    let mut handles = Vec::new();
    for _ in 0..12 {
        let request = app
            .client
            .post(url.clone())
            .insert_header(("Authorization", format!("Token {fan}")));
        handles.push(actix_web::rt::spawn(async move {
            request.send_json(&json!({})).await.map(|r| r.status())
        }));
    }
    for handle in handles {
        let status = handle.await.expect("task").expect("answered");
        assert_eq!(status, awc::http::StatusCode::OK);
    }
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(one.json["article"]["favoritesCount"], 1);
}
