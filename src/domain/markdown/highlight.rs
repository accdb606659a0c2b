//! Fenced code highlighted on the server into `<span class="hl-…">` tokens, coloured by
//! `static/highlight.css`: CSS classes rather than inline styles, which our
//! Content-Security-Policy forbids.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet,
};
use syntect::util::LinesWithEndings;

/// What every highlight class starts with; the sanitizer keeps no other `span` class.
pub(super) const CLASS_PREFIX: &str = "hl-";

/// How the stylesheet names token classes (`keyword.control` → `.hl-keyword.hl-control`),
/// as [`highlight`] writes them.
#[cfg(test)]
pub(crate) const CLASS_STYLE: syntect::html::ClassStyle =
    syntect::html::ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Code beyond these bounds is shown plain. A body holds at most 100 KB; highlighting
/// costs CPU (tens of milliseconds for 32 KB of Rust in a debug build's dependencies,
/// syntect's time also growing with line length) and makes HTML about 15 times the
/// size of the code, so an article gets at most [`MAX_DOCUMENT_BYTES`] highlighted.
pub(super) const MAX_DOCUMENT_BYTES: usize = 32 * 1024;
const MAX_BLOCK_BYTES: usize = MAX_DOCUMENT_BYTES;
const MAX_BLOCK_LINES: usize = 1_000;
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
    catch_unwind(AssertUnwindSafe(|| classed_html(syntax, syntaxes, code)))
        .ok()
        .flatten()
}

/// Like syntect's `ClassedHTMLGenerator`, but lean: that one wraps every scope in a span,
/// the structural `meta.*` and `source.*` ones included, each class list ending in the
/// language's name, which made 64 KB of Rust into 2.8 MB of HTML. Here only scopes that
/// themes colour get a span, without the language atom, and empty spans are left out.
fn classed_html(syntax: &SyntaxReference, syntaxes: &SyntaxSet, code: &str) -> Option<String> {
    let language = syntax.scope.build_string();
    let language = language.rsplit('.').next().unwrap_or_default();
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut classes: HashMap<Scope, Option<String>> = HashMap::new();
    // Per scope pushed: where its span starts in `html`, if it got one.
    let mut spans: Vec<Option<usize>> = Vec::new();
    let mut html = String::with_capacity(code.len() * 3);
    for line in LinesWithEndings::from(code) {
        let ops = state.parse_line(line, syntaxes).ok()?;
        let mut written = 0;
        for (at, op) in &ops {
            let at = (*at).min(line.len());
            if at > written {
                escape_into(&mut html, line.get(written..at)?);
                written = at;
            }
            stack
                .apply_with_hook(op, |basic, _| match basic {
                    BasicScopeStackOp::Push(scope) => {
                        let class = classes
                            .entry(scope)
                            .or_insert_with(|| classes_of(scope, language));
                        spans.push(class.as_ref().map(|class| {
                            let start = html.len();
                            html.push_str("<span class=\"");
                            html.push_str(class);
                            html.push_str("\">");
                            start
                        }));
                    }
                    BasicScopeStackOp::Pop => {
                        if let Some(Some(start)) = spans.pop() {
                            let empty = html[start..].find('>') == Some(html.len() - start - 1);
                            if empty {
                                html.truncate(start);
                            } else {
                                html.push_str("</span>");
                            }
                        }
                    }
                })
                .ok()?;
        }
        escape_into(&mut html, line.get(written..)?);
    }
    for _ in spans.iter().flatten() {
        html.push_str("</span>");
    }
    Some(html)
}

/// The classes of a span for `scope`, or `None` for a structural scope (`meta.*`,
/// `source.*`, `text.*`) that themes hardly colour: `string.quoted.double.rust` →
/// `hl-string hl-quoted hl-double`.
fn classes_of(scope: Scope, language: &str) -> Option<String> {
    let name = scope.build_string();
    let mut atoms: Vec<&str> = name.split('.').collect();
    match atoms.as_slice() {
        ["meta" | "source" | "text", ..] => return None,
        // Brackets, separators and terminators: uncoloured by our themes, yet a third
        // of all tokens. Quotes and comment marks (`punctuation.definition`) stay.
        ["punctuation", second, ..] if *second != "definition" => return None,
        _ => {}
    }
    if atoms.len() > 1 && atoms.last() == Some(&language) {
        atoms.pop();
    }
    let classes: Vec<String> = atoms
        .into_iter()
        .map(|atom| format!("{CLASS_PREFIX}{atom}"))
        .filter(|class| is_highlight_class(class))
        .collect();
    (!classes.is_empty()).then(|| classes.join(" "))
}

/// `text` escaped for HTML element content.
fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '&' => html.push_str("&amp;"),
            c => html.push(c),
        }
    }
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
