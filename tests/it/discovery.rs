//! Feeds (RSS and Atom, parsed back with a feed parser), sitemaps (valid XML, the right
//! counts at 120,000 articles), robots.txt and link previews.

use awc::http::StatusCode;
use serde_json::json;

use crate::admin::{post, signed_in, with_role};
use crate::helpers::TestApp;
use crate::jobs::{db_of, insert_articles};
use crate::pages::browser::Browser;

crate::tests![
    feeds_parse_back_with_absolute_links_and_safe_html,
    feeds_answer_conditionally_and_follow_writes,
    sitemaps_list_visible_articles,
    sitemaps_hold_120_000_articles,
    documents_and_pages_come_gzipped_when_asked,
    robots_keep_crawlers_out_of_private_pages,
    pages_carry_link_previews,
];

/// GET `path` as a feed reader would, with extra headers.
async fn fetch(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, awc::http::header::HeaderMap, String) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let mut response = request.send().await.expect("answered");
    let body = response.body().limit(50 * 1024 * 1024).await.expect("body");
    (
        response.status(),
        response.headers().clone(),
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn parse_feed(body: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body.as_bytes()).expect("a valid feed")
}

async fn feeds_parse_back_with_absolute_links_and_safe_html(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let site = app.config.jobs.public_url.clone();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let reply = app
        .post(
            "/api/articles",
            Some(&alice),
            json!({"article": {
                "title": "Tom & Jerry <b>tricks</b>",
                "description": "Cats \"and\" mice",
                "body": "See [rust](/tag/rust) and ![logo](/static/img/favicon.svg).\n\n<script>alert(1)</script><img src=x onerror=alert(2)>\n\n**bold**",
                "tagList": ["rust"],
            }}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let tricky = reply.json["article"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    app.publish(&bob, "Bob writes", &["python"]).await;
    let hidden = app.publish(&bob, "Soon hidden", &["python"]).await;
    let moderator = signed_in(&app, "modest").await;
    post(&moderator, &format!("/admin/articles/{hidden}/hide"), &[])
        .await
        .assert_redirect("/admin/articles");

    for (path, kind) in [
        ("/feed.xml", "application/rss+xml"),
        ("/atom.xml", "application/atom+xml"),
    ] {
        let (status, headers, body) = fetch(&app, path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        let feed = parse_feed(&body);
        let titles: Vec<String> = feed
            .entries
            .iter()
            .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
            .collect();
        assert_eq!(
            titles,
            vec!["Bob writes", "Tom & Jerry <b>tricks</b>"],
            "{path}: newest first, hidden left out"
        );
        let entry = &feed.entries[1];
        let link = &entry.links[0].href;
        assert_eq!(link, &format!("{site}/article/{tricky}"), "{path}");
        let content = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .expect("full content");
        assert!(
            content.contains(&format!("href=\"{site}/tag/rust\"")),
            "{path}: {content}"
        );
        assert!(
            content.contains(&format!("src=\"{site}/static/img/favicon.svg\"")),
            "{content}"
        );
        assert!(content.contains("<strong>bold</strong>"));
        let lower = content.to_ascii_lowercase();
        assert!(
            !lower.contains("<script") && !lower.contains("onerror"),
            "{content}"
        );
        assert!(
            !body.contains("<b>tricks</b>"),
            "{path}: the title is escaped in the XML"
        );
    }
    let atom = parse_feed(&fetch(&app, "/atom.xml", &[]).await.2);
    assert_eq!(atom.entries[1].authors[0].name.as_deref(), Some("alice"));

    // A tag's and an author's feeds.
    let tag = parse_feed(&fetch(&app, "/tag/rust/feed.xml", &[]).await.2);
    assert_eq!(tag.entries.len(), 1);
    let author = parse_feed(&fetch(&app, "/profile/bob/atom.xml", &[]).await.2);
    assert_eq!(author.entries.len(), 1, "bob's hidden article is left out");
    assert_eq!(
        fetch(&app, "/profile/nobody/feed.xml", &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn feeds_answer_conditionally_and_follow_writes(app: TestApp) {
    let alice = app.register("alice").await;
    app.publish(&alice, "First", &[]).await;
    let (status, headers, _) = fetch(&app, "/feed.xml", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let etag = header("etag");
    let modified = header("last-modified");
    assert!(
        etag.starts_with('"') && modified.ends_with("GMT"),
        "{etag} {modified}"
    );
    assert_eq!(header("cache-control"), "public, no-cache");
    assert_eq!(
        fetch(&app, "/feed.xml", &[("If-None-Match", &etag)])
            .await
            .0,
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        fetch(&app, "/feed.xml", &[("If-Modified-Since", &modified)])
            .await
            .0,
        StatusCode::NOT_MODIFIED
    );

    // A new article changes the feed at once (the cached copy is dropped).
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.publish(&alice, "Second", &[]).await;
    let (status, headers, body) = fetch(&app, "/feed.xml", &[("If-None-Match", &etag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(
        headers.get("etag").and_then(|v| v.to_str().ok()),
        Some(etag.as_str())
    );
    assert_eq!(parse_feed(&body).entries.len(), 2);
    // An edit too.
    let slug = app.get("/api/articles?author=alice", None).await.json["articles"][0]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    let reply = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&alice),
            json!({"article": {"title": "Second, edited"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let atom = parse_feed(&fetch(&app, "/atom.xml", &[]).await.2);
    let title = atom.entries[0].title.as_ref().map(|t| t.content.clone());
    assert_eq!(title.as_deref(), Some("Second, edited"));
}

/// The `<loc>` values of a sitemap document, after checking it parses as XML in the
/// sitemap namespace with `root` at the top.
fn locs(body: &str, root: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    let mut locs = Vec::new();
    let mut in_loc = false;
    let mut saw_root = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                if name == root {
                    saw_root = true;
                    let ns = start
                        .try_get_attribute("xmlns")
                        .expect("attribute")
                        .expect("xmlns");
                    assert_eq!(
                        ns.value.as_ref(),
                        b"http://www.sitemaps.org/schemas/sitemap/0.9"
                    );
                }
                in_loc = name == "loc";
            }
            Event::Text(text) if in_loc => {
                locs.push(text.decode().expect("text").into_owned());
            }
            Event::End(_) => in_loc = false,
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(saw_root, "no <{root}>");
    locs
}

async fn sitemaps_list_visible_articles(app: TestApp) {
    with_role(&app, "modest", "moderator").await;
    let site = app.config.jobs.public_url.clone();
    let alice = app.register("alice").await;
    let shown = app.publish(&alice, "Shown", &[]).await;
    let hidden = app.publish(&alice, "Hidden", &[]).await;
    let moderator = signed_in(&app, "modest").await;
    post(&moderator, &format!("/admin/articles/{hidden}/hide"), &[]).await;

    let (status, headers, body) = fetch(&app, "/sitemap.xml", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("application/xml")
    );
    assert_eq!(
        locs(&body, "sitemapindex"),
        vec![format!("{site}/sitemap-1.xml")]
    );
    assert!(body.contains("<lastmod>"), "{body}");
    let body = fetch(&app, "/sitemap-1.xml", &[]).await.2;
    assert_eq!(
        locs(&body, "urlset"),
        vec![format!("{site}/"), format!("{site}/article/{shown}")]
    );
    assert_eq!(
        fetch(&app, "/sitemap-2.xml", &[]).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, "/sitemap-0.xml", &[]).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, "/sitemap-x.xml", &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn sitemaps_hold_120_000_articles(app: TestApp) {
    app.register("bulk").await;
    insert_articles(&db_of(&app), "bulk", 120_000, "b");

    let site = app.config.jobs.public_url.clone();
    let index = locs(&fetch(&app, "/sitemap.xml", &[]).await.2, "sitemapindex");
    assert_eq!(
        index,
        (1..=3)
            .map(|n| format!("{site}/sitemap-{n}.xml"))
            .collect::<Vec<_>>()
    );
    let first = locs(&fetch(&app, "/sitemap-1.xml", &[]).await.2, "urlset");
    assert_eq!(first.len(), 50_001, "the home page and 50,000 articles");
    assert_eq!(first[1], format!("{site}/article/bulk-1"));
    let second = locs(&fetch(&app, "/sitemap-2.xml", &[]).await.2, "urlset");
    assert_eq!(second.len(), 50_000);
    assert_eq!(second[0], format!("{site}/article/bulk-50001"));
    let third = locs(&fetch(&app, "/sitemap-3.xml", &[]).await.2, "urlset");
    assert_eq!(third.len(), 20_000);
    assert_eq!(
        fetch(&app, "/sitemap-4.xml", &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn robots_keep_crawlers_out_of_private_pages(app: TestApp) {
    let (status, _, body) = fetch(&app, "/robots.txt", &[]).await;
    assert_eq!(status, StatusCode::OK);
    for private in ["/admin", "/settings", "/editor", "/notifications"] {
        assert!(
            body.contains(&format!("Disallow: {private}\n")),
            "{private}: {body}"
        );
    }
    assert!(
        !body.contains("Disallow: /\n"),
        "the site itself stays open"
    );
    assert!(body.contains(&format!(
        "Sitemap: {}/sitemap.xml",
        app.config.jobs.public_url
    )));
}

async fn pages_carry_link_previews(app: TestApp) {
    let site = app.config.jobs.public_url.clone();
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Preview me", &["rust"]).await;
    let browser = Browser::new(&app);
    let body = browser.get(&format!("/article/{slug}")).await.body;
    for needle in [
        format!("<link rel=\"canonical\" href=\"{site}/article/{slug}\">"),
        format!("<meta property=\"og:url\" content=\"{site}/article/{slug}\">"),
        "<meta property=\"og:type\" content=\"article\">".to_owned(),
        "<meta property=\"og:title\" content=\"Preview me\">".to_owned(),
        "<meta name=\"description\" content=\"about it\">".to_owned(),
        "<meta name=\"twitter:card\" content=\"summary\">".to_owned(),
        format!("<meta property=\"og:image\" content=\"{site}/static/img/default-avatar.svg?v="),
        format!(
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Conduit (RSS)\" href=\"{site}/feed.xml\">"
        ),
        format!(
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Articles by alice (Atom)\" href=\"{site}/profile/alice/atom.xml\">"
        ),
    ] {
        assert!(body.contains(&needle), "{needle}\n{body}");
    }
    let body = browser.get("/profile/alice").await.body;
    assert!(body.contains("<meta property=\"og:type\" content=\"profile\">"));
    assert!(body.contains(&format!(
        "<link rel=\"canonical\" href=\"{site}/profile/alice\">"
    )));
    let body = browser.get("/tag/rust").await.body;
    assert!(body.contains(&format!("href=\"{site}/tag/rust/feed.xml\"")));
    assert!(body.contains("content=\"Articles tagged rust on Conduit.\""));
}

/// Feeds, sitemaps and anonymous article pages are gzipped once, when cached, and sent
/// so to clients that take gzip; the same ETag revalidates either form.
async fn documents_and_pages_come_gzipped_when_asked(app: TestApp) {
    use std::io::Read;
    let token = app.register("alice").await;
    let body = "A paragraph that repeats. ".repeat(200);
    let reply = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "Long read", "description": "d", "body": body, "tagList": []}}),
        )
        .await;
    let slug = reply.json["article"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    for path in [
        "/feed.xml".to_owned(),
        "/sitemap-1.xml".to_owned(),
        format!("/article/{slug}"),
    ] {
        let raw = |encoding: &'static str| {
            let request = app
                .client
                .get(format!("{}{path}", app.address))
                .insert_header(("Accept-Encoding", encoding));
            async move {
                let mut response = request.send().await.expect("answered");
                let bytes = response.body().limit(1 << 24).await.expect("body");
                (response.headers().clone(), bytes)
            }
        };
        let (plain_headers, plain) = raw("identity").await;
        assert!(plain_headers.get("content-encoding").is_none(), "{path}");
        let (headers, gzipped) = raw("gzip, deflate").await;
        assert_eq!(
            headers
                .get("content-encoding")
                .map(|v| v.to_str().unwrap_or_default()),
            Some("gzip"),
            "{path}"
        );
        assert!(
            gzipped.len() < plain.len(),
            "{path}: {} vs {}",
            gzipped.len(),
            plain.len()
        );
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&gzipped[..])
            .read_to_end(&mut unpacked)
            .expect("valid gzip");
        assert_eq!(unpacked, plain.to_vec(), "{path}: the same document");
        assert!(
            headers.get_all("vary").any(|v| v
                .to_str()
                .unwrap_or_default()
                .to_ascii_lowercase()
                .contains("accept-encoding")),
            "{path}"
        );
        let (refused, _) = raw("gzip;q=0").await;
        assert!(
            refused.get("content-encoding").is_none(),
            "{path}: q=0 refuses"
        );
        let etag = headers
            .get("etag")
            .expect("etag")
            .to_str()
            .expect("ascii")
            .to_owned();
        let (status, _, _) = fetch(
            &app,
            &path,
            &[("If-None-Match", &etag), ("Accept-Encoding", "gzip")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
    }
}
