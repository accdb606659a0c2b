//! Every `/admin` route against every kind of visitor: signed out → the sign-in page,
//! plain users → 403, moderators → their part only, admins → everything. The routes
//! come from the application's own table, so a new route cannot be left out.

use awc::http::StatusCode;
use conduit::domain::roles::Role;
use conduit::routes::pages::admin::ROUTES;
use serde_json::json;

use super::{cli, comment, create_admin, post, signed_in, with_role};
use crate::helpers::TestApp;
use crate::pages::browser::{Browser, Page};
use crate::tests;

tests![
    every_admin_route_is_guarded_by_role,
    the_navbar_links_the_admin_area_for_staff_only,
    the_command_line_refuses_bad_input,
];

/// Concrete path and form fields for a route pattern.
fn concrete(
    path: &str,
    slug: &str,
    comment_id: &str,
    report_id: &str,
) -> (String, Vec<(&'static str, String)>) {
    let mut url = format!("/admin{path}")
        .replace("{username}", "target")
        .replace("{slug}", slug);
    let mut fields = Vec::new();
    if path.starts_with("/articles/") || path.starts_with("/comments/") {
        url = url.replace("{action}", "hide").replace("{id}", comment_id);
    }
    if path.starts_with("/jobs/") {
        // No such job: retrying it is a no-op and discarding it only asks to confirm.
        url = url.replace("{id}", "999999");
    }
    if path.starts_with("/images/") {
        // No such image: removing it is a no-op that says so.
        url = url.replace("{id}", "999999");
    }
    if path.starts_with("/reports/") {
        url = url.replace("{id}", report_id);
        // Deleting asks for confirmation, so no visitor changes anything here.
        fields = vec![
            ("action", "delete".to_owned()),
            ("note", "checked".to_owned()),
        ];
    }
    match path {
        "/users/{username}/suspend" => fields = vec![("reason", "spam".to_owned())],
        "/users/{username}/role" => fields = vec![("role", "user".to_owned())],
        // Renaming a tag to itself changes nothing and succeeds.
        "/tags/rename" => {
            fields = vec![("from", "alpha".to_owned()), ("to", "alpha".to_owned())];
        }
        "/tags/merge" => fields = vec![("from", "alpha".to_owned()), ("into", "beta".to_owned())],
        _ => {}
    }
    assert!(!url.contains('{'), "placeholder left in {url}");
    (url, fields)
}

async fn visit(browser: &Browser, method: &str, url: &str, fields: &[(&str, String)]) -> Page {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if method == "get" {
        browser.get(url).await
    } else {
        post(browser, url, &fields).await
    }
}

async fn every_admin_route_is_guarded_by_role(app: TestApp) {
    create_admin(&app, "boss");
    with_role(&app, "modest", "moderator").await;
    let pleb = app.register("pleb").await;
    let target = app.register("target").await;
    let slug = app
        .publish(&target, "Reported post", &["alpha", "beta"])
        .await;
    let comment_id = comment(&app, &target, &slug, "a comment").await.to_string();
    let reply = app
        .post(
            "/api/reports",
            Some(&pleb),
            json!({"report": {"kind": "article", "target": slug, "reason": "spam"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let report_id = reply.json["report"]["id"].to_string();

    let anonymous = Browser::new(&app);
    let user = signed_in(&app, "pleb").await;
    let moderator = signed_in(&app, "modest").await;
    let admin = signed_in(&app, "boss").await;
    assert!(ROUTES.len() >= 17, "the table lists every admin route");

    for route in ROUTES {
        let (url, fields) = concrete(route.path, &slug, &comment_id, &report_id);
        let label = format!("{} {url}", route.method);

        // Signed out: straight to the sign-in page (no CSRF token needed to be refused).
        let page = if route.method == "get" {
            anonymous.get(&url).await
        } else {
            let raw: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            anonymous.post_raw(&url, &raw).await
        };
        assert_eq!(page.status, StatusCode::SEE_OTHER, "anonymous {label}");
        assert_eq!(page.location(), "/login", "anonymous {label}");

        // A plain user with a valid form: 403, the staff-only page.
        let page = visit(&user, route.method, &url, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "user {label}");
        assert!(
            page.body.contains("Staff only"),
            "user {label}: {}",
            page.body
        );

        // A moderator: their part only.
        let page = visit(&moderator, route.method, &url, &fields).await;
        if route.role == Role::Moderator {
            assert_allowed(&page, &format!("moderator {label}"));
        } else {
            assert_eq!(page.status, StatusCode::FORBIDDEN, "moderator {label}");
            assert!(page.body.contains("Staff only"), "moderator {label}");
        }

        // An admin: everything.
        let page = visit(&admin, route.method, &url, &fields).await;
        assert_allowed(&page, &format!("admin {label}"));
    }
}

/// Served: a page (200, or a confirmation step) or a redirect after the action, never
/// a refusal or the sign-in page.
fn assert_allowed(page: &Page, label: &str) {
    match page.status {
        StatusCode::OK => assert!(page.body.contains("class=\"admin-nav\""), "{label}"),
        StatusCode::SEE_OTHER => assert_ne!(page.location(), "/login", "{label}"),
        other => panic!("{label}: {other}\n{}", page.body),
    }
}

async fn the_navbar_links_the_admin_area_for_staff_only(app: TestApp) {
    create_admin(&app, "boss");
    with_role(&app, "modest", "moderator").await;
    app.register("pleb").await;
    let link = "href=\"/admin\"><i class=\"ion-flag\" aria-hidden=\"true\"></i> Admin</a>";
    let body = Browser::new(&app).get("/").await.body;
    assert!(!body.contains(link));
    let body = signed_in(&app, "pleb").await.get("/").await.body;
    assert!(!body.contains(link), "no admin link for a plain user");

    let moderator = signed_in(&app, "modest").await;
    assert!(moderator.get("/").await.body.contains(link));
    let dashboard = moderator.get("/admin").await;
    let body = dashboard.expect(StatusCode::OK);
    assert!(body.contains("href=\"/admin/reports\""));
    assert!(
        !body.contains("href=\"/admin/audit\""),
        "audit log is for admins"
    );
    assert!(body.contains("<svg"), "the chart is drawn on the server");
    assert!(body.contains("users</span>"));

    let admin = signed_in(&app, "boss").await;
    let body = admin.get("/admin").await.body;
    assert!(body.contains(link));
    assert!(body.contains("href=\"/admin/audit\""));
    // The dashboard counts: boss, modest, pleb.
    assert!(body.contains("<span class=\"admin-stat-value\">3</span> <span class=\"admin-stat-label\">users</span>"), "{body}");
}

async fn the_command_line_refuses_bad_input(app: TestApp) {
    let (ok, out) = cli(
        &app,
        &[
            "create",
            "--username",
            "boss",
            "--email",
            "boss@example.com",
        ],
        "short\n",
    );
    assert!(!ok);
    assert!(out.contains("password is too short"), "{out}");
    assert!(!out.contains("short\n"), "the password is not echoed back");
    let (ok, out) = cli(&app, &["create", "--username", "boss"], "password123\n");
    assert!(!ok && out.contains("missing --email"), "{out}");
    let (ok, out) = cli(&app, &["promote", "nobody", "--role", "admin"], "");
    assert!(!ok && out.contains("no such user"), "{out}");
    app.register("someone").await;
    let (ok, out) = cli(&app, &["promote", "someone", "--role", "root"], "");
    assert!(!ok && out.contains("unknown role"), "{out}");
    let (ok, out) = cli(&app, &["promote", "someone", "--role", "moderator"], "");
    assert!(ok, "{out}");
    // The same email twice is refused.
    create_admin(&app, "boss");
    let (ok, out) = cli(
        &app,
        &[
            "create",
            "--username",
            "boss2",
            "--email",
            "boss@example.com",
        ],
        "password123\n",
    );
    assert!(!ok && out.contains("email has already been taken"), "{out}");
}
