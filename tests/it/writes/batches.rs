//! Comments posted and articles published at the same moment are stored together (on
//! PostgreSQL one statement per batch, `db::batcher`; on SQLite one transaction per
//! group of the writer thread), yet each request is answered with its own comment or
//! article, nothing is lost or stored twice, and every notification is made once.

use std::collections::{HashMap, HashSet};

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::tests;

tests![
    comments_posted_together_each_answer_their_own,
    articles_published_together_each_answer_their_own,
];

async fn comments_posted_together_each_answer_their_own(app: TestApp) {
    let author = app.register("host").await;
    let mut commenters = Vec::new();
    for i in 0..6 {
        commenters.push(app.register(&format!("guest{i}")).await);
    }
    let mut slugs = Vec::new();
    for title in ["First topic", "Second topic", "Third topic"] {
        slugs.push(app.publish(&author, title, &[]).await);
    }
    // One comment on each first: the articles and the site's webhooks are then in the
    // caches, as on a busy site, and the next comments take the batched path.
    for slug in &slugs {
        let warm = app
            .post(
                &format!("/api/articles/{slug}/comments"),
                Some(&commenters[0]),
                json!({"comment": {"body": "Warm-up"}}),
            )
            .await;
        assert_eq!(warm.status, StatusCode::CREATED, "{}", warm.text);
    }

    // 90 comments at once: every commenter and the author on every article, each with
    // a text of its own; the author's own comments tell nobody.
    let mut sent = Vec::new();
    for round in 0..30 {
        let slug = &slugs[round % slugs.len()];
        let (who, token) = match round % 7 {
            6 => ("host".to_owned(), &author),
            k => (format!("guest{k}"), &commenters[k]),
        };
        for copy in 0..3 {
            sent.push((
                slug.clone(),
                who.clone(),
                token.clone(),
                format!("Reply {round}.{copy} from {who}"),
            ));
        }
    }
    let paths: Vec<String> = sent
        .iter()
        .map(|(slug, ..)| format!("/api/articles/{slug}/comments"))
        .collect();
    let replies = futures_util::future::join_all(sent.iter().zip(&paths).map(
        |((_, _, token, body), path)| {
            app.post(path, Some(token), json!({"comment": {"body": body}}))
        },
    ))
    .await;

    let mut ids = HashSet::new();
    let mut answered: HashMap<i64, String> = HashMap::new();
    for ((_, who, _, body), reply) in sent.iter().zip(&replies) {
        assert_eq!(reply.status, StatusCode::CREATED, "{body}: {}", reply.text);
        let comment = &reply.json["comment"];
        assert_eq!(
            comment["body"],
            body.as_str(),
            "each answer is its own comment"
        );
        assert_eq!(comment["author"]["username"], who.as_str());
        let id = comment["id"].as_i64().expect("id");
        assert!(ids.insert(id), "comment id {id} answered twice");
        answered.insert(id, body.clone());
    }

    // Stored once each, under the ids they were answered with, on their own article.
    for slug in &slugs {
        let listed = app
            .get(&format!("/api/articles/{slug}/comments"), None)
            .await;
        let comments = listed.json["comments"].as_array().expect("list");
        let expected = sent.iter().filter(|(s, ..)| s == slug).count() + 1;
        assert_eq!(comments.len(), expected, "{slug}: {}", listed.text);
        for comment in comments {
            let body = comment["body"].as_str().expect("body");
            if body == "Warm-up" {
                continue;
            }
            let id = comment["id"].as_i64().expect("id");
            assert_eq!(
                answered.get(&id).map(String::as_str),
                Some(body),
                "comment {id}"
            );
        }
    }

    // The host was told of each guest's comment once, the warm-ups included.
    let told = sent.iter().filter(|(_, who, ..)| who != "host").count() + slugs.len();
    let notifications = app.get("/api/notifications", Some(&author)).await;
    assert_eq!(
        notifications.json["unreadCount"], told,
        "{}",
        notifications.text
    );
}

async fn articles_published_together_each_answer_their_own(app: TestApp) {
    let mut authors = Vec::new();
    for i in 0..3 {
        let token = app.register(&format!("writer{i}")).await;
        for j in 0..2 {
            let reader = app.register(&format!("reader{i}x{j}")).await;
            let follow = app
                .post(
                    &format!("/api/profiles/writer{i}/follow"),
                    Some(&reader),
                    json!({}),
                )
                .await;
            assert_eq!(follow.status, StatusCode::OK, "{}", follow.text);
        }
        // A first article each: the author and the site's webhooks are then cached, and
        // the next creates take the batched path.
        app.publish(&token, &format!("Warm-up {i}"), &["warm"])
            .await;
        authors.push(token);
    }

    // 60 creates at once: four titles shared by all (so slugs collide within a batch
    // and with the rows stored before), new tags shared by several, a body each.
    let sent: Vec<(usize, String, String, Vec<String>)> = (0..60)
        .map(|i| {
            let tags = vec![format!("fresh-{}", i % 5), "common".to_owned()];
            (
                i % 3,
                format!("Same title {}", i % 4),
                format!("Body number {i}."),
                tags,
            )
        })
        .collect();
    let replies = futures_util::future::join_all(sent.iter().map(|(author, title, body, tags)| {
        app.post(
            "/api/articles",
            Some(&authors[*author]),
            json!({"article": {"title": title, "description": "d", "body": body, "tagList": tags}}),
        )
    }))
    .await;

    let mut slugs = HashSet::new();
    for ((author, title, body, tags), reply) in sent.iter().zip(&replies) {
        assert_eq!(reply.status, StatusCode::CREATED, "{body}: {}", reply.text);
        let article = &reply.json["article"];
        assert_eq!(
            article["body"],
            body.as_str(),
            "each answer is its own article"
        );
        assert_eq!(article["title"], title.as_str());
        assert_eq!(article["author"]["username"], format!("writer{author}"));
        let mut expected = tags.clone();
        expected.sort();
        assert_eq!(article["tagList"], json!(expected), "{body}");
        let slug = article["slug"].as_str().expect("slug").to_owned();
        assert!(slugs.insert(slug.clone()), "slug {slug} answered twice");
        let stored = app.get(&format!("/api/articles/{slug}"), None).await;
        assert_eq!(stored.json["article"]["body"], body.as_str(), "{slug}");
        assert_eq!(stored.json["article"]["tagList"], json!(expected), "{slug}");
    }

    // Each reader was told of each article of the writer they follow, once.
    for i in 0..3 {
        let published = 1 + sent.iter().filter(|(author, ..)| *author == i).count();
        for j in 0..2 {
            let login = app
                .post(
                    "/api/users/login",
                    None,
                    json!({"user": {"email": format!("reader{i}x{j}@example.com"), "password": "password123"}}),
                )
                .await;
            let token = login.json["user"]["token"]
                .as_str()
                .expect("token")
                .to_owned();
            let unread = app.get("/api/notifications", Some(&token)).await;
            assert_eq!(
                unread.json["unreadCount"], published,
                "reader{i}x{j}: {}",
                unread.text
            );
        }
    }
}
