//! Drafts: never seen by anyone but their author until published, then everywhere at
//! once with the usual events fired exactly once; scheduled publishing by the workers,
//! once even with several instances racing.

mod pages;
mod schedule;

use std::sync::{Arc, Mutex};

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestFn};
use crate::jobs::webhooks::{Received, receiver};
use crate::jobs::{count_jobs, db_of, eventually, fanout_jobs, notifications_of};

/// Every test of the group.
pub fn tests() -> Vec<(&'static str, TestFn)> {
    let mut all = leaks::tests();
    all.extend(pages::tests());
    all.extend(schedule::tests());
    all
}

/// A word no other article holds, for searches.
pub const SECRET_WORD: &str = "zanzibarquux";

/// Registers `author` with a follower `follower` and an `article.published` webhook
/// to a local receiver (`/ok` answers 200); returns the author's token, the follower's
/// and what the receiver saw.
pub async fn author_with_audience(
    app: &TestApp,
    author: &str,
    follower: &str,
) -> (String, String, Arc<Mutex<Vec<Received>>>) {
    let (port, seen) = receiver();
    let token = app.register(author).await;
    let follower_token = app.register(follower).await;
    let followed = app
        .post(
            &format!("/api/profiles/{author}/follow"),
            Some(&follower_token),
            json!({}),
        )
        .await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.text);
    let hook = app
        .post(
            "/api/webhooks",
            Some(&token),
            json!({"webhook": {"url": format!("http://127.0.0.1:{port}/ok"), "secret": "a-secret-of-16-chars", "events": ["article.published"]}}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);
    (token, follower_token, seen)
}

/// `article.published` deliveries the receiver got.
pub fn published_deliveries(seen: &Mutex<Vec<Received>>) -> usize {
    seen.lock()
        .expect("lock")
        .iter()
        .filter(|r| r.header("X-Conduit-Event") == Some("article.published"))
        .count()
}

/// Creates an article through the API with extra fields (`published`, `publishAt`);
/// returns its JSON.
pub async fn create(app: &TestApp, token: &str, title: &str, extra: Value) -> Value {
    let mut article = json!({
        "title": title,
        "description": "not for everyone yet",
        "body": format!("# Plans\n\nThe {SECRET_WORD} plan."),
        "tagList": ["secrettag"],
    });
    if let (Some(fields), Some(more)) = (article.as_object_mut(), extra.as_object()) {
        fields.extend(more.clone());
    }
    let reply = app
        .post("/api/articles", Some(token), json!({ "article": article }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["article"].clone()
}

/// The slugs of a list answer.
pub fn slugs(reply: &crate::helpers::Reply) -> Vec<String> {
    reply.json["articles"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|a| a["slug"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `slug` (titled `title`) shows anywhere a reader other than its author can
/// look: API lists, feed, tag and author filters, tags, pages, feeds, search, sitemap,
/// the article itself. `tokens` are the readers (anonymous included as `None`).
pub async fn visible_anywhere(
    app: &TestApp,
    slug: &str,
    title: &str,
    readers: &[Option<&str>],
    follower: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    for reader in readers {
        for path in [
            "/api/articles",
            "/api/articles?tag=secrettag",
            "/api/articles?author=writer",
        ] {
            let reply = app.get(path, *reader).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
            if slugs(&reply).iter().any(|s| s == slug) {
                seen.push(format!("{path} as {reader:?}"));
            }
        }
        let search = app
            .get(&format!("/api/search?q={SECRET_WORD}"), *reader)
            .await;
        if search.text.contains(slug) {
            seen.push(format!("search as {reader:?}"));
        }
    }
    let feed = app.get("/api/articles/feed", Some(follower)).await;
    if slugs(&feed).iter().any(|s| s == slug) {
        seen.push("the follower's feed".into());
    }
    let tags = app.get("/api/tags", None).await;
    if tags.text.contains("secrettag") {
        seen.push("/api/tags".into());
    }
    for path in [
        "/",
        "/tag/secrettag",
        "/profile/writer",
        "/feed.xml",
        "/atom.xml",
        "/tag/secrettag/feed.xml",
        "/profile/writer/feed.xml",
        "/profile/writer/atom.xml",
        "/sitemap-1.xml",
    ] {
        let page = app.get(path, None).await;
        if page.text.contains(title) || page.text.contains(slug) {
            seen.push(path.to_owned());
        }
    }
    let search_page = app.get(&format!("/search?q={SECRET_WORD}"), None).await;
    if search_page.text.contains(title) {
        seen.push("the search page".into());
    }
    for reader in readers {
        let one = app.get(&format!("/api/articles/{slug}"), *reader).await;
        if one.status != StatusCode::NOT_FOUND {
            seen.push(format!(
                "GET /api/articles/{slug} as {reader:?}: {}",
                one.status
            ));
        }
    }
    let page = app.get(&format!("/article/{slug}"), None).await;
    if page.status != StatusCode::NOT_FOUND {
        seen.push(format!("/article/{slug}: {}", page.status));
    }
    seen
}

mod leaks {
    use super::*;

    crate::tests![
        a_draft_is_seen_by_its_author_only,
        publishing_a_draft_shows_it_everywhere_and_tells_once,
    ];

    async fn a_draft_is_seen_by_its_author_only(app: TestApp) {
        let (token, follower, seen) = author_with_audience(&app, "writer", "reader").await;
        let other = app.register("stranger").await;
        // The shared caches are warm before the draft exists.
        app.publish(&token, "Already public", &["public"]).await;
        let _ = visible_anywhere(&app, "none", "none", &[None], &follower).await;

        let draft = create(&app, &token, "Secret Plans", json!({"published": false})).await;
        let slug = draft["slug"].as_str().expect("slug").to_owned();
        let readers = [
            None,
            Some(other.as_str()),
            Some(follower.as_str()),
            Some(token.as_str()),
        ];
        let leaks = visible_anywhere(&app, &slug, "Secret Plans", &readers, &follower).await;
        // The author's own GET of the article is the one expected hit.
        assert_eq!(
            leaks,
            vec![format!(
                "GET /api/articles/{slug} as {:?}: 200 OK",
                Some(token.as_str())
            )],
            "a draft leaked"
        );
        let mine = app.get("/api/user/drafts", Some(&token)).await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
        assert_eq!(slugs(&mine), vec![slug.clone()]);
        assert_eq!(mine.json["articlesCount"], 1);
        let theirs = app.get("/api/user/drafts", Some(&other)).await;
        assert_eq!(theirs.json["articlesCount"], 0, "{}", theirs.text);
        assert_eq!(
            app.get("/api/user/drafts", None).await.status,
            StatusCode::UNAUTHORIZED
        );

        // Editing it, favoriting or commenting by others: still nothing, and no events.
        let edited = app
            .put(
                &format!("/api/articles/{slug}"),
                Some(&token),
                json!({"article": {"body": "Still secret"}}),
            )
            .await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
        let favorite = app
            .post(
                &format!("/api/articles/{slug}/favorite"),
                Some(&other),
                json!({}),
            )
            .await;
        assert_eq!(favorite.status, StatusCode::NOT_FOUND);
        let comment = app
            .post(
                &format!("/api/articles/{slug}/comments"),
                Some(&other),
                json!({"comment": {"body": "hi"}}),
            )
            .await;
        assert_eq!(comment.status, StatusCode::NOT_FOUND);
        let db = db_of(&app);
        // The public one told its followers in its create; the draft queued nothing.
        assert_eq!(count_jobs(&db, "notify.fanout", None), 0, "no fan-out job");
        // The public article's delivery arrives; none for the draft.
        eventually(10, "the public article's delivery", || {
            published_deliveries(&seen) == 1
        })
        .await;
        eventually(10, "the public article's notification", || {
            notifications_of(&db, "reader") == 1
        })
        .await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(published_deliveries(&seen), 1);
        assert_eq!(notifications_of(&db, "reader"), 1);
    }

    async fn publishing_a_draft_shows_it_everywhere_and_tells_once(app: TestApp) {
        let (token, follower, seen) = author_with_audience(&app, "writer", "reader").await;
        app.publish(&token, "Older", &[]).await;
        let draft = create(&app, &token, "Secret Plans", json!({"published": false})).await;
        let slug = draft["slug"].as_str().expect("slug").to_owned();
        // Warm every shared cache without it.
        let hidden = visible_anywhere(&app, &slug, "Secret Plans", &[None], &follower).await;
        assert!(hidden.is_empty(), "{hidden:?}");

        let published = app
            .put(
                &format!("/api/articles/{slug}"),
                Some(&token),
                json!({"article": {"published": true}}),
            )
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.text);
        assert!(
            published.json["article"]["createdAt"].as_str() > draft["createdAt"].as_str(),
            "published now, not when drafted: {}",
            published.text
        );
        let everywhere = visible_anywhere(&app, &slug, "Secret Plans", &[None], &follower).await;
        for place in [
            "/api/articles as None",
            "the follower's feed",
            "/api/tags",
            "/",
            "/feed.xml",
            "/sitemap-1.xml",
            "search as None",
            "the search page",
        ] {
            assert!(
                everywhere.iter().any(|p| p == place),
                "not in {place}: {everywhere:?}"
            );
        }
        let list = app.get("/api/articles", None).await;
        assert_eq!(slugs(&list).first(), Some(&slug), "the newest article");
        assert_eq!(
            app.get(&format!("/article/{slug}"), None).await.status,
            StatusCode::OK
        );
        let mine = app.get("/api/user/drafts", Some(&token)).await;
        assert_eq!(mine.json["articlesCount"], 0, "{}", mine.text);

        // Further edits and a second `published: true` tell nobody again.
        for body in ["Edited once", "Edited twice"] {
            let reply = app
                .put(
                    &format!("/api/articles/{slug}"),
                    Some(&token),
                    json!({"article": {"body": body, "published": true}}),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        }
        let refused = app
            .put(
                &format!("/api/articles/{slug}"),
                Some(&token),
                json!({"article": {"published": false}}),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert!(
            refused.json["errors"]["published"].is_array(),
            "{}",
            refused.text
        );

        let db = db_of(&app);
        eventually(10, "both deliveries", || published_deliveries(&seen) == 2).await;
        eventually(10, "both notifications", || {
            notifications_of(&db, "reader") == 2
        })
        .await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
        // The create told its followers itself; the draft's publication by a job or not.
        assert_eq!(count_jobs(&db, "notify.fanout", None), fanout_jobs(&app, 1));
        assert_eq!(published_deliveries(&seen), 2, "one per publication");
        assert_eq!(notifications_of(&db, "reader"), 2);
    }
}
