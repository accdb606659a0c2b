//! Webhook deliveries against a small HTTP server run by the test on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use awc::http::StatusCode;
use conduit::jobs::webhook_client::{Sent, WebhookClient, signature};
use serde_json::json;

use super::{count_jobs, db_of, eventually};
use crate::admin::comment;
use crate::helpers::TestApp;

crate::tests![
    deliveries_are_signed_retried_and_die,
    a_slow_receiver_holds_back_no_other_delivery,
    deliveries_to_one_receiver_reuse_their_connections,
    a_slow_receiver_holds_back_no_other_job,
    an_event_job_queued_before_an_upgrade_still_delivers,
    private_targets_are_refused_by_default,
    the_next_write_after_a_webhook_change_follows_it,
    a_webhook_deleted_behind_the_cache_fails_no_write,
];

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request (line, headers, body) off `stream`.
fn read_request(stream: &TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.trim().split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    Some(Received {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    })
}

fn answer(mut stream: TcpStream, status: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
    );
}

/// A receiver that answers 200 on `/ok` and 500 anywhere else, recording everything.
/// Its thread ends with the test process; it only ever listens on loopback.
pub fn receiver() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Some(request) = read_request(&stream) else {
                continue;
            };
            let status = if request.path == "/ok" {
                "200 OK"
            } else {
                "500 Internal Server Error"
            };
            log.lock().expect("lock").push(request);
            answer(stream, status);
        }
    });
    (port, seen)
}

/// A receiver that takes each request on a thread of its own: `/hold` is answered only
/// once `release` is set, anything else with 200 at once. Records each request as it
/// arrives.
fn holding_receiver() -> (u16, Arc<Mutex<Vec<Received>>>, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(AtomicBool::new(false));
    let (log, released) = (Arc::clone(&seen), Arc::clone(&release));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (log, released) = (Arc::clone(&log), Arc::clone(&released));
            std::thread::spawn(move || {
                let Some(request) = read_request(&stream) else {
                    return;
                };
                let hold = request.path == "/hold";
                log.lock().expect("lock").push(request);
                while hold && !released.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                answer(stream, "200 OK");
            });
        }
    });
    (port, seen, release)
}

/// A receiver that keeps connections open (HTTP/1.1 keep-alive), a thread for each,
/// answering 200 to every request; counts the connections it accepted and the requests.
fn keep_alive_receiver() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (accepted, answered) = (Arc::clone(&connections), Arc::clone(&requests));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            accepted.fetch_add(1, Ordering::SeqCst);
            let answered = Arc::clone(&answered);
            std::thread::spawn(move || {
                // The client sends its next request only once it has read this answer.
                while read_request(&stream).is_some_and(|r| !r.path.is_empty()) {
                    answered.fetch_add(1, Ordering::SeqCst);
                    let mut out = &stream;
                    if write!(out, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, connections, requests)
}

async fn add_webhook(app: &TestApp, token: &str, url: &str) -> i64 {
    let reply = app
        .post(
            "/api/webhooks",
            Some(token),
            json!({"webhook": {"url": url, "secret": "a-secret-of-16-chars", "events": ["article.published"]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["webhook"]["id"].as_i64().expect("id")
}

async fn deliveries_are_signed_retried_and_die(app: TestApp) {
    let (port, seen) = receiver();
    let token = app.register("hooked").await;
    let good = add_webhook(&app, &token, &format!("http://127.0.0.1:{port}/ok")).await;
    let bad = add_webhook(&app, &token, &format!("http://127.0.0.1:{port}/fail")).await;
    let listed = app.get("/api/webhooks", Some(&token)).await;
    assert_eq!(listed.json["webhooks"].as_array().map(Vec::len), Some(2));
    assert!(
        !listed.text.contains("a-secret-of-16-chars"),
        "secrets are never shown"
    );

    let slug = app.publish(&token, "Hooked on webhooks", &[]).await;
    let count = |path: &str| {
        seen.lock()
            .expect("lock")
            .iter()
            .filter(|r| r.path == path)
            .count()
    };
    eventually(10, "the delivery to /ok", || count("/ok") == 1).await;
    let ok = seen
        .lock()
        .expect("lock")
        .iter()
        .find(|r| r.path == "/ok")
        .cloned()
        .expect("received");
    assert_eq!(ok.header("X-Conduit-Event"), Some("article.published"));
    let delivery_id = ok
        .header("X-Conduit-Delivery")
        .expect("delivery id")
        .to_owned();
    let presented = ok.header("X-Conduit-Signature").expect("signature");
    let timestamp: i64 = presented
        .strip_prefix("t=")
        .and_then(|rest| rest.split(',').next())
        .and_then(|t| t.parse().ok())
        .expect("timestamp");
    assert_eq!(
        presented,
        signature(b"a-secret-of-16-chars", timestamp, &ok.body),
        "the signature verifies"
    );
    assert_ne!(
        presented,
        signature(b"another-secret-16ch", timestamp, &ok.body)
    );
    let body: serde_json::Value = serde_json::from_str(&ok.body).expect("JSON body");
    assert_eq!(body["event"], "article.published");
    assert_eq!(body["data"]["article"]["slug"], slug.as_str());

    // The failing endpoint: every attempt is made, further apart each time, then dead.
    let attempts = conduit::jobs::DEFAULT_MAX_ATTEMPTS as usize;
    eventually(30, "every attempt on /fail", || count("/fail") == attempts).await;
    let db = db_of(&app);
    eventually(10, "the delivery job to die", || {
        count_jobs(&db, "webhook.deliver", Some("dead")) == 1
    })
    .await;
    let times: Vec<Instant> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| r.path == "/fail")
        .map(|r| r.at)
        .collect();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // Backoff 40 ms doubling, capped at 200 ms, jittered to 50–100 %.
    assert!(gaps[0] >= Duration::from_millis(20), "{gaps:?}");
    assert!(gaps[2] >= Duration::from_millis(80), "{gaps:?}");
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_millis(20)),
        "{gaps:?}"
    );
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count("/fail"), attempts, "no attempt after death");

    let failed = app
        .get(&format!("/api/webhooks/{bad}/deliveries"), Some(&token))
        .await;
    let delivery = &failed.json["deliveries"][0];
    assert_eq!(delivery["state"], "dead", "{}", failed.text);
    assert_eq!(delivery["attempts"], attempts);
    assert_eq!(delivery["responseCode"], 500);
    let succeeded = app
        .get(&format!("/api/webhooks/{good}/deliveries"), Some(&token))
        .await;
    assert_eq!(succeeded.json["deliveries"][0]["state"], "succeeded");
    assert_eq!(
        succeeded.json["deliveries"][0]["id"].to_string(),
        delivery_id
    );

    // Redelivery sends the same body again as a new delivery.
    let again = app
        .post(
            &format!("/api/webhooks/{good}/deliveries/{delivery_id}/redeliver"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    eventually(10, "the redelivery", || count("/ok") == 2).await;
    let bodies: Vec<String> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| r.path == "/ok")
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(bodies[0], bodies[1]);

    // Someone else's webhook is not there for them.
    let other = app.register("stranger").await;
    let hidden = app
        .get(&format!("/api/webhooks/{good}/deliveries"), Some(&other))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let deleted = app
        .delete(&format!("/api/webhooks/{good}"), Some(&token))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

async fn private_targets_are_refused_by_default(app: TestApp) {
    let (port, seen) = receiver();
    let app = app
        .reconfigure(|c| c.jobs.webhook_allow_private = false)
        .await;
    let token = app.register("careful").await;
    for url in [
        format!("http://127.0.0.1:{port}/ok"),
        format!("http://localhost:{port}/ok"),
        "http://10.0.0.1/ok".to_owned(),
        "http://169.254.169.254/latest".to_owned(),
        "http://[::1]/ok".to_owned(),
    ] {
        let reply = app
            .post(
                "/api/webhooks",
                Some(&token),
                json!({"webhook": {"url": url, "secret": "a-secret-of-16-chars", "events": ["user.followed"]}}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            reply.text
        );
        assert!(
            reply.json["errors"]["url"][0].as_str().is_some(),
            "{}",
            reply.text
        );
    }
    // The sending client checks the addresses it connects to, not just the URL at
    // registration (a name can resolve differently later).
    let client = WebhookClient::new(false);
    let sent = client.send(
        &format!("http://localhost:{port}/ok"),
        "a-secret-of-16-chars",
        "user.followed",
        1,
        "{}",
    );
    assert!(matches!(sent, Sent::Forbidden(_)), "{sent:?}");
    assert!(seen.lock().expect("lock").is_empty(), "nothing was sent");
}

/// The deliveries of one write go out side by side, and each is recorded once answered:
/// a receiver that takes its time holds back neither the other sends nor their records
/// (were it to crash meanwhile, only the held one would be sent again).
async fn a_slow_receiver_holds_back_no_other_delivery(app: TestApp) {
    use conduit::db::schema::webhook_deliveries;
    use diesel::prelude::*;

    let (port, seen, release) = holding_receiver();
    let token = app.register("hooked").await;
    // Registered first, so its delivery is the first of the batch.
    let held = add_webhook(&app, &token, &format!("http://127.0.0.1:{port}/hold")).await;
    for path in ["ok-1", "ok-2"] {
        add_webhook(&app, &token, &format!("http://127.0.0.1:{port}/{path}")).await;
    }
    app.publish(&token, "Three receivers", &[]).await;

    let db = db_of(&app);
    let state_of = |conn: &mut conduit::db::DbConnection| -> Vec<(i32, String)> {
        webhook_deliveries::table
            .order(webhook_deliveries::webhook_id)
            .select((webhook_deliveries::webhook_id, webhook_deliveries::state))
            .load(conn)
            .expect("deliveries")
    };
    eventually(5, "the answered deliveries recorded", || {
        let states = state_of(&mut db.conn().expect("conn"));
        states.len() == 3 && states[1..].iter().all(|(_, s)| s == "succeeded")
    })
    .await;
    // Sent while the first was still unanswered, and recorded without waiting for it.
    let paths: Vec<String> = seen
        .lock()
        .expect("lock")
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    let states = state_of(&mut db.conn().expect("conn"));
    assert_eq!(states[0], (held as i32, "pending".to_owned()));

    release.store(true, Ordering::SeqCst);
    eventually(10, "the held delivery recorded", || {
        state_of(&mut db.conn().expect("conn"))[0].1 == "succeeded"
    })
    .await;
    assert_eq!(count_jobs(&db, "webhook.deliver", Some("done")), 3);
    assert_eq!(count_jobs(&db, "webhook.deliver", None), 3);
}

/// The deliveries of one write to a receiver are sent side by side, each on a connection
/// of its own; the next write's deliveries reuse those connections instead of opening
/// new ones (with ureq's default of one idle connection per host, the second batch
/// opened eleven more).
async fn deliveries_to_one_receiver_reuse_their_connections(app: TestApp) {
    const HOOKS: usize = 12;
    let (port, connections, requests) = keep_alive_receiver();
    let token = app.register("reused").await;
    for n in 0..HOOKS {
        add_webhook(&app, &token, &format!("http://127.0.0.1:{port}/hook-{n}")).await;
    }
    let db = db_of(&app);
    for (round, title) in ["First batch", "Second batch"].into_iter().enumerate() {
        app.publish(&token, title, &[]).await;
        let expected = HOOKS * (round + 1);
        eventually(10, "the batch's deliveries done", || {
            requests.load(Ordering::SeqCst) == expected
                && count_jobs(&db, "webhook.deliver", Some("done")) == expected as i64
        })
        .await;
    }
    let opened = connections.load(Ordering::SeqCst);
    assert!(
        opened <= HOOKS,
        "{opened} connections for {} deliveries in two batches of {HOOKS}",
        HOOKS * 2
    );
}

/// A `webhook.event` job left in the queue by a build whose writes queued those (they
/// create their deliveries themselves now) still makes its deliveries, once each.
async fn an_event_job_queued_before_an_upgrade_still_delivers(app: TestApp) {
    use conduit::db::schema::users;
    use conduit::jobs::{self, kinds};
    use diesel::prelude::*;

    let (port, seen) = receiver();
    let token = app.register("hooked").await;
    add_webhook(&app, &token, &format!("http://127.0.0.1:{port}/ok")).await;
    let db = db_of(&app);
    let mut conn = db.conn().expect("conn");
    let owner_id: i32 = users::table
        .filter(users::username.eq("hooked"))
        .select(users::id)
        .first(&mut conn)
        .expect("user");
    let event = kinds::Event {
        event: "article.published".into(),
        owner_id,
        data: json!({"article": {"slug": "from-before"}}),
    };
    jobs::enqueue(&mut conn, kinds::WEBHOOK_EVENT, &event).expect("enqueue");
    drop(conn);
    eventually(10, "the event job's delivery", || {
        count_jobs(&db, "webhook.deliver", Some("done")) == 1
    })
    .await;
    let received: Vec<Received> = seen.lock().expect("lock").clone();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(
        received[0].body.contains("from-before"),
        "{}",
        received[0].body
    );
    assert_eq!(count_jobs(&db, "webhook.event", Some("done")), 1);
}

/// Deliveries have workers of their own: with one worker configured, a delivery whose
/// receiver does not answer holds back no other job.
async fn a_slow_receiver_holds_back_no_other_job(app: TestApp) {
    let app = app.reconfigure(|c| c.jobs.workers = 1).await;
    let (port, seen, release) = holding_receiver();
    let token = app.register("hooked").await;
    add_webhook(&app, &token, &format!("http://127.0.0.1:{port}/hold")).await;
    let db = db_of(&app);
    app.publish(&token, "Held", &[]).await;
    eventually(5, "the delivery under way", || {
        seen.lock().expect("lock").iter().any(|r| r.path == "/hold")
    })
    .await;
    // A sign-up meanwhile: its welcome email goes out beside the held delivery.
    app.register("bystander").await;
    eventually(5, "the welcome emails done beside it", || {
        count_jobs(&db, "email.welcome", Some("done")) == 2
    })
    .await;
    assert_eq!(count_jobs(&db, "webhook.deliver", Some("running")), 1);
    release.store(true, Ordering::SeqCst);
    eventually(10, "the delivery done", || {
        count_jobs(&db, "webhook.deliver", Some("done")) == 1
    })
    .await;
}

/// Deliveries queued for webhook `id`.
fn deliveries_of(db: &conduit::db::Db, id: i64) -> i64 {
    use conduit::db::schema::webhook_deliveries;
    use diesel::prelude::*;
    let id = i32::try_from(id).expect("id");
    let mut conn = db.conn().expect("conn");
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(id))
        .count()
        .get_result(&mut *conn)
        .expect("count")
}

/// A webhook of `token`'s owner for `comment.created`, to a port nothing listens on
/// (these tests run no workers); its id.
async fn add_comment_webhook(app: &TestApp, token: &str) -> i64 {
    let reply = app
        .post(
            "/api/webhooks",
            Some(token),
            json!({"webhook": {"url": "http://127.0.0.1:9/hook", "secret": "a-secret-of-16-chars", "events": ["comment.created"]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["webhook"]["id"].as_i64().expect("id")
}

/// Writes check a cached directory of webhooks: the first write that raises an event
/// loads it (no webhooks yet), and a webhook added or removed afterwards applies to the
/// very next write.
async fn the_next_write_after_a_webhook_change_follows_it(app: TestApp) {
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let db = db_of(&app);
    let author = app.register("hooked").await;
    let reader = app.register("chatty").await;
    let slug = app.publish(&author, "Talk to me", &[]).await;
    comment(&app, &reader, &slug, "Before any webhook").await;
    assert_eq!(count_jobs(&db, "webhook.deliver", None), 0);

    let hook = add_comment_webhook(&app, &author).await;
    comment(&app, &reader, &slug, "Heard").await;
    assert_eq!(deliveries_of(&db, hook), 1, "the comment after the webhook");
    // An event it did not choose.
    app.publish(&author, "Not listened to", &[]).await;
    assert_eq!(
        deliveries_of(&db, hook),
        1,
        "article.published is not chosen"
    );

    let removed = app
        .delete(&format!("/api/webhooks/{hook}"), Some(&author))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    comment(&app, &reader, &slug, "After the webhook").await;
    assert_eq!(
        count_jobs(&db, "webhook.deliver", None),
        1,
        "only the comment heard queued a delivery"
    );
}

/// Another instance deleted a webhook a moment ago and this one has not heard yet: its
/// cached directory still names it. The write succeeds and delivers nothing to it.
async fn a_webhook_deleted_behind_the_cache_fails_no_write(app: TestApp) {
    use diesel::connection::SimpleConnection;
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let db = db_of(&app);
    let author = app.register("hooked").await;
    let reader = app.register("chatty").await;
    let slug = app.publish(&author, "Talk to me", &[]).await;
    let hook = add_comment_webhook(&app, &author).await;
    comment(&app, &reader, &slug, "Heard").await;
    assert_eq!(deliveries_of(&db, hook), 1);

    // Deleted behind the application's back: nothing dropped the cached directory.
    db.conn()
        .expect("conn")
        .batch_execute(&format!(
            "DELETE FROM webhook_deliveries WHERE webhook_id = {hook}; \
             DELETE FROM webhooks WHERE id = {hook}"
        ))
        .expect("deleted");
    comment(&app, &reader, &slug, "Nobody hears this").await;
    assert_eq!(deliveries_of(&db, hook), 0);
    assert_eq!(
        count_jobs(&db, "webhook.deliver", None),
        1,
        "no new delivery job"
    );
}
