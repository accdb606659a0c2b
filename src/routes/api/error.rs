//! The one place where domain errors become RealWorld error JSON.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::{AppError, FieldErrors};

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

fn one(field: &str, message: &str) -> serde_json::Value {
    json!({ "errors": { field: [message] } })
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
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match &self.0 {
            AppError::Validation(errors) | AppError::Conflict(errors) => {
                json!({ "errors": errors })
            }
            AppError::MissingToken => one("token", "is missing"),
            AppError::InvalidToken => one("token", "is invalid"),
            AppError::InvalidCredentials => one("credentials", "invalid"),
            AppError::TooManyAttempts(seconds) => one(
                "credentials",
                &format!("too many failed attempts; retry in {seconds} s"),
            ),
            AppError::NotFound(what) => one(what, "not found"),
            AppError::Forbidden(what) => one(what, "forbidden"),
            AppError::Internal(cause) => {
                log::error!("internal error: {cause}");
                one("server", "something went wrong on our side")
            }
        };
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
