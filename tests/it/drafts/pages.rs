//! Drafts on the site: the editor's Save draft, Preview and Schedule buttons, the
//! author's Drafts tab, and 404 for everyone else.

use awc::http::StatusCode;
use diesel::prelude::*;

use crate::helpers::TestApp;
use crate::jobs::db_of;
use crate::pages::browser::Browser;

crate::tests![
    preview_renders_the_body_and_saves_nothing,
    drafts_from_the_editor_stay_with_their_author,
    the_editor_schedules_changes_and_cancels,
];

fn article_count(app: &TestApp) -> i64 {
    use conduit::db::schema::articles;
    let db = db_of(app);
    let mut conn = db.conn().expect("conn");
    articles::table
        .count()
        .get_result(&mut *conn)
        .expect("count")
}

/// The slug a draft save redirected to (`/editor/{slug}`).
fn editor_slug(page: &crate::pages::browser::Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.location()
        .strip_prefix("/editor/")
        .expect("back to the editor")
        .to_owned()
}

async fn preview_renders_the_body_and_saves_nothing(app: TestApp) {
    let browser = Browser::new(&app);
    browser.sign_up("writer").await;
    let form = browser.get("/editor").await;
    let body = form.expect(StatusCode::OK);
    let publish = body
        .find(">Publish Article</button>")
        .expect("publish button");
    for later in [
        ">Save draft</button>",
        ">Preview</button>",
        "type=\"datetime-local\"",
    ] {
        let at = body
            .find(later)
            .unwrap_or_else(|| panic!("{later} missing"));
        assert!(
            at > publish,
            "Publish Article stays the first submit button"
        );
    }
    assert!(body.contains("(UTC)"), "the schedule says its time zone");

    let before = article_count(&app);
    let page = browser
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", "Previewed"),
                ("description", "Kept as typed"),
                (
                    "body",
                    "# Heading\n\nSome *text*.\n\n<script>alert(1)</script>",
                ),
                ("tags", "rust"),
                ("action", "preview"),
            ],
        )
        .await;
    let html = page.expect(StatusCode::OK);
    assert!(html.contains("<h1 id=\"h-heading\">Heading"), "{html}");
    assert!(html.contains("<em>text</em>"));
    assert!(!html.contains("<script>alert(1)"), "scripts are stripped");
    assert!(
        html.contains("class=\"article-content\""),
        "the article page's container"
    );
    assert!(html.contains("value=\"Previewed\""), "inputs are kept");
    assert!(html.contains("value=\"rust\""));
    assert_eq!(article_count(&app), before, "a preview stores nothing");

    // The same on an existing article's editor.
    let draft = browser
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", "Draft to preview"),
                ("description", "d"),
                ("body", "Plain"),
                ("action", "draft"),
            ],
        )
        .await;
    let slug = editor_slug(&draft);
    let before = article_count(&app);
    let page = browser
        .submit(
            &format!("/editor/{slug}"),
            &format!("/editor/{slug}"),
            &[
                ("title", "Draft to preview"),
                ("description", "d"),
                ("body", "## Changed"),
                ("action", "preview"),
            ],
        )
        .await;
    assert!(
        page.expect(StatusCode::OK)
            .contains("<h2 id=\"h-changed\">Changed")
    );
    assert_eq!(article_count(&app), before);
    let saved = browser.get(&format!("/editor/{slug}")).await;
    assert!(
        saved.expect(StatusCode::OK).contains(">Plain</textarea>"),
        "nothing saved"
    );
}

async fn drafts_from_the_editor_stay_with_their_author(app: TestApp) {
    let author = Browser::new(&app);
    author.sign_up("writer").await;
    let saved = author
        .submit(
            "/editor",
            "/editor",
            &[
                ("title", "Editor Draft"),
                ("description", "mine"),
                ("body", "Not yet"),
                ("tags", "secrettag"),
                ("action", "draft"),
            ],
        )
        .await;
    let slug = editor_slug(&saved);
    let editor = author.get(&format!("/editor/{slug}")).await;
    let html = editor.expect(StatusCode::OK);
    assert!(html.contains("Your draft is saved"), "{html}");
    assert!(html.contains(">Save draft</button>"));

    let tab = author.get("/profile/writer/drafts").await;
    let html = tab.expect(StatusCode::OK);
    assert!(html.contains("Editor Draft"));
    assert!(html.contains(&format!("href=\"/editor/{slug}\"")));
    assert!(html.contains("aria-current=\"page\">Drafts</a>"));
    let own = author.get("/profile/writer").await;
    let html = own.expect(StatusCode::OK);
    assert!(
        !html.contains("Editor Draft"),
        "not in the author's own list"
    );
    assert!(
        html.contains("href=\"/profile/writer/drafts\""),
        "the owner sees the tab"
    );
    assert!(!author.get("/").await.body.contains("Editor Draft"));
    let page = author.get(&format!("/article/{slug}")).await;
    assert!(
        page.expect(StatusCode::OK)
            .contains("Draft: only you can see this article.")
    );

    let other = Browser::new(&app);
    other.sign_up("stranger").await;
    assert_eq!(
        other.get("/profile/writer/drafts").await.status,
        StatusCode::NOT_FOUND
    );
    let theirs = other.get("/profile/writer").await;
    assert!(
        !theirs.body.contains("/profile/writer/drafts"),
        "no tab for others"
    );
    assert!(!theirs.body.contains("Editor Draft"));
    assert_eq!(
        other.get(&format!("/article/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.get(&format!("/editor/{slug}")).await.status,
        StatusCode::FORBIDDEN
    );
    let anonymous = Browser::new(&app);
    assert_eq!(
        anonymous.get(&format!("/article/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !anonymous
            .get("/tag/secrettag")
            .await
            .body
            .contains("Editor Draft")
    );

    // Publishing from the editor: then everyone sees it, and its editor has no draft
    // button any more.
    let published = author
        .submit(
            &format!("/editor/{slug}"),
            &format!("/editor/{slug}"),
            &[
                ("title", "Editor Draft"),
                ("description", "mine"),
                ("body", "Now public"),
                ("tags", "secrettag"),
                ("action", "publish"),
            ],
        )
        .await;
    published.assert_redirect(&format!("/article/{slug}"));
    let page = anonymous.get(&format!("/article/{slug}")).await;
    assert!(page.expect(StatusCode::OK).contains("Now public"));
    assert!(anonymous.get("/").await.body.contains("Editor Draft"));
    let editor = author.get(&format!("/editor/{slug}")).await;
    let html = editor.expect(StatusCode::OK);
    assert!(!html.contains(">Save draft</button>"));
    assert!(html.contains(">Publish Article</button>"));
    assert!(
        !author
            .get("/profile/writer/drafts")
            .await
            .body
            .contains("Editor Draft")
    );
}

async fn the_editor_schedules_changes_and_cancels(app: TestApp) {
    let author = Browser::new(&app);
    author.sign_up("writer").await;
    let fields = |action: &'static str, at: &'static str| {
        vec![
            ("title", "Scheduled"),
            ("description", "later"),
            ("body", "Soon"),
            ("publish_at", at),
            ("action", action),
        ]
    };
    let refused = author
        .submit("/editor", "/editor", &fields("schedule", ""))
        .await;
    let html = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"publish_at-error\""),
        "the error is beside the field"
    );
    assert!(html.contains("value=\"Scheduled\""), "inputs are kept");

    let saved = author
        .submit(
            "/editor",
            "/editor",
            &fields("schedule", "2099-01-02T10:30"),
        )
        .await;
    let slug = editor_slug(&saved);
    let editor = author.get(&format!("/editor/{slug}")).await;
    let html = editor.expect(StatusCode::OK);
    assert!(html.contains("2099-01-02 10:30 UTC"), "{html}");
    assert!(html.contains("value=\"2099-01-02T10:30\""));
    assert!(html.contains(">Cancel schedule</button>"));
    let tab = author.get("/profile/writer/drafts").await;
    assert!(tab.body.contains("scheduled for 2099-01-02 10:30 UTC"));

    let path = format!("/editor/{slug}");
    let moved = author
        .submit(&path, &path, &fields("schedule", "2099-03-04T05:06"))
        .await;
    assert_eq!(editor_slug(&moved), slug);
    assert!(
        author
            .get(&path)
            .await
            .body
            .contains("2099-03-04 05:06 UTC")
    );
    let kept = author.submit(&path, &path, &fields("draft", "")).await;
    assert_eq!(editor_slug(&kept), slug);
    assert!(
        author
            .get(&path)
            .await
            .body
            .contains("2099-03-04 05:06 UTC"),
        "Save draft keeps the schedule"
    );
    let cancelled = author.submit(&path, &path, &fields("unschedule", "")).await;
    assert_eq!(editor_slug(&cancelled), slug);
    let html = author.get(&path).await.body;
    assert!(!html.contains("Cancel schedule"), "{html}");
    assert!(!html.contains("UTC</strong>"));
    let anonymous = Browser::new(&app);
    assert_eq!(
        anonymous.get(&format!("/article/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );
}
