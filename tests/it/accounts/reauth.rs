//! Changing the email or the password asks for the current password: on the site once
//! the sign-in is no longer fresh (and always with a window of 0, as here); on the API
//! whenever `currentPassword` is given (RealWorld clients send none).

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};
use crate::pages::browser::{Browser, PASSWORD};

crate::tests![
    the_settings_form_asks_for_the_current_password,
    a_fresh_sign_in_may_change_them_at_once,
    the_api_checks_a_current_password_when_given,
];

fn settings<'a>(email: &'a str, password: &'a str, current: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", "alice"),
        ("email", email),
        ("bio", "hello"),
        ("image", ""),
        ("password", password),
        ("current_password", current),
    ]
}

async fn the_settings_form_asks_for_the_current_password(app: TestApp) {
    let app = app.reconfigure(|c| c.reauth_window_secs = 0).await;
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;

    let missing = browser
        .submit(
            "/settings",
            "/settings",
            &settings("new@example.com", "", ""),
        )
        .await;
    let body = missing.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("current password is needed to change your email or password"),
        "{body}"
    );
    assert!(
        body.contains("id=\"currentPassword-error\""),
        "beside its field"
    );
    assert!(
        body.contains("value=\"new@example.com\""),
        "the input is kept"
    );

    let wrong = browser
        .submit(
            "/settings",
            "/settings",
            &settings("alice@example.com", "a-new-password-1", "guess-guess"),
        )
        .await;
    let body = wrong.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("current password is not right"), "{body}");

    // Bio and the rest need no password.
    browser
        .submit(
            "/settings",
            "/settings",
            &settings("alice@example.com", "", ""),
        )
        .await
        .assert_redirect("/profile/alice");

    browser
        .submit(
            "/settings",
            "/settings",
            &settings("alice@example.com", "a-new-password-1", PASSWORD),
        )
        .await
        .assert_redirect("/profile/alice");
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "alice@example.com", "password": "a-new-password-1"}}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "the new password works");
}

async fn a_fresh_sign_in_may_change_them_at_once(app: TestApp) {
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    browser
        .submit(
            "/settings",
            "/settings",
            &settings("alice2@example.com", "a-new-password-1", ""),
        )
        .await
        .assert_redirect("/profile/alice");
    let me = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "alice2@example.com", "password": "a-new-password-1"}}),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
}

async fn the_api_checks_a_current_password_when_given(app: TestApp) {
    let token = app.register("alice").await;
    let wrong = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"password": "a-new-password-1", "currentPassword": "nope-nope"}}),
        )
        .await;
    assert_error(
        &wrong,
        StatusCode::UNPROCESSABLE_ENTITY,
        "currentPassword",
        "is not right",
    );
    let right = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"password": "a-new-password-1", "currentPassword": PASSWORD}}),
        )
        .await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);
    // RealWorld clients send none, and keep working.
    let plain = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"email": "alice3@example.com"}}),
        )
        .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);
}
