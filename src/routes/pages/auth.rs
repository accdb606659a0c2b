//! Signing up, in and out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::session::{self, CsrfForm, FlashKind, MaybeUser};
use super::views::{Chrome, FormErrors, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::domain::users::{self, LoginInput, RegisterInput, User};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/login.html")]
struct LoginPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/register.html")]
struct RegisterPage {
    chrome: Chrome,
    errors: FormErrors,
    username: String,
    email: String,
}

/// The sign-in form as posted.
#[derive(Deserialize)]
pub struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    /// "Keep me signed in" (a checkbox: present when ticked).
    remember: Option<String>,
}

/// The sign-up form as posted.
#[derive(Deserialize)]
pub struct RegisterForm {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct EmptyForm {}

/// `GET /login`
pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
) -> PageResult {
    if viewer.0.is_some() {
        return Ok(redirect("/"));
    }
    ok(&LoginPage {
        chrome: Chrome::new(&state, &req, None, "Sign in", "login")?.with_csrf(&req)?,
        errors: FormErrors::default(),
        email: String::new(),
    })
}

/// `POST /login`
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<LoginForm>,
) -> PageResult {
    let form = form.0;
    let email = form.email.clone().unwrap_or_default();
    let kept = form.remember.is_some();
    let input = LoginInput {
        email: form.email,
        password: form.password,
    };
    match users::login(&state.db, state.bcrypt_cost, input, state.client_ip(&req)).await {
        Ok(user) if user.two_factor_since.is_some() => {
            session::begin_second_step(&req, user.id, kept)?;
            Ok(redirect("/login/two-factor"))
        }
        Ok(user) => signed_in(&req, &user, kept).await,
        Err(err) => {
            let wait = match &err {
                AppError::TooManyAttempts(seconds) => Some(*seconds),
                _ => None,
            };
            let mut response = render(
                wait.map_or(StatusCode::UNPROCESSABLE_ENTITY, |_| {
                    StatusCode::TOO_MANY_REQUESTS
                }),
                &LoginPage {
                    chrome: Chrome::new(&state, &req, None, "Sign in", "login")?.with_csrf(&req)?,
                    errors: form_errors(err)?,
                    email,
                },
            )?;
            if let Some(seconds) = wait
                && let Ok(value) =
                    actix_web::http::header::HeaderValue::from_str(&seconds.to_string())
            {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, value);
            }
            Ok(response)
        }
    }
}

/// Signs `user` in and sends them on: to the settings when staff asked for a new
/// password, else home with a greeting. Shared by both steps of signing in.
pub async fn signed_in(req: &HttpRequest, user: &User, kept: bool) -> PageResult {
    session::sign_in(req, user, kept).await?;
    if user.password_reset_required {
        session::flash(
            req,
            FlashKind::Info,
            "An administrator asked you to choose a new password before going on.",
        );
        return Ok(redirect("/settings"));
    }
    session::flash(
        req,
        FlashKind::Success,
        format!("Welcome back, {}!", user.username),
    );
    Ok(redirect("/"))
}

/// `GET /register`
pub async fn register_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
) -> PageResult {
    if viewer.0.is_some() {
        return Ok(redirect("/"));
    }
    ok(&RegisterPage {
        chrome: Chrome::new(&state, &req, None, "Sign up", "register")?.with_csrf(&req)?,
        errors: FormErrors::default(),
        username: String::new(),
        email: String::new(),
    })
}

/// `POST /register`
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<RegisterForm>,
) -> PageResult {
    let form = form.0;
    let (username, email) = (
        form.username.clone().unwrap_or_default(),
        form.email.clone().unwrap_or_default(),
    );
    let input = RegisterInput {
        username: form.username,
        email: form.email,
        password: form.password,
    };
    match crate::app::accounts::register(&state.app, state.bcrypt_cost, input).await {
        Ok(user) => {
            session::sign_in(&req, &user, false).await?;
            session::flash(
                &req,
                FlashKind::Success,
                format!("Welcome to Conduit, {}!", user.username),
            );
            Ok(redirect("/"))
        }
        Err(err) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterPage {
                chrome: Chrome::new(&state, &req, None, "Sign up", "register")?.with_csrf(&req)?,
                errors: form_errors(err)?,
                username,
                email,
            },
        ),
    }
}

/// `POST /logout` (never a GET: a link or an image elsewhere must not sign anyone out).
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    if let Some(key) = session::session_key(&req) {
        crate::app::sessions::end_key(&state.app, key).await?;
    }
    session::sign_out(&req)?;
    session::flash(&req, FlashKind::Info, "You have signed out.");
    Ok(redirect("/"))
}
