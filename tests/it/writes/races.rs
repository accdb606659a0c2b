//! Writes that race on the same rows, sent all at once: every one is answered without a
//! 5xx (success, or a clear 4xx where the API says so), and none is lost. On PostgreSQL
//! a caught unique violation aborts the transaction it happened in, so each of these
//! needs an upsert or a savepoint; SQLite queues writers, so it checks the same
//! outcome through another path.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tests;

tests![
    creates_sharing_new_tags_all_land,
    a_tag_committed_while_a_create_waits_on_it_is_attached,
    same_title_creates_get_distinct_slugs,
    favorite_and_unfavorite_races_keep_the_count_true,
    follow_and_unfollow_races_keep_every_follow,
    a_repeated_idempotency_key_creates_once,
];

/// One request to send concurrently with others.
struct Shot {
    method: awc::http::Method,
    path: String,
    token: String,
    body: Value,
    idempotency_key: Option<String>,
}

impl Shot {
    fn post(path: impl Into<String>, token: &str, body: Value) -> Shot {
        Shot {
            method: awc::http::Method::POST,
            path: path.into(),
            token: token.to_owned(),
            body,
            idempotency_key: None,
        }
    }

    fn delete(path: impl Into<String>, token: &str) -> Shot {
        Shot {
            method: awc::http::Method::DELETE,
            ..Shot::post(path, token, Value::Null)
        }
    }
}

/// Sends every shot at the same time and returns each status with its JSON answer, in
/// the order given. Panics on any 5xx.
async fn all_at_once(app: &TestApp, shots: Vec<Shot>) -> Vec<(StatusCode, Value)> {
    let handles: Vec<_> = shots
        .into_iter()
        .map(|shot| {
            let mut request = app
                .client
                .request(shot.method.clone(), format!("{}{}", app.address, shot.path))
                .insert_header(("Authorization", format!("Token {}", shot.token)));
            if let Some(key) = &shot.idempotency_key {
                request = request.insert_header(("Idempotency-Key", key.clone()));
            }
            let label = format!("{} {}", shot.method, shot.path);
            actix_web::rt::spawn(async move {
                let mut response = if shot.body.is_null() {
                    request.send().await
                } else {
                    request.send_json(&shot.body).await
                }
                .expect("request is answered");
                let bytes = response.body().await.expect("body");
                (label, response.status(), bytes)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for handle in handles {
        let (label, status, bytes) = handle.await.expect("task");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!status.is_server_error(), "{label}: {status} {text}");
        answers.push((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ));
    }
    answers
}

fn article(title: &str, tags: &[&str]) -> Value {
    json!({"article": {"title": title, "description": "raced", "body": "Body.", "tagList": tags}})
}

/// Twenty creates by four authors, all introducing the same two new tags.
async fn creates_sharing_new_tags_all_land(app: TestApp) {
    let mut authors = Vec::new();
    for name in ["ava", "ben", "cat", "dan"] {
        authors.push(app.register(name).await);
    }
    let shots = (0..20)
        .map(|i| {
            let token = &authors[i % authors.len()];
            let own = format!("own-{i}");
            let tags = ["fresh-one", "fresh-two", own.as_str()];
            Shot::post(
                "/api/articles",
                token,
                article(&format!("Tagged {i}"), &tags),
            )
        })
        .collect();
    for (status, answer) in all_at_once(&app, shots).await {
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let tags = answer["article"]["tagList"].as_array().expect("tags");
        assert_eq!(
            tags.len(),
            3,
            "each create answers its three tags: {answer}"
        );
    }
    for tag in ["fresh-one", "fresh-two"] {
        let list = app
            .get(&format!("/api/articles?tag={tag}&limit=50"), None)
            .await;
        assert_eq!(list.json["articlesCount"], 20, "{tag}: {}", list.text);
    }
    let tags = app.get("/api/tags", None).await;
    let names = tags.json["tags"].as_array().expect("tags");
    let fresh = names.iter().filter(|t| *t == "fresh-one").count();
    assert_eq!(fresh, 1, "one tag row, not one per writer: {}", tags.text);
}

/// Another writer inserts a tag and commits it while a create of an article with that
/// tag waits on its row. On PostgreSQL the create's statement cannot see that tag (its
/// snapshot is older than the commit), so it has to attach it afterwards; on SQLite the
/// create waits for the write lock instead. Either way the article has the tag.
async fn a_tag_committed_while_a_create_waits_on_it_is_attached(app: TestApp) {
    use diesel::connection::SimpleConnection;
    let author = app.register("patient").await;
    let db = crate::jobs::db_of(&app);
    let begin = match app.config.database_url.kind() {
        conduit::db::BackendKind::Postgres => "BEGIN",
        _ => "BEGIN IMMEDIATE",
    };
    let (held, holding) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let mut conn = db.conn().expect("conn");
        conn.batch_execute(&format!("{begin}; INSERT INTO tags (name) VALUES ('late')"))
            .expect("insert the tag");
        held.send(()).expect("signal");
        // Long enough for the create below to reach the tag and wait on it.
        std::thread::sleep(std::time::Duration::from_millis(600));
        conn.batch_execute("COMMIT").expect("commit");
    });
    holding.recv().expect("the tag is held");
    let reply = app
        .post(
            "/api/articles",
            Some(&author),
            article("Late Tag", &["early", "late"]),
        )
        .await;
    writer.join().expect("writer");
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(
        reply.json["article"]["tagList"],
        json!(["early", "late"]),
        "{}",
        reply.text
    );
    let list = app.get("/api/articles?tag=late", None).await;
    assert_eq!(list.json["articlesCount"], 1, "{}", list.text);
}

/// Twelve creates of the same title by one author: twelve articles, twelve slugs.
async fn same_title_creates_get_distinct_slugs(app: TestApp) {
    let author = app.register("prolific").await;
    let shots = (0..12)
        .map(|_| Shot::post("/api/articles", &author, article("Same Title", &[])))
        .collect();
    let mut slugs = Vec::new();
    for (status, answer) in all_at_once(&app, shots).await {
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        slugs.push(answer["article"]["slug"].as_str().expect("slug").to_owned());
    }
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 12, "{slugs:?}");
    let list = app
        .get("/api/articles?author=prolific&limit=50", None)
        .await;
    assert_eq!(list.json["articlesCount"], 12, "{}", list.text);
    for slug in &slugs {
        let one = app.get(&format!("/api/articles/{slug}"), None).await;
        assert_eq!(one.status, StatusCode::OK, "{slug}");
        assert_eq!(one.json["article"]["title"], "Same Title");
    }
}

/// Six readers each favorite and unfavorite one article several times at once; then the
/// count equals the readers whose favorite stands, and a last favorite from each lands.
async fn favorite_and_unfavorite_races_keep_the_count_true(app: TestApp) {
    let writer = app.register("writer").await;
    let slug = app.publish(&writer, "Contended favorites", &[]).await;
    let mut readers = Vec::new();
    for i in 0..6 {
        readers.push(app.register(&format!("reader{i}")).await);
    }
    let path = format!("/api/articles/{slug}/favorite");
    let mut shots = Vec::new();
    for round in 0..4 {
        for reader in &readers {
            shots.push(if round % 2 == 0 {
                Shot::post(&path, reader, json!({}))
            } else {
                Shot::delete(&path, reader)
            });
        }
    }
    for (status, answer) in all_at_once(&app, shots).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let mut standing = 0;
    for reader in &readers {
        let seen = app
            .get(&format!("/api/articles/{slug}"), Some(reader))
            .await;
        if seen.json["article"]["favorited"] == true {
            standing += 1;
        }
    }
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(
        one.json["article"]["favoritesCount"], standing,
        "{}",
        one.text
    );

    // Then everyone favorites at once: all six count.
    let shots = readers
        .iter()
        .map(|reader| Shot::post(&path, reader, json!({})))
        .collect();
    for (status, answer) in all_at_once(&app, shots).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["article"]["favorited"], true, "{answer}");
    }
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(one.json["article"]["favoritesCount"], 6, "{}", one.text);
}

/// Follows and unfollows of one author sent at once are all answered; then follows sent
/// together all land (each fan follows, and gets the author's next article in the feed).
async fn follow_and_unfollow_races_keep_every_follow(app: TestApp) {
    let star_token = app.register("star").await;
    let mut fans = Vec::new();
    for i in 0..6 {
        fans.push(app.register(&format!("fan{i}")).await);
    }
    let path = "/api/profiles/star/follow";
    let mut shots = Vec::new();
    for round in 0..4 {
        for fan in &fans {
            shots.push(if round % 2 == 0 {
                Shot::post(path, fan, json!({}))
            } else {
                Shot::delete(path, fan)
            });
        }
    }
    for (status, answer) in all_at_once(&app, shots).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    // Everyone follows at once: every follow lands, and each fan's feed has the star's
    // next article.
    let shots = fans
        .iter()
        .map(|fan| Shot::post(path, fan, json!({})))
        .collect();
    for (status, answer) in all_at_once(&app, shots).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["profile"]["following"], true, "{answer}");
    }
    let slug = app.publish(&star_token, "For my fans", &[]).await;
    for fan in &fans {
        let profile = app.get("/api/profiles/star", Some(fan)).await;
        assert_eq!(
            profile.json["profile"]["following"], true,
            "{}",
            profile.text
        );
        let feed = app.get("/api/articles/feed", Some(fan)).await;
        assert_eq!(
            feed.json["articles"][0]["slug"],
            slug.as_str(),
            "{}",
            feed.text
        );
    }
}

/// The same create sent eight times at once with one key: one article; the others are
/// told the first is in progress (409) or get its answer replayed, never a second copy.
async fn a_repeated_idempotency_key_creates_once(app: TestApp) {
    let author = app.register("careful").await;
    let shots = (0..8)
        .map(|_| Shot {
            idempotency_key: Some("create-once-42".to_owned()),
            ..Shot::post("/api/articles", &author, article("Exactly Once", &["once"]))
        })
        .collect();
    let mut created = Vec::new();
    for (status, answer) in all_at_once(&app, shots).await {
        match status {
            StatusCode::CREATED => {
                created.push(answer["article"]["slug"].as_str().expect("slug").to_owned());
            }
            StatusCode::CONFLICT => {
                assert!(
                    answer["errors"]["Idempotency-Key"][0].is_string(),
                    "{answer}"
                );
            }
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert!(!created.is_empty(), "at least the first request created it");
    created.dedup();
    assert_eq!(
        created.len(),
        1,
        "replays carry the same article: {created:?}"
    );
    let list = app.get("/api/articles?author=careful", None).await;
    assert_eq!(list.json["articlesCount"], 1, "{}", list.text);
    // Once finished, the key replays the first answer.
    let again = app
        .client
        .post(format!("{}/api/articles", app.address))
        .insert_header(("Authorization", format!("Token {author}")))
        .insert_header(("Idempotency-Key", "create-once-42"))
        .send_json(&article("Exactly Once", &["once"]))
        .await
        .expect("answered");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(
        again
            .headers()
            .get("Idempotent-Replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
}
