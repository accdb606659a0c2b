//! Article bodies are Markdown written by users: rendered to HTML, then cleaned with an
//! allow-list so that nothing a writer types can run script in a reader's browser.

use std::borrow::Cow;

use pulldown_cmark::{Options, Parser, html};

/// Renders `source` to HTML that is safe to embed in a page: only ordinary text markup
/// survives (no script, no event handlers, no `javascript:` URLs, no inline styles);
/// code blocks keep their `language-…` class for highlighting.
pub fn to_safe_html(source: &str) -> String {
    cleaner().clean(&render(source)).to_string()
}

/// As [`to_safe_html`], for a feed read away from the site: relative links and images
/// are made absolute against `base` (the site's public URL).
pub fn to_feed_html(source: &str, base: &ammonia::Url) -> String {
    let mut cleaner = cleaner();
    cleaner.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    cleaner.clean(&render(source)).to_string()
}

fn render(source: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(source, options));
    raw
}

fn cleaner() -> ammonia::Builder<'static> {
    let mut cleaner = ammonia::Builder::default();
    cleaner
        .add_tag_attributes("code", &["class"])
        .attribute_filter(|element, attribute, value| {
            if attribute == "class" {
                let keep = element == "code"
                    && value.strip_prefix("language-").is_some_and(|lang| {
                        !lang.is_empty()
                            && lang.chars().all(|c| {
                                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#')
                            })
                    });
                return keep.then_some(Cow::Borrowed(value));
            }
            Some(Cow::Borrowed(value))
        });
    cleaner
}

#[cfg(test)]
mod tests {
    use super::{to_feed_html, to_safe_html};

    #[test]
    fn feed_html_has_absolute_links() {
        let base = ammonia::Url::parse("https://blog.example/").expect("url");
        let html = to_feed_html(
            "[t](/tag/rust) ![i](/static/x.png) [o](https://o.example/)",
            &base,
        );
        assert!(
            html.contains("href=\"https://blog.example/tag/rust\""),
            "{html}"
        );
        assert!(
            html.contains("src=\"https://blog.example/static/x.png\""),
            "{html}"
        );
        assert!(html.contains("href=\"https://o.example/\""), "{html}");
    }

    #[test]
    fn renders_common_markdown() {
        let html = to_safe_html("# Title\n\nSome *text* and a [link](https://example.com).");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>text</em>"), "{html}");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
    }

    #[test]
    fn keeps_code_language_classes_only() {
        let html = to_safe_html("```rust\nfn main() {}\n```\n\n<p class=\"evil\">x</p>");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
        assert!(!html.contains("evil"), "{html}");
        let html = to_safe_html("<code class=\"language-x onload\">y</code>");
        assert!(!html.contains("class="), "{html}");
    }

    #[test]
    fn neutralises_script_and_event_handlers() {
        let source = "<script>alert('x')</script>\n\n\
            <img src=\"x.png\" onerror=\"alert(1)\">\n\n\
            [click](javascript:alert(2))\n\n\
            <a href=\"JaVaScRiPt:alert(3)\">a</a>\n\n\
            <iframe src=\"https://evil.example\"></iframe>\n\n\
            <div style=\"background:url(x)\" onclick=\"alert(4)\">d</div>";
        let html = to_safe_html(source);
        let lower = html.to_ascii_lowercase();
        for banned in [
            "<script",
            "onerror",
            "onclick",
            "javascript:",
            "<iframe",
            "style=",
        ] {
            assert!(!lower.contains(banned), "{banned} survived in {html}");
        }
        assert!(html.contains("<img src=\"x.png\">"), "{html}");
    }
}
