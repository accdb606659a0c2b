//! Personal access tokens: created through the API or the settings page (the secret
//! shown once, only its hash stored), scoped (`read` cannot write, `admin` is for staff),
//! expiring, listed with their last use and revoked, refused at once on every instance;
//! a warm check runs no SQL.

use std::time::{Duration, Instant};

use actix_web::test;
use awc::http::{Method, StatusCode};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use super::recovery::{ask, links};
use crate::admin::with_role;
use crate::cluster::Cluster;
use crate::helpers::{TestApp, assert_error, send};
use crate::jobs::db_of;
use crate::pages::browser::{Browser, PASSWORD};

crate::tests![
    a_token_is_shown_once_and_stored_hashed,
    a_read_token_reads_and_cannot_write,
    scopes_names_and_expiries_are_checked,
    the_admin_scope_is_for_staff_actions,
    expired_and_revoked_tokens_are_refused,
    last_use_shows_in_the_list,
    the_settings_page_creates_lists_and_revokes,
    the_page_asks_for_the_password_once_the_sign_in_is_not_fresh,
    a_password_reset_revokes_every_token,
    a_warm_token_check_runs_no_sql,
    revocation_is_refused_on_every_instance,
];

/// How long a revocation may take to reach the other instances (the broadcast's delay).
const WITHIN: Duration = Duration::from_secs(1);

/// Creates a token with `jwt`; returns the `token` object of the answer (with `secret`).
async fn create(app: &TestApp, jwt: &str, name: &str, scopes: &[&str], days: Value) -> Value {
    let reply = app
        .post(
            "/api/user/tokens",
            Some(jwt),
            json!({"token": {"name": name, "scopes": scopes, "expiresInDays": days}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["token"].clone()
}

fn secret(token: &Value) -> String {
    token["secret"].as_str().expect("secret").to_owned()
}

/// The `tokens` list of `jwt`'s account.
async fn list(app: &TestApp, jwt: &str) -> Vec<Value> {
    let reply = app.get("/api/user/tokens", Some(jwt)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["tokens"].as_array().cloned().unwrap_or_default()
}

fn sql(app: &TestApp, statement: &str) {
    db_of(app)
        .conn()
        .expect("conn")
        .batch_execute(statement)
        .expect(statement);
}

async fn a_token_is_shown_once_and_stored_hashed(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "Deploy script", &["read", "write"], json!(30)).await;
    let secret = secret(&token);
    assert!(
        secret.starts_with("cdt_") && secret.len() == 4 + 64,
        "{secret}"
    );
    assert_eq!(token["name"], "Deploy script");
    assert_eq!(token["scopes"], json!(["read", "write"]));
    assert_eq!(token["lastUsedAt"], Value::Null);
    assert!(token["expiresAt"].is_string());

    // The list never holds the secret; the database holds only its SHA-256.
    let listed = app.get("/api/user/tokens", Some(&jwt)).await;
    assert!(!listed.text.contains(&secret[4..]), "{}", listed.text);
    assert_eq!(listed.json["tokens"][0]["id"], token["id"]);
    assert!(listed.json["tokens"][0].get("secret").is_none());
    let hash = conduit::auth::link_token::stored_hash(&secret);
    sql(
        &app,
        &format!("UPDATE access_tokens SET name = 'renamed' WHERE token_hash = '{hash}'"),
    );
    assert_eq!(
        list(&app, &jwt).await[0]["name"],
        "renamed",
        "found by its hash"
    );

    // It is accepted like the JWT, and `GET /api/user` echoes it.
    let me = app.get("/api/user", Some(&secret)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json["user"]["token"], secret.as_str());
    assert_eq!(me.json["user"]["username"], "alice");
    let bearer = app
        .client
        .get(format!("{}/api/user", app.address))
        .insert_header(("Authorization", format!("Bearer {secret}")))
        .send()
        .await
        .expect("answered");
    assert_eq!(bearer.status(), StatusCode::OK, "`Bearer` works too");

    // A token cannot mint more, whatever its scopes.
    let minted = app
        .post(
            "/api/user/tokens",
            Some(&secret),
            json!({"token": {"name": "more", "scopes": ["read"]}}),
        )
        .await;
    assert_error(&minted, StatusCode::FORBIDDEN, "token", "forbidden");
    // A mistyped token is refused like a bad JWT.
    let last = if secret.ends_with('0') { '1' } else { '0' };
    let typo = format!("{}{last}", &secret[..secret.len() - 1]);
    let refused = app.get("/api/user", Some(&typo)).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
}

async fn a_read_token_reads_and_cannot_write(app: TestApp) {
    let jwt = app.register("alice").await;
    let read = secret(&create(&app, &jwt, "reader", &["read"], Value::Null).await);
    let write = secret(&create(&app, &jwt, "writer", &["write"], json!(7)).await);
    for path in ["/api/user", "/api/articles/feed", "/api/user/tokens"] {
        let reply = app.get(path, Some(&read)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    }
    let article = json!({"article": {"title": "By token", "description": "d", "body": "b"}});
    let refused = app
        .post("/api/articles", Some(&read), article.clone())
        .await;
    assert_error(
        &refused,
        StatusCode::FORBIDDEN,
        "token",
        "lacks the `write` scope",
    );
    let bio = json!({"user": {"bio": "changed"}});
    let refused = app.put("/api/user", Some(&read), bio.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let refused = app.delete("/api/user/tokens/1", Some(&read)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(
        app.get("/api/articles?author=alice", None).await.json["articlesCount"],
        0,
        "nothing was written"
    );

    // `write` writes (and reads).
    let posted = app.post("/api/articles", Some(&write), article).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    assert_eq!(posted.json["article"]["author"]["username"], "alice");
    let changed = app.put("/api/user", Some(&write), bio).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json["user"]["token"], write.as_str());
    // But a token alone cannot take the account over: a new email or password needs
    // the current password.
    let takeover = app
        .put(
            "/api/user",
            Some(&write),
            json!({"user": {"email": "mallory@example.com"}}),
        )
        .await;
    assert_error(
        &takeover,
        StatusCode::UNPROCESSABLE_ENTITY,
        "currentPassword",
        "is needed to change your email or password",
    );
    let proved = app
        .put(
            "/api/user",
            Some(&write),
            json!({"user": {"email": "alice2@example.com", "currentPassword": PASSWORD}}),
        )
        .await;
    assert_eq!(proved.status, StatusCode::OK, "{}", proved.text);
}

async fn scopes_names_and_expiries_are_checked(app: TestApp) {
    let jwt = app.register("alice").await;
    let bad = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": " ", "scopes": [], "expiresInDays": 5}}),
        )
        .await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
        "can't be blank",
    );
    assert_eq!(bad.json["errors"]["scopes"][0], "choose at least one scope");
    assert_eq!(
        bad.json["errors"]["expiresInDays"][0],
        "must be 7, 30, 90 or 365 days, or none"
    );
    let unknown = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "x".repeat(61), "scopes": ["read", "sudo"]}}),
        )
        .await;
    assert_error(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scopes",
        "`sudo` is not a scope (read, write, admin)",
    );
    assert!(unknown.json["errors"]["name"].is_array(), "too long");
    let unreadable = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "x", "scopes": "read"}}),
        )
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);

    // At most 50 live tokens; revoking one makes room.
    let mut last = Value::Null;
    for i in 0..50 {
        last = create(&app, &jwt, &format!("t{i}"), &["read"], Value::Null).await;
    }
    let over = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "one more", "scopes": ["read"]}}),
        )
        .await;
    assert_error(
        &over,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tokens",
        "are limited to 50 at a time: revoke one first",
    );
    let id = last["id"].as_i64().expect("id");
    let revoked = app
        .delete(&format!("/api/user/tokens/{id}"), Some(&jwt))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    create(&app, &jwt, "one more", &["read"], Value::Null).await;
}

async fn the_admin_scope_is_for_staff_actions(app: TestApp) {
    let jwt = app.register("alice").await;
    let refused = app
        .post(
            "/api/user/tokens",
            Some(&jwt),
            json!({"token": {"name": "power", "scopes": ["read", "admin"]}}),
        )
        .await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scopes",
        "admin is for moderators and administrators only",
    );

    let moderator = with_role(&app, "mod", "moderator").await;
    let plain = secret(&create(&app, &moderator, "plain", &["read", "write"], Value::Null).await);
    let admin = secret(&create(&app, &moderator, "staff", &["admin"], Value::Null).await);
    assert_eq!(
        app.get("/api/reports", Some(&moderator)).await.status,
        StatusCode::OK,
        "the JWT has every scope"
    );
    let without = app.get("/api/reports", Some(&plain)).await;
    assert_error(
        &without,
        StatusCode::FORBIDDEN,
        "token",
        "lacks the `admin` scope",
    );
    let with = app.get("/api/reports", Some(&admin)).await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.text);
    // `admin` does not imply `write`.
    let report = json!({"report": {"kind": "user", "target": "alice", "reason": "spam"}});
    let write = app.post("/api/reports", Some(&admin), report).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.text);
    // A plain user's token gets the plain 403, scopes or not.
    let user_token = secret(&create(&app, &jwt, "mine", &["read"], Value::Null).await);
    let queue = app.get("/api/reports", Some(&user_token)).await;
    assert_error(&queue, StatusCode::FORBIDDEN, "reports", "forbidden");

    // The document says which scope each operation needs.
    let doc = app.get("/api/openapi.json", None).await.json;
    assert_eq!(
        doc["paths"]["/api/reports"]["get"]["security"],
        json!([{"Token": ["admin"]}])
    );
    assert_eq!(
        doc["paths"]["/api/articles"]["post"]["security"],
        json!([{"Token": ["write"]}])
    );
    assert_eq!(
        doc["paths"]["/api/articles"]["get"]["security"],
        json!([{}, {"Token": ["read"]}])
    );
}

async fn expired_and_revoked_tokens_are_refused(app: TestApp) {
    let jwt = app.register("alice").await;
    let other = app.register("bob").await;
    let aged = create(&app, &jwt, "aged", &["read"], json!(7)).await;
    sql(
        &app,
        &format!(
            "UPDATE access_tokens SET expires_at = '2020-01-01 00:00:00' WHERE id = {}",
            aged["id"]
        ),
    );
    let refused = app.get("/api/user", Some(&secret(&aged))).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
    let listed = list(&app, &jwt).await;
    assert_eq!(listed[0]["expired"], true, "listed until revoked");

    let live = create(&app, &jwt, "live", &["read", "write"], Value::Null).await;
    let live_secret = secret(&live);
    let path = format!("/api/user/tokens/{}", live["id"]);
    assert_eq!(
        app.get("/api/user", Some(&live_secret)).await.status,
        StatusCode::OK
    );
    // Someone else's token is not found, for them.
    let foreign = app.delete(&path, Some(&other)).await;
    assert_error(&foreign, StatusCode::NOT_FOUND, "token", "not found");
    assert_eq!(
        app.get("/api/user", Some(&live_secret)).await.status,
        StatusCode::OK
    );
    // A token may revoke itself; it is refused on the very next request.
    let revoked = app.delete(&path, Some(&live_secret)).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let refused = app.get("/api/user", Some(&live_secret)).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
    assert_eq!(
        app.delete(&path, Some(&jwt)).await.status,
        StatusCode::NOT_FOUND,
        "revoked already"
    );
    assert!(
        !list(&app, &jwt).await.iter().any(|t| t["id"] == live["id"]),
        "revoked tokens are not listed"
    );
}

/// Waits until `jwt`'s token `id` shows a last use; returns it.
async fn last_used(app: &TestApp, jwt: &str, id: &Value) -> String {
    let started = Instant::now();
    loop {
        let tokens = list(app, jwt).await;
        let token = tokens.iter().find(|t| t["id"] == *id).expect("listed");
        if let Some(at) = token["lastUsedAt"].as_str() {
            return at.to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no last use");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn last_use_shows_in_the_list(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "cron", &["read"], Value::Null).await;
    assert_eq!(list(&app, &jwt).await[0]["lastUsedAt"], Value::Null);
    for _ in 0..3 {
        let used = app.get("/api/articles/feed", Some(&secret(&token))).await;
        assert_eq!(used.status, StatusCode::OK, "{}", used.text);
    }
    let first = last_used(&app, &jwt, &token["id"]).await;
    // Written at most once in five minutes, not per request.
    app.get("/api/user", Some(&secret(&token))).await;
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(last_used(&app, &jwt, &token["id"]).await, first);
}

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

async fn a_password_reset_revokes_every_token(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = secret(&create(&app, &jwt, "laptop", &["read"], Value::Null).await);
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    ask(&app, "alice@example.com").await.expect(StatusCode::OK);
    let link = links(&app, "alice@example.com", 1).await.remove(0);
    Browser::new(&app)
        .submit(&link, &link, &[("password", "a-fresh-password-1")])
        .await
        .assert_redirect("/login");
    // Signed out everywhere: a token minted by whoever had the account goes too.
    let refused = app.get("/api/user", Some(&token)).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "token", "is invalid");
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "alice@example.com", "password": "a-fresh-password-1"}}),
        )
        .await;
    let fresh = login.json["user"]["token"].as_str().expect("token");
    assert!(list(&app, fresh).await.is_empty());
}

async fn a_warm_token_check_runs_no_sql(app: TestApp) {
    let (db, _caches, service) = crate::counted_service!(&app);
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "hot", &["read"], Value::Null).await;
    let secret = secret(&token);
    let paths = ["/api/user", "/api/articles/feed"];
    let call = async |path: &str| {
        let request = test::TestRequest::get()
            .uri(path)
            .insert_header(("Authorization", format!("Token {secret}")))
            .to_request();
        let response = test::call_service(&service, request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    };
    for path in paths {
        call(path).await;
    }
    // The first use is recorded in the background; then nothing is written for a while.
    last_used(&app, &jwt, &token["id"]).await;
    for path in paths {
        let before = db.queries_executed();
        call(path).await;
        assert_eq!(
            db.queries_executed() - before,
            0,
            "{path}: warm, with a token"
        );
    }
}

async fn revocation_is_refused_on_every_instance(app: TestApp) {
    let jwt = app.register("alice").await;
    let token = create(&app, &jwt, "everywhere", &["read", "write"], Value::Null).await;
    let secret = secret(&token);
    // Three instances on PostgreSQL; on SQLite one server per file (this one).
    let postgres = app.config.database_url.kind() == conduit::db::BackendKind::Postgres;
    let cluster = Cluster::start(&app, if postgres { 3 } else { 0 }, &[]).await;
    let mut bases: Vec<String> = cluster.nodes.iter().map(|n| n.base.clone()).collect();
    if bases.is_empty() {
        bases.push(app.address.clone());
    }
    let status = async |base: &str| {
        send(
            &app.client,
            base,
            Method::GET,
            "/api/user",
            Some(&secret),
            None,
        )
        .await
        .status
    };
    // Every instance holds the token's grant and its owner's live set.
    for base in &bases {
        for _ in 0..2 {
            assert_eq!(status(base).await, StatusCode::OK, "{base}");
        }
    }
    let path = format!("/api/user/tokens/{}", token["id"]);
    let revoked = send(
        &app.client,
        &bases[0],
        Method::DELETE,
        &path,
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let since = Instant::now();
    assert_eq!(
        status(&bases[0]).await,
        StatusCode::UNAUTHORIZED,
        "the revoking instance refuses it on the very next request"
    );
    for (i, base) in bases.iter().enumerate().skip(1) {
        while status(base).await != StatusCode::UNAUTHORIZED {
            assert!(
                since.elapsed() < WITHIN,
                "instance {i} still takes the revoked token"
            );
            actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let delay = since.elapsed();
    // Refused for good: no instance takes it again.
    for base in &bases {
        for _ in 0..3 {
            assert_eq!(status(base).await, StatusCode::UNAUTHORIZED, "{base}");
        }
    }
    eprintln!("revocation reached every instance in {delay:?}");
}
