//! Hidden articles and comments: gone for everyone but staff and their author, in the
//! API and on the pages (lists, feeds, tag and profile pages, the article itself);
//! featured articles pinned on the home page.

use awc::http::StatusCode;
use serde_json::json;

use super::{comment, post, signed_in, with_role};
use crate::helpers::TestApp;
use crate::pages::browser::Browser;
use crate::tests;

tests![
    hidden_articles_are_seen_by_staff_and_author_only,
    hidden_comments_are_seen_by_staff_and_author_only,
    featured_articles_are_pinned_on_the_home_page,
];

fn slugs(reply: &crate::helpers::Reply) -> Vec<String> {
    reply.json["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| a["slug"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn hidden_articles_are_seen_by_staff_and_author_only(app: TestApp) {
    let moderator_token = with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    app.post("/api/profiles/author/follow", Some(&reader), json!({}))
        .await;
    let slug = app.publish(&author, "Questionable take", &["hot"]).await;
    let other = app.publish(&author, "Fine take", &["hot"]).await;

    let moderator = signed_in(&app, "modest").await;
    post(
        &moderator,
        &format!("/admin/articles/{slug}/hide"),
        &[("next", "/admin/articles")],
    )
    .await
    .assert_redirect("/admin/articles");

    // Everyone else: as if it did not exist.
    for token in [None, Some(reader.as_str())] {
        assert_eq!(
            app.get(&format!("/api/articles/{slug}"), token)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&format!("/api/articles/{slug}/comments"), token)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        for list in [
            "/api/articles",
            "/api/articles?tag=hot",
            "/api/articles?author=author",
        ] {
            let reply = app.get(list, token).await;
            assert_eq!(slugs(&reply), vec![other.clone()], "{list}");
            assert_eq!(reply.json["articlesCount"], 1, "{list}");
        }
    }
    let feed = app.get("/api/articles/feed", Some(&reader)).await;
    assert_eq!(slugs(&feed), vec![other.clone()]);
    let reply = app
        .post(
            &format!("/api/articles/{slug}/favorite"),
            Some(&reader),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(&reader),
            json!({"comment": {"body": "hi"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let anonymous = Browser::new(&app);
    assert_eq!(
        anonymous.get(&format!("/article/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );
    for page in ["/", "/tag/hot", "/profile/author"] {
        let body = anonymous.get(page).await.body;
        assert!(!body.contains("Questionable take"), "{page}");
        assert!(body.contains("Fine take"), "{page}");
    }

    // The author and staff still see it, marked.
    for token in [&author, &moderator_token] {
        assert_eq!(
            app.get(&format!("/api/articles/{slug}"), Some(token))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.get("/api/articles", Some(token)).await.json["articlesCount"],
            2
        );
    }
    let writer = signed_in(&app, "author").await;
    let page = writer.get(&format!("/article/{slug}")).await;
    assert!(
        page.expect(StatusCode::OK)
            .contains("Hidden by the moderators")
    );
    assert!(
        writer
            .get("/profile/author")
            .await
            .body
            .contains("hidden</span>")
    );
    assert!(
        moderator
            .get("/admin/articles")
            .await
            .body
            .contains("hidden</span>")
    );

    // Unhidden: back for everyone.
    post(&moderator, &format!("/admin/articles/{slug}/unhide"), &[])
        .await
        .assert_redirect("/admin/articles");
    assert_eq!(
        app.get(&format!("/api/articles/{slug}"), None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/articles?tag=hot", None).await.json["articlesCount"],
        2
    );
    assert!(anonymous.get("/").await.body.contains("Questionable take"));
}

async fn hidden_comments_are_seen_by_staff_and_author_only(app: TestApp) {
    let moderator_token = with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let troll = app.register("troll").await;
    let slug = app.publish(&author, "Calm post", &[]).await;
    let rude = comment(&app, &troll, &slug, "a rude remark").await;
    comment(&app, &author, &slug, "a kind reply").await;

    let moderator = signed_in(&app, "modest").await;
    post(&moderator, &format!("/admin/comments/{rude}/hide"), &[])
        .await
        .assert_redirect("/admin/comments");

    let path = format!("/api/articles/{slug}/comments");
    for token in [None, Some(author.as_str())] {
        let reply = app.get(&path, token).await;
        let bodies: Vec<&str> = reply.json["comments"]
            .as_array()
            .expect("comments")
            .iter()
            .filter_map(|c| c["body"].as_str())
            .collect();
        assert_eq!(bodies, vec!["a kind reply"]);
    }
    for token in [&troll, &moderator_token] {
        let reply = app.get(&path, Some(token)).await;
        assert_eq!(reply.json["comments"].as_array().map(Vec::len), Some(2));
    }
    let page = Browser::new(&app).get(&format!("/article/{slug}")).await;
    assert!(!page.body.contains("a rude remark"));
    let page = signed_in(&app, "troll")
        .await
        .get(&format!("/article/{slug}"))
        .await;
    assert!(page.body.contains("a rude remark"));
    assert!(page.body.contains("only its author and the staff see it"));

    post(&moderator, &format!("/admin/comments/{rude}/unhide"), &[])
        .await
        .assert_redirect("/admin/comments");
    let reply = app.get(&path, None).await;
    assert_eq!(reply.json["comments"].as_array().map(Vec::len), Some(2));

    // Deleting asks first, then deletes.
    let page = post(&moderator, &format!("/admin/comments/{rude}/delete"), &[]).await;
    assert!(
        page.expect(StatusCode::OK)
            .contains(&format!("Delete comment #{rude}?"))
    );
    assert_eq!(
        app.get(&path, None).await.json["comments"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    post(
        &moderator,
        &format!("/admin/comments/{rude}/delete"),
        &[("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/comments");
    assert_eq!(
        app.get(&path, None).await.json["comments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

async fn featured_articles_are_pinned_on_the_home_page(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let old = app.publish(&author, "An older gem", &[]).await;
    for i in 0..11 {
        app.publish(&author, &format!("Filler {i}"), &[]).await;
    }
    let anonymous = Browser::new(&app);
    assert!(
        !anonymous.get("/").await.body.contains("An older gem"),
        "on page 2"
    );

    let moderator = signed_in(&app, "modest").await;
    post(&moderator, &format!("/admin/articles/{old}/feature"), &[])
        .await
        .assert_redirect("/admin/articles");
    let body = anonymous.get("/").await.body;
    let featured = body
        .find("id=\"featured-heading\"")
        .expect("featured section");
    let gem = body.find("An older gem").expect("pinned");
    let newest = body.find("Filler 10").expect("the feed");
    assert!(featured < gem && gem < newest, "pinned above the feed");
    assert!(
        !anonymous
            .get("/?page=2")
            .await
            .body
            .contains("featured-heading")
    );

    // A hidden featured article is not pinned for the public.
    post(&moderator, &format!("/admin/articles/{old}/hide"), &[]).await;
    assert!(!anonymous.get("/").await.body.contains("An older gem"));
    post(&moderator, &format!("/admin/articles/{old}/unhide"), &[]).await;
    post(&moderator, &format!("/admin/articles/{old}/unfeature"), &[])
        .await
        .assert_redirect("/admin/articles");
    assert!(!anonymous.get("/").await.body.contains("featured-heading"));
}
