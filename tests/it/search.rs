//! Full-text search, on both backends: ranking, snippets, visibility, fresh edits,
//! prefixes and phrases, filters, refused queries and the search page.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::admin::{post, signed_in, with_role};
use crate::helpers::TestApp;
use crate::jobs::{db_of, insert_articles};
use crate::pages::browser::Browser;

crate::tests![
    ranking_puts_titles_first_and_ties_newest_first,
    snippets_are_escaped_and_marked,
    hidden_and_deleted_articles_are_left_out,
    edits_are_found_by_their_new_words_at_once,
    prefixes_phrases_and_filters,
    bad_queries_are_refused_with_422,
    the_search_page_works_without_js,
    common_words_rank_the_newest_thousand,
];

async fn write(app: &TestApp, token: &str, title: &str, body: &str, tags: &[&str]) -> String {
    let reply = app
        .post(
            "/api/articles",
            Some(token),
            json!({"article": {"title": title, "description": "a note", "body": body, "tagList": tags}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["article"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned()
}

async fn search(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let reply = app.get(&format!("/api/search?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
    reply.json
}

fn titles(found: &Value) -> Vec<String> {
    found["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .filter_map(|a| a["title"].as_str().map(str::to_owned))
        .collect()
}

async fn ranking_puts_titles_first_and_ties_newest_first(app: TestApp) {
    let alice = app.register("alice").await;
    write(
        &app,
        &alice,
        "Gardening notes",
        "My tools rust in the rain, and rust spreads.",
        &[],
    )
    .await;
    write(&app, &alice, "Rust for beginners", "A first program.", &[]).await;
    write(&app, &alice, "Weekend plans", "Nothing to see.", &["rust"]).await;
    write(&app, &alice, "Unrelated", "Nothing here either.", &[]).await;
    let found = search(&app, None, "q=rust").await;
    assert_eq!(found["articlesCount"], 3);
    assert_eq!(
        titles(&found),
        vec!["Rust for beginners", "Weekend plans", "Gardening notes"],
        "title, then tag, then body"
    );
    // Equal matches: the newer first, on every page alike.
    write(&app, &alice, "Twin", "same words", &[]).await;
    write(&app, &alice, "Twin", "same words", &[]).await;
    let both = search(&app, None, "q=twin").await;
    let slugs: Vec<&str> = both["articles"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["slug"].as_str())
        .collect();
    let newest = app.get("/api/articles?limit=1", None).await.json["articles"][0]["slug"].clone();
    assert_eq!(slugs.len(), 2);
    assert_eq!(Some(slugs[0]), newest.as_str());
    let first = search(&app, None, "q=twin&limit=1").await;
    let second = search(&app, None, "q=twin&limit=1&offset=1").await;
    assert_eq!(first["articles"][0]["slug"], slugs[0]);
    assert_eq!(second["articles"][0]["slug"], slugs[1]);
}

async fn snippets_are_escaped_and_marked(app: TestApp) {
    let alice = app.register("alice").await;
    write(
        &app,
        &alice,
        "Unsafe body",
        "Before <script>alert('x')</script> the **kraken** wakes <img src=x onerror=alert(1)> & sleeps \u{E001}\u{E000}",
        &[],
    )
    .await;
    let found = search(&app, None, "q=kraken").await;
    let snippet = found["articles"][0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>kraken</mark>"), "{snippet}");
    assert!(
        !snippet.contains("<script") && !snippet.contains("<img"),
        "{snippet}"
    );
    assert!(
        snippet.contains("&lt;script&gt;") || snippet.contains("&lt;img"),
        "{snippet}"
    );
    assert_eq!(
        snippet.matches("<mark>").count(),
        snippet.matches("</mark>").count()
    );
    assert!(
        found["articles"][0].get("body").is_none(),
        "list-shaped, no body"
    );
    assert_eq!(found["articles"][0]["author"]["username"], "alice");
}

async fn hidden_and_deleted_articles_are_left_out(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let staff = app.post("/api/users/login", None, json!({"user": {"email": "modest@example.com", "password": crate::pages::browser::PASSWORD}})).await.json["user"]["token"].as_str().expect("token").to_owned();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let hidden = write(&app, &alice, "Zebra facts", "stripes", &[]).await;
    let gone = write(&app, &alice, "Zebra myths", "more stripes", &[]).await;
    let moderator = signed_in(&app, "modest").await;
    post(&moderator, &format!("/admin/articles/{hidden}/hide"), &[]).await;
    let reply = app
        .delete(&format!("/api/articles/{gone}"), Some(&alice))
        .await;
    assert!(reply.status.is_success());
    assert_eq!(search(&app, None, "q=zebra").await["articlesCount"], 0);
    assert_eq!(
        search(&app, Some(&bob), "q=zebra").await["articlesCount"],
        0
    );
    assert_eq!(
        titles(&search(&app, Some(&alice), "q=zebra").await),
        vec!["Zebra facts"]
    );
    assert_eq!(
        titles(&search(&app, Some(&staff), "q=stripes").await),
        vec!["Zebra facts"]
    );
}

async fn edits_are_found_by_their_new_words_at_once(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = write(&app, &alice, "Draft", "old words", &["walrus"]).await;
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&alice),
            json!({"article": {"body": "fresh vocabulary", "tagList": ["narwhal"]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(search(&app, None, "q=vocabulary").await["articlesCount"], 1);
    assert_eq!(search(&app, None, "q=old").await["articlesCount"], 0);
    assert_eq!(
        search(&app, None, "q=narwhal").await["articlesCount"],
        1,
        "new tags are searchable"
    );
    assert_eq!(search(&app, None, "q=walrus").await["articlesCount"], 0);
    // A renamed tag is found by its new name on every article that has it.
    with_role(&app, "modest", "moderator").await;
    let moderator = signed_in(&app, "modest").await;
    post(
        &moderator,
        "/admin/tags/rename",
        &[("from", "narwhal"), ("to", "unicorn")],
    )
    .await
    .assert_redirect("/admin/tags");
    assert_eq!(search(&app, None, "q=unicorn").await["articlesCount"], 1);
    assert_eq!(search(&app, None, "q=narwhal").await["articlesCount"], 0);
    // A merged tag: its articles are found by the tag they were merged into.
    write(&app, &alice, "Seals", "about seals", &["seal"]).await;
    post(
        &moderator,
        "/admin/tags/merge",
        &[("from", "unicorn"), ("into", "seal"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/tags");
    assert_eq!(search(&app, None, "q=seal").await["articlesCount"], 2);
    assert_eq!(search(&app, None, "q=unicorn").await["articlesCount"], 0);
}

async fn prefixes_phrases_and_filters(app: TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    write(
        &app,
        &alice,
        "Error handling in practice",
        "We handle errors with care.",
        &["rust"],
    )
    .await;
    write(&app, &bob, "Handling an error", "Reversed words.", &["go"]).await;
    write(
        &app,
        &bob,
        "Ownership explained",
        "Borrowing too.",
        &["rust"],
    )
    .await;
    assert_eq!(
        titles(&search(&app, None, "q=owne").await),
        vec!["Ownership explained"],
        "prefix"
    );
    assert_eq!(
        search(&app, None, "q=owne%20").await["articlesCount"],
        0,
        "a finished word is whole"
    );
    let phrase = search(&app, None, "q=%22error%20handling%22").await;
    assert_eq!(titles(&phrase), vec!["Error handling in practice"]);
    assert_eq!(
        search(&app, None, "q=error%20handling%20").await["articlesCount"],
        2
    );
    assert_eq!(
        titles(&search(&app, None, "q=error&tag=go").await),
        vec!["Handling an error"]
    );
    assert_eq!(
        titles(&search(&app, None, "q=error&author=alice").await),
        vec!["Error handling in practice"]
    );
    assert_eq!(
        search(&app, None, "q=error&author=nobody").await["articlesCount"],
        0
    );
}

async fn bad_queries_are_refused_with_422(app: TestApp) {
    let long = "x".repeat(201);
    for (query, field) in [
        ("q=", "q"),
        ("", "q"),
        ("q=%22open", "q"),
        ("q=%21%21%21", "q"),
        (&format!("q={long}") as &str, "q"),
        ("q=rust&limit=0", "limit"),
        ("q=rust&offset=-1", "offset"),
        ("q=rust&limit=x", "limit"),
        ("q=NEAR(a%20OR%20b)%20*%20%22%22", "none"),
    ] {
        let reply = app.get(&format!("/api/search?{query}"), None).await;
        if field == "none" {
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "engine syntax is only words: {}",
                reply.text
            );
            continue;
        }
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            reply.text
        );
        assert!(
            reply.json["errors"][field].is_array(),
            "{query}: {}",
            reply.text
        );
    }
}

async fn the_search_page_works_without_js(app: TestApp) {
    let alice = app.register("alice").await;
    for i in 1..=12 {
        write(
            &app,
            &alice,
            &format!("Lighthouse log {i}"),
            "The lamp <b>turns</b> at night.",
            &["sea"],
        )
        .await;
    }
    let browser = Browser::new(&app);
    let home = browser.get("/").await;
    assert!(
        home.body.contains(
            "href=\"/search\"><i class=\"ion-search\" aria-hidden=\"true\"></i> Search</a>"
        )
    );
    let empty = browser.get("/search").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains(
        "<form method=\"get\" action=\"/search\" class=\"search-form\" role=\"search\">"
    ));
    let page = browser.get("/search?q=lamp&tag=sea&author=").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("12 articles match “lamp”."), "{body}");
    assert_eq!(body.matches("class=\"search-result\"").count(), 10);
    assert!(body.contains("<mark>lamp</mark>"));
    // SQLite shows the markup escaped, PostgreSQL's headline drops it: never as HTML.
    assert!(!body.contains("<b>turns</b>") && body.contains("turns"));
    assert!(
        body.contains("<input type=\"hidden\" name=\"q\" value=\"lamp\">"),
        "pages keep the query"
    );
    let second = browser.get("/search?q=lamp&tag=sea&author=&page=2").await;
    assert_eq!(second.body.matches("class=\"search-result\"").count(), 2);
    let refused = browser.get("/search?q=%22open").await;
    let body = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("<p class=\"field-error\" id=\"q-error\">has a quote that is not closed</p>"),
        "{body}"
    );
    assert!(body.contains("value=\"&#34;open\""), "the input is kept");
}

/// Past `RANKED` matches only the newest are scored: the count says so, paging ends
/// there, and a narrower search reaches the older ones.
async fn common_words_rank_the_newest_thousand(app: TestApp) {
    let alice = app.register("alice").await;
    // The oldest article has the word in its title: it would rank first among all.
    write(&app, &alice, "Common ground", "an old piece", &["vintage"]).await;
    let db = db_of(&app);
    insert_articles(&db, "alice", 1004, "a common word");
    let mut conn = db.conn().expect("conn");
    conduit::domain::search::index_after(&mut conn, 1).expect("indexed");
    drop(conn);

    let found = search(&app, None, "q=common&limit=50").await;
    assert_eq!(found["articlesCount"], 1000);
    assert_eq!(found["moreMatches"], true);
    assert!(
        !titles(&found).contains(&"Common ground".to_owned()),
        "the oldest match is past the newest thousand"
    );
    let last = search(&app, None, "q=common&limit=50&offset=990").await;
    assert_eq!(last["articles"].as_array().expect("articles").len(), 10);
    let past = app.get("/api/search?q=common&offset=1001", None).await;
    assert_eq!(
        past.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        past.text
    );
    let narrowed = search(&app, None, "q=common&tag=vintage").await;
    assert_eq!(titles(&narrowed), vec!["Common ground"]);
    assert_eq!(narrowed["moreMatches"], false);

    let page = Browser::new(&app).get("/search?q=common").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("More than 1000 articles match"), "{body}");
    let beyond = Browser::new(&app).get("/search?q=common&page=500").await;
    assert_eq!(
        beyond.status,
        StatusCode::OK,
        "a page past the end is empty"
    );
}
