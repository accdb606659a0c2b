//! Where a member is signed in: each browser sign-in is listed and can be signed out
//! from another, at once on every instance; "sign out everywhere" ends API tokens too;
//! signing out ends the session for a copied cookie as well; "Keep me signed in" makes
//! the cookie outlive the browser; a sign-in from a new device is emailed.

use std::time::{Duration, Instant};

use awc::http::StatusCode;

use crate::admin::{audit_total, signed_in, with_role};
use crate::cluster::Cluster;
use crate::helpers::{TestApp, emails};
use crate::pages::browser::{Browser, PASSWORD};

crate::tests![
    another_session_is_signed_out_at_once_on_every_instance,
    signing_out_everywhere_ends_api_tokens_too,
    a_signed_out_cookie_stays_signed_out,
    keep_me_signed_in_outlives_the_browser,
    a_new_device_is_emailed,
];

/// Signs `username` in by the form, ticking "Keep me signed in" when `kept`; the answer.
async fn sign_in(browser: &Browser, username: &str, kept: bool) -> crate::pages::browser::Page {
    let email = format!("{username}@example.com");
    let mut fields = vec![("email", email.as_str()), ("password", PASSWORD)];
    if kept {
        fields.push(("remember", "1"));
    }
    let page = browser.submit("/login", "/login", &fields).await;
    page.assert_redirect("/");
    page
}

/// The ids of the sessions the list offers to sign out (all but the current one).
fn others(list: &str) -> Vec<String> {
    list.split("action=\"/settings/sessions/")
        .skip(1)
        .filter_map(|rest| rest.split_once("/end\"").map(|(id, _)| id.to_owned()))
        .collect()
}

async fn another_session_is_signed_out_at_once_on_every_instance(app: TestApp) {
    app.register("alice").await;
    let laptop = Browser::new(&app);
    sign_in(&laptop, "alice", false).await;
    let phone = Browser::new(&app);
    sign_in(&phone, "alice", true).await;
    let postgres = app.config.database_url.kind() == conduit::db::BackendKind::Postgres;
    let cluster = Cluster::start(&app, if postgres { 3 } else { 0 }, &[]).await;
    // The phone is signed in on every instance (and each has its sessions cached).
    for node in &cluster.nodes {
        let there = phone.at(&node.base);
        assert_eq!(there.get("/settings").await.status, StatusCode::OK);
    }

    let list = laptop.get("/settings/sessions").await;
    let body = list.expect(StatusCode::OK);
    assert_eq!(body.matches("data-testid=\"session\"").count(), 2, "{body}");
    assert_eq!(body.matches("data-testid=\"current-session\"").count(), 1);
    assert!(body.contains("kept signed in"), "the phone's kind is shown");
    let ids = others(body);
    assert_eq!(ids.len(), 1, "only the other session has a button: {body}");
    laptop
        .submit(
            "/settings/sessions",
            &format!("/settings/sessions/{}/end", ids[0]),
            &[],
        )
        .await
        .assert_redirect("/settings/sessions");

    phone.get("/settings").await.assert_redirect("/login");
    for (i, node) in cluster.nodes.iter().enumerate() {
        let there = phone.at(&node.base);
        let since = Instant::now();
        while there.get("/settings").await.status != StatusCode::SEE_OTHER {
            assert!(
                since.elapsed() < Duration::from_secs(1),
                "instance {i} still takes the ended session"
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert_eq!(laptop.get("/settings").await.status, StatusCode::OK);
    let list = laptop.get("/settings/sessions").await;
    assert_eq!(
        list.expect(StatusCode::OK)
            .matches("data-testid=\"session\"")
            .count(),
        1
    );
    // Someone else's session is not theirs to end.
    app.register("mallory").await;
    let mallory = Browser::new(&app);
    sign_in(&mallory, "mallory", false).await;
    let mine = laptop.get("/settings/sessions").await;
    let current = mine.body.clone();
    assert!(current.contains("this browser"));
    let theirs = mallory
        .submit("/settings", "/settings/sessions/1/end", &[])
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(laptop.get("/settings").await.status, StatusCode::OK);
}

async fn signing_out_everywhere_ends_api_tokens_too(app: TestApp) {
    let token = app.register("bob").await;
    let first = Browser::new(&app);
    sign_in(&first, "bob", false).await;
    let second = Browser::new(&app);
    sign_in(&second, "bob", false).await;
    first
        .submit("/settings/sessions", "/settings/sessions/end-all", &[])
        .await
        .assert_redirect("/login");
    first.get("/settings").await.assert_redirect("/login");
    second.get("/settings").await.assert_redirect("/login");
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Signing in again works.
    sign_in(&first, "bob", false).await;
    with_role(&app, "auditor", "admin").await;
    let admin = signed_in(&app, "auditor").await;
    assert_eq!(audit_total(&admin, "action=session.end_all").await, 1);
}

async fn a_signed_out_cookie_stays_signed_out(app: TestApp) {
    app.register("carol").await;
    let browser = Browser::new(&app);
    sign_in(&browser, "carol", false).await;
    let copied = browser.at(&app.address);
    browser
        .submit("/settings", "/logout", &[])
        .await
        .assert_redirect("/");
    copied.get("/settings").await.assert_redirect("/login");
}

async fn keep_me_signed_in_outlives_the_browser(app: TestApp) {
    app.register("dave").await;
    let session_cookie = |page: &crate::pages::browser::Page| {
        page.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("conduit_session="))
            .map(str::to_ascii_lowercase)
            .expect("a session cookie")
    };
    let kept = sign_in(&Browser::new(&app), "dave", true).await;
    let cookie = session_cookie(&kept);
    assert!(cookie.contains("max-age=2592000"), "{cookie}");
    assert!(cookie.contains("httponly"), "{cookie}");
    let plain = sign_in(&Browser::new(&app), "dave", false).await;
    let cookie = session_cookie(&plain);
    assert!(
        !cookie.contains("max-age"),
        "ends with the browser: {cookie}"
    );
}

async fn a_new_device_is_emailed(app: TestApp) {
    app.register("erin").await;
    let notices = || {
        emails(&app)
            .into_iter()
            .filter(|(name, text)| name.starts_with("security-") && text.contains("New sign-in"))
            .count()
    };
    let laptop = Browser::new(&app);
    sign_in(&laptop, "erin", false).await;
    // The same browser again is no news.
    laptop.submit("/settings", "/logout", &[]).await;
    sign_in(&laptop, "erin", false).await;
    assert!(laptop.has_cookie("conduit_device"));
    // A browser the account never used is.
    sign_in(&Browser::new(&app), "erin", false).await;
    let since = Instant::now();
    while notices() < 1 {
        assert!(since.elapsed() < Duration::from_secs(10), "no email");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // Give the workers a moment: no second notice comes.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(notices(), 1);
}
