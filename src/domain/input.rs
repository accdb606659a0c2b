//! Parsing of user input into validated values, before any rule runs.
//! Every limit a user can hit is here, with the message they see.

use crate::error::FieldErrors;

/// Longest username.
pub const USERNAME_MAX: usize = 40;
/// Shortest password (NIST 800-63B).
pub const PASSWORD_MIN: usize = 8;
/// Longest password: bcrypt only reads 72 bytes, and silently ignoring the rest would
/// make two different passwords equal.
pub const PASSWORD_MAX_BYTES: usize = 72;
/// Longest bio.
pub const BIO_MAX: usize = 2_000;
/// Longest image URL.
pub const URL_MAX: usize = 2_000;
/// Longest article title.
pub const TITLE_MAX: usize = 200;
/// Longest article description.
pub const DESCRIPTION_MAX: usize = 500;
/// Longest article body (Markdown).
pub const BODY_MAX: usize = 100_000;
/// Most tags on one article.
pub const TAGS_MAX: usize = 10;
/// Longest tag.
pub const TAG_MAX: usize = 40;
/// Longest comment.
pub const COMMENT_MAX: usize = 10_000;

const BLANK: &str = "can't be blank";
/// PostgreSQL text cannot hold U+0000 (it even refuses to compare with one), so no input
/// may contain it: writes refuse it with this message and lookups find nothing.
const NUL: &str = "must not contain NUL characters";

/// Whether `value` can be stored or looked up: it has no NUL character.
pub fn storable(value: &str) -> bool {
    !value.contains('\0')
}

fn too_long(max: usize) -> String {
    format!("is too long (maximum is {max} characters)")
}

/// A required single-line text: trimmed, not blank, at most `max` characters.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> String {
    let value = raw.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        errors.add(field, BLANK);
    } else if !storable(value) {
        errors.add(field, NUL);
    } else if value.chars().count() > max {
        errors.add(field, too_long(max));
    }
    value.to_owned()
}

/// A username: letters, digits, `_`, `-` and `.`, so it is safe in a URL path.
pub fn username(errors: &mut FieldErrors, raw: Option<&str>) -> String {
    let value = required_text(errors, "username", raw, USERNAME_MAX);
    if !value.is_empty()
        && !value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        errors.add(
            "username",
            "is invalid (use letters, digits, '_', '-' or '.')",
        );
    }
    value
}

/// An email address: one `@` with text on both sides and a dot in the domain,
/// stored lowercase so that uniqueness ignores case.
pub fn email(errors: &mut FieldErrors, raw: Option<&str>) -> String {
    let value = required_text(errors, "email", raw, 254).to_lowercase();
    if !value.is_empty() {
        let valid = match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !value.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            errors.add("email", "is invalid");
        }
    }
    value
}

/// A new password (not trimmed: spaces are part of it).
pub fn new_password(errors: &mut FieldErrors, raw: Option<&str>) -> String {
    let value = raw.unwrap_or_default();
    if value.is_empty() {
        errors.add("password", BLANK);
    } else if !storable(value) {
        errors.add("password", NUL);
    } else if value.chars().count() < PASSWORD_MIN {
        errors.add(
            "password",
            format!("is too short (minimum is {PASSWORD_MIN} characters)"),
        );
    } else if value.len() > PASSWORD_MAX_BYTES {
        errors.add(
            "password",
            format!("is too long (maximum is {PASSWORD_MAX_BYTES} bytes)"),
        );
    }
    value.to_owned()
}

/// Optional free text: empty becomes `None`.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty())?;
    if !storable(value) {
        errors.add(field, NUL);
    } else if value.chars().count() > max {
        errors.add(field, too_long(max));
    }
    Some(value.to_owned())
}

/// Optional image URL: empty becomes `None`; otherwise an absolute http(s) URL.
pub fn optional_image_url(errors: &mut FieldErrors, raw: Option<&str>) -> Option<String> {
    let value = optional_text(errors, "image", raw, URL_MAX)?;
    let lower = value.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    if !ok {
        errors.add("image", "must be an http:// or https:// URL");
    }
    Some(value)
}

/// A tag list: trimmed, empty entries dropped, duplicates removed (first kept).
pub fn tag_list(errors: &mut FieldErrors, raw: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !storable(tag) {
            errors.add("tagList", format!("has a tag that {NUL}"));
            break;
        }
        if tag.chars().count() > TAG_MAX {
            errors.add(
                "tagList",
                format!("has a tag longer than {TAG_MAX} characters"),
            );
            break;
        }
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > TAGS_MAX {
        errors.add(
            "tagList",
            format!("has too many tags (maximum is {TAGS_MAX})"),
        );
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails() {
        let mut e = FieldErrors::default();
        assert_eq!(username(&mut e, Some(" jane_doe ")), "jane_doe");
        assert_eq!(email(&mut e, Some("Jane@Example.COM")), "jane@example.com");
        assert!(e.is_empty());
        username(&mut e, Some("jane doe"));
        email(&mut e, Some("nope"));
        assert_eq!(e.messages().count(), 2);
    }

    #[test]
    fn passwords_follow_nist_lengths() {
        let mut e = FieldErrors::default();
        new_password(&mut e, Some("bonjour1"));
        new_password(&mut e, Some(&"a".repeat(64)));
        assert!(e.is_empty());
        new_password(&mut e, Some("short7c"));
        new_password(&mut e, Some(""));
        new_password(&mut e, Some(&"a".repeat(73)));
        assert_eq!(e.messages().count(), 3);
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let mut e = FieldErrors::default();
        let tags = tag_list(
            &mut e,
            &["rust".into(), " rust ".into(), "".into(), "web".into()],
        );
        assert_eq!(tags, vec!["rust", "web"]);
        let too_many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        tag_list(&mut e, &too_many);
        assert!(!e.is_empty());
    }

    #[test]
    fn image_urls_must_be_http() {
        let mut e = FieldErrors::default();
        assert_eq!(optional_image_url(&mut e, Some("")), None);
        optional_image_url(&mut e, Some("javascript:alert(1)"));
        assert!(!e.is_empty());
    }
}
