//! `/admin/security`: site settings about staff accounts' security. For now, whether
//! moderators and admins must use two-factor sign-in (beside `CONDUIT_REQUIRE_STAFF_2FA`,
//! which the operator can set to require it regardless).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{AdminFrame, AdminUser, actor, frame};
use crate::domain::users::User;
use crate::routes::pages::session::{CsrfForm, FlashKind, flash};
use crate::routes::pages::views::{Chrome, FormErrors, form_errors};
use crate::routes::pages::{PageResult, redirect, render};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/security.html")]
struct SecurityPage {
    chrome: Chrome,
    admin: AdminFrame,
    errors: FormErrors,
    /// Required by this page's setting.
    staff_two_factor: bool,
    /// Required by the environment, whatever the setting.
    by_environment: bool,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    viewer: &User,
    errors: FormErrors,
) -> PageResult {
    let settings = crate::app::site_settings::current(&state.app).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (chrome, admin) = frame(state, req, viewer, "Security · Admin", "/admin/security")?;
    render(
        status,
        &SecurityPage {
            chrome,
            admin,
            errors,
            staff_two_factor: settings.staff_two_factor,
            by_environment: state.require_staff_two_factor,
        },
    )
}

/// `GET /admin/security`
pub async fn show(state: web::Data<AppState>, req: HttpRequest, user: AdminUser) -> PageResult {
    page(&state, &req, &user.0, FormErrors::default()).await
}

/// The settings form as posted (a checkbox: present when ticked).
#[derive(Deserialize)]
pub struct SecurityForm {
    staff_two_factor: Option<String>,
}

/// `POST /admin/security`
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AdminUser,
    form: CsrfForm<SecurityForm>,
) -> PageResult {
    let on = form.0.staff_two_factor.is_some();
    let actor = actor(&state, &req, &user.0);
    let has_two_factor = user.0.two_factor_since.is_some();
    match crate::app::site_settings::set_staff_two_factor(&state.app, actor, has_two_factor, on)
        .await
    {
        Ok(()) => {
            flash(
                &req,
                FlashKind::Success,
                "The security settings were saved.",
            );
            Ok(redirect("/admin/security"))
        }
        Err(err) => page(&state, &req, &user.0, form_errors(err)?).await,
    }
}
