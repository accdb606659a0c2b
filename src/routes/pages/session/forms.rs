//! What forms rely on in the session: the per-session CSRF token every state-changing
//! form carries, one-shot flash messages, and where to go after an action.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::super::errors::PageError;
use crate::error::AppError;

const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";
/// Name of the hidden field every state-changing form carries.
pub const CSRF_FIELD: &str = "csrf_token";

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, PageError>>>>;

/// A session's CSRF token, as forms carry it: hex digits only, so pages write it as it
/// is (askama skips escaping [`HtmlSafe`](askama::filters::HtmlSafe) values, and a page
/// can hold it half a dozen times).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// `token` if it is hex digits only.
    fn hex(token: String) -> Option<Self> {
        token
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then_some(Self(token))
    }

    /// Whether there is none (pages of visitors without a form).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for CsrfToken {}

/// The session's CSRF token, created on first use (and made again if what the session
/// holds is not one of ours).
pub fn csrf_token(session: &Session) -> Result<CsrfToken, PageError> {
    if let Some(token) = session
        .get::<String>(CSRF_KEY)
        .ok()
        .flatten()
        .and_then(CsrfToken::hex)
    {
        return Ok(token);
    }
    rotate_csrf(session)?;
    session
        .get::<String>(CSRF_KEY)
        .ok()
        .flatten()
        .and_then(CsrfToken::hex)
        .ok_or_else(|| AppError::Internal("csrf token not stored".into()).into())
}

pub(super) fn rotate_csrf(session: &Session) -> Result<(), PageError> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    session
        .insert(CSRF_KEY, token)
        .map_err(|e| AppError::Internal(format!("session insert: {e}")).into())
}

/// Compares without an early exit, so timing says nothing about the expected token.
fn same_token(expected: &str, presented: &str) -> bool {
    expected.len() == presented.len()
        && expected
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Whether `presented` is this session's CSRF token: for forms read another way than
/// [`CsrfForm`] (a multipart upload checks it before reading the file).
pub fn csrf_matches(session: &Session, presented: &str) -> bool {
    session
        .get::<String>(CSRF_KEY)
        .ok()
        .flatten()
        .is_some_and(|expected| same_token(&expected, presented))
}

/// How a flash message looks.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    /// Something worked.
    Success,
    /// Neutral news.
    Info,
}

/// A message shown once, on the next page rendered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// Style.
    pub kind: FlashKind,
    /// Text (escaped when shown).
    pub text: String,
}

impl Flash {
    /// CSS modifier for its kind.
    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash-success",
            FlashKind::Info => "flash-info",
        }
    }
}

/// Queues a flash message for the next page.
pub fn flash(req: &HttpRequest, kind: FlashKind, text: impl Into<String>) {
    let message = Flash {
        kind,
        text: text.into(),
    };
    if let Err(e) = req.get_session().insert(FLASH_KEY, message) {
        log::warn!("cannot store flash message: {e}");
    }
}

/// Takes the pending flash message, if any (so it shows once).
pub fn take_flash(session: &Session) -> Option<Flash> {
    let flash = session.get::<Flash>(FLASH_KEY).ok().flatten()?;
    session.remove(FLASH_KEY);
    Some(flash)
}

/// A submitted form whose CSRF token matched the session's; anything else is a 403.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        let session = req.get_session();
        Box::pin(async move {
            let body = body.await.map_err(|_| PageError::BadForm)?;
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| PageError::BadForm)?;
            let presented = fields
                .iter()
                .find(|(name, _)| name == CSRF_FIELD)
                .map(|(_, value)| value.as_str())
                .unwrap_or_default();
            let expected = session.get::<String>(CSRF_KEY).ok().flatten();
            match expected {
                Some(expected) if same_token(&expected, presented) => {}
                _ => return Err(PageError::Csrf),
            }
            serde_urlencoded::from_bytes(&body)
                .map(Self)
                .map_err(|_| PageError::BadForm)
        })
    }
}

/// Where to go after an action: the local path the form named, else `fallback`.
/// Only same-site paths are accepted (no `//host` or `\` tricks), so this is no open
/// redirect.
pub fn local_next(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => fallback.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_local_paths() {
        assert_eq!(
            local_next(Some("/article/a?page=2"), "/"),
            "/article/a?page=2"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/a\nb",
        ] {
            assert_eq!(local_next(Some(bad), "/home"), "/home", "{bad:?}");
        }
        assert_eq!(local_next(None, "/x"), "/x");
    }

    #[test]
    fn only_hex_is_taken_for_a_token_pages_write_unescaped() {
        let made = hex::encode(rand::random::<[u8; 32]>());
        assert_eq!(
            CsrfToken::hex(made.clone()).map(|t| t.to_string()),
            Some(made)
        );
        for bad in ["\"><script>", "abc'", "ab cd", "ab&amp;"] {
            assert!(CsrfToken::hex(bad.to_owned()).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abcd", "abce"));
        assert!(!same_token("abcd", "abc"));
        assert!(!same_token("abcd", ""));
    }
}
