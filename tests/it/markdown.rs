//! Writing as on a real platform: fenced code highlighted on the server (classes only,
//! styled by a fingerprinted stylesheet), table alignment, heading anchors and reading
//! time, on the article page and the home page's cards, rendered once and cached.

use actix_web::test;
use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::pages::browser::Browser;
use crate::tests;

tests![
    article_page_has_highlighting_alignment_and_anchors,
    cards_and_article_show_reading_time,
    highlight_stylesheet_is_served_and_styles_stay_out_of_the_page,
    highlighted_html_is_rendered_once_and_cached,
];

const BODY: &str = "# Getting started\n\n\
    Some words first.\n\n\
    ```rust\nfn main() {\n    if true {\n        println!(\"<hello>\");\n    }\n}\n```\n\n\
    ## Getting started\n\n\
    | Name | Count |\n|:-----|------:|\n| a | 1 |\n| b | 22 |\n\n\
    ```nosuchlang\nplain <text>\n```\n";

/// Publishes `body` through the API and returns the slug.
async fn publish(app: &TestApp, token: &str, title: &str, body: &str) -> String {
    let reply = app
        .post(
            "/api/articles",
            Some(token),
            json!({"article": {"title": title, "description": "d", "body": body, "tagList": []}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["article"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned()
}

async fn article_page_has_highlighting_alignment_and_anchors(app: TestApp) {
    let token = app.register("alice").await;
    let slug = publish(&app, &token, "Code", BODY).await;
    // The API still answers the Markdown as written (RealWorld).
    let reply = app.get(&format!("/api/articles/{slug}"), None).await;
    assert_eq!(reply.json["article"]["body"], BODY);

    let reply = app.get(&format!("/article/{slug}"), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = reply.text;
    // Highlighted: classes from the grammar, the text escaped, no inline style.
    assert!(page.contains("<code class=\"language-rust\"><span class=\"hl-"));
    assert!(page.contains("hl-keyword"), "{page}");
    assert!(page.contains("&lt;hello&gt;"), "{page}");
    assert!(!page.contains("style="), "{page}");
    // Unknown language: plain, escaped.
    assert!(page.contains("<code class=\"language-nosuchlang\">plain &lt;text&gt;\n</code>"));
    // Table alignment as classes.
    assert!(
        page.contains("<th class=\"align-left\">Name</th>"),
        "{page}"
    );
    assert!(
        page.contains("<th class=\"align-right\">Count</th>"),
        "{page}"
    );
    assert!(page.contains("<td class=\"align-right\">22</td>"), "{page}");
    // Heading ids, deduplicated, with self-links.
    for (level, id) in [(1, "h-getting-started"), (2, "h-getting-started-1")] {
        assert!(
            page.contains(&format!(
                "<h{level} id=\"{id}\">Getting started<a class=\"anchor\" href=\"#{id}\" \
                 aria-label=\"Link to this section\""
            )),
            "{id}: {page}"
        );
    }
    // The RealWorld structure around the body is unchanged.
    assert!(page.contains("<div class=\"article-content\">"));
    assert!(page.contains("<span class=\"date\">"));
}

async fn cards_and_article_show_reading_time(app: TestApp) {
    let token = app.register("alice").await;
    let long = format!("Intro.\n\n```rust\n{}```\n", "let word = 1;\n".repeat(200));
    // 1 + 4 × 200 words at 220 a minute: 4 minutes.
    let slug = publish(&app, &token, "Long read", &long).await;
    publish(&app, &token, "Short read", "Just a few words.").await;

    let home = app.get("/", None).await.text;
    assert!(
        home.contains("<span class=\"reading-time\">4 min read</span>"),
        "{home}"
    );
    assert!(
        home.contains("<span class=\"reading-time\">1 min read</span>"),
        "{home}"
    );
    // Inside the card's `.info`, after the date: the RealWorld selectors still match.
    let card = &home[home
        .find("<div class=\"article-preview\">")
        .expect("a card")..];
    let info = &card[card.find("<div class=\"info\">").expect("info")..];
    let date = info.find("<span class=\"date\">").expect("date");
    let reading = info.find("class=\"reading-time\"").expect("reading time");
    assert!(date < reading && reading < info.find("</div>").expect("end of info"));

    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    for page in [
        app.get(&format!("/article/{slug}"), None).await.text,
        browser.get(&format!("/article/{slug}")).await.body,
    ] {
        assert!(page.contains("4 min read"), "{page}");
    }
}

async fn highlight_stylesheet_is_served_and_styles_stay_out_of_the_page(app: TestApp) {
    let token = app.register("alice").await;
    let slug = publish(&app, &token, "Styled", BODY).await;
    let reply = app.get(&format!("/article/{slug}"), None).await;
    let csp = reply
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("style-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let page = reply.text;
    let start = page
        .find("<link rel=\"stylesheet\" href=\"/static/highlight.css?v=")
        .expect("highlight stylesheet linked")
        + "<link rel=\"stylesheet\" href=\"".len();
    let href = &page[start..start + page[start..].find('"').expect("href ends")];

    let css = app.get(href, None).await;
    assert_eq!(css.status, StatusCode::OK);
    let content_type = css.headers.get("content-type").expect("content type");
    assert!(
        content_type
            .to_str()
            .unwrap_or_default()
            .starts_with("text/css")
    );
    assert!(css.text.contains(".hl-keyword"));
    assert!(css.text.contains("@media (prefers-color-scheme: dark)"));
    // The alignment and anchor rules live in the main stylesheet.
    let app_css = app.get("/static/app.css", None).await.text;
    assert!(app_css.contains(".article-content .align-right { text-align: right; }"));
    assert!(app_css.contains(".article-content .anchor::before"));
}

async fn highlighted_html_is_rendered_once_and_cached(app: TestApp) {
    use sha2::{Digest, Sha256};

    let (_db, caches, service) = crate::counted_service!(&app);
    let token = app.register("alice").await;
    let slug = publish(&app, &token, "Cached", BODY).await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let cookie = browser.cookie_header();

    let get = async || {
        let request = test::TestRequest::get()
            .uri(&format!("/article/{slug}"))
            .insert_header(("Cookie", cookie.clone()))
            .to_request();
        let response = test::call_service(&service, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        String::from_utf8_lossy(&test::read_body(response).await).into_owned()
    };
    let first = get().await;
    // The rendered body sits in the Markdown cache under the hash of its source, as
    // before highlighting existed: a signed-in reader's next view reuses it.
    let digest = Sha256::digest(BODY.as_bytes());
    let key = u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"));
    let cached = caches
        .markdown
        .get(&key)
        .await
        .expect("rendered body cached");
    assert!(cached.contains("<span class=\"hl-"), "{cached}");
    assert!(first.contains(&*cached));
    assert_eq!(caches.markdown.usage().await.0, 1);

    let second = get().await;
    assert_eq!(caches.markdown.usage().await.0, 1);
    let body = |page: &str| {
        let start = page
            .find("<div class=\"article-content\">")
            .expect("content");
        page[start..start + page[start..].find("<hr>").expect("end")].to_owned()
    };
    assert_eq!(body(&first), body(&second));
}
