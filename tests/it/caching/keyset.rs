//! The site's "Older articles" links page by keyset and show exactly what the numbered
//! pages show.

use crate::helpers::TestApp;
use crate::pages::browser::{Browser, Page};
use crate::tests;

tests![older_links_page_by_keyset];

fn older_link(page: &Page) -> Option<String> {
    let marker = "class=\"pager-older\" rel=\"next\" href=\"";
    let start = page.body.find(marker)? + marker.len();
    let end = page.body[start..].find('"')? + start;
    Some(
        page.body[start..end]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

fn titles(page: &Page) -> Vec<String> {
    page.body
        .split("<h1>")
        .skip(1)
        .filter_map(|rest| rest.split("</h1>").next())
        .map(str::to_owned)
        .collect()
}

async fn older_links_page_by_keyset(app: TestApp) {
    let writer = app.register("writer").await;
    for i in 0..23 {
        app.publish(&writer, &format!("Numbered {i:02}"), &["deep"])
            .await;
    }
    let browser = Browser::new(&app);
    for base in ["/", "/tag/deep", "/profile/writer"] {
        let mut page = browser.get(base).await;
        let mut seen = titles(&page);
        for number in 2..=3 {
            let link = older_link(&page).expect("an older link");
            assert!(link.contains(&format!("page={number}&after=")), "{link}");
            page = browser.get(&link).await;
            let by_number = browser
                .get(&format!(
                    "{base}{}page={number}",
                    if base.contains('?') { '&' } else { '?' }
                ))
                .await;
            assert_eq!(titles(&page), titles(&by_number), "{base} page {number}");
            seen.extend(titles(&page));
        }
        assert!(older_link(&page).is_none(), "{base}: last page");
        let expected: Vec<String> = (0..23).rev().map(|i| format!("Numbered {i:02}")).collect();
        assert_eq!(seen, expected, "{base}");
    }
}
