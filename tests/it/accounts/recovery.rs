//! "Forgot password?": links by email that work once, for an hour, only while newest;
//! the same answer for unknown addresses; a reset signs out everywhere, on every
//! instance.

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::cluster::Cluster;
use crate::helpers::{TestApp, emails, emails_to};
use crate::jobs::{count_jobs, db_of};
use crate::pages::browser::{Browser, PASSWORD};

crate::tests![
    a_link_resets_the_password_once_and_signs_out_everywhere,
    older_expired_and_mistyped_links_are_refused,
    unknown_addresses_get_the_same_answer_in_the_same_time,
    requests_are_limited_per_address,
];

/// Asks for a link for `email` through the form; answers the page.
pub async fn ask(app: &TestApp, email: &str) -> crate::pages::browser::Page {
    Browser::new(app)
        .submit("/password/forgot", "/password/forgot", &[("email", email)])
        .await
}

/// The recovery links mailed to `email` (`/password/reset/<token>` paths, in no order),
/// once there are at least `count`.
pub async fn links(app: &TestApp, email: &str, count: usize) -> Vec<String> {
    emails_to(app, "password-reset-", email, count)
        .await
        .iter()
        .map(|text| {
            let at = text.find("/password/reset/").expect("a link");
            text[at..at + "/password/reset/".len() + 64].to_owned()
        })
        .collect()
}

async fn a_link_resets_the_password_once_and_signs_out_everywhere(app: TestApp) {
    let token = app.register("alice").await;
    let session = Browser::new(&app);
    session.sign_in("alice").await;
    // Three more instances on PostgreSQL; on SQLite one server per file (this one).
    let postgres = app.config.database_url.kind() == conduit::db::BackendKind::Postgres;
    let cluster = Cluster::start(&app, if postgres { 3 } else { 0 }, &[]).await;
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    for node in &cluster.nodes {
        assert_eq!(
            node.get("/api/user", Some(&token)).await.status,
            StatusCode::OK
        );
    }

    let asked = ask(&app, "Alice@Example.com").await;
    let body = asked.expect(StatusCode::OK);
    assert!(body.contains("data-testid=\"recovery-sent\""), "{body}");
    let link = links(&app, "alice@example.com", 1).await.remove(0);

    let browser = Browser::new(&app);
    assert!(
        browser
            .get(&link)
            .await
            .expect(StatusCode::OK)
            .contains("New password")
    );
    let short = browser.submit(&link, &link, &[("password", "short")]).await;
    let body = short.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"password-error\""), "{body}");
    assert_eq!(browser.get(&link).await.status, StatusCode::OK, "not spent");

    browser
        .submit(&link, &link, &[("password", "a-fresh-password-1")])
        .await
        .assert_redirect("/login");
    // Signed out everywhere, at once: the old API token on every instance, the session.
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    for (i, node) in cluster.nodes.iter().enumerate() {
        let since = Instant::now();
        while node.get("/api/user", Some(&token)).await.status != StatusCode::UNAUTHORIZED {
            assert!(
                since.elapsed() < Duration::from_secs(1),
                "instance {i} still takes the old token"
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }
    session.get("/settings").await.assert_redirect("/login");
    let login = |password: &'static str| {
        app.post(
            "/api/users/login",
            None,
            json!({"user": {"email": "alice@example.com", "password": password}}),
        )
    };
    assert_eq!(login(PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let fresh = login("a-fresh-password-1").await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    let new_token = fresh.json["user"]["token"].as_str().expect("token");
    assert_eq!(
        app.get("/api/user", Some(new_token)).await.status,
        StatusCode::OK
    );

    let again = browser
        .submit(
            "/password/forgot",
            &link,
            &[("password", "another-password-2")],
        )
        .await;
    assert!(again.expect(StatusCode::GONE).contains("used already"));
}

async fn older_expired_and_mistyped_links_are_refused(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    app.register("bob").await;
    ask(&app, "bob@example.com").await.expect(StatusCode::OK);
    let first = links(&app, "bob@example.com", 1).await.remove(0);
    ask(&app, "bob@example.com").await.expect(StatusCode::OK);
    let second = links(&app, "bob@example.com", 2)
        .await
        .into_iter()
        .find(|l| *l != first)
        .expect("a second link");
    let browser = Browser::new(&app);
    let superseded = browser.get(&first).await;
    assert!(
        superseded
            .expect(StatusCode::GONE)
            .contains("a newer one was sent")
    );
    assert_eq!(browser.get(&second).await.status, StatusCode::OK);

    let db = db_of(&app);
    db.conn()
        .expect("conn")
        .batch_execute("UPDATE password_resets SET expires_at = '2020-01-01 00:00:00'")
        .expect("aged");
    let expired = browser
        .submit(
            "/password/forgot",
            &second,
            &[("password", "a-fresh-password-1")],
        )
        .await;
    assert!(expired.expect(StatusCode::GONE).contains("expired"));
    let wrong = format!("/password/reset/{}", "0".repeat(64));
    assert!(
        browser
            .get(&wrong)
            .await
            .expect(StatusCode::GONE)
            .contains("not valid")
    );
    assert!(
        browser
            .get("/password/reset/x")
            .await
            .expect(StatusCode::GONE)
            .contains("not valid")
    );
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "bob@example.com", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "the password is unchanged");
}

fn queued_resets(app: &TestApp) -> i64 {
    count_jobs(&db_of(app), "email.password_reset", None)
}

/// Known and unknown addresses: the same status, the same page but for the address,
/// the same work (one queued job) and a similar time.
async fn unknown_addresses_get_the_same_answer_in_the_same_time(app: TestApp) {
    const ROUNDS: usize = 12;
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    for i in 0..ROUNDS {
        app.register(&format!("known{i}")).await;
    }
    let mut times = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        for known in [true, false] {
            let email = if known {
                format!("known{i}@example.com")
            } else {
                format!("stranger{i}@example.com")
            };
            let before = queued_resets(&app);
            let browser = Browser::new(&app);
            let page = browser.get("/password/forgot").await;
            assert_eq!(page.status, StatusCode::OK);
            let started = Instant::now();
            let answer = browser
                .post_raw(
                    "/password/forgot",
                    &[("csrf_token", &page.csrf()), ("email", &email)],
                )
                .await;
            let took = started.elapsed();
            assert_eq!(answer.status, StatusCode::OK, "{email}");
            let page = answer.body.replace(&email, "ADDRESS");
            let page = page[page.find("<main").unwrap_or(0)..].to_owned();
            assert!(page.contains("If an account uses ADDRESS"), "{page}");
            assert_eq!(queued_resets(&app), before + 1, "one job for {email}");
            if known { &mut times.0 } else { &mut times.1 }.push(took);
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (known, unknown) = (median(&mut times.0), median(&mut times.1));
    let gap = known.abs_diff(unknown);
    assert!(
        gap < Duration::from_millis(15) + known.max(unknown) / 2,
        "known {known:?} vs unknown {unknown:?}"
    );
    // Only the known addresses get mail.
    links(&app, "known0@example.com", 1).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let strangers = emails(&app)
        .iter()
        .filter(|(_, text)| text.contains("To: stranger"))
        .count();
    assert_eq!(strangers, 0);
}

async fn requests_are_limited_per_address(app: TestApp) {
    assert_eq!(ask(&app, "carol@example.com").await.status, StatusCode::OK);
    let again = ask(&app, "CAROL@example.com").await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.body
    );
    assert_eq!(ask(&app, "dave@example.com").await.status, StatusCode::OK);
    let bad = ask(&app, "not-an-address").await;
    let body = bad.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"email-error\""), "{body}");
}
