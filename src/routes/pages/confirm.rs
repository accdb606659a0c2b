//! The confirmation step of a destructive form, on the site (deleting one's own article)
//! and in the admin area: the same fields again plus `confirm=yes`, posted only when the
//! button is pressed. It needs no script; with one, a native dialog asks instead.

use actix_web::HttpRequest;
use askama::Template;
use askama_web::WebTemplate;

use super::views::Chrome;
use super::{PageResult, ok};
use crate::domain::users::User;
use crate::state::AppState;

/// What a confirmation page asks, and where the confirmed form goes.
pub struct Confirm<'a> {
    /// What is asked.
    pub question: String,
    /// Where the confirmed form goes.
    pub action: String,
    /// The fields to send again.
    pub fields: Vec<(String, String)>,
    /// The button's label.
    pub button: &'static str,
    /// Where "Cancel" goes.
    pub cancel: &'a str,
    /// The label of an optional "reason" field to fill in, when the step asks for one.
    pub reason: Option<&'static str>,
}

/// Whether a form came from a confirmation page (or its dialog).
pub fn confirmed(confirm: Option<&str>) -> bool {
    confirm == Some("yes")
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/confirm.html")]
struct ConfirmPage<'a> {
    chrome: Chrome,
    confirm: Confirm<'a>,
}

/// Renders the site's confirmation page for `viewer`.
pub fn ask(state: &AppState, req: &HttpRequest, viewer: &User, confirm: Confirm<'_>) -> PageResult {
    let chrome = Chrome::new(state, req, Some(viewer), "Please confirm", "")?;
    ok(&ConfirmPage { chrome, confirm })
}
