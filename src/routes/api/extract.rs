//! Request parsing for the API: the token-authenticated user and JSON bodies.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::users::User;
use crate::error::AppError;
use crate::middleware::request_log::LoggedUser;
use crate::state::AppState;

/// The user a valid `Authorization: Token …` (or `Bearer …`) header names; 401 otherwise.
pub struct ApiUser {
    /// The account as the application holds it now (a deleted or suspended account's
    /// token stops working at once, on every instance).
    pub user: User,
    /// The token as presented, echoed back in user responses.
    pub token: String,
}

/// Like [`ApiUser`] but for routes where signing in is optional; a bad token is still 401.
pub struct MaybeApiUser(pub Option<ApiUser>);

impl MaybeApiUser {
    /// The viewer's id, if signed in.
    pub fn id(&self) -> Option<i32> {
        self.0.as_ref().map(|u| u.user.id)
    }
}

/// The token in the `Authorization` header: `Ok(None)` when there is no header.
fn presented_token(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| AppError::InvalidToken)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(AppError::InvalidToken)?;
    let token = token.trim();
    if !(scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        || token.is_empty()
    {
        return Err(AppError::InvalidToken);
    }
    Ok(Some(token.to_owned()))
}

async fn authenticate(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: String,
) -> Result<ApiUser, ApiError> {
    let bearer = state
        .tokens
        .verify(&token)
        .map_err(|_| AppError::InvalidToken)?;
    let user = crate::app::viewer::account(&state.app, bearer.user_id)
        .await?
        .ok_or(AppError::InvalidToken)?;
    // Signed out everywhere since (a password reset): the cached account row is dropped
    // on every instance by the write that raised the generation.
    if user.token_generation != bearer.generation {
        return Err(AppError::InvalidToken.into());
    }
    let user = (*user).clone();
    // A suspended account's tokens stop working at once, with the reason.
    crate::domain::users::check_api_access(&user)?;
    req.extensions_mut().insert(LoggedUser(user.id));
    Ok(ApiUser { user, token })
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".into()).into())
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = presented_token(req)
            .map_err(ApiError::from)
            .and_then(|token| {
                let token = token.ok_or(ApiError(AppError::MissingToken))?;
                Ok((state_of(req)?, token))
            });
        let req = req.clone();
        Box::pin(async move {
            let (state, token) = found?;
            authenticate(req, state, token).await
        })
    }
}

impl FromRequest for MaybeApiUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = presented_token(req)
            .map_err(ApiError::from)
            .and_then(|token| Ok((state_of(req)?, token)));
        let req = req.clone();
        Box::pin(async move {
            match found? {
                (state, Some(token)) => Ok(Self(Some(authenticate(req, state, token).await?))),
                (_, None) => Ok(Self(None)),
            }
        })
    }
}

/// Reads `{"<key>": {...}}` from a raw body. Handlers take the body as bytes and call
/// this after authentication, so a missing token is a 401 even when the body is bad.
pub fn wrapped_json<T: DeserializeOwned>(body: &[u8], key: &'static str) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::unreadable("body", format!("is not valid JSON ({e})")))?;
    let inner = value
        .get(key)
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::unreadable(key, "is missing (expected an object)"))?;
    T::deserialize(inner).map_err(|e| ApiError::unreadable(key, e.to_string()))
}
