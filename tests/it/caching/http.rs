//! HTTP caching: strong ETags and 304s (never for a changed resource), Cache-Control by
//! audience, immutable static files, compression and the cache metrics.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{METRICS_TOKEN, TestApp};
use crate::pages::browser::Browser;
use crate::tests;

tests![
    api_etags_revalidate,
    page_etags_revalidate,
    cache_control_fits_the_audience,
    text_is_compressed,
    cache_metrics_are_exported,
];

/// `GET path` with `If-None-Match: etag` (and optional cookies): status and new ETag.
async fn revalidate(
    app: &TestApp,
    path: &str,
    etag: &str,
    cookie: Option<String>,
) -> (StatusCode, String) {
    let mut request = app
        .client
        .get(format!("{}{path}", app.address))
        .insert_header(("If-None-Match", etag));
    if let Some(cookie) = cookie {
        request = request.insert_header(("Cookie", cookie));
    }
    let mut response = request.send().await.expect("answered");
    let body = response.body().await.expect("body");
    if response.status() == StatusCode::NOT_MODIFIED {
        assert!(body.is_empty(), "a 304 has no body");
    }
    let tag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (response.status(), tag)
}

fn etag(headers: &awc::http::header::HeaderMap) -> String {
    let tag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_owned();
    assert!(
        tag.starts_with('"') && !tag.starts_with("W/"),
        "strong: {tag}"
    );
    tag
}

async fn api_etags_revalidate(app: TestApp) {
    let writer = app.register("writer").await;
    let slug = app.publish(&writer, "Tagged", &["e"]).await;
    for path in [
        "/api/articles".to_owned(),
        format!("/api/articles/{slug}"),
        "/api/tags".to_owned(),
        "/api/profiles/writer".to_owned(),
    ] {
        let first = app.get(&path, None).await;
        let tag = etag(&first.headers);
        assert_eq!(
            etag(&app.get(&path, None).await.headers),
            tag,
            "{path}: stable"
        );
        let (status, again) = revalidate(&app, &path, &tag, None).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again, tag);
        let (status, _) = revalidate(&app, &path, "\"something-else\"", None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // A change means a 200 with a new tag for an old If-None-Match, never a 304.
    let list_tag = etag(&app.get("/api/articles", None).await.headers);
    let one_path = format!("/api/articles/{slug}");
    let one_tag = etag(&app.get(&one_path, None).await.headers);
    let reader = app.register("reader").await;
    app.post(&format!("{one_path}/favorite"), Some(&reader), json!({}))
        .await;
    for (path, old) in [("/api/articles", &list_tag), (one_path.as_str(), &one_tag)] {
        let (status, new) = revalidate(&app, path, old, None).await;
        assert_eq!(status, StatusCode::OK, "{path} changed");
        assert_ne!(&new, old);
    }
    // A signed-in reader's version differs from the anonymous one (favorited: true).
    let (status, _) = revalidate(&app, &one_path, &one_tag, None).await;
    assert_eq!(status, StatusCode::OK);
    let mine = app.get(&one_path, Some(&reader)).await;
    assert_ne!(
        etag(&mine.headers),
        etag(&app.get(&one_path, None).await.headers)
    );
}

async fn page_etags_revalidate(app: TestApp) {
    let writer = app.register("writer").await;
    let slug = app.publish(&writer, "Paged", &[]).await;
    let browser = Browser::new(&app);
    let path = format!("/article/{slug}");
    browser.get(&path).await;
    let page = browser.get(&path).await;
    let tag = etag(&page.headers);
    let (status, _) = revalidate(&app, &path, &tag, Some(browser.cookie_header())).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let home = browser.get("/").await;
    let home_tag = etag(&home.headers);
    let (status, _) = revalidate(&app, "/", &home_tag, Some(browser.cookie_header())).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    let comment = json!({"comment": {"body": "changes the page"}});
    app.post(
        &format!("/api/articles/{slug}/comments"),
        Some(&writer),
        comment,
    )
    .await;
    let (status, new) = revalidate(&app, &path, &tag, Some(browser.cookie_header())).await;
    assert_eq!(status, StatusCode::OK, "changed page");
    assert_ne!(new, tag);
    app.publish(&writer, "Another", &[]).await;
    let (status, _) = revalidate(&app, "/", &home_tag, Some(browser.cookie_header())).await;
    assert_eq!(status, StatusCode::OK, "changed home page");
}

fn header<'a>(headers: &'a awc::http::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn cache_control_fits_the_audience(app: TestApp) {
    let token = app.register("reader").await;
    let anonymous_api = app.get("/api/articles", None).await;
    assert_eq!(
        header(&anonymous_api.headers, "cache-control"),
        "public, no-cache"
    );
    let vary: Vec<&str> = anonymous_api
        .headers
        .get_all("vary")
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(vary.iter().any(|v| v.contains("Authorization")), "{vary:?}");
    let signed_api = app.get("/api/articles", Some(&token)).await;
    assert_eq!(
        header(&signed_api.headers, "cache-control"),
        "private, no-cache"
    );
    let user = app.get("/api/user", Some(&token)).await;
    assert_eq!(header(&user.headers, "cache-control"), "private, no-cache");

    let browser = Browser::new(&app);
    let anonymous_page = browser.get("/").await;
    assert_eq!(
        header(&anonymous_page.headers, "cache-control"),
        "private, no-cache"
    );
    browser.sign_in("reader").await;
    let signed_page = browser.get("/").await;
    assert_eq!(
        header(&signed_page.headers, "cache-control"),
        "private, no-store"
    );
    let missing = browser.get("/article/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(header(&missing.headers, "cache-control"), "no-store");

    // Static files: fingerprinted URLs, cached for a year.
    let marker = "rel=\"stylesheet\" href=\"";
    let start = signed_page.body.find(marker).expect("stylesheet") + marker.len();
    let end = signed_page.body[start..].find('"').expect("end") + start;
    let css = app.get(&signed_page.body[start..end], None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(header(&css.headers, "cache-control").contains("max-age=31536000"));
}

async fn text_is_compressed(app: TestApp) {
    let writer = app.register("writer").await;
    app.publish(&writer, "Squeezed", &[]).await;
    for (encoding, path) in [("gzip", "/api/articles"), ("br", "/"), ("gzip", "/")] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .insert_header(("Accept-Encoding", encoding))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(response.headers(), "content-encoding"),
            encoding,
            "{path}"
        );
    }
}

async fn cache_metrics_are_exported(app: TestApp) {
    app.get("/api/tags", None).await;
    app.get("/api/tags", None).await;
    let mut response = app
        .client
        .get(format!("{}/metrics", app.address))
        .insert_header(("Authorization", format!("Bearer {METRICS_TOKEN}")))
        .send()
        .await
        .expect("answered");
    let text = String::from_utf8_lossy(&response.body().await.expect("body")).into_owned();
    for needle in [
        "cache_hits_total{cache=\"tags\"}",
        "cache_misses_total{cache=\"tags\"}",
        "cache_entries{cache=\"tags\"} 1",
        "cache_weighted_bytes{cache=\"articles\"}",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
}
