//! Notifications for followers, email files with a working unsubscribe link, the bell,
//! idempotency keys, and the admin jobs page.

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::{app_handler, count_jobs, db_of, eventually, notices_in, unmailed, user_id};
use crate::admin::comment;
use crate::helpers::{TestApp, emails, emails_to};
use crate::pages::browser::Browser;

crate::tests![
    followers_are_notified_and_emailed_with_unsubscribe,
    emails_claimed_together_follow_each_recipients_state,
    a_batch_of_notification_emails_reads_its_data_in_one_statement,
    a_backlog_of_notifications_goes_out_in_bounded_emails,
    idempotent_post_creates_once_and_replays,
    admin_jobs_page_retries_and_discards,
];

async fn notifications(app: &TestApp, token: &str) -> Value {
    app.get("/api/notifications", Some(token)).await.json
}

async fn followers_are_notified_and_emailed_with_unsubscribe(app: TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    for token in [&bob, &carol] {
        let reply = app
            .post("/api/profiles/alice/follow", Some(token), json!({}))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    // Carol wants an email for new articles (off by default), through the settings form.
    let browser = Browser::new(&app);
    browser.sign_in("carol").await;
    browser
        .submit(
            "/settings",
            "/settings/email",
            &[("article", "on"), ("comment", "on")],
        )
        .await
        .assert_redirect("/settings#email");
    let settings = browser.get("/settings").await;
    assert!(
        settings
            .body
            .contains("name=\"article\" value=\"on\" checked")
    );

    let slug = app.publish(&alice, "For my followers", &[]).await;
    for token in [&bob, &carol] {
        let mut found = Value::Null;
        for _ in 0..500 {
            found = notifications(&app, token).await;
            if found["notifications"]
                .as_array()
                .is_some_and(|l| l.iter().any(|n| n["kind"] == "article"))
            {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let article = found["notifications"]
            .as_array()
            .and_then(|l| l.iter().find(|n| n["kind"] == "article").cloned())
            .expect("article notification");
        assert_eq!(article["article"]["slug"], slug.as_str());
        assert_eq!(article["actor"], "alice");
        assert_eq!(article["read"], false);
        assert_eq!(found["unreadCount"], 1);
    }
    // Alice hears about her two new followers; the author gets no notice of her own article.
    let alices = notifications(&app, &alice).await;
    assert_eq!(alices["unreadCount"], 2, "{alices}");

    // The bell shows the unread count; marking all read clears it. The notification
    // was written by a job worker, whose pool is another writer to this server: the
    // server's cached count learns of it within the listener's poll (10 ms), not at once.
    let mut home = browser.get("/").await;
    for _ in 0..100 {
        if home.body.contains("data-testid=\"unread-count\">1<") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        home = browser.get("/").await;
    }
    assert!(
        home.body.contains("data-testid=\"unread-count\">1<"),
        "bell"
    );
    let page = browser.get("/notifications").await;
    assert!(page.body.contains("alice published “For my followers”"));
    browser
        .submit("/notifications", "/notifications/read", &[])
        .await
        .assert_redirect("/notifications");
    assert!(!browser.get("/").await.body.contains("unread-count"));
    let read = app
        .post("/api/notifications/read", Some(&bob), json!({}))
        .await;
    assert_eq!(read.json["unreadCount"], 0, "{}", read.text);

    // Email: a welcome for each, follower notices for alice, the article for carol only.
    let mut carols = None;
    eventually(10, "carol's article email", || {
        carols = emails(&app).into_iter().find(|(name, text)| {
            name.starts_with("notification-") && text.contains("To: carol@example.com")
        });
        carols.is_some()
    })
    .await;
    eventually(10, "the welcome emails", || {
        emails(&app)
            .iter()
            .filter(|(n, _)| n.starts_with("welcome-"))
            .count()
            == 3
    })
    .await;
    let all = emails(&app);
    assert!(
        !all.iter()
            .any(|(n, t)| n.starts_with("notification-") && t.contains("To: bob@example.com"))
    );
    // One email each, or one for both when the second came in before the first went.
    eventually(10, "alice's follower emails", || {
        unmailed(&db_of(&app), "alice") == 0
    })
    .await;
    assert_eq!(
        emails(&app)
            .iter()
            .filter(|(n, t)| n.starts_with("notification-") && t.contains("To: alice@example.com"))
            .map(|(_, t)| notices_in(t))
            .sum::<usize>(),
        2,
        "both new followers emailed to alice"
    );
    let (_, text) = carols.expect("email");
    assert!(text.contains("Content-Type: text/plain"));
    assert!(text.contains("Content-Type: text/html"));
    let link = text
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .and_then(|l| l.strip_suffix('>'))
        .expect("List-Unsubscribe header");
    let path = &link[link.find("/unsubscribe/").expect("path")..];
    assert!(
        text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "RFC 8058 one-click header"
    );

    // The link works without signing in, after a confirmation; a forged one does not.
    let stranger = Browser::new(&app);
    let confirm = stranger.get(path).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains("new articles by people you follow"));
    // A mail client's one-click POST (RFC 8058): no cookie, no form token.
    let client = Browser::new(&app);
    let done = client
        .post_raw(path, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert!(
        done.body.contains("data-testid=\"unsubscribed\""),
        "{}",
        done.body
    );
    // The confirmation page's button does the same (again, harmlessly).
    let done = stranger.submit(path, path, &[]).await;
    assert!(done.body.contains("data-testid=\"unsubscribed\""));
    let forged = format!("{}0", &path[..path.len() - 1]);
    let forged = if forged == path {
        format!("{}1", &path[..path.len() - 1])
    } else {
        forged
    };
    assert_eq!(stranger.get(&forged).await.status, StatusCode::NOT_FOUND);
    let settings = browser.get("/settings").await;
    assert!(
        !settings
            .body
            .contains("name=\"article\" value=\"on\" checked")
    );
    assert!(
        settings
            .body
            .contains("name=\"comment\" value=\"on\" checked")
    );

    // A second article: carol (unsubscribed) gets the notification but no email.
    let before = emails(&app).len();
    app.publish(&alice, "Second", &[]).await;
    assert_eq!(notifications(&app, &carol).await["unreadCount"], 1);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(emails(&app).len(), before, "no email after unsubscribing");
}

/// Notification emails claimed in one batch read their data together, yet each follows
/// its recipient's state when it is sent: a kind turned off after the job was queued
/// sends nothing, nor does a notification deleted meanwhile, and the others go out.
async fn emails_claimed_together_follow_each_recipients_state(app: TestApp) {
    use conduit::db::schema::notifications;
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let mut slugs = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let token = app.register(name).await;
        slugs.push(app.publish(&token, &format!("By {name}"), &[]).await);
    }
    let dave = app.register("dave").await;
    for slug in &slugs {
        let reply = app
            .post(
                &format!("/api/articles/{slug}/comments"),
                Some(&dave),
                json!({"comment": {"body": "Well put."}}),
            )
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    let db = db_of(&app);
    assert_eq!(count_jobs(&db, "email.notifications", Some("queued")), 3);
    // Bob turns comment emails off after his was queued; carol's notification goes.
    let browser = Browser::new(&app);
    browser.sign_in("bob").await;
    browser
        .submit("/settings", "/settings/email", &[("follower", "on")])
        .await
        .assert_redirect("/settings#email");
    {
        let mut conn = db.conn().expect("conn");
        let carol = user_id(&mut conn, "carol");
        let deleted = diesel::delete(notifications::table.filter(notifications::user_id.eq(carol)))
            .execute(&mut *conn)
            .expect("delete");
        assert_eq!(deleted, 1);
    }

    let app = app.reconfigure(|c| c.jobs.workers = 1).await;
    eventually(10, "the three email jobs", || {
        count_jobs(&db, "email.notifications", Some("done")) == 3
    })
    .await;
    let sent: Vec<String> = emails(&app)
        .into_iter()
        .filter(|(name, _)| name.starts_with("notification-"))
        .map(|(_, text)| text)
        .collect();
    assert_eq!(sent.len(), 1, "only alice's email: {sent:?}");
    assert!(sent[0].contains("To: alice@example.com"), "{}", sent[0]);
}

async fn idempotent_post_creates_once_and_replays(app: TestApp) {
    let token = app.register("careful").await;
    let article =
        json!({"article": {"title": "Once", "description": "d", "body": "b", "tagList": []}});
    let send = |body: Value, key: &'static str, token: String| {
        let client = app.client.clone();
        let url = format!("{}/api/articles", app.address);
        async move {
            let mut response = client
                .post(url)
                .insert_header(("Authorization", format!("Token {token}")))
                .insert_header(("Idempotency-Key", key))
                .send_json(&body)
                .await
                .expect("answered");
            let bytes = response.body().await.expect("body");
            (
                response.status(),
                response.headers().get("Idempotent-Replayed").is_some(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
    };
    let (first_status, first_replayed, first_body) =
        send(article.clone(), "key-1", token.clone()).await;
    assert_eq!(first_status, StatusCode::CREATED, "{first_body}");
    assert!(!first_replayed);
    let (second_status, second_replayed, second_body) =
        send(article.clone(), "key-1", token.clone()).await;
    assert_eq!(second_status, StatusCode::CREATED);
    assert!(second_replayed);
    assert_eq!(first_body, second_body, "the same body");
    let listed = app.get("/api/articles?author=careful", None).await;
    assert_eq!(listed.json["articlesCount"], 1, "one article");

    // The same key with another body is refused in the API's error shape.
    let other = json!({"article": {"title": "Twice", "description": "d", "body": "b"}});
    let (status, _, body) = send(other, "key-1", token.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert!(
        body["errors"]["Idempotency-Key"][0].as_str().is_some(),
        "{body}"
    );

    // Keys belong to their user: another user's same key is a new request.
    let other_user = app.register("another").await;
    let (status, replayed, _) = send(article.clone(), "key-1", other_user).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!replayed);
    // A failed request does not keep its key.
    let bad = json!({"article": {"title": ""}});
    let (status, _, _) = send(bad, "key-2", token.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = send(article, "key-2", token).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn admin_jobs_page_retries_and_discards(app: TestApp) {
    use conduit::db::schema::{jobs, users};
    app.register("boss").await;
    app.register("worker").await;
    let db = db_of(&app);
    let mut conn = db.conn().expect("conn");
    diesel::update(users::table.filter(users::username.eq("boss")))
        .set(users::role.eq("admin"))
        .execute(&mut *conn)
        .expect("make admin");
    // Two dead jobs of a kind nobody runs.
    for n in 0..2 {
        conduit::jobs::enqueue(&mut conn, "test.dead", &json!({ "n": n })).expect("enqueue");
    }
    diesel::update(jobs::table.filter(jobs::kind.eq("test.dead")))
        .set((jobs::state.eq("dead"), jobs::last_error.eq("it broke")))
        .execute(&mut *conn)
        .expect("kill");
    let ids: Vec<i32> = jobs::table
        .filter(jobs::kind.eq("test.dead"))
        .order(jobs::id.asc())
        .select(jobs::id)
        .load(&mut *conn)
        .expect("ids");
    drop(conn);

    let plain = Browser::new(&app);
    plain.sign_in("worker").await;
    assert_eq!(plain.get("/admin/jobs").await.status, StatusCode::FORBIDDEN);

    let admin = Browser::new(&app);
    admin.sign_in("boss").await;
    let page = admin.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.count("data-testid=\"dead-job\""), 2);
    assert!(page.body.contains("it broke"));
    admin
        .submit("/admin/jobs", &format!("/admin/jobs/{}/retry", ids[0]), &[])
        .await
        .assert_redirect("/admin/jobs");
    assert_eq!(count_jobs(&db, "test.dead", Some("queued")), 1);
    // Nobody runs that kind: it waits, and the page says the workers are behind.
    let page = admin.get("/admin/jobs").await;
    assert!(page.body.contains("waiting for a worker"), "{}", page.body);
    // Discarding asks first.
    let asked = admin
        .submit(
            "/admin/jobs",
            &format!("/admin/jobs/{}/discard", ids[1]),
            &[],
        )
        .await;
    assert!(asked.body.contains("Discard for good?"));
    assert_eq!(count_jobs(&db, "test.dead", Some("dead")), 1);
    admin
        .submit(
            "/admin/jobs",
            &format!("/admin/jobs/{}/discard", ids[1]),
            &[("confirm", "yes")],
        )
        .await
        .assert_redirect("/admin/jobs");
    assert_eq!(count_jobs(&db, "test.dead", Some("dead")), 0);
}

/// A recipient's notifications share one queued email job, and a batch of such jobs
/// costs a fixed number of statements however many notifications they send: one to take
/// each recipient's, which marks them mailed too (and, on PostgreSQL, one to see that
/// the writers that joined its job have committed; on SQLite a BEGIN and a COMMIT around
/// the takes), and one to read them all (notifications, recipients, actors, articles,
/// email settings). Five comments to alice go out as one digest; bob's one as itself.
async fn a_batch_of_notification_emails_reads_its_data_in_one_statement(app: TestApp) {
    use conduit::jobs::{Job, JobHandler, queue};
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Comment away", &[]).await;
    let bob = app.register("bob").await;
    let bobs = app.publish(&bob, "Quiet one", &[]).await;
    for name in ["carol", "dave", "erin", "frank", "grace"] {
        let token = app.register(name).await;
        let reply = app
            .post(
                &format!("/api/articles/{slug}/comments"),
                Some(&token),
                json!({"comment": {"body": format!("{name} was here.")}}),
            )
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    comment(&app, &alice, &bobs, "Nice.").await;
    let db = db_of(&app);
    // Emails gather for a moment before they are due.
    actix_web::rt::time::sleep(conduit::jobs::WAKE_HORIZON).await;
    let jobs = queue::claim(
        &mut db.conn().expect("conn"),
        "counting",
        &["email.notifications"],
        10,
        std::time::Duration::from_secs(60),
    )
    .expect("claim");
    assert_eq!(jobs.len(), 2, "one email job per recipient");

    let counted = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    let handler = app_handler(&app);
    let batch: Vec<&Job> = jobs.iter().collect();
    let before = counted.queries_executed();
    let outcomes = handler.run_together(&counted, &batch);
    // PostgreSQL: a look at each recipient's writers; SQLite: BEGIN and COMMIT around
    // the takes, which share one commit there.
    let around_takes = 2;
    assert_eq!(
        counted.queries_executed() - before,
        2 + around_takes + 1,
        "statements for two recipients and six notifications"
    );
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(unmailed(&db, "alice") + unmailed(&db, "bob"), 0);
    let sent = emails_to(&app, "notification-", "alice@example.com", 1).await;
    assert_eq!(sent.len(), 1, "one digest: {sent:?}");
    assert_eq!(notices_in(&sent[0]), 5, "{}", sent[0]);
    assert!(
        sent[0].contains("Subject: 5 new notifications"),
        "{}",
        sent[0]
    );
    for name in ["carol", "dave", "erin", "frank", "grace"] {
        assert!(sent[0].contains(name), "{name}'s comment in alice's digest");
    }
    let bobs = emails_to(&app, "notification-", "bob@example.com", 1).await;
    assert_eq!(bobs.len(), 1, "{bobs:?}");
    assert_eq!(notices_in(&bobs[0]), 1);
    assert!(bobs[0].contains("alice commented"), "{}", bobs[0]);
}

/// A recipient with more notifications waiting than one job takes (after an outage of
/// the mail server, say) gets them over several jobs and emails, none lost or repeated.
async fn a_backlog_of_notifications_goes_out_in_bounded_emails(app: TestApp) {
    use conduit::db::schema::{articles, notifications};
    use conduit::domain::notifications::TAKE_AT_MOST;
    use conduit::jobs::{Job, JobHandler, queue};
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Much discussed", &[]).await;
    let bob = app.register("bob").await;
    comment(&app, &bob, &slug, "First.").await;
    // Five more than a job takes wait for alice, under the one job the comment queued.
    let db = db_of(&app);
    {
        let mut conn = db.conn().expect("conn");
        let (alice_id, bob_id) = (user_id(&mut conn, "alice"), user_id(&mut conn, "bob"));
        let article: i32 = articles::table
            .filter(articles::slug.eq(&slug))
            .select(articles::id)
            .first(&mut *conn)
            .expect("article");
        conduit::db::write_transaction(&mut conn, |conn| {
            for n in 0..TAKE_AT_MOST + 4 {
                diesel::insert_into(notifications::table)
                    .values((
                        notifications::user_id.eq(alice_id),
                        notifications::kind.eq("comment"),
                        notifications::actor_id.eq(bob_id),
                        notifications::article_id.eq(Some(article)),
                        notifications::subject.eq(Some(format!("Comment {n}"))),
                        notifications::dedupe_key.eq(format!("backlog:{n}")),
                        notifications::emailed.eq(true),
                        notifications::created_at.eq(chrono::Utc::now().naive_utc()),
                    ))
                    .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .expect("insert the backlog");
    }
    assert_eq!(unmailed(&db, "alice"), TAKE_AT_MOST as i64 + 5);

    let handler = app_handler(&app);
    let mut told = Vec::new();
    for round in 0..3 {
        actix_web::rt::time::sleep(conduit::jobs::WAKE_HORIZON).await;
        let jobs = queue::claim(
            &mut db.conn().expect("conn"),
            "backlog",
            &["email.notifications"],
            10,
            std::time::Duration::from_secs(60),
        )
        .expect("claim");
        if jobs.is_empty() {
            break;
        }
        assert_eq!(jobs.len(), 1, "round {round}: one job for alice at a time");
        let batch: Vec<&Job> = jobs.iter().collect();
        let outcomes = handler.run_together(&db, &batch);
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
        queue::complete(&mut db.conn().expect("conn"), &jobs[0], "backlog").expect("complete");
        told.push(unmailed(&db, "alice"));
    }
    assert_eq!(told, vec![5, 0], "a full job, then the rest");
    let mut sent: Vec<usize> = emails(&app)
        .into_iter()
        .filter(|(name, text)| {
            name.starts_with("notification-") && text.contains("To: alice@example.com")
        })
        .map(|(_, text)| notices_in(&text))
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, vec![5, TAKE_AT_MOST], "two digests");
}
