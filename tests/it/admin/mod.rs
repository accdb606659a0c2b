//! The admin area: roles from the command line, the guarded `/admin` routes, suspension,
//! hidden content, tags, reports and the audit log.

mod access;
mod audit;
mod reports;
mod suspension;
mod tags;
mod visibility;

use std::io::Write;

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{ServerProcess, TestApp};
use crate::pages::browser::{Browser, PASSWORD, Page};

/// Every admin test.
pub fn tests() -> Vec<(&'static str, crate::helpers::TestFn)> {
    [
        access::tests(),
        suspension::tests(),
        visibility::tests(),
        tags::tests(),
        reports::tests(),
        audit::tests(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Runs `conduit admin ARGS…` on the test's database with `stdin` piped in; returns
/// whether it succeeded and what it printed.
pub fn cli(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = ServerProcess::command(app)
        .arg("admin")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("conduit admin starts");
    // A command that refuses its arguments exits before reading stdin: a broken pipe
    // is then expected, and its output still tells what happened.
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    let output = child.wait_with_output().expect("conduit admin ends");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// Creates an admin through `conduit admin create` (password on stdin), with the
/// email and password every test account has.
pub fn create_admin(app: &TestApp, username: &str) {
    let email = format!("{username}@example.com");
    let (ok, out) = cli(
        app,
        &["create", "--username", username, "--email", &email],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "admin create failed: {out}");
    assert!(out.contains(&format!("created admin {username}")), "{out}");
}

/// Registers `username` through the API and gives it `role` through `conduit admin
/// promote`; returns its API token.
pub async fn with_role(app: &TestApp, username: &str, role: &str) -> String {
    let token = app.register(username).await;
    let (ok, out) = cli(app, &["promote", username, "--role", role], "");
    assert!(ok, "promote failed: {out}");
    token
}

/// A browser signed in as `username`.
pub async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = Browser::new(app);
    browser.sign_in(username).await;
    browser
}

/// Posts `fields` to `action` with the session's CSRF token (read from the settings
/// page, which every signed-in user has).
pub async fn post(browser: &Browser, action: &str, fields: &[(&str, &str)]) -> Page {
    browser.submit("/settings", action, fields).await
}

/// The number of audit entries matching `query` (e.g. `action=tag.merge`), read from
/// the total on `/admin/audit` as `admin` sees it.
pub async fn audit_total(admin: &Browser, query: &str) -> usize {
    let page = admin.get(&format!("/admin/audit?{query}")).await;
    let body = page.expect(StatusCode::OK);
    let marker = "<p class=\"muted\">";
    let start = body.find(marker).expect("total shown") + marker.len();
    let digits: String = body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a number")
}

/// A comment by `token` on `slug`; returns its id.
pub async fn comment(app: &TestApp, token: &str, slug: &str, body: &str) -> i64 {
    let reply = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(token),
            json!({"comment": {"body": body}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["comment"]["id"].as_i64().expect("comment id")
}
