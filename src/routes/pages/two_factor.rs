//! Two-factor sign-in on the site: the second step of signing in, and turning it on
//! (with a QR code drawn here) and off in the settings.

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::auth::signed_in;
use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::{Chrome, FormErrors, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::domain::two_factor::{self, Enrolment};
use crate::error::AppError;
use crate::state::AppState;

/// The secret being enrolled, kept in the (encrypted) session until a code proves the
/// app has it, so that reloading the page shows the same QR code.
const ENROLLING_KEY: &str = "enrolling";

#[derive(Template, WebTemplate)]
#[template(path = "pages/login_two_factor.html")]
struct SecondStepPage {
    chrome: Chrome,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/two_factor.html")]
struct SettingsPage {
    chrome: Chrome,
    errors: FormErrors,
    /// Off: what the app needs.
    enrolment: Option<Enrolment>,
    /// On: recovery codes left.
    codes_left: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/recovery_codes.html")]
struct CodesPage {
    chrome: Chrome,
    codes: Vec<String>,
}

/// A form with one code.
#[derive(Deserialize)]
pub struct CodeForm {
    code: Option<String>,
}

/// A form confirmed with the current password.
#[derive(Deserialize)]
pub struct PasswordForm {
    password: Option<String>,
}

/// `GET /login/two-factor`
pub async fn second_step_form(state: web::Data<AppState>, req: HttpRequest) -> PageResult {
    if session::pending_second_step(&req).is_none() {
        return Ok(redirect("/login"));
    }
    ok(&SecondStepPage {
        chrome: Chrome::new(&state, &req, None, "Two-factor sign-in", "login")?.with_csrf(&req)?,
        errors: FormErrors::default(),
    })
}

/// `POST /login/two-factor`
pub async fn second_step(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<CodeForm>,
) -> PageResult {
    let Some(pending) = session::pending_second_step(&req) else {
        session::flash(
            &req,
            FlashKind::Info,
            "That took too long: please sign in again.",
        );
        return Ok(redirect("/login"));
    };
    let code = form.0.code.unwrap_or_default();
    let ip = state.client_ip(&req);
    let step = crate::app::two_factor::second_step(
        &state.app,
        &state.totp_sealer,
        pending.user_id,
        code,
        ip,
    );
    match step.await {
        Ok(user) => signed_in(&req, &user, pending.kept).await,
        Err(err) => {
            let status = match &err {
                AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            render(
                status,
                &SecondStepPage {
                    chrome: Chrome::new(&state, &req, None, "Two-factor sign-in", "login")?
                        .with_csrf(&req)?,
                    errors: form_errors(err)?,
                },
            )
        }
    }
}

/// The settings page for `user`, with `errors` from the last form.
async fn settings_page(
    state: &AppState,
    req: &HttpRequest,
    user: &crate::domain::users::User,
    errors: FormErrors,
) -> Result<SettingsPage, super::PageError> {
    let chrome = Chrome::new(state, req, Some(user), "Two-factor sign-in", "settings")?;
    if user.two_factor_since.is_some() {
        return Ok(SettingsPage {
            chrome,
            errors,
            enrolment: None,
            codes_left: crate::app::two_factor::codes_left(&state.app, user.id).await?,
        });
    }
    let session = req.get_session();
    let secret = match session.get::<String>(ENROLLING_KEY).ok().flatten() {
        Some(secret) => secret,
        None => {
            let secret = two_factor::new_secret();
            session
                .insert(ENROLLING_KEY, &secret)
                .map_err(|e| AppError::Internal(format!("session insert: {e}")))?;
            secret
        }
    };
    Ok(SettingsPage {
        chrome,
        errors,
        enrolment: Some(two_factor::enrolment(&secret, &user.email)?),
        codes_left: 0,
    })
}

/// `GET /settings/two-factor`
pub async fn settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> PageResult {
    ok(&settings_page(&state, &req, &user.0, FormErrors::default()).await?)
}

/// `POST /settings/two-factor`: turns it on with the code the app shows.
pub async fn enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<CodeForm>,
) -> PageResult {
    let Some(secret) = req
        .get_session()
        .get::<String>(ENROLLING_KEY)
        .ok()
        .flatten()
    else {
        return Ok(redirect("/settings/two-factor"));
    };
    let code = form.0.code.unwrap_or_default();
    let ip = state.client_ip(&req);
    let enabled =
        crate::app::two_factor::enable(&state.app, &state.totp_sealer, &user.0, secret, code, ip);
    match enabled.await {
        Ok(codes) => {
            req.get_session().remove(ENROLLING_KEY);
            ok(&CodesPage {
                chrome: Chrome::new(&state, &req, Some(&user.0), "Recovery codes", "settings")?,
                codes,
            })
        }
        Err(err) => refused(&state, &req, &user.0, err).await,
    }
}

/// The settings page again, 422 with the form's errors beside their fields.
async fn refused(
    state: &AppState,
    req: &HttpRequest,
    user: &crate::domain::users::User,
    err: AppError,
) -> PageResult {
    let page = settings_page(state, req, user, form_errors(err)?).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// `POST /settings/two-factor/disable`
pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<PasswordForm>,
) -> PageResult {
    let ip = state.client_ip(&req);
    let done = crate::app::two_factor::disable(
        &state.app,
        &user.0,
        form.0.password,
        state.bcrypt_cost,
        ip,
    )
    .await;
    match done {
        Ok(()) => {
            session::flash(&req, FlashKind::Info, "Two-factor sign-in is off.");
            Ok(redirect("/settings/two-factor"))
        }
        Err(err) => refused(&state, &req, &user.0, err).await,
    }
}

/// `POST /settings/two-factor/codes`: new recovery codes.
pub async fn new_codes(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<PasswordForm>,
) -> PageResult {
    let ip = state.client_ip(&req);
    let made = crate::app::two_factor::new_recovery_codes(
        &state.app,
        &user.0,
        form.0.password,
        state.bcrypt_cost,
        ip,
    )
    .await;
    match made {
        Ok(codes) => ok(&CodesPage {
            chrome: Chrome::new(&state, &req, Some(&user.0), "Recovery codes", "settings")?,
            codes,
        }),
        Err(err) => refused(&state, &req, &user.0, err).await,
    }
}
