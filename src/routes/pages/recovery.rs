//! "Forgot password?": asking for a recovery link by email, and choosing a new password
//! through it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::session::{self, CsrfForm, FlashKind};
use super::views::{Chrome, FormErrors, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::app::recovery;
use crate::domain::recovery::VALID_FOR_MINUTES;
use crate::middleware::rate_limit::{Action, client_ip, too_many};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
    /// Set once asked: the address the link went to, if it is an account's.
    sent_to: Option<String>,
    minutes: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/reset.html")]
struct ResetPage {
    chrome: Chrome,
    errors: FormErrors,
    token: String,
    /// Why the link does not work, instead of the form.
    refused: Option<&'static str>,
}

/// The recovery request as posted.
#[derive(Deserialize)]
pub struct ForgotForm {
    email: Option<String>,
}

/// The new password as posted.
#[derive(Deserialize)]
pub struct ResetForm {
    password: Option<String>,
}

fn forgot_page(state: &AppState, req: &HttpRequest) -> Result<ForgotPage, super::PageError> {
    Ok(ForgotPage {
        chrome: Chrome::new(state, req, None, "Forgot password", "login")?.with_csrf(req)?,
        errors: FormErrors::default(),
        email: String::new(),
        sent_to: None,
        minutes: VALID_FOR_MINUTES,
    })
}

/// `GET /password/forgot`
pub async fn forgot_form(state: web::Data<AppState>, req: HttpRequest) -> PageResult {
    ok(&forgot_page(&state, &req)?)
}

/// `POST /password/forgot`: the same answer, in the same time, whether or not the
/// address is an account's; limited per client and per address.
pub async fn forgot(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<ForgotForm>,
) -> PageResult {
    let mut page = forgot_page(&state, &req)?;
    page.email = form.0.email.clone().unwrap_or_default();
    let ip = client_ip(&req, state.trust_proxy);
    let address = page.email.trim().to_lowercase();
    let limited = (state.rate_limits)
        .admit(
            &state.db,
            Action::Recovery,
            ip,
            Some(format!("email:{address}")),
        )
        .await;
    if let Err(wait) = limited {
        return Ok(too_many(req.path(), wait));
    }
    match recovery::ask(&state.app, form.0.email.as_deref()).await {
        Ok(email) => {
            page.sent_to = Some(email);
            ok(&page)
        }
        Err(err) => {
            page.errors = form_errors(err)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

fn reset_page(
    state: &AppState,
    req: &HttpRequest,
    token: String,
) -> Result<ResetPage, super::PageError> {
    Ok(ResetPage {
        chrome: Chrome::new(state, req, None, "Choose a new password", "login")?.with_csrf(req)?,
        errors: FormErrors::default(),
        token,
        refused: None,
    })
}

/// `GET /password/reset/{token}`: the form, or why the link does not work (410).
pub async fn reset_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let mut page = reset_page(&state, &req, token.clone())?;
    match recovery::check(&state.app, token).await? {
        Ok(_) => ok(&page),
        Err(refused) => {
            page.refused = Some(refused.message());
            render(StatusCode::GONE, &page)
        }
    }
}

/// `POST /password/reset/{token}`: sets the password, signs the account out everywhere
/// and sends the browser to sign in with it.
pub async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: CsrfForm<ResetForm>,
) -> PageResult {
    let token = token.into_inner();
    let ip = state.client_ip(&req);
    let done = recovery::reset(
        &state.app,
        state.bcrypt_cost,
        token.clone(),
        form.0.password.as_deref(),
        ip,
    )
    .await;
    let mut page = reset_page(&state, &req, token)?;
    match done {
        Ok(Ok(_)) => {
            session::sign_out(&req)?;
            session::flash(
                &req,
                FlashKind::Success,
                "Your password was changed and you were signed out everywhere. Sign in with the new one.",
            );
            Ok(redirect("/login"))
        }
        Ok(Err(refused)) => {
            page.refused = Some(refused.message());
            render(StatusCode::GONE, &page)
        }
        Err(err) => {
            page.errors = form_errors(err)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
