//! One site on three instances: every instance's caches are warmed, then each kind of
//! change is made through one instance and must show on every instance, in the pages
//! and in the API, within a second. On SQLite (one server per file) the same holds for
//! changes made by the command line while the server runs.

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use serde_json::{Value, json};

use super::{Cluster, Node};
use crate::admin::{cli, create_admin, post, signed_in};
use crate::helpers::{Reply, ServerProcess, TestApp};

crate::tests![
    edits_comments_and_deletions_show_everywhere,
    favorites_follows_and_profiles_show_everywhere,
    moderation_shows_everywhere,
    command_line_writes_show_at_once,
];

/// How long a change may take to reach every instance.
const VISIBLE_WITHIN: Duration = Duration::from_secs(1);

fn postgres(app: &TestApp) -> bool {
    app.config.database_url.kind() == conduit::db::BackendKind::Postgres
}

/// Reads every path on every node twice, so that each instance holds them cached.
async fn warm(cluster: &Cluster, paths: &[(&str, Option<&str>)]) {
    for node in &cluster.nodes {
        for (path, token) in paths {
            for _ in 0..2 {
                let reply = node.get(path, *token).await;
                assert!(
                    reply.status.is_success(),
                    "{path} on {}: {}",
                    node.base,
                    reply.status
                );
            }
        }
    }
}

/// Waits until `check` holds on every node, each within [`VISIBLE_WITHIN`] of `since`
/// (the moment the write returned).
async fn everywhere<F>(cluster: &Cluster, since: Instant, what: &str, check: F)
where
    F: AsyncFn(&Node) -> Result<(), String>,
{
    for (i, node) in cluster.nodes.iter().enumerate() {
        loop {
            match check(node).await {
                Ok(()) => break,
                Err(last) if since.elapsed() > VISIBLE_WITHIN => {
                    panic!(
                        "{what}: instance {i} still shows the old state after {VISIBLE_WITHIN:?}: {last}"
                    )
                }
                Err(_) => actix_web::rt::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}

/// `Ok` when `reply` has `status`, else what it had.
fn status_is(reply: &Reply, status: StatusCode) -> Result<(), String> {
    if reply.status == status {
        Ok(())
    } else {
        Err(format!("status {}", reply.status))
    }
}

/// `Ok` when `haystack` contains (or, with `present` false, lacks) `needle`.
fn shows(haystack: &str, needle: &str, present: bool) -> Result<(), String> {
    if haystack.contains(needle) == present {
        Ok(())
    } else {
        let verb = if present { "lacks" } else { "still shows" };
        Err(format!("{verb} {needle:?}"))
    }
}

fn slugs(reply: &Reply) -> Vec<String> {
    reply.json["articles"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|a| a["slug"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn list_has(
    node: &Node,
    path: &str,
    token: Option<&str>,
    slug: &str,
    yes: bool,
) -> Result<(), String> {
    let reply = node.get(path, token).await;
    status_is(&reply, StatusCode::OK)?;
    if slugs(&reply).iter().any(|s| s == slug) == yes {
        Ok(())
    } else {
        Err(format!("{path}: {:?}", slugs(&reply)))
    }
}

async fn field(
    node: &Node,
    path: &str,
    token: Option<&str>,
    pointer: &str,
) -> Result<Value, String> {
    let reply = node.get(path, token).await;
    status_is(&reply, StatusCode::OK)?;
    Ok(reply.json.pointer(pointer).cloned().unwrap_or(Value::Null))
}

async fn edits_comments_and_deletions_show_everywhere(app: TestApp) {
    if !postgres(&app) {
        return;
    }
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.post("/api/profiles/alice/follow", Some(&bob), json!({}))
        .await;
    let slug = app.publish(&alice, "Cluster story", &["cluster"]).await;
    let cluster = Cluster::start(&app, 3, &[]).await;
    let article = format!("/api/articles/{slug}");
    let page = format!("/article/{slug}");
    let comments = format!("{article}/comments");
    let lists = [
        "/api/articles",
        "/api/articles?tag=cluster",
        "/api/articles?author=alice",
    ];
    warm(
        &cluster,
        &[
            (&article, None),
            (&page, None),
            (&comments, None),
            (lists[0], None),
            (lists[1], None),
            (lists[2], None),
            ("/tag/cluster", None),
            ("/profile/alice", None),
            ("/", None),
            ("/api/articles/feed", Some(&bob)),
            ("/feed.xml", None),
            ("/tag/cluster/atom.xml", None),
            ("/sitemap-1.xml", None),
        ],
    )
    .await;

    // An edit, through the first instance.
    let edited = cluster.nodes[0]
        .put(
            &article,
            Some(&alice),
            json!({"article": {"body": "Edited body words", "description": "edited summary"}}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let since = Instant::now();
    everywhere(&cluster, since, "an edit", async |node| {
        let body = field(node, &article, None, "/article/body").await?;
        shows(&body.to_string(), "Edited body words", true)?;
        shows(&node.get(&page, None).await.text, "Edited body words", true)?;
        let list = node.get(lists[0], None).await;
        shows(&list.text, "edited summary", true)?;
        // Feeds are cached whole, search reads the index the write updated.
        shows(
            &node.get("/feed.xml", None).await.text,
            "Edited body words",
            true,
        )?;
        shows(
            &node.get("/tag/cluster/atom.xml", None).await.text,
            "edited summary",
            true,
        )?;
        shows(
            &node.get("/api/search?q=edited", None).await.text,
            &slug,
            true,
        )
    })
    .await;

    // A comment through the second, deleted through the third.
    let posted = cluster.nodes[1]
        .post(
            &comments,
            Some(&bob),
            json!({"comment": {"body": "A clustered reply"}}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    let id = posted.json["comment"]["id"].as_i64().expect("id");
    let since = Instant::now();
    everywhere(&cluster, since, "a new comment", async |node| {
        shows(
            &node.get(&comments, None).await.text,
            "A clustered reply",
            true,
        )?;
        shows(&node.get(&page, None).await.text, "A clustered reply", true)
    })
    .await;
    let gone = cluster.nodes[2]
        .delete(&format!("{comments}/{id}"), Some(&bob))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let since = Instant::now();
    everywhere(&cluster, since, "a deleted comment", async |node| {
        shows(
            &node.get(&comments, None).await.text,
            "A clustered reply",
            false,
        )?;
        shows(
            &node.get(&page, None).await.text,
            "A clustered reply",
            false,
        )
    })
    .await;

    // The article deleted through the first: gone from its page, the API, the global
    // list, the tag page, the author's profile and the follower's feed.
    let deleted = cluster.nodes[0].delete(&article, Some(&alice)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let since = Instant::now();
    everywhere(&cluster, since, "a deletion", async |node| {
        status_is(&node.get(&article, None).await, StatusCode::NOT_FOUND)?;
        status_is(&node.get(&page, None).await, StatusCode::NOT_FOUND)?;
        for list in lists {
            list_has(node, list, None, &slug, false).await?;
        }
        list_has(node, "/api/articles/feed", Some(&bob), &slug, false).await?;
        shows(&node.get("/feed.xml", None).await.text, &slug, false)?;
        shows(&node.get("/sitemap-1.xml", None).await.text, &slug, false)?;
        shows(
            &node.get("/api/search?q=cluster", None).await.text,
            &slug,
            false,
        )?;
        shows(
            &node.get("/tag/cluster", None).await.text,
            "Cluster story",
            false,
        )?;
        shows(
            &node.get("/profile/alice", None).await.text,
            "Cluster story",
            false,
        )?;
        shows(&node.get("/", None).await.text, "Cluster story", false)
    })
    .await;
}

async fn favorites_follows_and_profiles_show_everywhere(app: TestApp) {
    if !postgres(&app) {
        return;
    }
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let slug = app.publish(&alice, "Liked story", &["likes"]).await;
    let cluster = Cluster::start(&app, 3, &[]).await;
    let article = format!("/api/articles/{slug}");
    warm(
        &cluster,
        &[
            (&article, None),
            (&format!("/article/{slug}"), None),
            ("/api/articles", None),
            ("/api/articles?favorited=bob", None),
            ("/api/profiles/alice", None),
            ("/api/articles?author=alice", None),
            ("/api/articles/feed", Some(&carol)),
            (&article, Some(&bob)),
        ],
    )
    .await;

    // A favorite through the first instance: the count for everyone, the mark for bob.
    let favorited = cluster.nodes[0]
        .post(&format!("{article}/favorite"), Some(&bob), json!({}))
        .await;
    assert_eq!(favorited.status, StatusCode::OK, "{}", favorited.text);
    let since = Instant::now();
    everywhere(&cluster, since, "a favorite", async |node| {
        let count = field(node, &article, None, "/article/favoritesCount").await?;
        if count != json!(1) {
            return Err(format!("favoritesCount {count}"));
        }
        let list = field(node, "/api/articles", None, "/articles/0/favoritesCount").await?;
        if list != json!(1) {
            return Err(format!("list favoritesCount {list}"));
        }
        if field(node, &article, Some(&bob), "/article/favorited").await? != json!(true) {
            return Err("not marked favorited for bob".into());
        }
        list_has(node, "/api/articles?favorited=bob", None, &slug, true).await
    })
    .await;

    // A follow through the second: carol's feed and her following mark.
    let followed = cluster.nodes[1]
        .post("/api/profiles/alice/follow", Some(&carol), json!({}))
        .await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.text);
    let since = Instant::now();
    everywhere(&cluster, since, "a follow", async |node| {
        list_has(node, "/api/articles/feed", Some(&carol), &slug, true).await?;
        let following = field(
            node,
            "/api/profiles/alice",
            Some(&carol),
            "/profile/following",
        )
        .await?;
        if following == json!(true) {
            Ok(())
        } else {
            Err(format!("following {following}"))
        }
    })
    .await;

    // A profile change through the third: bio, picture and name, everywhere they show.
    let changed = cluster.nodes[2]
        .put(
            "/api/user",
            Some(&alice),
            json!({"user": {"username": "alice2", "bio": "Writes in clusters", "image": "https://example.com/a2.png"}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let since = Instant::now();
    everywhere(&cluster, since, "a profile change", async |node| {
        let profile = node.get("/api/profiles/alice2", None).await;
        status_is(&profile, StatusCode::OK)?;
        shows(&profile.text, "Writes in clusters", true)?;
        shows(&profile.text, "https://example.com/a2.png", true)?;
        status_is(
            &node.get("/api/profiles/alice", None).await,
            StatusCode::NOT_FOUND,
        )?;
        let author = field(node, &article, None, "/article/author/username").await?;
        if author != json!("alice2") {
            return Err(format!("author {author}"));
        }
        shows(
            &node.get(&format!("/article/{slug}"), None).await.text,
            "alice2",
            true,
        )?;
        list_has(node, "/api/articles?author=alice2", None, &slug, true).await
    })
    .await;
}

async fn moderation_shows_everywhere(app: TestApp) {
    if !postgres(&app) {
        return;
    }
    create_admin(&app, "boss");
    let alice = app.register("alice").await;
    let slug = app
        .publish(&alice, "Moderated story", &["old", "other"])
        .await;
    let alice_session = signed_in(&app, "alice").await;
    let boss = signed_in(&app, "boss").await;
    let cluster = Cluster::start(&app, 3, &[]).await;
    let article = format!("/api/articles/{slug}");
    let page = format!("/article/{slug}");
    let paths = [
        (article.as_str(), None),
        (page.as_str(), None),
        ("/api/articles", None),
        ("/api/articles?tag=old", None),
        ("/api/tags", None),
        ("/", None),
    ];
    warm(&cluster, &paths).await;

    // Hidden through the first instance, shown again through the second.
    post(
        &boss.at(&cluster.nodes[0].base),
        &format!("/admin/articles/{slug}/hide"),
        &[],
    )
    .await
    .assert_redirect("/admin/articles");
    let since = Instant::now();
    everywhere(&cluster, since, "a hide", async |node| {
        status_is(&node.get(&article, None).await, StatusCode::NOT_FOUND)?;
        status_is(&node.get(&page, None).await, StatusCode::NOT_FOUND)?;
        list_has(node, "/api/articles", None, &slug, false).await?;
        shows(&node.get("/", None).await.text, "Moderated story", false)
    })
    .await;
    post(
        &boss.at(&cluster.nodes[1].base),
        &format!("/admin/articles/{slug}/unhide"),
        &[],
    )
    .await
    .assert_redirect("/admin/articles");
    let since = Instant::now();
    everywhere(&cluster, since, "an unhide", async |node| {
        status_is(&node.get(&article, None).await, StatusCode::OK)?;
        status_is(&node.get(&page, None).await, StatusCode::OK)?;
        list_has(node, "/api/articles", None, &slug, true).await?;
        shows(&node.get("/", None).await.text, "Moderated story", true)
    })
    .await;

    // A tag renamed through the third, then merged through the first.
    warm(&cluster, &paths).await;
    post(
        &boss.at(&cluster.nodes[2].base),
        "/admin/tags/rename",
        &[("from", "old"), ("to", "renamed")],
    )
    .await
    .assert_redirect("/admin/tags");
    let since = Instant::now();
    everywhere(&cluster, since, "a tag rename", async |node| {
        let tags = field(node, &article, None, "/article/tagList").await?;
        if tags != json!(["other", "renamed"]) {
            return Err(format!("tagList {tags}"));
        }
        list_has(node, "/api/articles?tag=renamed", None, &slug, true).await?;
        list_has(node, "/api/articles?tag=old", None, &slug, false).await?;
        shows(&node.get("/api/tags", None).await.text, "\"renamed\"", true)
    })
    .await;
    post(
        &boss.at(&cluster.nodes[0].base),
        "/admin/tags/merge",
        &[("from", "other"), ("into", "renamed"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/tags");
    let since = Instant::now();
    everywhere(&cluster, since, "a tag merge", async |node| {
        let tags = field(node, &article, None, "/article/tagList").await?;
        if tags != json!(["renamed"]) {
            return Err(format!("tagList {tags}"));
        }
        shows(&node.get("/api/tags", None).await.text, "\"other\"", false)
    })
    .await;

    // A suspension through the second: the token and the session stop working on
    // every instance.
    for node in &cluster.nodes {
        status_is(&node.get("/api/user", Some(&alice)).await, StatusCode::OK).expect("token works");
        let home = alice_session.at(&node.base).get("/").await;
        assert!(home.body.contains("data-auth-state=\"authenticated\""));
    }
    post(
        &boss.at(&cluster.nodes[1].base),
        "/admin/users/alice/suspend",
        &[("reason", "spam in clusters"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/users/alice");
    let since = Instant::now();
    everywhere(&cluster, since, "a suspension", async |node| {
        status_is(
            &node.get("/api/user", Some(&alice)).await,
            StatusCode::FORBIDDEN,
        )?;
        let home = alice_session.at(&node.base).get("/").await;
        shows(&home.body, "data-auth-state=\"unauthenticated\"", true)
    })
    .await;
}

/// On both backends: a change made by `conduit seed` and `conduit admin` while the
/// server runs shows on the server's next request (SQLite reads `cache_events` when
/// `PRAGMA data_version` moves; PostgreSQL hears the NOTIFY).
async fn command_line_writes_show_at_once(app: TestApp) {
    super::ready(&app.client, &app.address).await;
    let empty = app.get("/api/articles", None).await;
    assert_eq!(empty.json["articlesCount"], 0);
    app.get("/api/articles", None).await;
    let output = ServerProcess::command(&app)
        .args(["seed", "--users", "3", "--articles", "5", "--comments", "0"])
        .args(["--follows", "0", "--favorites", "0"])
        .output()
        .expect("seed runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let since = Instant::now();
    loop {
        let list = app.get("/api/articles", None).await;
        if list.json["articlesCount"] == 5 {
            break;
        }
        assert!(
            since.elapsed() < VISIBLE_WITHIN,
            "the seeded articles are not served after {VISIBLE_WITHIN:?}: {}",
            list.text
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    // A role change from the command line shows in the admin area at once.
    let token = app.register("rising").await;
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    let (ok, out) = cli(&app, &["promote", "rising", "--role", "moderator"], "");
    assert!(ok, "{out}");
    let moderator = signed_in(&app, "rising").await;
    moderator.get("/admin").await.expect(StatusCode::OK);
}
