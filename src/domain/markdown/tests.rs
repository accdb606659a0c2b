//! The renderer's unit tests: what survives, what is highlighted, what is refused.
use super::{reading_minutes, to_feed_html, to_safe_html};

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
    assert!(html.contains("<h1 id=\"h-title\">Title<a "), "{html}");
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
        <div style=\"background:url(x)\" onclick=\"alert(4)\">d</div>\n\n\
        <span class=\"hl-keyword evil\" onmouseover=\"alert(5)\" style=\"color:red\">s</span>\n\n\
        <h2 id=\"x\" onclick=\"alert(6)\">h</h2>\n\n\
        <a class=\"anchor\" href=\"javascript:alert(7)\" onfocus=\"alert(8)\">a</a>\n\n\
        | a | b |\n|--:|:-:|\n| <td style=\"color:red\">x</td> | <script>y</script> |\n\n\
        ```rust\n</code></pre><script>alert(9)</script>\n```\n\n\
        # <img src=x onerror=alert(10)> *t*";
    let html = to_safe_html(source);
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "style=",
        "evil",
        "onmouseover",
        "onfocus",
    ] {
        assert!(!lower.contains(banned), "{banned} survived in {html}");
    }
    assert!(html.contains("<img src=\"x.png\">"), "{html}");
}

#[test]
fn highlights_known_languages_with_classes_only() {
    let html = to_safe_html("```rust\nfn main() { let x = \"s\"; }\n```");
    assert!(html.contains("<code class=\"language-rust\">"), "{html}");
    assert!(html.contains("<span class=\"hl-"), "{html}");
    assert!(html.contains("hl-keyword"), "{html}");
    assert!(html.contains("hl-string"), "{html}");
    assert!(!html.contains("style="), "{html}");
    // Every class is one of ours.
    for class in html.split("class=\"").skip(1) {
        let value = &class[..class.find('"').expect("closing quote")];
        assert!(
            value == "language-rust" || value.split(' ').all(|t| t.starts_with("hl-")),
            "{value} in {html}"
        );
    }
}

#[test]
fn unknown_or_missing_language_is_plain_escaped_code() {
    for source in [
        "```nosuchlang\nif a < b && c > d {}\n```",
        "```\nif a < b && c > d {}\n```",
        "    if a < b && c > d {}\n",
    ] {
        let html = to_safe_html(source);
        assert!(!html.contains("<span"), "{html}");
        assert!(
            html.contains("if a &lt; b &amp;&amp; c &gt; d {}"),
            "{html}"
        );
    }
}

#[test]
fn script_inside_code_stays_escaped() {
    for lang in ["html", "rust", "nosuchlang", ""] {
        let html = to_safe_html(&format!(
            "```{lang}\n<script>alert(1)</script>\n</code></pre><img src=x onerror=alert(2)>\n```"
        ));
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{lang}: {html}");
        assert!(!lower.contains("<img"), "{lang}: {html}");
        // Highlighted or not, the markup is text (`&lt;`, split across spans or not).
        assert!(lower.contains("&lt;"), "{lang}: {html}");
    }
}

#[test]
fn raw_spans_keep_only_highlight_classes() {
    let html = to_safe_html("<span class=\"hl-x\" onclick=\"alert(1)\">a</span>");
    assert!(html.contains("<span class=\"hl-x\">a</span>"), "{html}");
    let html = to_safe_html("<span class=\"evil\">b</span>");
    assert!(html.contains("<span>b</span>"), "{html}");
    let html = to_safe_html("<span class=\"evil hl-ok hl-<x> hl-\">c</span>");
    assert!(html.contains("<span class=\"hl-ok\">c</span>"), "{html}");
    let html = to_safe_html("<span id=\"x\" data-x=\"1\">d</span>");
    assert!(!html.contains("id="), "{html}");
    assert!(!html.contains("data-x"), "{html}");
}

#[test]
fn huge_blocks_are_left_plain() {
    let long_line = format!("```rust\nlet s = \"{}\";\n```", "x".repeat(5_000));
    assert!(!to_safe_html(&long_line).contains("<span"));
    let many_lines = format!("```rust\n{}```", "let a = 1;\n".repeat(3_000));
    assert!(!to_safe_html(&many_lines).contains("<span"));
    let fine = format!("```rust\n{}```", "let a = 1;\n".repeat(100));
    assert!(to_safe_html(&fine).contains("<span"));
    // An article gets 32 KB highlighted in all: the block past that stays plain.
    let block = format!("```rust\n{}```\n\n", "let a = 1;\n".repeat(1_800 / 2));
    let html = to_safe_html(&format!("{block}{block}{block}{block}"));
    assert_eq!(
        html.matches("<code class=\"language-rust\"><span").count(),
        3
    );
}

#[test]
fn table_alignment_becomes_classes() {
    let html = to_safe_html("| l | c | r | n |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |");
    for cell in [
        "<th class=\"align-left\">l</th>",
        "<th class=\"align-center\">c</th>",
        "<th class=\"align-right\">r</th>",
        "<th>n</th>",
        "<td class=\"align-left\">1</td>",
        "<td class=\"align-center\">2</td>",
        "<td class=\"align-right\">3</td>",
        "<td>4</td>",
    ] {
        assert!(html.contains(cell), "{cell} missing in {html}");
    }
    assert!(!html.contains("style"), "{html}");
    let html = to_safe_html("<table><tr><td class=\"align-right evil\">x</td></tr></table>");
    assert!(!html.contains("class="), "{html}");
}

#[test]
fn headings_get_prefixed_unique_ids_and_self_links() {
    let html = to_safe_html("# Intro\n\n## Intro\n\n### Intro\n\n## `Code` *and* text\n\n## !!!");
    for (id, level) in [
        ("h-intro", 1),
        ("h-intro-1", 2),
        ("h-intro-2", 3),
        ("h-code-and-text", 2),
        ("h-section", 2),
    ] {
        assert!(
            html.contains(&format!("<h{level} id=\"{id}\">")),
            "{id} missing in {html}"
        );
        assert!(
            html.contains(&format!(
                "<a class=\"anchor\" href=\"#{id}\" aria-label=\"Link to this section\" \
                 rel=\"noopener noreferrer\"></a></h{level}>"
            )),
            "anchor of {id} missing in {html}"
        );
    }
    // Ids typed in raw HTML get the same prefix, so they cannot clobber the page's own.
    let html = to_safe_html("<h2 id=\"main\">x</h2>\n\n<h2 id=\"bad id\">y</h2>");
    assert!(html.contains("<h2 id=\"h-main\">x"), "{html}");
    assert!(html.contains("<h2>y"), "{html}");
}

#[test]
fn feeds_get_plain_code() {
    let base = ammonia::Url::parse("https://blog.example/").expect("url");
    let html = to_feed_html("```rust\nfn main() {}\n```", &base);
    assert!(
        html.contains("<code class=\"language-rust\">fn main() {}"),
        "{html}"
    );
    assert!(!html.contains("<span"), "{html}");
}

#[test]
fn reading_time_counts_words_at_least_one_minute() {
    assert_eq!(reading_minutes(""), 1);
    assert_eq!(reading_minutes("a few words"), 1);
    assert_eq!(reading_minutes(&"word ".repeat(220)), 1);
    assert_eq!(reading_minutes(&"word ".repeat(221)), 2);
    assert_eq!(reading_minutes(&"word\n".repeat(660)), 3);
}

#[test]
fn ascii_word_counts_match_split_whitespace() {
    let samples = [
        "",
        " ",
        "one",
        "  leading and trailing  ",
        "tabs\tand\nnew\r\nlines\x0Bvertical\x0Cfeed",
        "```rust\nfn main() { println!(\"hi\"); }\n```\n\n# Title\n\n- a\n- b",
    ];
    for sample in samples {
        assert_eq!(
            super::ascii_words(sample.as_bytes()),
            sample.split_whitespace().count(),
            "{sample:?}"
        );
    }
    // Non-ASCII text takes the general path, where an ideographic space separates words.
    assert_eq!(reading_minutes(&"mot\u{3000}".repeat(221)), 2);
}

#[test]
fn grammars_load_once_on_first_use() {
    let started = std::time::Instant::now();
    let count = super::highlight::load_syntaxes();
    let took = started.elapsed();
    assert!(count > 50, "{count} grammars");
    eprintln!("{count} grammars loaded in {took:?}");
}

/// `static/highlight.css` is generated from two of syntect's themes (loaded only here,
/// so the server carries no themes): this test rewrites the file when it differs, and
/// fails so that the new version gets reviewed and committed.
#[test]
fn highlight_stylesheet_is_current() {
    use syntect::highlighting::ThemeSet;
    use syntect::html::css_for_theme_with_class_style;

    let themes = ThemeSet::load_defaults();
    let css = |name: &str| {
        let css =
            css_for_theme_with_class_style(&themes.themes[name], super::highlight::CLASS_STYLE)
                .expect("theme css");
        css.lines()
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("  {line}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let wanted = format!(
        "/* Colours of highlighted code (`hl-` classes, src/domain/markdown/highlight.rs).\n   \
         Generated by the unit test `highlight_stylesheet_is_current`: do not edit by hand. */\n\n\
         @media not all and (prefers-color-scheme: dark) {{\n{}\n}}\n\n\
         @media (prefers-color-scheme: dark) {{\n{}\n}}\n",
        css("InspiredGitHub"),
        css("base16-ocean.dark"),
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/static/highlight.css");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != wanted {
        std::fs::write(path, &wanted).expect("write static/highlight.css");
        panic!(
            "static/highlight.css was out of date and has been regenerated: review and commit it"
        );
    }
}
