//! Proving the account's email address: the emailed link, and asking for a new one.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use super::auth::EmptyForm;
use super::session::{self, CsrfForm, CurrentUser, FlashKind, MaybeUser};
use super::views::Chrome;
use super::{PageResult, redirect, render};
use crate::app::verification;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/verified.html")]
struct VerifiedPage {
    chrome: Chrome,
    /// The proved address, or why the link proves nothing.
    outcome: Result<String, &'static str>,
}

/// `GET /verify-email/{token}`: works signed in or not (the link may be opened on
/// another device).
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    token: web::Path<String>,
) -> PageResult {
    let done = verification::confirm(&state.app, token.into_inner()).await?;
    let status = if done.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    let page = VerifiedPage {
        chrome: Chrome::new(&state, &req, viewer.0.as_ref(), "Confirm your email", "")?,
        outcome: done.map(|user| user.email).map_err(|why| why.message()),
    };
    render(status, &page)
}

/// `POST /settings/verify-email`: a new link to the current address (rate-limited as
/// recovery requests are).
pub async fn resend(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    verification::resend(&state.app, user.0.id).await?;
    session::flash(
        &req,
        FlashKind::Success,
        format!("We sent a new link to {}.", user.0.email),
    );
    Ok(redirect("/settings#email-address"))
}
