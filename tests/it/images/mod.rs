//! Image uploads: every format through the API and the page form, served back with the
//! right type and immutable caching; the avatar; hostile files refused with nothing
//! stored; metadata stripped; the quota; deletion by the owner and by staff.

mod fixtures;

use awc::http::StatusCode;
use image::ImageFormat;

use crate::admin::{audit_total, create_admin, signed_in};
use crate::helpers::{Reply, TestApp};
use crate::pages::browser::Browser;
use crate::tests;
use fixtures::*;

tests![
    every_format_uploads_and_is_served_back,
    the_page_form_and_the_avatar_upload,
    hostile_files_are_refused_and_nothing_is_stored,
    exif_and_gps_are_stripped,
    the_quota_and_the_byte_limit,
    owners_and_staff_delete,
];

const BOUNDARY: &str = "conduit-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart body: text fields, then the file as `image`.
fn multipart(fields: &[(&str, &str)], filename: &str, content_type: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn send_multipart(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Reply {
    let client = awc::Client::builder()
        .disable_redirects()
        .timeout(std::time::Duration::from_secs(60))
        .finish();
    let mut request = client
        .post(format!("{}{path}", app.address))
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ));
    for (name, value) in headers {
        request = request.insert_header((*name, value.clone()));
    }
    let mut response = request.send_body(body).await.expect("upload is answered");
    let bytes = response.body().limit(10 * 1024 * 1024).await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        json: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    }
}

/// `POST /api/images` with `file` named `filename`.
async fn api_upload(
    app: &TestApp,
    token: &str,
    filename: &str,
    content_type: &str,
    file: &[u8],
) -> Reply {
    send_multipart(
        app,
        "/api/images",
        &[("Authorization", format!("Token {token}"))],
        multipart(&[], filename, content_type, file),
    )
    .await
}

/// `GET path` raw: status, headers, bytes.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, awc::http::header::HeaderMap, Vec<u8>) {
    let mut response = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("answered");
    let bytes = response.body().limit(20 * 1024 * 1024).await.expect("body");
    (
        response.status(),
        response.headers().clone(),
        bytes.to_vec(),
    )
}

async fn stored_count(app: &TestApp, token: &str) -> usize {
    let reply = app.get("/api/user/images", Some(token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["images"].as_array().expect("images").len()
}

fn header<'a>(headers: &'a awc::http::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn every_format_uploads_and_is_served_back(app: TestApp) {
    let token = app.register("painter").await;
    let cases = [
        (
            "wide.png",
            "image/png",
            png(1500, 900),
            "image/png",
            ImageFormat::Png,
        ),
        (
            "photo.jpg",
            "image/jpeg",
            jpeg(700, 500),
            "image/jpeg",
            ImageFormat::Jpeg,
        ),
        (
            "pic.webp",
            "image/webp",
            encoded(400, 300, ImageFormat::WebP),
            "image/png",
            ImageFormat::Png,
        ),
        (
            "anim.gif",
            "image/gif",
            encoded(200, 100, ImageFormat::Gif),
            "image/png",
            ImageFormat::Png,
        ),
    ];
    for (name, declared, bytes, served_type, served_format) in cases {
        let reply = api_upload(&app, &token, name, declared, &bytes).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{name}: {}", reply.text);
        let image = &reply.json["image"];
        let url = image["url"].as_str().expect("url");
        assert!(url.starts_with("/images/"), "{url}");
        assert_eq!(
            image["markdown"].as_str(),
            Some(format!("![image]({url})").as_str())
        );
        let widths: Vec<i64> = image["widths"]
            .as_array()
            .expect("widths")
            .iter()
            .map(|w| w["width"].as_i64().expect("width"))
            .collect();
        let original = image["width"].as_i64().expect("width");
        assert!(
            widths.iter().all(|&w| w <= original),
            "{name}: never upscaled"
        );
        for width in &widths {
            let path = image["widths"]
                .as_array()
                .expect("widths")
                .iter()
                .find(|w| w["width"].as_i64() == Some(*width))
                .and_then(|w| w["url"].as_str())
                .expect("width url")
                .to_owned();
            let (status, headers, body) = fetch(&app, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(header(&headers, "content-type"), served_type, "{name}");
            assert_eq!(
                header(&headers, "cache-control"),
                "public, max-age=31536000, immutable"
            );
            assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
            let etag = header(&headers, "etag").to_owned();
            assert!(!etag.is_empty());
            let decoded = image::load_from_memory_with_format(&body, served_format)
                .unwrap_or_else(|e| panic!("{path} decodes: {e}"));
            assert_eq!(i64::from(decoded.width()), *width);
            // Revalidation answers 304.
            let revalidated = app
                .client
                .get(format!("{}{path}", app.address))
                .insert_header(("If-None-Match", etag))
                .send()
                .await
                .expect("answered");
            assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        }
        if name == "wide.png" {
            assert_eq!(widths, vec![1500, 1280, 640, 320]);
            assert!(url.ends_with("-1280.png"), "{url}");
            assert!(image["srcset"].as_str().expect("srcset").contains("320w"));
        }
    }
    assert_eq!(stored_count(&app, &token).await, 4);
    // The same file again is the same image.
    let again = api_upload(&app, &token, "wide.png", "image/png", &png(1500, 900)).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(stored_count(&app, &token).await, 4);
    let (status, _, _) = fetch(&app, "/images/0123456789abcdef0123456789abcdef-320.png").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_page_form_and_the_avatar_upload(app: TestApp) {
    app.register("sketcher").await;
    let browser = Browser::new(&app);
    browser.sign_in("sketcher").await;
    let page = browser.get("/settings/images").await;
    page.expect(StatusCode::OK);
    let csrf = page.csrf();
    let cookies = vec![("Cookie", browser.cookie_header())];

    // The plain form: redirect back to the list, which shows the Markdown and the quota.
    let reply = send_multipart(
        &app,
        "/settings/images",
        &cookies,
        multipart(
            &[("csrf_token", &csrf)],
            "a.png",
            "image/png",
            &png(300, 200),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let list = browser.get("/settings/images").await;
    let body = list.expect(StatusCode::OK);
    assert!(body.contains("![image](/images/"), "{body}");
    assert!(body.contains("-300.png)"), "{body}");
    assert!(body.contains("of 50 MB used"), "{body}");

    // The editor's script: JSON back.
    let reply = send_multipart(
        &app,
        "/settings/images",
        &[
            ("Cookie", browser.cookie_header()),
            ("Accept", "application/json".into()),
        ],
        multipart(
            &[("csrf_token", &csrf)],
            "b.jpg",
            "image/jpeg",
            &jpeg(120, 80),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert!(
        reply.json["image"]["markdown"]
            .as_str()
            .expect("markdown")
            .ends_with("-120.jpg)")
    );

    // No CSRF token: refused before the file is read, nothing stored.
    let reply = send_multipart(
        &app,
        "/settings/images",
        &cookies,
        multipart(&[], "c.png", "image/png", &png(50, 50)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // A refused file re-renders the page with the message beside the field.
    let reply = send_multipart(
        &app,
        "/settings/images",
        &cookies,
        multipart(
            &[("csrf_token", &csrf)],
            "d.png",
            "image/png",
            b"not an image at all",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .text
            .contains("class=\"field-error\" id=\"image-error\""),
        "{}",
        reply.text
    );

    // The avatar: a square of 256 pixels, on the profile at once.
    let reply = send_multipart(
        &app,
        "/settings/picture",
        &cookies,
        multipart(
            &[("csrf_token", &csrf)],
            "me.png",
            "image/png",
            &png(400, 300),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let profile = app.get("/api/profiles/sketcher", None).await;
    let image = profile.json["profile"]["image"]
        .as_str()
        .expect("image")
        .to_owned();
    assert!(image.ends_with("-256.png"), "{image}");
    let path = &image[image.find("/images/").expect("our URL")..];
    let (status, _, body) = fetch(&app, path).await;
    assert_eq!(status, StatusCode::OK);
    let avatar = image::load_from_memory(&body).expect("decodes");
    assert_eq!((avatar.width(), avatar.height()), (256, 256));
    // The settings URL field still works.
    let settings = browser.get("/settings").await;
    assert!(settings.body.contains("Upload a picture"));
}

async fn hostile_files_are_refused_and_nothing_is_stored(app: TestApp) {
    let token = app.register("mallory").await;
    let mut gif_with_script = encoded(20, 20, ImageFormat::Gif);
    gif_with_script.extend_from_slice(b"<script>alert(document.cookie)</script>");
    let mut jpeg_with_zip = jpeg(30, 30);
    jpeg_with_zip.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00payload.html");
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("bomb.png", "image/png", png_bomb(), "too large"),
        (
            "photo.png",
            "image/png",
            jpeg(40, 40),
            "says .png in its name but is a JPEG",
        ),
        (
            "photo.jpg",
            "image/png",
            jpeg(40, 40),
            "declared as image/png but is a JPEG",
        ),
        ("logo.svg", "image/svg+xml", svg.to_vec(), "SVG"),
        (
            "cat.gif",
            "image/gif",
            gif_with_script,
            "after the end of the GIF image",
        ),
        (
            "cat.jpg",
            "image/jpeg",
            jpeg_with_zip,
            "after the end of the JPEG image",
        ),
        (
            "noise.png",
            "image/png",
            (0..5000u32).map(|i| (i * 7 % 251) as u8).collect(),
            "not an image",
        ),
        ("empty.png", "image/png", Vec::new(), "missing"),
    ];
    for (name, declared, bytes, message) in cases {
        let started = std::time::Instant::now();
        let reply = api_upload(&app, &token, name, declared, &bytes).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            reply.text
        );
        let said = reply.json["errors"]["image"][0]
            .as_str()
            .unwrap_or_default();
        assert!(said.contains(message), "{name}: {said}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{name} was slow"
        );
    }
    // Not multipart at all.
    let reply = app
        .post(
            "/api/images",
            Some(&token),
            serde_json::json!({"image": "x"}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(stored_count(&app, &token).await, 0);
    let quota = app.get("/api/user/images", Some(&token)).await;
    assert_eq!(quota.json["quota"]["usedBytes"], 0);
}

async fn exif_and_gps_are_stripped(app: TestApp) {
    let token = app.register("traveller").await;
    let upload = jpeg_with_gps(800, 600);
    assert!(has_exif(&upload), "the fixture carries EXIF");
    image::load_from_memory(&upload).expect("the fixture is a valid JPEG");
    let reply = api_upload(&app, &token, "trip.jpeg", "image/jpeg", &upload).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    for width in reply.json["image"]["widths"].as_array().expect("widths") {
        let (status, _, body) = fetch(&app, width["url"].as_str().expect("url")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!has_exif(&body), "served bytes keep no EXIF");
        image::load_from_memory(&body).expect("decodes");
    }
}

async fn the_quota_and_the_byte_limit(app: TestApp) {
    let app = app
        .reconfigure(|c| {
            c.image_max_bytes = 64 * 1024;
            c.image_quota_bytes = 40 * 1024;
        })
        .await;
    let token = app.register("hoarder").await;
    // Over the byte limit (and the server stops reading there).
    let big: Vec<u8> = png(1, 1).into_iter().chain(vec![0u8; 200 * 1024]).collect();
    let reply = api_upload(&app, &token, "big.png", "image/png", &big).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert!(
        reply.json["errors"]["image"][0]
            .as_str()
            .unwrap_or_default()
            .contains("larger than the 64 KB limit")
    );
    // Noise does not compress: each of these stores some 30 KB.
    let noisy = |seed: u32| {
        let picture = image::RgbImage::from_fn(100, 100, |x, y| {
            let n = (x * 7919 + y * 104_729 + seed * 31).wrapping_mul(2_654_435_761);
            image::Rgb([(n >> 8) as u8, (n >> 16) as u8, (n >> 24) as u8])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Png).expect("png");
        out.into_inner()
    };
    // Three at once where one fits: exactly one is stored (uploads of one member take
    // turns in the write, on both backends).
    let files: Vec<Vec<u8>> = (1..=3).map(noisy).collect();
    let replies = futures_util::future::join_all(
        files
            .iter()
            .map(|file| api_upload(&app, &token, "one.png", "image/png", file)),
    )
    .await;
    let stored: Vec<usize> = (0..3)
        .filter(|&i| replies[i].status == StatusCode::CREATED)
        .collect();
    assert_eq!(stored.len(), 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert!(
            reply.json["errors"]["image"][0]
                .as_str()
                .unwrap_or_default()
                .contains("would exceed your storage quota")
        );
    }
    // The stored file again is the same image, and costs nothing more.
    let again = api_upload(&app, &token, "one.png", "image/png", &files[stored[0]]).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(stored_count(&app, &token).await, 1);
}

async fn owners_and_staff_delete(app: TestApp) {
    create_admin(&app, "boss");
    let owner = app.register("owner").await;
    let other = app.register("other").await;
    let mut paths = Vec::new();
    let mut ids = Vec::new();
    for size in [64, 65] {
        let reply = api_upload(&app, &owner, "x.png", "image/png", &png(size, size)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        ids.push(reply.json["image"]["id"].as_i64().expect("id"));
        paths.push(reply.json["image"]["url"].as_str().expect("url").to_owned());
    }
    // Someone else may not delete it.
    let refused = app
        .delete(&format!("/api/images/{}", ids[0]), Some(&other))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(fetch(&app, &paths[0]).await.0, StatusCode::OK);
    // The owner may; then its URLs are gone.
    let deleted = app
        .delete(&format!("/api/images/{}", ids[0]), Some(&owner))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(fetch(&app, &paths[0]).await.0, StatusCode::NOT_FOUND);
    let again = app
        .delete(&format!("/api/images/{}", ids[0]), Some(&owner))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // Staff remove the other from the admin area, audited.
    let admin = signed_in(&app, "boss").await;
    let listing = admin.get("/admin/images").await;
    assert!(listing.expect(StatusCode::OK).contains(&paths[1][..40]));
    let removed = admin
        .submit(
            "/admin/images",
            &format!("/admin/images/{}/remove", ids[1]),
            &[],
        )
        .await;
    removed.assert_redirect("/admin/images");
    assert_eq!(fetch(&app, &paths[1]).await.0, StatusCode::NOT_FOUND);
    assert_eq!(audit_total(&admin, "action=image.remove").await, 1);
    // A member cannot reach the admin list.
    let member = Browser::new(&app);
    member.sign_in("other").await;
    assert_eq!(
        member.get("/admin/images").await.status,
        StatusCode::FORBIDDEN
    );
}
