//! Suspension: sign-in refused with the reason, API tokens refused, open sessions
//! ended; lifting it restores everything. Forced password resets.

use awc::http::StatusCode;
use serde_json::json;

use super::{create_admin, post, signed_in, with_role};
use crate::helpers::{TestApp, assert_error};
use crate::pages::browser::{Browser, PASSWORD};
use crate::tests;

tests![
    suspended_users_cannot_sign_in_or_use_tokens,
    suspension_rules_and_end_dates,
    forced_password_reset_blocks_tokens_until_changed,
];

async fn login_api(app: &TestApp, username: &str, password: &str) -> crate::helpers::Reply {
    app.post(
        "/api/users/login",
        None,
        json!({"user": {"email": format!("{username}@example.com"), "password": password}}),
    )
    .await
}

async fn suspended_users_cannot_sign_in_or_use_tokens(app: TestApp) {
    create_admin(&app, "boss");
    let token = app.register("victim").await;
    let session = signed_in(&app, "victim").await;
    let admin = signed_in(&app, "boss").await;

    // The first post is the confirmation step: nothing happens yet.
    let page = post(
        &admin,
        "/admin/users/victim/suspend",
        &[("reason", "posting spam")],
    )
    .await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("Suspend victim?"), "{body}");
    assert!(body.contains("name=\"confirm\" value=\"yes\""));
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );

    post(
        &admin,
        "/admin/users/victim/suspend",
        &[("reason", "posting spam"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/users/victim");
    let page = admin.get("/admin/users/victim").await;
    assert!(
        page.body
            .contains("this account is suspended: posting spam")
    );

    // The token stops working at once, with the reason.
    let reply = app.get("/api/user", Some(&token)).await;
    assert_error(
        &reply,
        StatusCode::FORBIDDEN,
        "account",
        "this account is suspended: posting spam",
    );
    // Signing in: the reason after the right password only.
    let reply = login_api(&app, "victim", PASSWORD).await;
    assert_error(
        &reply,
        StatusCode::FORBIDDEN,
        "account",
        "this account is suspended: posting spam",
    );
    let reply = login_api(&app, "victim", "wrong-password").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(!reply.text.contains("spam"));
    let fresh = Browser::new(&app);
    let page = fresh
        .submit(
            "/login",
            "/login",
            &[("email", "victim@example.com"), ("password", PASSWORD)],
        )
        .await;
    let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("this account is suspended: posting spam"),
        "{body}"
    );
    assert!(
        !fresh
            .get("/")
            .await
            .body
            .contains("data-auth-state=\"authenticated\"")
    );

    // The open session ends, and the page says why.
    let page = session.get("/").await;
    assert!(page.body.contains("data-auth-state=\"unauthenticated\""));
    assert!(
        page.body
            .contains("This account is suspended: posting spam")
    );
    session.get("/settings").await.assert_redirect("/login");

    // Lifted: everything works again.
    post(&admin, "/admin/users/victim/unsuspend", &[])
        .await
        .assert_redirect("/admin/users/victim");
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login_api(&app, "victim", PASSWORD).await.status,
        StatusCode::OK
    );
}

async fn suspension_rules_and_end_dates(app: TestApp) {
    create_admin(&app, "boss");
    with_role(&app, "modest", "moderator").await;
    with_role(&app, "chief", "admin").await;
    let token = app.register("victim").await;
    let moderator = signed_in(&app, "modest").await;
    let admin = signed_in(&app, "boss").await;

    // A reason is required, the end date must lie ahead; the input is kept.
    let page = post(
        &admin,
        "/admin/users/victim/suspend",
        &[("reason", " "), ("until", "2020-01-01"), ("confirm", "yes")],
    )
    .await;
    let body = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("reason can&#39;t be blank") || body.contains("reason can't be blank"),
        "{body}"
    );
    assert!(body.contains("until must be today or a later day"));
    assert!(body.contains("value=\"2020-01-01\""));

    // Moderators suspend plain users, not staff; nobody suspends themselves.
    let page = post(
        &moderator,
        "/admin/users/chief/suspend",
        &[("reason", "x"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = post(
        &admin,
        "/admin/users/boss/suspend",
        &[("reason", "x"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("user is you"));
    // Admins may suspend admins.
    post(
        &admin,
        "/admin/users/chief/suspend",
        &[("reason", "on leave"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/users/chief");

    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    post(
        &moderator,
        "/admin/users/victim/suspend",
        &[
            ("reason", "cool down"),
            ("until", &until),
            ("confirm", "yes"),
        ],
    )
    .await
    .assert_redirect("/admin/users/victim");
    let reply = app.get("/api/articles/feed", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.json["errors"]["account"][0]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("suspended through {until} (UTC): cool down")),
        "{}",
        reply.text
    );
    // "Through today" holds for the rest of today (UTC), to the next midnight.
    let today = chrono::Utc::now().date_naive();
    post(
        &moderator,
        "/admin/users/victim/unsuspend",
        &[("confirm", "yes")],
    )
    .await;
    post(
        &moderator,
        "/admin/users/victim/suspend",
        &[
            ("reason", "rest of the day"),
            ("until", &today.format("%Y-%m-%d").to_string()),
            ("confirm", "yes"),
        ],
    )
    .await
    .assert_redirect("/admin/users/victim");
    let reply = app.get("/api/articles/feed", Some(&token)).await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "suspended for all of today"
    );
    assert!(
        reply
            .text
            .contains(&format!("suspended through {today} (UTC)"))
    );
    let yesterday = (today - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let page = post(
        &moderator,
        "/admin/users/victim/suspend",
        &[
            ("reason", "late"),
            ("until", &yesterday),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = admin.get("/admin/users?q=vict").await;
    assert!(list.body.contains("suspended</span>"));
    assert!(list.body.contains("1 account"));
}

async fn forced_password_reset_blocks_tokens_until_changed(app: TestApp) {
    create_admin(&app, "boss");
    let token = app.register("forgetful").await;
    let admin = signed_in(&app, "boss").await;
    let page = post(&admin, "/admin/users/forgetful/reset-password", &[]).await;
    assert!(
        page.expect(StatusCode::OK)
            .contains("Require forgetful to choose a new password?")
    );
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    post(
        &admin,
        "/admin/users/forgetful/reset-password",
        &[("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/users/forgetful");
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        login_api(&app, "forgetful", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );

    // Signing in on the site leads to the settings page; a new password clears it.
    let browser = Browser::new(&app);
    browser
        .submit(
            "/login",
            "/login",
            &[("email", "forgetful@example.com"), ("password", PASSWORD)],
        )
        .await
        .assert_redirect("/settings");
    let page = browser.get("/settings").await;
    assert!(page.body.contains("choose a new password"));
    browser
        .submit(
            "/settings",
            "/settings",
            &[
                ("username", "forgetful"),
                ("email", "forgetful@example.com"),
                ("password", "a-brand-new-password"),
            ],
        )
        .await
        .assert_redirect("/profile/forgetful");
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login_api(&app, "forgetful", "a-brand-new-password")
            .await
            .status,
        StatusCode::OK
    );
}
