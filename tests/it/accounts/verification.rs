//! Email verification: the welcome email's link proves the address; a new address is
//! proved again (and the old one told); `CONDUIT_REQUIRE_VERIFIED_EMAIL` keeps unproved
//! accounts from publishing and commenting.

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::{TestApp, assert_error, emails_to};
use crate::jobs::db_of;
use crate::pages::browser::Browser;

crate::tests![
    the_welcome_link_proves_the_address,
    a_new_address_is_proved_again_and_the_old_one_told,
    unproved_accounts_may_not_publish_when_required,
];

/// The first email whose file name starts with `prefix`, sent to `to`.
async fn mail(app: &TestApp, prefix: &str, to: &str) -> String {
    emails_to(app, prefix, to, 1).await.remove(0)
}

fn link_in(text: &str) -> String {
    let at = text.find("/verify-email/").expect("a verification link");
    text[at..at + "/verify-email/".len() + 64].to_owned()
}

async fn the_welcome_link_proves_the_address(app: TestApp) {
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let settings = browser.get("/settings").await;
    assert!(
        settings
            .body
            .contains("alice@example.com is not confirmed yet")
    );

    let link = link_in(&mail(&app, "welcome-", "alice@example.com").await);
    // Opened anywhere, signed in or not.
    let done = Browser::new(&app).get(&link).await;
    let body = done.expect(StatusCode::OK);
    assert!(body.contains("data-testid=\"email-verified\""), "{body}");
    assert!(
        browser
            .get("/settings")
            .await
            .body
            .contains("alice@example.com is confirmed."),
        "the settings say so at once"
    );
    assert_eq!(
        Browser::new(&app).get(&link).await.status,
        StatusCode::OK,
        "harmless twice"
    );
    let wrong = Browser::new(&app)
        .get(&format!("/verify-email/{}", "f".repeat(64)))
        .await;
    assert!(wrong.expect(StatusCode::GONE).contains("not valid"));
}

async fn a_new_address_is_proved_again_and_the_old_one_told(app: TestApp) {
    let token = app.register("bob").await;
    let welcome = link_in(&mail(&app, "welcome-", "bob@example.com").await);
    Browser::new(&app)
        .get(&welcome)
        .await
        .expect(StatusCode::OK);

    let changed = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"email": "bob2@example.com"}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let notice = mail(&app, "address-changed-", "bob@example.com").await;
    assert!(notice.contains("bob2@example.com"), "{notice}");
    let browser = Browser::new(&app);
    browser
        .submit(
            "/login",
            "/login",
            &[("email", "bob2@example.com"), ("password", "password123")],
        )
        .await
        .assert_redirect("/");
    assert!(
        browser
            .get("/settings")
            .await
            .body
            .contains("bob2@example.com is not confirmed yet")
    );
    // The old address's link proves nothing about the new one.
    assert_eq!(
        Browser::new(&app).get(&welcome).await.status,
        StatusCode::GONE
    );
    let fresh = link_in(&mail(&app, "verify-", "bob2@example.com").await);

    // Links expire.
    db_of(&app)
        .conn()
        .expect("conn")
        .batch_execute("UPDATE email_verifications SET expires_at = '2020-01-01 00:00:00'")
        .expect("aged");
    assert!(
        Browser::new(&app)
            .get(&fresh)
            .await
            .expect(StatusCode::GONE)
            .contains("expired")
    );
    // A new one from the settings.
    browser
        .submit("/settings", "/settings/verify-email", &[])
        .await
        .assert_redirect("/settings#email-address");
    let newest = emails_to(&app, "verify-", "bob2@example.com", 2)
        .await
        .iter()
        .map(|text| link_in(text))
        .find(|link| *link != fresh)
        .expect("a new link");
    Browser::new(&app).get(&newest).await.expect(StatusCode::OK);
}

async fn unproved_accounts_may_not_publish_when_required(app: TestApp) {
    let app = app.reconfigure(|c| c.require_verified_email = true).await;
    let token = app.register("carol").await;
    let article =
        json!({"article": {"title": "Hello", "description": "d", "body": "b", "tagList": []}});
    let refused = app
        .post("/api/articles", Some(&token), article.clone())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert!(
        refused.json["errors"]["email"][0]
            .as_str()
            .unwrap_or_default()
            .contains("must be confirmed")
    );

    // The editor keeps what was written, with the reason.
    let browser = Browser::new(&app);
    browser.sign_in("carol").await;
    let page = browser
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", "Kept title"),
                ("description", "d"),
                ("body", "kept body"),
                ("tags", ""),
            ],
        )
        .await;
    assert!(page.body.contains("must be confirmed"), "{}", page.body);
    assert!(page.body.contains("Kept title"));

    // Others' articles can be read but not commented on.
    let dave = app.register("dave").await;
    let link = link_in(&mail(&app, "welcome-", "dave@example.com").await);
    Browser::new(&app).get(&link).await.expect(StatusCode::OK);
    let slug = app.publish(&dave, "Dave's", &[]).await;
    let comment = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(&token),
            json!({"comment": {"body": "hi"}}),
        )
        .await;
    assert_error(
        &comment,
        StatusCode::FORBIDDEN,
        "email",
        conduit::error::EMAIL_UNVERIFIED,
    );

    let mine = link_in(&mail(&app, "welcome-", "carol@example.com").await);
    Browser::new(&app).get(&mine).await.expect(StatusCode::OK);
    let allowed = app.post("/api/articles", Some(&token), article).await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.text);
}
