//! The allow-list every rendered body passes through: what our own rendering adds
//! (highlight spans, alignment classes, heading ids and self-links) survives; the same
//! attributes typed by a writer survive only in exactly those forms.

use std::borrow::Cow;

use super::events::ID_PREFIX;
use super::highlight::is_highlight_class;

/// The sanitizer: ammonia's defaults (no script, no event handlers, no `style`, no
/// `javascript:` URLs) plus the classes and ids our rendering writes.
pub(super) fn cleaner() -> ammonia::Builder<'static> {
    let mut cleaner = ammonia::Builder::default();
    cleaner
        .add_tag_attributes("code", &["class"])
        .add_tag_attributes("span", &["class"])
        .add_tag_attributes("th", &["class"])
        .add_tag_attributes("td", &["class"])
        .add_tag_attributes("a", &["class", "aria-label"])
        .id_prefix(Some(ID_PREFIX))
        .attribute_filter(keep_attribute);
    for heading in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        cleaner.add_tag_attributes(heading, &["id"]);
    }
    cleaner
}

/// The value of `attribute` on `element` as it may stay, or `None` to drop it.
fn keep_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let keep = match (element, attribute) {
        ("code", "class") => is_language_class(value),
        ("span", "class") => return highlight_classes(value),
        ("th" | "td", "class") => matches!(value, "align-left" | "align-center" | "align-right"),
        ("a", "class") => value == "anchor",
        (_, "class") => false,
        (_, "id") => {
            !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        }
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

/// The highlight tokens of a `span`'s classes (any other class beside them dropped), or
/// `None` when there is none.
fn highlight_classes(value: &str) -> Option<Cow<'_, str>> {
    let mut tokens = value.split_ascii_whitespace();
    if tokens.clone().all(is_highlight_class) {
        return tokens.next().is_some().then_some(Cow::Borrowed(value));
    }
    let kept: Vec<&str> = tokens.filter(|t| is_highlight_class(t)).collect();
    (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
}

/// `language-rust` and the like, as pulldown-cmark writes a fence's language.
fn is_language_class(value: &str) -> bool {
    value.strip_prefix("language-").is_some_and(|lang| {
        !lang.is_empty()
            && lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#'))
    })
}
