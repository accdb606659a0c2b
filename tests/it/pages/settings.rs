//! The settings page.

use awc::http::StatusCode;

use super::browser::Browser;
use crate::helpers::TestApp;
use crate::tests;

tests![
    settings_show_the_account,
    settings_save_and_go_to_the_profile,
    refused_settings_keep_input_but_not_password,
    the_webhooks_page_explains_the_signature,
    new_password_works_at_next_sign_in,
];

async fn settings_show_the_account(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    let page = browser.get("/settings").await;
    let body = page.expect(StatusCode::OK);
    for field in [
        "name=\"image\"",
        "name=\"username\" value=\"alice\"",
        "name=\"bio\"",
        "name=\"email\" value=\"alice@example.com\"",
        "name=\"password\"",
    ] {
        assert!(body.contains(field), "{field}");
    }
    assert!(body.contains("Update Settings</button>"));
}

async fn settings_save_and_go_to_the_profile(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    browser
        .submit(
            "/settings",
            "/settings",
            &[
                ("image", "https://example.com/alice.png"),
                ("username", "alice"),
                ("bio", "I write <em>things</em>."),
                ("email", "alice@example.com"),
                ("password", ""),
            ],
        )
        .await
        .assert_redirect("/profile/alice");
    let body = browser.get("/profile/alice").await.body;
    assert!(body.contains("Your settings were saved."));
    assert!(body.contains("<img class=\"user-img\" src=\"https://example.com/alice.png\""));
    assert!(body.contains("I write &#60;em&#62;things&#60;/em&#62;."));
    assert!(body.contains("class=\"user-pic\" src=\"https://example.com/alice.png\""));
    assert!(body.contains("&#34;image&#34;:&#34;https://example.com/alice.png&#34;"));
    // The debug hook's attribute: the JSON escaped for HTML.
    assert!(body.contains("&#34;bio&#34;:&#34;I write &#60;em&#62;things&#60;/em&#62;.&#34;"));
}

async fn refused_settings_keep_input_but_not_password(app: TestApp) {
    app.register("bob").await;
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    let page = browser
        .submit(
            "/settings",
            "/settings",
            &[
                ("image", "javascript:alert(1)"),
                ("username", "alice"),
                ("bio", "kept bio"),
                ("email", "bob@example.com"),
                ("password", "new-secret-99"),
            ],
        )
        .await;
    let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("<li>image must be an http:// or https:// URL</li>"),
        "{body}"
    );
    assert!(body.contains(">kept bio</textarea>"));
    assert!(!body.contains("new-secret-99"));
    let taken = browser
        .submit(
            "/settings",
            "/settings",
            &[
                ("image", ""),
                ("username", "alice"),
                ("bio", ""),
                ("email", "bob@example.com"),
                ("password", ""),
            ],
        )
        .await;
    assert!(
        taken
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("<li>email has already been taken</li>")
    );
}

async fn new_password_works_at_next_sign_in(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("alice").await;
    browser
        .submit(
            "/settings",
            "/settings",
            &[
                ("image", ""),
                ("username", "alice"),
                ("bio", ""),
                ("email", "alice@example.com"),
                ("password", "brand-new-pass"),
            ],
        )
        .await
        .assert_redirect("/profile/alice");
    let fresh = Browser::new(&app);
    fresh
        .submit(
            "/login",
            "/login",
            &[
                ("email", "alice@example.com"),
                ("password", "brand-new-pass"),
            ],
        )
        .await
        .assert_redirect("/");
}

async fn the_webhooks_page_explains_the_signature(app: TestApp) {
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let page = browser.get("/settings/webhooks").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("<a href=\"#verify\">how to verify a delivery</a>"));
    assert!(body.contains("<h2 id=\"verify-heading\">How to verify a delivery</h2>"));
    assert!(body.contains("<code>X-Conduit-Signature</code>"));
    assert!(
        body.contains("hmac.compare_digest(expected, fields[\"v1\"])"),
        "{body}"
    );
}
