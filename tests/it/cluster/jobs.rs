//! The job queue shared by three instances with two workers each: every job runs once,
//! and a job held by an instance killed mid-run (SIGKILL) is finished by another after
//! its lease.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;

use super::Cluster;
use crate::helpers::{TestApp, emails};
use crate::jobs::{count_jobs, db_of, eventually, notices_in, notifications_of, unmailed};

crate::tests![
    jobs_run_once_across_instances_and_survive_a_kill,
    idle_workers_wake_when_jobs_are_queued,
    comment_emails_go_out_once_across_instances,
];

/// A webhook receiver on loopback: records each request's path and delivery id; holds
/// the first request to `/slow` open (the worker sending it is killed meanwhile) and
/// answers every other request with 200 at once.
/// (path, `X-Conduit-Delivery`) of every request received, in order.
type Log = Arc<Mutex<Vec<(String, String)>>>;

fn receiver() -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let (mut length, mut delivery) = (0usize, String::new());
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = header.trim().split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    } else if k.eq_ignore_ascii_case("x-conduit-delivery") {
                        delivery = v.trim().to_owned();
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let first_slow =
                path == "/slow" && !log.lock().expect("lock").iter().any(|(p, _)| p == "/slow");
            log.lock().expect("lock").push((path, delivery));
            if first_slow {
                held.push(stream);
                continue;
            }
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    (port, seen)
}

fn succeeded_deliveries(app: &TestApp) -> i64 {
    use conduit::db::schema::webhook_deliveries as deliveries;
    let db = db_of(app);
    let mut conn = db.conn().expect("conn");
    deliveries::table
        .filter(deliveries::state.eq("succeeded"))
        .count()
        .get_result(&mut *conn)
        .expect("query")
}

fn running_owner(app: &TestApp) -> Option<String> {
    use conduit::db::schema::jobs;
    let db = db_of(app);
    let mut conn = db.conn().expect("conn");
    jobs::table
        .filter(jobs::kind.eq("webhook.deliver"))
        .filter(jobs::state.eq("running"))
        .select(jobs::lease_owner)
        .first::<Option<String>>(&mut *conn)
        .optional()
        .expect("query")
        .flatten()
}

async fn jobs_run_once_across_instances_and_survive_a_kill(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        // One server per SQLite file: the single-instance job tests cover it.
        return;
    }
    // Only the three instances run jobs.
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let (port, seen) = receiver();
    let token = app.register("hooked").await;
    for path in ["ok", "slow"] {
        let reply = app
            .post(
                "/api/webhooks",
                Some(&token),
                json!({"webhook": {"url": format!("http://127.0.0.1:{port}/{path}"), "secret": "a-secret-of-16-chars", "events": ["article.published"]}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let mut cluster = Cluster::start(
        &app,
        3,
        &[
            ("CONDUIT_WORKERS", "2"),
            ("CONDUIT_JOB_LEASE_SECS", "2"),
            ("CONDUIT_JOB_BACKOFF_MS", "50"),
            ("CONDUIT_WEBHOOK_ALLOW_PRIVATE", "true"),
        ],
    )
    .await;

    // One article: its delivery to /slow hangs in one instance's worker.
    app.publish(&token, "The first one", &[]).await;
    let db = db_of(&app);
    eventually(10, "the held delivery", || {
        seen.lock().expect("lock").iter().any(|(p, _)| p == "/slow")
    })
    .await;
    // Its other delivery, to /ok, went out beside it and is recorded as it answered
    // (killed before that record, its sender would send it again: at least once).
    eventually(10, "the other delivery recorded", || {
        succeeded_deliveries(&app) == 1
    })
    .await;
    let owner = running_owner(&app).expect("a worker holds the delivery");
    let victim = cluster
        .nodes
        .iter()
        .position(|n| owner.starts_with(&format!("{}-", n.pid())))
        .expect("held by one of the instances");
    cluster.nodes[victim].kill();

    // Twenty more, while the survivors also take over the orphaned delivery.
    for i in 0..20 {
        app.publish(&token, &format!("Article number {i}"), &[])
            .await;
    }
    eventually(30, "every delivery done", || {
        count_jobs(&db, "webhook.deliver", Some("done")) == 42
    })
    .await;
    assert_eq!(count_jobs(&db, "webhook.deliver", None), 42);
    // Each publication queued its two deliveries itself: no intermediate job.
    assert_eq!(count_jobs(&db, "webhook.event", None), 0);

    let seen = seen.lock().expect("lock").clone();
    let mut per_delivery: HashMap<&str, Vec<&str>> = HashMap::new();
    for (path, delivery) in &seen {
        per_delivery
            .entry(delivery.as_str())
            .or_default()
            .push(path);
    }
    assert_eq!(per_delivery.len(), 42, "{seen:?}");
    let twice: Vec<_> = per_delivery
        .iter()
        .filter(|(_, paths)| paths.len() > 1)
        .collect();
    // Only the delivery cut short by the kill was sent again (at least once by nature:
    // the receiver got it but its sender died before recording the answer).
    assert_eq!(twice.len(), 1, "{twice:?}");
    assert_eq!(twice[0].1, &vec!["/slow", "/slow"]);
    let survivors: Vec<_> = cluster
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .collect();
    for (_, node) in survivors {
        assert_eq!(node.get("/readyz", None).await.status, StatusCode::OK);
    }
}

/// Workers that poll only once a minute still run a new comment's jobs at once: the
/// write wakes them. On PostgreSQL the comment is written through another process (the
/// test's own server, without workers), so the wake-up crosses instances with the
/// write's broadcast; on SQLite, one server per file, it wakes the server's own workers.
async fn idle_workers_wake_when_jobs_are_queued(app: TestApp) {
    let postgres = app.database_url.starts_with("postgres");
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let cluster = Cluster::start(
        &app,
        1,
        &[("CONDUIT_WORKERS", "2"), ("CONDUIT_JOB_POLL_MS", "60000")],
    )
    .await;
    let worker = &cluster.nodes[0];
    // Signed up through the test's server, which wakes no worker of the node: its
    // welcome email is claimed with the author's, whose sign-up on the node wakes them.
    let commenter = app.register("commenter").await;
    let author = worker
        .post(
            "/api/users",
            None,
            json!({"user": {"username": "author", "email": "author@example.com", "password": "password123"}}),
        )
        .await;
    let author = author.json["user"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let article = worker
        .post(
            "/api/articles",
            Some(&author),
            json!({"article": {"title": "Wake up", "description": "d", "body": "b", "tagList": []}}),
        )
        .await;
    assert_eq!(article.status, StatusCode::CREATED, "{}", article.text);
    let slug = article.json["article"]["slug"].as_str().expect("slug");
    // The sign-up's and the article's jobs woke the workers; once they are done the
    // workers sleep again, for a minute.
    let db = db_of(&app);
    eventually(10, "the earlier jobs", || {
        count_jobs(&db, "email.welcome", Some("done")) == 2
    })
    .await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let path = format!("/api/articles/{slug}/comments");
    let body = json!({"comment": {"body": "Hello"}});
    let posted = if postgres {
        app.post(&path, Some(&commenter), body).await
    } else {
        worker.post(&path, Some(&commenter), body).await
    };
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    // The notification is made with the comment; its email is a job, sent far sooner
    // than the next poll, a minute away.
    assert_eq!(notifications_of(&db, "author"), 1);
    eventually(5, "the comment's email", || {
        count_jobs(&db, "email.notifications", Some("done")) == 1
    })
    .await;
}

/// Comments to one author posted through three instances at once, whose six workers send
/// the author's emails: the comments that arrive while the author's email job waits join
/// it, none is left waiting (a writer that joined a job just claimed commits before that
/// job reads), and each is told in exactly one email.
async fn comment_emails_go_out_once_across_instances(app: TestApp) {
    const COMMENTS: usize = 300;
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        // One server per SQLite file: the single-instance job tests cover it.
        return;
    }
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let author = app.register("author").await;
    let slug = app.publish(&author, "Talked about", &[]).await;
    let mut commenters = Vec::new();
    for i in 0..10 {
        commenters.push(app.register(&format!("commenter{i}")).await);
    }
    let mail_dir = app.config.jobs.mail_dir.to_string_lossy().into_owned();
    let cluster = Cluster::start(
        &app,
        3,
        &[
            ("CONDUIT_WORKERS", "2"),
            ("CONDUIT_RATE_LIMIT_PER_MINUTE", "0"),
            ("CONDUIT_MAIL_DIR", &mail_dir),
        ],
    )
    .await;

    let path = format!("/api/articles/{slug}/comments");
    for wave in 0..COMMENTS / 30 {
        let posts = (0..30).map(|i| {
            let n = wave * 30 + i;
            let body = json!({"comment": {"body": format!("Comment number {n}")}});
            cluster.nodes[n % 3].post(&path, Some(commenters[n % 10].as_str()), body)
        });
        for reply in futures_util::future::join_all(posts).await {
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        }
    }

    let db = db_of(&app);
    assert_eq!(notifications_of(&db, "author"), COMMENTS as i64);
    eventually(60, "every notification emailed", || {
        unmailed(&db, "author") == 0
    })
    .await;
    eventually(30, "the email jobs to finish", || {
        count_jobs(&db, "email.notifications", Some("done"))
            == count_jobs(&db, "email.notifications", None)
    })
    .await;
    let jobs = count_jobs(&db, "email.notifications", None);
    assert!(jobs < COMMENTS as i64, "{jobs} email jobs");
    let told: usize = emails(&app)
        .into_iter()
        .filter(|(name, text)| {
            name.starts_with("notification-") && text.contains("To: author@example.com")
        })
        .map(|(_, text)| notices_in(&text))
        .sum();
    assert_eq!(told, COMMENTS, "each comment told in exactly one email");
}
