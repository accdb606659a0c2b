//! A search as people type it, checked and turned into what each engine takes: words,
//! "quoted phrases", and a last word that may still be being typed (a prefix). Only
//! letters and digits ever reach an engine, so no input can make its syntax fail.

use crate::error::{AppError, FieldErrors};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most terms (words and phrases) a query may hold.
pub const MAX_TERMS: usize = 12;

/// One part of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A word (or, inside quotes, a phrase of words in order).
    Words(Vec<String>),
    /// The last word, typed without a space after it: matches words it begins.
    Prefix(String),
}

/// A checked query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
}

fn refuse(message: &str) -> AppError {
    AppError::Validation(FieldErrors::single("q", message))
}

/// The words of `text`: runs of letters and digits, lower-cased.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Query {
    /// Checks `raw` (422 when it is blank, too long, has an unclosed quote, no word or
    /// too many terms).
    pub fn parse(typed: &str) -> Result<Self, AppError> {
        // A space after the last word says it is finished (not a prefix).
        let finished = typed.ends_with(char::is_whitespace);
        let raw = typed.trim();
        if raw.is_empty() {
            return Err(refuse("can't be blank"));
        }
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(refuse(&format!(
                "is too long (maximum is {MAX_QUERY_CHARS} characters)"
            )));
        }
        if raw.matches('"').count() % 2 == 1 {
            return Err(refuse("has a quote that is not closed"));
        }
        let mut terms = Vec::new();
        // Outside quotes at even positions, inside at odd ones.
        let parts: Vec<&str> = raw.split('"').collect();
        let last_outside = parts.len() - 1;
        for (i, part) in parts.iter().enumerate() {
            let found = words(part);
            if i % 2 == 1 {
                if !found.is_empty() {
                    terms.push(Term::Words(found));
                }
                continue;
            }
            let typing = i == last_outside && !finished;
            let count = found.len();
            for (j, word) in found.into_iter().enumerate() {
                if typing && j + 1 == count {
                    terms.push(Term::Prefix(word));
                } else {
                    terms.push(Term::Words(vec![word]));
                }
            }
        }
        if terms.is_empty() {
            return Err(refuse("must contain a word"));
        }
        if terms.len() > MAX_TERMS {
            return Err(refuse(&format!(
                "has too many words (maximum is {MAX_TERMS})"
            )));
        }
        Ok(Self { terms })
    }

    /// The FTS5 `MATCH` expression: every term required, phrases quoted, the prefix
    /// starred.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|term| match term {
                Term::Words(words) => format!("\"{}\"", words.join(" ")),
                Term::Prefix(word) => format!("\"{word}\" *"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The PostgreSQL `to_tsquery` text: terms joined by `&`, a phrase's words by `<->`,
    /// the prefix marked `:*`.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|term| match term {
                Term::Words(words) if words.len() == 1 => format!("'{}'", words[0]),
                Term::Words(words) => format!(
                    "({})",
                    words
                        .iter()
                        .map(|w| format!("'{w}'"))
                        .collect::<Vec<_>>()
                        .join(" <-> ")
                ),
                Term::Prefix(word) => format!("'{word}':*"),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_the_prefix() {
        let q = Query::parse("rust \"error handling\" asy").expect("valid");
        assert_eq!(
            q.terms,
            vec![
                Term::Words(vec!["rust".into()]),
                Term::Words(vec!["error".into(), "handling".into()]),
                Term::Prefix("asy".into()),
            ]
        );
        assert_eq!(q.fts5(), "\"rust\" \"error handling\" \"asy\" *");
        assert_eq!(q.tsquery(), "'rust' & ('error' <-> 'handling') & 'asy':*");
        // A space after the last word: it is complete.
        assert_eq!(Query::parse("Rust ").expect("valid").fts5(), "\"rust\"");
        // A phrase last is a phrase, not a prefix.
        assert_eq!(Query::parse("\"a b\"").expect("valid").fts5(), "\"a b\"");
    }

    #[test]
    fn engine_syntax_never_gets_through() {
        let q = Query::parse("NEAR(a b) OR title:x* -y ' \\ ;").expect("valid");
        for term in &q.terms {
            let words = match term {
                Term::Words(w) => w.clone(),
                Term::Prefix(w) => vec![w.clone()],
            };
            assert!(words.iter().all(|w| w.chars().all(char::is_alphanumeric)));
        }
    }

    #[test]
    fn bad_queries_are_refused() {
        for bad in [
            "",
            "   ",
            "\"open",
            "!!! ???",
            &"x".repeat(201),
            "a b c d e f g h i j k l m",
        ] {
            assert!(Query::parse(bad).is_err(), "{bad:?}");
        }
    }
}
