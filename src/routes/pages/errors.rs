//! The one place where errors become HTML pages. A failing handler or extractor returns
//! a [`PageError`]; its response carries a [`Failure`] marker that the [`render_failures`]
//! middleware turns into a full page in the site's look (it has the request, so the
//! navbar still shows who is signed in). The logged cause never reaches the page.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use askama_web::WebTemplate;

use super::session;
use super::views::Chrome;
use crate::error::AppError;
use crate::state::AppState;

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// A domain error.
    App(AppError),
    /// The form's CSRF token was missing or stale.
    Csrf,
    /// The form body could not be read at all.
    BadForm,
}

/// Shorthand for page handlers.
pub type PageResult = Result<HttpResponse, PageError>;

impl PageError {
    /// The domain error inside, or an internal one for the page-only failures (which
    /// a read without a form cannot produce).
    pub fn into_app_error(self) -> AppError {
        match self {
            Self::App(err) => err,
            Self::Csrf => AppError::Internal("csrf failure on a read".into()),
            Self::BadForm => AppError::Internal("form failure on a read".into()),
        }
    }
}

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        Self::App(err)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::App(err) => err.fmt(f),
            Self::Csrf => f.write_str("csrf token mismatch"),
            Self::BadForm => f.write_str("unreadable form"),
        }
    }
}

/// Which error page to render; put on the bare error response for the middleware.
#[derive(Debug, Clone)]
pub enum Failure {
    /// 404.
    NotFound,
    /// 403: not yours.
    Forbidden,
    /// 403: the admin area, or the part of it beyond the visitor's role.
    StaffOnly,
    /// 403: stale form.
    Csrf,
    /// 400 or 422 outside a form that can show it.
    Rejected(Vec<String>),
    /// 500.
    Internal,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::App(AppError::Validation(_) | AppError::Conflict(_)) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::App(AppError::MissingToken | AppError::InvalidToken) => StatusCode::SEE_OTHER,
            Self::App(AppError::InvalidCredentials) => StatusCode::UNAUTHORIZED,
            Self::App(AppError::TooManyAttempts(_)) => StatusCode::TOO_MANY_REQUESTS,
            Self::App(AppError::NotFound(_)) => StatusCode::NOT_FOUND,
            Self::App(
                AppError::Forbidden(_)
                | AppError::InsufficientScope(_)
                | AppError::Suspended(_)
                | AppError::PasswordResetRequired
                | AppError::EmailUnverified
                | AppError::TwoFactorOn
                | AppError::TwoFactorRequired,
            )
            | Self::Csrf => StatusCode::FORBIDDEN,
            Self::App(AppError::Internal(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BadForm => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let failure = match self {
            Self::App(AppError::MissingToken | AppError::InvalidToken) => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/login"))
                    .finish();
            }
            Self::App(AppError::Validation(errors) | AppError::Conflict(errors)) => {
                Failure::Rejected(super::views::FormErrors::of(errors).lines().to_vec())
            }
            Self::App(AppError::InvalidCredentials) => {
                Failure::Rejected(vec!["email or password is invalid".into()])
            }
            Self::App(AppError::TooManyAttempts(seconds)) => {
                Failure::Rejected(vec![super::views::too_many_attempts(*seconds)])
            }
            Self::App(AppError::NotFound(_)) => Failure::NotFound,
            Self::App(AppError::Forbidden("admin area")) => Failure::StaffOnly,
            Self::App(AppError::Forbidden(_) | AppError::InsufficientScope(_)) => {
                Failure::Forbidden
            }
            Self::App(AppError::Suspended(message)) => Failure::Rejected(vec![message.clone()]),
            Self::App(AppError::EmailUnverified) => Failure::Rejected(vec![format!(
                "your email {}",
                crate::error::EMAIL_UNVERIFIED
            )]),
            Self::App(AppError::TwoFactorOn) => Failure::Rejected(vec![format!(
                "two-factor sign-in {}",
                crate::error::TWO_FACTOR_ON
            )]),
            Self::App(AppError::TwoFactorRequired) => {
                Failure::Rejected(vec![crate::error::TWO_FACTOR_REQUIRED.into()])
            }
            Self::App(AppError::PasswordResetRequired) => {
                Failure::Rejected(vec!["choose a new password in your settings first".into()])
            }
            Self::App(AppError::Internal(cause)) => {
                log::error!("internal error on a page: {cause}");
                Failure::Internal
            }
            Self::Csrf => Failure::Csrf,
            Self::BadForm => Failure::Rejected(vec!["the form could not be read".into()]),
        };
        let mut response = HttpResponse::build(self.status_code()).finish();
        response.extensions_mut().insert(failure);
        response
    }
}

/// The default service: any unknown page.
pub async fn not_found() -> PageResult {
    Err(PageError::App(AppError::NotFound("page")))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/not_found.html")]
struct NotFoundPage {
    chrome: Chrome,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/csrf_failed.html")]
struct CsrfFailedPage {
    chrome: Chrome,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: &'static str,
    details: Vec<String>,
}

/// Middleware: replaces bare error responses marked with a [`Failure`] by their page.
pub async fn render_failures(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(failure) = res.response().extensions().get::<Failure>().cloned() else {
        return Ok(res.map_into_left_body());
    };
    let status = res.status();
    let (req, _) = res.into_parts();
    let page = error_page(&req, status, failure).await;
    Ok(ServiceResponse::new(req, page).map_into_right_body())
}

async fn error_page(req: &HttpRequest, status: StatusCode, failure: Failure) -> HttpResponse {
    let fallback = || {
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(status.canonical_reason().unwrap_or("Error"))
    };
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return fallback();
    };
    // The signed-in user is only for the navbar: if even that fails, show the page anyway.
    let user = session::load_user(req).await.ok().flatten();
    let title = match &failure {
        Failure::NotFound => "Page not found",
        Failure::Forbidden | Failure::StaffOnly => "Not allowed",
        Failure::Csrf => "Form expired",
        Failure::Rejected(_) => "Request refused",
        Failure::Internal => "Something went wrong",
    };
    let Ok(chrome) = Chrome::new(state, req, user.as_ref(), title, "") else {
        return fallback();
    };
    let rendered = match failure {
        Failure::NotFound => NotFoundPage { chrome }.render(),
        Failure::Csrf => CsrfFailedPage { chrome }.render(),
        Failure::Forbidden => ErrorPage {
            chrome,
            heading: "You can't do that",
            message: "This belongs to someone else, so only they can change it.",
            details: Vec::new(),
        }
        .render(),
        Failure::StaffOnly => ErrorPage {
            chrome,
            heading: "Staff only",
            message: "This part of the admin area needs a role your account does not have.",
            details: Vec::new(),
        }
        .render(),
        Failure::Rejected(details) => ErrorPage {
            chrome,
            heading: "That didn't work",
            message: "The request was refused:",
            details,
        }
        .render(),
        Failure::Internal => ErrorPage {
            chrome,
            heading: "Something went wrong on our side",
            message: "It has been logged. Please try again in a moment.",
            details: Vec::new(),
        }
        .render(),
    };
    match rendered {
        Ok(html) => super::html_response(status, html),
        Err(e) => {
            log::error!("cannot render the error page: {e}");
            fallback()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldErrors;

    fn failure_of(err: PageError) -> (StatusCode, Option<Failure>) {
        let response = err.error_response();
        let failure = response.extensions().get::<Failure>().cloned();
        (response.status(), failure)
    }

    #[test]
    fn each_error_has_its_page() {
        let cases = [
            (
                PageError::App(AppError::NotFound("article")),
                StatusCode::NOT_FOUND,
            ),
            (
                PageError::App(AppError::Forbidden("article")),
                StatusCode::FORBIDDEN,
            ),
            (PageError::Csrf, StatusCode::FORBIDDEN),
            (
                PageError::App(AppError::Internal("disk on fire".into())),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                PageError::App(AppError::Validation(FieldErrors::single(
                    "body",
                    "can't be blank",
                ))),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (PageError::BadForm, StatusCode::BAD_REQUEST),
        ];
        for (err, status) in cases {
            let (got, failure) = failure_of(err);
            assert_eq!(got, status);
            assert!(failure.is_some(), "{status} is rendered as a page");
        }
        let (_, failure) = failure_of(PageError::App(AppError::Validation(FieldErrors::single(
            "body",
            "can't be blank",
        ))));
        assert!(
            matches!(failure, Some(Failure::Rejected(lines)) if lines == ["body can't be blank"])
        );
    }

    #[test]
    fn missing_sign_in_goes_to_the_login_page() {
        for err in [AppError::MissingToken, AppError::InvalidToken] {
            let response = PageError::App(err).error_response();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            assert_eq!(
                response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok()),
                Some("/login")
            );
            assert!(response.extensions().get::<Failure>().is_none());
        }
    }
}
