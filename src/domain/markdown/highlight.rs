//! Fenced code highlighted on the server into `<span class="hl-…">` tokens, coloured by
//! `static/highlight.css`: CSS classes rather than inline styles, which our
//! Content-Security-Policy forbids.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// What every highlight class starts with; the sanitizer keeps no other `span` class.
pub(super) const CLASS_PREFIX: &str = "hl-";

/// How syntect names token classes (`keyword.control.rust` → `hl-keyword hl-control
/// hl-rust`); the stylesheet is generated with the same style.
pub(crate) const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Bigger blocks are shown plain. A body holds at most 100 KB; these bounds keep one
/// render in the low milliseconds even for code built to make the grammars backtrack
/// (syntect's time grows with line length, so long lines are bounded on their own).
const MAX_BLOCK_BYTES: usize = 64 * 1024;
const MAX_BLOCK_LINES: usize = 2_000;
const MAX_LINE_BYTES: usize = 1_000;

/// Sublime grammars of the common languages, deserialized on the first block that names
/// a language (not at start-up: a site with no code never pays for it).
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// `code` as highlighted HTML (escaped text inside class-only spans), or `None` when
/// it is to be shown plain: no or unknown language, plain text, or too big.
pub(super) fn highlight(lang: &str, code: &str) -> Option<String> {
    if lang.is_empty()
        || code.len() > MAX_BLOCK_BYTES
        || code.lines().count() > MAX_BLOCK_LINES
        || code.lines().any(|line| line.len() > MAX_LINE_BYTES)
    {
        return None;
    }
    let syntaxes = &*SYNTAXES;
    let syntax = syntaxes.find_syntax_by_token(lang)?;
    if syntax.name == "Plain Text" {
        return None;
    }
    // A grammar bug must not take the request down: a writer's text reaches this
    // third-party parser, so a panic in it means plain code, not a 500.
    catch_unwind(AssertUnwindSafe(|| {
        let mut html = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            html.parse_html_for_line_which_includes_newline(line).ok()?;
        }
        Some(html.finalize())
    }))
    .ok()
    .flatten()
}

/// Whether `class` is one that [`highlight`] writes: the prefix, then a grammar's scope
/// atom (letters, digits, `-`, `_`, `+`).
pub(super) fn is_highlight_class(class: &str) -> bool {
    class.strip_prefix(CLASS_PREFIX).is_some_and(|atom| {
        !atom.is_empty()
            && atom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
    })
}

/// Loads the grammars now (for a test that times it).
#[cfg(test)]
pub(super) fn load_syntaxes() -> usize {
    SYNTAXES.syntaxes().len()
}
