//! `conduit seed`, run as the real binary on the test's database (both backends).

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{ServerProcess, TestApp};

crate::tests![seed_generates_a_usable_site];

fn seed(app: &TestApp, args: &[&str]) -> String {
    let output = ServerProcess::command(app)
        .arg("seed")
        .args(args)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

async fn seed_generates_a_usable_site(app: TestApp) {
    let report = seed(
        &app,
        &[
            "--users",
            "20",
            "--articles",
            "60",
            "--comments",
            "40",
            "--follows",
            "30",
            "--favorites",
            "50",
        ],
    );
    assert!(report.contains("articles"), "{report}");

    let list = app.get("/api/articles?limit=100", None).await;
    assert_eq!(list.json["articlesCount"], 60, "{}", list.text);
    let articles = list.json["articles"].as_array().expect("articles");
    let favorites: i64 = articles
        .iter()
        .map(|a| a["favoritesCount"].as_i64().expect("count"))
        .sum();
    assert_eq!(favorites, 50, "counts match the favorites rows");
    for article in articles {
        let tags = article["tagList"].as_array().expect("tags");
        assert!((1..=4).contains(&tags.len()));
        for tag in tags {
            let name = tag.as_str().expect("name");
            assert!(conduit::seed::TAGS.contains(&name), "{name}");
        }
    }
    let newest = &articles[0];
    let slug = newest["slug"].as_str().expect("slug");
    let one = app.get(&format!("/api/articles/{slug}"), None).await;
    let body = one.json["article"]["body"].as_str().expect("body");
    assert!(body.len() > 1_000 && body.starts_with("## "), "{body}");
    let page = app.get(&format!("/article/{slug}"), None).await;
    assert!(page.text.contains("<h2 id=\"h-"), "Markdown rendered");
    let comments = app
        .get(&format!("/api/articles/{slug}/comments"), None)
        .await;
    assert_eq!(comments.status, StatusCode::OK);
    let tags = app.get("/api/tags", None).await;
    assert!(!tags.json["tags"].as_array().expect("tags").is_empty());

    // Seeded accounts sign in with the documented password and have feeds.
    let username = newest["author"]["username"].as_str().expect("author");
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": format!("{username}@seed.example"), "password": conduit::seed::PASSWORD}}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let token = login.json["user"]["token"].as_str().expect("token");
    let feed = app.get("/api/articles/feed", Some(token)).await;
    assert_eq!(feed.status, StatusCode::OK);

    // New rows after seeding get fresh ids (PostgreSQL's sequences were moved on).
    let slug = app.publish(token, "After the seed", &["rust"]).await;
    let reply = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(token),
            json!({"comment": {"body": "fresh id"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    app.register("newcomer").await;

    // Seeding again adds to what is there.
    seed(
        &app,
        &[
            "--users",
            "3",
            "--articles",
            "5",
            "--comments",
            "0",
            "--follows",
            "0",
            "--favorites",
            "0",
        ],
    );
    let list = app.get("/api/articles?limit=1&offset=0&tag=", None).await;
    assert_eq!(list.status, StatusCode::OK);
    let all = app.get("/api/articles?author=newcomer", None).await;
    assert_eq!(all.json["articlesCount"], 0);
    let count = app.get("/api/articles?limit=1&offset=1", None).await;
    assert_eq!(count.json["articlesCount"], 66, "{}", count.text);
}
