//! Application errors as GraphQL errors: the message is the REST error's field messages,
//! and `extensions` carries the REST twin's status and its `errors` object, so a client
//! can show the same validation messages field by field.

use actix_web::ResponseError;
use async_graphql::{Error, ErrorExtensions};

use crate::routes::api::error::{ApiError, ErrorBody};

/// `{"errors": {...}}` of `body` as one sentence: `title can't be blank; body …`.
fn sentence(body: &ErrorBody) -> String {
    let json = serde_json::to_value(&body.errors).unwrap_or_default();
    let Some(fields) = json.as_object() else {
        return "error".to_owned();
    };
    let parts: Vec<String> = fields
        .iter()
        .flat_map(|(field, messages)| {
            messages
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str())
                .map(move |m| format!("{field} {m}"))
        })
        .collect();
    parts.join("; ")
}

/// A GraphQL error with the REST status and field errors of `status`/`body`.
pub fn with_body(status: u16, body: &ErrorBody) -> Error {
    let errors = serde_json::to_value(&body.errors).unwrap_or_default();
    Error::new(sentence(body)).extend_with(|_, ext| {
        ext.set("status", status);
        if let Ok(value) = async_graphql::Value::from_json(errors.clone()) {
            ext.set("errors", value);
        }
    })
}

/// `err` as its REST twin would have answered it.
pub fn of(err: impl Into<ApiError>) -> Error {
    let err = err.into();
    with_body(err.status_code().as_u16(), &err.body())
}

/// `?`-friendly conversion of application results.
pub trait OrGql<T> {
    /// The value, or the error as GraphQL reports it.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<ApiError>> OrGql<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(of)
    }
}
