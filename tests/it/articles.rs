//! Articles: create, read, list filters, pagination, feed, update, delete, favorites.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

crate::tests![
    create_and_get_article,
    equal_titles_get_distinct_slugs,
    update_keeps_or_replaces_tags,
    only_the_author_may_edit_or_delete,
    errors_come_in_spec_order,
    list_filters_by_tag_author_and_favorited,
    pagination_limits_and_offsets,
    nonsense_paging_is_422,
    feed_shows_followed_authors,
    favorite_and_unfavorite,
    delete_removes_everything_about_the_article,
    lists_run_a_fixed_number_of_queries,
];

async fn create_and_get_article(app: TestApp) {
    let token = app.register("writer").await;
    let reply = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "How to train your dragon", "description": "Ever wonder how?", "body": "You have to believe", "tagList": ["reactjs", "angularjs", "reactjs"]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let article = &reply.json["article"];
    assert_eq!(article["slug"], "how-to-train-your-dragon");
    assert_eq!(article["tagList"], json!(["angularjs", "reactjs"]));
    assert_eq!(article["favorited"], false);
    assert_eq!(article["favoritesCount"], 0);
    assert_eq!(article["author"]["username"], "writer");
    let created = article["createdAt"].as_str().expect("createdAt");
    assert_eq!(created.len(), 24, "ISO-8601 with milliseconds: {created}");
    assert!(created.ends_with('Z'));

    let fetched = app
        .get("/api/articles/how-to-train-your-dragon", None)
        .await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json["article"]["body"], "You have to believe");
    assert_eq!(
        fetched.json["article"]["createdAt"], created,
        "stored and returned identically"
    );
}

async fn equal_titles_get_distinct_slugs(app: TestApp) {
    let token = app.register("twin").await;
    let first = app.publish(&token, "Same title", &[]).await;
    let second = app.publish(&token, "Same title", &[]).await;
    assert_ne!(first, second);
    assert!(second.starts_with("same-title-"), "{second}");
}

async fn update_keeps_or_replaces_tags(app: TestApp) {
    let token = app.register("editor").await;
    let slug = app.publish(&token, "Tagged", &["a", "b"]).await;
    let before = app.get(&format!("/api/articles/{slug}"), None).await.json;
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&token),
            json!({"article": {"body": "new body", "title": "Retitled"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let article = &reply.json["article"];
    assert_eq!(article["body"], "new body");
    assert_eq!(article["title"], "Retitled");
    assert_eq!(
        article["slug"],
        slug.as_str(),
        "the slug stays so links keep working"
    );
    assert_eq!(article["tagList"], json!(["a", "b"]));
    assert_eq!(article["createdAt"], before["article"]["createdAt"]);
    assert_ne!(article["updatedAt"], before["article"]["updatedAt"]);
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&token),
            json!({"article": {"tagList": []}}),
        )
        .await;
    assert_eq!(reply.json["article"]["tagList"], json!([]));
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&token),
            json!({"article": {"tagList": null}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&token),
            json!({"article": {"title": ""}}),
        )
        .await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "title",
        "can't be blank",
    );
}

async fn only_the_author_may_edit_or_delete(app: TestApp) {
    let owner = app.register("owner").await;
    let other = app.register("other").await;
    let slug = app.publish(&owner, "Mine", &[]).await;
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&other),
            json!({"article": {"body": "hijacked"}}),
        )
        .await;
    assert_error(&reply, StatusCode::FORBIDDEN, "article", "forbidden");
    let reply = app
        .delete(&format!("/api/articles/{slug}"), Some(&other))
        .await;
    assert_error(&reply, StatusCode::FORBIDDEN, "article", "forbidden");
    assert_eq!(
        app.get(&format!("/api/articles/{slug}"), None).await.status,
        StatusCode::OK
    );
}

async fn errors_come_in_spec_order(app: TestApp) {
    // 401 before anything else, even with a bad body.
    let reply = app
        .put(
            "/api/articles/nothing",
            None,
            json!({"article": {"tagList": null}}),
        )
        .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "token", "is missing");
    let token = app.register("orderly").await;
    // 404 before 422.
    let reply = app
        .put(
            "/api/articles/nothing",
            Some(&token),
            json!({"article": {"title": ""}}),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "article", "not found");
    // 403 before 422.
    let owner = app.register("proprietor").await;
    let slug = app.publish(&owner, "Guarded", &[]).await;
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&token),
            json!({"article": {"title": ""}}),
        )
        .await;
    assert_error(&reply, StatusCode::FORBIDDEN, "article", "forbidden");
    for (path, field) in [
        ("/api/articles/nothing", "article"),
        ("/api/articles/nothing/comments", "article"),
    ] {
        assert_error(
            &app.get(path, None).await,
            StatusCode::NOT_FOUND,
            field,
            "not found",
        );
    }
    for reply in [
        app.post("/api/articles", None, json!({"article": {}}))
            .await,
        app.delete("/api/articles/x", None).await,
        app.get("/api/articles/feed", None).await,
        app.post("/api/articles/x/favorite", None, json!({})).await,
        app.delete("/api/articles/x/favorite", None).await,
    ] {
        assert_error(&reply, StatusCode::UNAUTHORIZED, "token", "is missing");
    }
    for field in ["title", "description", "body"] {
        let mut article = json!({"title": "t", "description": "d", "body": "b"});
        article[field] = json!("");
        let reply = app
            .post("/api/articles", Some(&token), json!({ "article": article }))
            .await;
        assert_error(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
            "can't be blank",
        );
    }
}

async fn list_filters_by_tag_author_and_favorited(app: TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let a1 = app.publish(&alice, "Alice one", &["rust"]).await;
    app.publish(&alice, "Alice two", &["go"]).await;
    app.publish(&bob, "Bob one", &["rust"]).await;
    app.post(
        &format!("/api/articles/{a1}/favorite"),
        Some(&bob),
        json!({}),
    )
    .await;

    let all = app.get("/api/articles", None).await.json;
    assert_eq!(all["articlesCount"], 3);
    assert_eq!(all["articles"][0]["title"], "Bob one", "newest first");
    assert!(
        all["articles"][0].get("body").is_none(),
        "lists leave bodies out"
    );

    let by_tag = app.get("/api/articles?tag=rust", None).await.json;
    assert_eq!(by_tag["articlesCount"], 2);
    let by_author = app.get("/api/articles?author=alice", None).await.json;
    assert_eq!(by_author["articlesCount"], 2);
    let favorited = app
        .get("/api/articles?favorited=bob", Some(&bob))
        .await
        .json;
    assert_eq!(favorited["articlesCount"], 1);
    assert_eq!(favorited["articles"][0]["slug"], a1.as_str());
    assert_eq!(favorited["articles"][0]["favorited"], true);
    let combined = app
        .get("/api/articles?tag=rust&author=alice", None)
        .await
        .json;
    assert_eq!(combined["articlesCount"], 1);
    for query in ["tag=nope", "author=nobody", "favorited=nobody"] {
        let empty = app.get(&format!("/api/articles?{query}"), None).await;
        assert_eq!(empty.status, StatusCode::OK);
        assert_eq!(empty.json["articlesCount"], 0, "{query}");
        assert_eq!(empty.json["articles"], json!([]));
    }
}

async fn pagination_limits_and_offsets(app: TestApp) {
    let token = app.register("pager").await;
    let mut slugs = Vec::new();
    for i in 0..5 {
        slugs.push(app.publish(&token, &format!("Page {i}"), &[]).await);
    }
    let page = app.get("/api/articles?limit=2&offset=1", None).await.json;
    assert_eq!(page["articlesCount"], 5);
    let got: Vec<&str> = page["articles"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["slug"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(got, vec![slugs[3].as_str(), slugs[2].as_str()]);
    let past_end = app.get("/api/articles?offset=50", None).await.json;
    assert_eq!(past_end["articles"], json!([]));
    assert_eq!(past_end["articlesCount"], 5);
}

async fn nonsense_paging_is_422(app: TestApp) {
    for query in [
        "limit=0",
        "limit=-1",
        "limit=101",
        "limit=abc",
        "offset=-5",
        "offset=x",
    ] {
        let reply = app.get(&format!("/api/articles?{query}"), None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            reply.text
        );
        let field = query.split('=').next().unwrap_or_default();
        assert!(reply.json["errors"][field][0].is_string(), "{}", reply.text);
    }
    assert_eq!(
        app.get("/api/articles?limit=100", None).await.status,
        StatusCode::OK
    );
}

async fn feed_shows_followed_authors(app: TestApp) {
    let reader = app.register("reader").await;
    let celeb = app.register("celeb").await;
    let stranger = app.register("stranger").await;
    let empty = app.get("/api/articles/feed", Some(&reader)).await.json;
    assert_eq!(empty["articlesCount"], 0);
    app.post("/api/profiles/celeb/follow", Some(&reader), json!({}))
        .await;
    app.publish(&celeb, "Celeb 1", &[]).await;
    app.publish(&celeb, "Celeb 2", &[]).await;
    app.publish(&stranger, "Unrelated", &[]).await;
    let feed = app.get("/api/articles/feed", Some(&reader)).await.json;
    assert_eq!(feed["articlesCount"], 2);
    assert_eq!(feed["articles"][0]["title"], "Celeb 2");
    assert_eq!(feed["articles"][0]["author"]["following"], true);
    let one = app
        .get("/api/articles/feed?limit=1&offset=1", Some(&reader))
        .await
        .json;
    assert_eq!(one["articles"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["articles"][0]["title"], "Celeb 1");
}

async fn favorite_and_unfavorite(app: TestApp) {
    let author = app.register("author").await;
    let fan = app.register("fanatic").await;
    let slug = app.publish(&author, "Lovable", &[]).await;
    let reply = app
        .post(
            &format!("/api/articles/{slug}/favorite"),
            Some(&fan),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["article"]["favorited"], true);
    assert_eq!(reply.json["article"]["favoritesCount"], 1);
    let again = app
        .post(
            &format!("/api/articles/{slug}/favorite"),
            Some(&fan),
            json!({}),
        )
        .await;
    assert_eq!(
        again.json["article"]["favoritesCount"], 1,
        "favoriting twice counts once"
    );
    let seen_by_author = app
        .get(&format!("/api/articles/{slug}"), Some(&author))
        .await
        .json;
    assert_eq!(
        seen_by_author["article"]["favorited"], false,
        "favorited is per viewer"
    );
    assert_eq!(seen_by_author["article"]["favoritesCount"], 1);
    let reply = app
        .delete(&format!("/api/articles/{slug}/favorite"), Some(&fan))
        .await;
    assert_eq!(reply.json["article"]["favorited"], false);
    assert_eq!(reply.json["article"]["favoritesCount"], 0);
    let twice = app
        .delete(&format!("/api/articles/{slug}/favorite"), Some(&fan))
        .await;
    assert_eq!(twice.json["article"]["favoritesCount"], 0, "never negative");
    for reply in [
        app.post("/api/articles/missing/favorite", Some(&fan), json!({}))
            .await,
        app.delete("/api/articles/missing/favorite", Some(&fan))
            .await,
    ] {
        assert_error(&reply, StatusCode::NOT_FOUND, "article", "not found");
    }
}

async fn delete_removes_everything_about_the_article(app: TestApp) {
    let token = app.register("cleaner").await;
    let slug = app.publish(&token, "Short lived", &["ephemeral"]).await;
    app.post(
        &format!("/api/articles/{slug}/comments"),
        Some(&token),
        json!({"comment": {"body": "hi"}}),
    )
    .await;
    app.post(
        &format!("/api/articles/{slug}/favorite"),
        Some(&token),
        json!({}),
    )
    .await;
    let reply = app
        .delete(&format!("/api/articles/{slug}"), Some(&token))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_error(
        &app.get(&format!("/api/articles/{slug}"), None).await,
        StatusCode::NOT_FOUND,
        "article",
        "not found",
    );
    assert_eq!(
        app.get("/api/articles?favorited=cleaner", None).await.json["articlesCount"],
        0
    );
    assert_eq!(
        app.get("/api/tags", None).await.json["tags"],
        json!([]),
        "unused tags are not listed"
    );
    assert_error(
        &app.delete(&format!("/api/articles/{slug}"), Some(&token))
            .await,
        StatusCode::NOT_FOUND,
        "article",
        "not found",
    );
}

/// A page of 20 costs the same number of statements as a page of 2: no query per row.
async fn lists_run_a_fixed_number_of_queries(app: TestApp) {
    use conduit::domain::articles::{self, ArticleFilter, PageRequest};
    let reader = app.register("counter").await;
    let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
    let reader_id = db
        .run(|conn| {
            Ok::<_, conduit::error::AppError>(conduit::domain::users::User::find_by_username(
                conn, "counter",
            )?)
        })
        .await
        .expect("query")
        .expect("user")
        .id;
    let cost = |limit: i64| {
        let db = db.clone();
        async move {
            let before = db.queries_executed();
            let page = PageRequest::parse(Some(&limit.to_string()), None).expect("page");
            let listed = articles::list(&db, Some(reader_id), ArticleFilter::default(), page)
                .await
                .expect("list");
            assert_eq!(listed.articles.len() as i64, limit.min(listed.total));
            db.queries_executed() - before
        }
    };
    for i in 0..2 {
        let author = app.register(&format!("prolific{i}")).await;
        app.post(
            &format!("/api/profiles/prolific{i}/follow"),
            Some(&reader),
            json!({}),
        )
        .await;
        for j in 0..10 {
            let slug = app
                .publish(&author, &format!("Post {i}-{j}"), &["a", "b"])
                .await;
            app.post(
                &format!("/api/articles/{slug}/favorite"),
                Some(&reader),
                json!({}),
            )
            .await;
        }
    }
    let small = cost(2).await;
    let large = cost(20).await;
    assert_eq!(small, large, "statements for 2 rows vs 20 rows");
    assert!(large <= 8, "{large} statements for one page");
}
