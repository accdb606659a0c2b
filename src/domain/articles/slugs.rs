//! Slugs of new articles: a stem from the title, then the first free one.

use diesel::QueryResult;

use crate::error::{AppError, AppResult};

/// Longest slug stem taken from a title.
const SLUG_STEM_MAX: usize = 80;
/// Attempts at a free slug before giving up.
pub const SLUG_ATTEMPTS: usize = 8;

/// The slug a title asks for, before any suffix: URL-safe, at most
/// [`SLUG_STEM_MAX`] bytes, cut at a word boundary.
pub fn slug_stem(title: &str) -> String {
    let mut stem = slug::slugify(title);
    if stem.len() > SLUG_STEM_MAX {
        let cut = stem[..SLUG_STEM_MAX].rfind('-').unwrap_or(SLUG_STEM_MAX);
        stem.truncate(cut);
    }
    if stem.is_empty() {
        "article".into()
    } else {
        stem
    }
}

/// Stores an article under the first free slug from `stem`: the stem itself, then
/// with random suffixes. `store` stores nothing and answers `None` for a taken slug
/// (by an earlier article, or a concurrent writer a moment ago), leaving the
/// transaction usable for the next try.
pub fn with_free_slug<T>(
    stem: &str,
    mut store: impl FnMut(&str) -> QueryResult<Option<T>>,
) -> AppResult<T> {
    for attempt in 0..SLUG_ATTEMPTS {
        if attempt > 0 {
            // The last attempt stored nothing: this one takes its place.
            crate::db::next_attempt();
        }
        if let Some(stored) = store(&candidate(stem, attempt))? {
            return Ok(stored);
        }
    }
    Err(no_free_slug())
}

/// The slug tried at `attempt` (from 0) of [`SLUG_ATTEMPTS`]: the stem itself, then the
/// stem with a random suffix.
pub fn candidate(stem: &str, attempt: usize) -> String {
    if attempt == 0 {
        stem.to_owned()
    } else {
        format!("{stem}-{}", random_suffix())
    }
}

/// Every attempt found its slug taken.
pub fn no_free_slug() -> AppError {
    AppError::Internal("no free slug found".into())
}

/// Six random letters or digits.
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::slug_stem;

    #[test]
    fn slugs_are_url_safe_and_bounded() {
        assert_eq!(slug_stem("Hello, World!"), "hello-world");
        assert_eq!(slug_stem("!!!"), "article");
        assert!(slug_stem(&"word ".repeat(50)).len() <= 80);
    }
}
