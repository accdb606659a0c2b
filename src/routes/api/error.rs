//! The one place where domain errors become RealWorld error JSON.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::{AppError, FieldErrors};

// Every JSON error the API sends (here, the unknown-route 404 and the rate limiter's 429)
// is built with this type, so the OpenAPI schema derived from it is what clients get.
/// The RealWorld error body: `{"errors": {field: [message, …]}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"errors": {"title": ["can't be blank"]}}))]
pub struct ErrorBody {
    /// Messages per field (or per resource, such as `article` or `token`).
    #[schema(value_type = std::collections::BTreeMap<String, Vec<String>>)]
    pub errors: FieldErrors,
}

impl ErrorBody {
    /// One message for one field.
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        Self {
            errors: FieldErrors::single(field, message),
        }
    }
}

/// A domain error on its way to an API client.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        Self(err)
    }
}

impl ApiError {
    /// A 422 for a request body or query that could not be read.
    pub fn unreadable(field: &str, message: impl Into<String>) -> Self {
        Self(AppError::Validation(FieldErrors::single(field, message)))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::MissingToken | AppError::InvalidToken | AppError::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden(_)
            | AppError::InsufficientScope(_)
            | AppError::Suspended(_)
            | AppError::PasswordResetRequired
            | AppError::EmailUnverified
            | AppError::TwoFactorOn
            | AppError::TwoFactorRequired => StatusCode::FORBIDDEN,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = self.body();
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Token"));
        }
        if let AppError::TooManyAttempts(seconds) = &self.0 {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(body)
    }
}

impl ApiError {
    /// The body a REST client gets for this error; GraphQL errors carry the same
    /// messages in their `extensions`.
    pub fn body(&self) -> ErrorBody {
        match &self.0 {
            AppError::Validation(errors) | AppError::Conflict(errors) => ErrorBody {
                errors: errors.clone(),
            },
            AppError::MissingToken => ErrorBody::one("token", "is missing"),
            AppError::InvalidToken => ErrorBody::one("token", "is invalid"),
            AppError::InvalidCredentials => ErrorBody::one("credentials", "invalid"),
            AppError::TooManyAttempts(seconds) => ErrorBody::one(
                "credentials",
                format!("too many failed attempts; retry in {seconds} s"),
            ),
            AppError::NotFound(what) => ErrorBody::one(what, "not found"),
            AppError::Forbidden(what) => ErrorBody::one(what, "forbidden"),
            AppError::InsufficientScope(scope) => {
                ErrorBody::one("token", format!("lacks the `{scope}` scope"))
            }
            AppError::EmailUnverified => ErrorBody::one("email", crate::error::EMAIL_UNVERIFIED),
            AppError::TwoFactorOn => ErrorBody::one("twoFactor", crate::error::TWO_FACTOR_ON),
            AppError::TwoFactorRequired => {
                ErrorBody::one("twoFactor", crate::error::TWO_FACTOR_REQUIRED)
            }
            AppError::Suspended(message) => ErrorBody::one("account", message.clone()),
            AppError::PasswordResetRequired => ErrorBody::one(
                "password",
                "must be changed on the site (sign in there) before the API can be used",
            ),
            AppError::Internal(cause) => {
                log::error!("internal error: {cause}");
                ErrorBody::one("server", "something went wrong on our side")
            }
        }
    }
}
