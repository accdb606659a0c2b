//! The N+1 guard: a page of 20 articles with their authors (and whether the viewer
//! follows them), tags, favorite marks and comment counts costs as many statements as a
//! page of 2. Counted on an in-process app ([`crate::counted_service`]), caches cold;
//! the same query asked again costs none.

use actix_web::test;
use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::tests![a_page_of_articles_with_everything_takes_a_fixed_number_of_statements];

const PAGE: &str = "query($tag:String!){articles(tag:$tag,limit:20){articlesCount articles{slug title tagList favorited favoritesCount commentsCount author{username image following}}}}";

async fn a_page_of_articles_with_everything_takes_a_fixed_number_of_statements(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let (db, caches, service) = crate::counted_service!(&app);
    let reader = app.register("reader").await;
    let mut authors = Vec::new();
    for name in ["ann", "bob", "cy", "dee"] {
        authors.push(app.register(name).await);
    }
    app.post("/api/profiles/ann/follow", Some(&reader), json!({}))
        .await;
    app.post("/api/profiles/cy/follow", Some(&reader), json!({}))
        .await;
    for i in 0..22 {
        let author = &authors[i % authors.len()];
        let tags: &[&str] = if i < 2 {
            &["few", "all"]
        } else {
            &["many", "all"]
        };
        let slug = app.publish(author, &format!("Article {i}"), tags).await;
        if i % 3 == 0 {
            app.post(
                &format!("/api/articles/{slug}/favorite"),
                Some(&reader),
                json!({}),
            )
            .await;
        }
        for c in 0..(i % 4) {
            crate::admin::comment(&app, &reader, &slug, &format!("comment {c}")).await;
        }
    }

    let ask = async |tag: &str| -> (u64, Value) {
        let before = db.queries_executed();
        let request = test::TestRequest::post()
            .uri("/api/graphql")
            .insert_header(("Authorization", format!("Token {reader}")))
            .set_json(json!({"query": PAGE, "variables": {"tag": tag}}))
            .to_request();
        let response = test::call_service(&service, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = test::read_body_json(response).await;
        assert!(body.get("errors").is_none(), "{body}");
        (db.queries_executed() - before, body)
    };
    let cost = async |tag: &str| -> (u64, Value) {
        caches.clear();
        ask(tag).await
    };
    let (few, few_body) = cost("few").await;
    let (many, many_body) = cost("many").await;
    assert_eq!(
        few_body["data"]["articles"]["articles"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let articles = many_body["data"]["articles"]["articles"]
        .as_array()
        .expect("articles");
    assert_eq!(articles.len(), 20);
    assert_eq!(
        few, many,
        "statements: a page of 2 vs a page of 20 articles"
    );
    // Asked again before anything changed, the answer is the cached one.
    let (again, again_body) = ask("many").await;
    assert_eq!(again, 0, "statements of the same query asked again");
    assert_eq!(again_body, many_body);

    // And the answer is right: counts, marks and follows as the viewer has them.
    for article in articles {
        let i: usize = article["title"]
            .as_str()
            .and_then(|t| t.strip_prefix("Article "))
            .and_then(|n| n.parse().ok())
            .expect("title");
        assert_eq!(article["commentsCount"], json!(i % 4), "{article}");
        assert_eq!(
            article["favorited"],
            json!(i.is_multiple_of(3)),
            "{article}"
        );
        let author = article["author"]["username"].as_str().expect("author");
        assert_eq!(
            article["author"]["following"],
            json!(author == "ann" || author == "cy"),
            "{article}"
        );
        assert!(article["tagList"].as_array().is_some_and(|t| t.len() == 2));
    }
}
