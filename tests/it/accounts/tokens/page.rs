//! Settings → Access tokens: create (the secret shown once), list, revoke, with the
//! form's errors beside their fields and the password asked once the sign-in is stale.

use awc::http::StatusCode;
use serde_json::Value;

use super::{create, secret};
use crate::helpers::TestApp;
use crate::pages::browser::{Browser, PASSWORD};

crate::tests![
    the_settings_page_creates_lists_and_revokes,
    the_page_asks_for_the_password_once_the_sign_in_is_not_fresh,
];

async fn the_settings_page_creates_lists_and_revokes(app: TestApp) {
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let settings = browser.get("/settings").await;
    assert!(settings.body.contains("href=\"/settings/tokens\""));
    let empty = browser.get("/settings/tokens").await;
    let body = empty.expect(StatusCode::OK);
    assert!(body.contains("No tokens yet"), "{body}");
    assert!(!body.contains("value=\"admin\""), "admin is not offered");
    assert!(!body.contains("id=\"current_password\""), "a fresh sign-in");

    let refused = browser
        .submit(
            "/settings/tokens",
            "/settings/tokens",
            &[("name", ""), ("expires", "30")],
        )
        .await;
    let body = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("id=\"name-error\""),
        "beside its field: {body}"
    );
    assert!(body.contains("choose at least one scope"), "{body}");
    let kept = browser
        .submit(
            "/settings/tokens",
            "/settings/tokens",
            &[
                ("name", "Kept name"),
                ("scopes", "admin"),
                ("expires", "90"),
            ],
        )
        .await;
    let body = kept.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("value=\"Kept name\""), "the input is kept");
    assert!(body.contains("value=\"90\" selected"), "{body}");
    assert!(body.contains("admin is for moderators"), "{body}");

    let created = browser
        .submit(
            "/settings/tokens",
            "/settings/tokens",
            &[
                ("name", "Blog <sync>"),
                ("scopes", "read"),
                ("scopes", "write"),
                ("expires", "never"),
            ],
        )
        .await;
    let body = created.expect(StatusCode::OK);
    assert!(body.contains("shown only this once"), "{body}");
    let marker = "data-testid=\"new-token\">";
    let start = body.find(marker).expect("the secret is shown") + marker.len();
    let shown = body[start..start + 68].to_owned();
    assert!(shown.starts_with("cdt_"), "{shown}");
    assert!(body.contains("Blog &#60;sync&#62;"), "escaped");
    assert!(body.contains("read, write"));

    let me = app.get("/api/user", Some(&shown)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let again = browser.get("/settings/tokens").await;
    let body = again.expect(StatusCode::OK);
    assert!(!body.contains(&shown), "shown once only");
    assert_eq!(again.count("data-testid=\"token\""), 1);

    let action = "/settings/tokens/1/revoke";
    assert!(body.contains(action), "{body}");
    // A stale form is refused.
    let forged = browser
        .post_raw(action, &[("csrf_token", "not-the-token")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/user", Some(&shown)).await.status,
        StatusCode::OK
    );
    browser
        .submit("/settings/tokens", action, &[])
        .await
        .assert_redirect("/settings/tokens");
    assert_eq!(
        app.get("/api/user", Some(&shown)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let after = browser.get("/settings/tokens").await;
    assert!(after.body.contains("The token was revoked"));
    assert!(after.body.contains("No tokens yet"));
    // Someone else's token cannot be revoked from the page either.
    let jwt = app.register("bob").await;
    let bobs = create(&app, &jwt, "bob's", &["read"], Value::Null).await;
    let theirs = browser
        .submit(
            "/settings/tokens",
            &format!("/settings/tokens/{}/revoke", bobs["id"]),
            &[],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/user", Some(&secret(&bobs))).await.status,
        StatusCode::OK
    );
}

async fn the_page_asks_for_the_password_once_the_sign_in_is_not_fresh(app: TestApp) {
    let app = app.reconfigure(|c| c.reauth_window_secs = 0).await;
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let form = browser.get("/settings/tokens").await;
    assert!(form.body.contains("id=\"current_password\""));
    let fields = |password: &'static str| {
        [
            ("name", "ci"),
            ("scopes", "read"),
            ("expires", "7"),
            ("current_password", password),
        ]
    };
    let missing = browser
        .submit("/settings/tokens", "/settings/tokens", &fields(""))
        .await;
    let body = missing.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("current password is needed to create a token"),
        "{body}"
    );
    assert!(
        body.contains("id=\"currentPassword-error\""),
        "beside its field"
    );
    let wrong = browser
        .submit(
            "/settings/tokens",
            "/settings/tokens",
            &fields("guess-guess"),
        )
        .await;
    assert!(
        wrong
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("current password is not right")
    );
    let right = browser
        .submit("/settings/tokens", "/settings/tokens", &fields(PASSWORD))
        .await;
    assert!(
        right
            .expect(StatusCode::OK)
            .contains("data-testid=\"new-token\"")
    );
}
