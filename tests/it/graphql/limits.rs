//! What one request may ask: too deep or too complex a query is refused with a clear
//! error; mutations draw on their REST twins' rate limits and honour idempotency keys;
//! the schema file in the repository is the schema served.

use awc::http::StatusCode;
use serde_json::{Value, json};

use super::{data, gql};
use crate::helpers::TestApp;

crate::tests![
    too_deep_and_too_complex_queries_are_refused,
    mutations_share_rest_rate_limits_and_idempotency_keys,
    the_schema_file_is_current,
    the_explorer_is_served_from_our_own_files,
];

fn first_error(reply: &crate::helpers::Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("an error: {}", reply.text))
        .to_owned()
}

async fn too_deep_and_too_complex_queries_are_refused(app: TestApp) {
    let token = app.register("writer").await;
    let slug = app.publish(&token, "Deep thoughts", &["deep"]).await;

    // Ten levels: an article's author's articles' authors' articles…
    let deep = "query($s:String!){article(slug:$s){author{articles(limit:1){articles{author{articles(limit:1){articles{author{articles(limit:1){articlesCount}}}}}}}}}}";
    let message = first_error(&gql(&app, None, deep, json!({"s": slug})).await);
    assert!(message.contains("nested too deep"), "{message}");
    // Seven are fine.
    let fine = "query($s:String!){article(slug:$s){author{articles(limit:2){articles{author{articles(limit:2){articlesCount}}}}}}}";
    data(&gql(&app, None, fine, json!({"s": slug})).await);

    // A hundred articles with all their comments' authors: over the complexity budget.
    let complex =
        "{articles(limit:100){articles{slug comments{body author{username bio image following}}}}}";
    let message = first_error(&gql(&app, None, complex, json!({})).await);
    assert!(message.contains("too complex"), "{message}");
    // The feed a client renders (20 articles with authors, tags and counts) is within it.
    let feed = "{articles(limit:20){articlesCount articles{slug title description tagList createdAt favorited favoritesCount commentsCount author{username image following}}}}";
    let reply = gql(&app, None, feed, json!({})).await;
    assert_eq!(data(&reply)["articles"]["articlesCount"], 1);
}

async fn mutations_share_rest_rate_limits_and_idempotency_keys(app: TestApp) {
    // At a base of 4 a minute, an address may sign up twice a minute.
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 4).await;
    let register =
        "mutation($u:String!){register(username:$u,email:$u,password:\"password123\"){username}}";
    for name in ["first", "second"] {
        let reply = gql(&app, None, register, json!({"u": name})).await;
        assert_eq!(reply.status, StatusCode::OK);
        // The email is invalid, the allowance is drawn all the same (as with REST).
        assert_eq!(
            reply.json["errors"][0]["extensions"]["status"], 422,
            "{}",
            reply.text
        );
    }
    let reply = gql(&app, None, register, json!({"u": "third"})).await;
    assert_eq!(
        reply.json["errors"][0]["extensions"]["status"], 429,
        "{}",
        reply.text
    );
    assert!(
        reply.json["errors"][0]["extensions"]["errors"]["rate"][0]
            .as_str()
            .is_some_and(|m| m.starts_with("too many requests")),
        "{}",
        reply.text
    );
    // One allowance for both APIs.
    let rest = app
        .post(
            "/api/users",
            None,
            json!({"user": {"username": "rest", "email": "rest@example.com", "password": "password123"}}),
        )
        .await;
    assert_eq!(rest.status, StatusCode::TOO_MANY_REQUESTS, "{}", rest.text);
    // Queries are never limited.
    for _ in 0..10 {
        data(&gql(&app, None, "{tags}", json!({})).await);
    }

    // Idempotency: the same key and request give the first answer again, once.
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let token = app.register("keyholder").await;
    let create = json!({"query": "mutation{createArticle(input:{title:\"Once\",description:\"d\",body:\"b\"}){slug}}"});
    let send = async |key: &str, body: &Value| {
        let mut response = app
            .client
            .post(format!("{}/api/graphql", app.address))
            .insert_header(("Authorization", format!("Token {token}")))
            .insert_header(("Idempotency-Key", key))
            .send_json(body)
            .await
            .expect("answered");
        let replayed = response.headers().contains_key("idempotent-replayed");
        let body: Value = response.json().await.expect("json");
        (replayed, body)
    };
    let (replayed, first) = send("key-1", &create).await;
    assert!(!replayed);
    assert_eq!(first["data"]["createArticle"]["slug"], "once", "{first}");
    let (replayed, again) = send("key-1", &create).await;
    assert!(replayed, "{again}");
    assert_eq!(again, first);
    let count = app.get("/api/articles?author=keyholder", None).await;
    assert_eq!(count.json["articlesCount"], 1);
    // A failed mutation keeps nothing: its key may be used again.
    let blank = json!({"query": "mutation{createArticle(input:{title:\"\",description:\"d\",body:\"b\"}){slug}}"});
    let (_, failed) = send("key-2", &blank).await;
    assert!(failed["errors"].is_array(), "{failed}");
    let (replayed, retried) = send("key-2", &blank).await;
    assert!(!replayed, "{retried}");
}

async fn the_schema_file_is_current(_app: TestApp) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema.graphql");
    let served = conduit::graphql::sdl();
    if std::env::var("CONDUIT_WRITE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &served).expect("schema written");
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == served,
        "docs/schema.graphql differs from the schema served; regenerate it with\n  \
         CONDUIT_WRITE_SCHEMA=1 cargo test --test it -- sqlite::graphql::the_schema_file_is_current\n\
         and commit the result"
    );
}

async fn the_explorer_is_served_from_our_own_files(app: TestApp) {
    let mut response = app
        .client
        .get(format!("{}/api/graphql", app.address))
        .insert_header(("Accept", "text/html"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let body = response.body().limit(1 << 20).await.expect("body");
    let page = String::from_utf8_lossy(&body);
    // The schema, readable without script (HTML-escaped), and the script from /static.
    assert!(page.contains("type Article {"), "{page}");
    assert!(page.contains("commentAdded(slug: String!)"), "{page}");
    assert!(!page.contains("<script>"), "no inline script");
    let start = page
        .find("/static/graphql_explorer")
        .expect("the script is linked");
    let src: String = page[start..].chars().take_while(|c| *c != '"').collect();
    let script = app.get(&src, None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.text.contains("/api/graphql"));
}
