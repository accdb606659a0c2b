//! Fan-out benchmark: publish latency for an author with N followers against one with
//! none, and the time until every follower has the notification.
//!
//! `cargo run --release --example fanout -- [FOLLOWERS] [DATABASE_URL]` (see fanout.sh).
//! Without a URL it uses a fresh SQLite file in a temporary directory. Followers are
//! seeded straight into the database (signing up 10,000 accounts over HTTP would measure
//! bcrypt); everything measured goes through the real server and its workers.

use std::time::{Duration, Instant};

use conduit::config::Config;
use conduit::db::schema::{follows, notifications, users};
use conduit::db::{Db, write_transaction};
use conduit::startup::Application;
use diesel::prelude::*;
use serde_json::{Value, json};

const RUNS: usize = 5;

fn main() {
    let followers: i32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = std::env::args()
        .nth(2)
        .unwrap_or_else(|| dir.path().join("bench.db").to_string_lossy().into_owned());
    let vars = [
        ("DATABASE_URL", url.clone()),
        ("CONDUIT_BIND", "127.0.0.1:0".to_owned()),
        (
            "CONDUIT_SECRET_KEY",
            "bench-secret-key-that-is-long-enough-0123456789".to_owned(),
        ),
        ("CONDUIT_BCRYPT_COST", "4".to_owned()),
        ("CONDUIT_RATE_LIMIT_PER_MINUTE", "0".to_owned()),
        ("CONDUIT_JOB_POLL_MS", "50".to_owned()),
        (
            "CONDUIT_MAIL_DIR",
            dir.path().join("mail").to_string_lossy().into_owned(),
        ),
    ];
    let config = Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    actix_web::rt::System::new().block_on(run(config, followers));
}

async fn call(client: &awc::Client, url: String, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = client.post(url);
    if let Some(token) = token {
        request = request.insert_header(("Authorization", format!("Token {token}")));
    }
    let mut response = request.send_json(&body).await.expect("answered");
    let bytes = response.body().limit(1 << 20).await.expect("body");
    (
        response.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn register(client: &awc::Client, base: &str, name: &str) -> String {
    let (status, body) = call(
        client,
        format!("{base}/api/users"),
        None,
        json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": "password123"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["user"]["token"].as_str().expect("token").to_owned()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn run(config: Config, followers: i32) {
    let db = Db::connect(&config.database_url, 2).expect("db");
    let app = Application::build(config).expect("starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let workers = app.workers();
    actix_web::rt::spawn(app.run());
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let popular = register(&client, &base, "popular").await;
    let loner = register(&client, &base, "loner").await;

    // Seed the followers in one transaction (row by row: portable on both backends).
    let seeding = Instant::now();
    let mut conn = db.conn().expect("conn");
    write_transaction(&mut conn, |conn| {
        let author: i32 = users::table
            .filter(users::username.eq("popular"))
            .select(users::id)
            .first(conn)?;
        let now = chrono::Utc::now().naive_utc();
        for n in 0..followers {
            let name = format!("reader{n}");
            diesel::insert_into(users::table)
                .values((
                    users::username.eq(&name),
                    users::email.eq(format!("{name}@example.com")),
                    users::password_hash.eq("x"),
                    users::role.eq("user"),
                    users::created_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
            let id: i32 = users::table
                .filter(users::username.eq(&name))
                .select(users::id)
                .first(conn)?;
            diesel::insert_into(follows::table)
                .values((
                    follows::follower_id.eq(id),
                    follows::followee_id.eq(author),
                    follows::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .expect("seed");
    drop(conn);
    println!("seeded {followers} followers in {:.1?}", seeding.elapsed());

    let article = |n: usize| json!({"article": {"title": format!("Bench {n}"), "description": "d", "body": "b"}});
    let mut lone = Vec::new();
    let mut busy = Vec::new();
    let mut delivered = Vec::new();
    for run in 0..RUNS {
        let started = Instant::now();
        let (status, _) = call(
            &client,
            format!("{base}/api/articles"),
            Some(&loner),
            article(run * 2),
        )
        .await;
        assert_eq!(status, 201);
        lone.push(started.elapsed());

        let started = Instant::now();
        let (status, body) = call(
            &client,
            format!("{base}/api/articles"),
            Some(&popular),
            article(run * 2 + 1),
        )
        .await;
        assert_eq!(status, 201);
        busy.push(started.elapsed());
        let slug = body["article"]["slug"].as_str().expect("slug").to_owned();
        // Until every follower has this article's notification.
        loop {
            let mut conn = db.conn().expect("conn");
            let article_id: i32 = conduit::db::schema::articles::table
                .filter(conduit::db::schema::articles::slug.eq(&slug))
                .select(conduit::db::schema::articles::id)
                .first(&mut *conn)
                .expect("article");
            let done: i64 = notifications::table
                .filter(notifications::article_id.eq(article_id))
                .count()
                .get_result(&mut *conn)
                .expect("count");
            if done >= i64::from(followers) {
                break;
            }
            drop(conn);
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        delivered.push(started.elapsed());
    }
    println!("runs per figure: {RUNS} (median, then min–max)");
    let show = |name: &str, v: &Vec<Duration>| {
        let min = v.iter().min().copied().unwrap_or_default();
        let max = v.iter().max().copied().unwrap_or_default();
        println!("{name}: {:.1?} ({min:.1?}–{max:.1?})", median(v.clone()));
    };
    show("publish latency, author with 0 followers", &lone);
    show(
        &format!("publish latency, author with {followers} followers"),
        &busy,
    );
    show(
        &format!("publish → all {followers} followers notified"),
        &delivered,
    );
    handle.stop(true).await;
    if let Some(workers) = workers {
        workers.shutdown(Duration::from_secs(30));
    }
}
