//! The settings page: the signed-in user's own account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::home::path_segment;
use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::{Chrome, FormErrors, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::domain::users::{User, UserChanges};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    errors: FormErrors,
    form: SettingsValues,
    email: crate::domain::email_settings::EmailSettings,
}

/// What the form fields show (never the password).
struct SettingsValues {
    image: String,
    username: String,
    bio: String,
    email: String,
    /// The saved address, and whether it is confirmed.
    saved_email: String,
    verified: bool,
    /// Two-factor sign-in is on.
    two_factor: bool,
}

impl SettingsValues {
    fn of(user: &User) -> Self {
        Self {
            image: user.image.clone().unwrap_or_default(),
            username: user.username.clone(),
            bio: user.bio.clone().unwrap_or_default(),
            email: user.email.clone(),
            saved_email: user.email.clone(),
            verified: user.email_verified_at.is_some(),
            two_factor: user.two_factor_since.is_some(),
        }
    }
}

/// The settings form as posted.
#[derive(Deserialize)]
pub struct SettingsForm {
    image: Option<String>,
    username: Option<String>,
    bio: Option<String>,
    email: Option<String>,
    password: Option<String>,
    current_password: Option<String>,
}

/// `GET /settings`
pub async fn form(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser) -> PageResult {
    ok(&SettingsPage {
        chrome: Chrome::new(&state, &req, Some(&user.0), "Settings", "settings")?,
        errors: FormErrors::default(),
        form: SettingsValues::of(&user.0),
        email: super::messaging::email_settings_of(&state, user.0.id).await?,
    })
}

/// `POST /settings`: an empty password field leaves the password as it is.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<SettingsForm>,
) -> PageResult {
    let form = form.0;
    let kept = SettingsValues {
        image: form.image.clone().unwrap_or_default(),
        username: form.username.clone().unwrap_or_default(),
        bio: form.bio.clone().unwrap_or_default(),
        email: form.email.clone().unwrap_or_default(),
        saved_email: user.0.email.clone(),
        verified: user.0.email_verified_at.is_some(),
        two_factor: user.0.two_factor_since.is_some(),
    };
    let changes = UserChanges {
        username: Some(form.username),
        email: Some(form.email),
        password: form.password.filter(|p| !p.is_empty()).map(Some),
        bio: Some(form.bio),
        image: Some(form.image),
        current_password: form.current_password,
    };
    let proved = changes
        .current_password
        .as_ref()
        .is_some_and(|p| !p.is_empty());
    let reauth = session::reauth(&req, state.reauth_window_secs);
    let ip = state.client_ip(&req);
    let saved = crate::app::accounts::update(
        &state.app,
        state.bcrypt_cost,
        user.0.id,
        changes,
        reauth,
        ip,
    )
    .await;
    match saved {
        Ok(updated) => {
            if proved {
                session::reauthenticated(&req);
            }
            session::flash(&req, FlashKind::Success, "Your settings were saved.");
            Ok(redirect(&format!(
                "/profile/{}",
                path_segment(&updated.username)
            )))
        }
        Err(err) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                chrome: Chrome::new(&state, &req, Some(&user.0), "Settings", "settings")?,
                errors: form_errors(err)?,
                form: kept,
                email: super::messaging::email_settings_of(&state, user.0.id).await?,
            },
        ),
    }
}
