//! Request parsing for the API: the token-authenticated user and JSON bodies.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::cache::{Account, Verified};
use crate::domain::access_tokens::{self, Scope, Scopes};
use crate::error::AppError;
use crate::middleware::request_log::LoggedUser;
use crate::state::AppState;

/// The user a valid `Authorization: Token …` (or `Bearer …`) header names; 401 otherwise.
/// The token is the JWT from sign-in or a personal access token (`cdt_…`); a request
/// other than GET or HEAD whose token lacks the `write` scope is refused with 403.
pub struct ApiUser {
    /// The account as the application holds it now (a deleted or suspended account's
    /// token stops working at once, on every instance), shared with the cache that
    /// holds it.
    pub user: Arc<Account>,
    /// The token as presented, echoed back in user responses.
    pub token: String,
    /// What the token may do (a JWT may do everything).
    pub scopes: Scopes,
    /// The personal access token's id, when authenticated by one.
    pub access_token: Option<i32>,
}

impl ApiUser {
    /// 403 unless the token has `scope` (staff actions ask for `admin`).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(AppError::InsufficientScope(scope.as_str()).into())
        }
    }
}

impl ApiUser {
    /// What a change of email or password asks for: RealWorld clients change them with
    /// the sign-in token alone; an access token is a long-lived credential for a script,
    /// and must not be enough to take the account over.
    pub fn reauth(&self) -> crate::domain::users::Reauth {
        match self.access_token {
            Some(_) => crate::domain::users::Reauth::Required,
            None => crate::domain::users::Reauth::IfGiven,
        }
    }
}

/// Like [`ApiUser`] but for routes where signing in is optional; a bad token is still 401.
pub struct MaybeApiUser(pub Option<ApiUser>);

impl MaybeApiUser {
    /// The viewer's id, if signed in.
    pub fn id(&self) -> Option<i32> {
        self.0.as_ref().map(|u| u.user.id)
    }

    /// The viewer's account, if signed in.
    pub fn account(&self) -> Option<&Account> {
        self.0.as_ref().map(|u| &*u.user)
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

/// Who `token` speaks for, what it may do, and the JWT's generation (a personal access
/// token has none: signing out everywhere revokes it instead).
struct Credential {
    user_id: i32,
    scopes: Scopes,
    access_token: Option<i32>,
    generation: Option<i32>,
    /// The verified JWT, as the cache keeps it.
    verified: Option<Arc<Verified>>,
}

async fn credential(state: &AppState, token: &str) -> Result<Credential, ApiError> {
    if access_tokens::is_access_token(token) {
        let grant = crate::app::access_tokens::check(&state.app, token).await?;
        return Ok(Credential {
            user_id: grant.user_id,
            scopes: grant.scopes,
            access_token: Some(grant.token_id),
            generation: None,
            verified: None,
        });
    }
    let verified = crate::app::bearers::verify(&state.app, &state.tokens, token).await?;
    Ok(Credential {
        user_id: verified.bearer.user_id,
        scopes: Scopes::ALL,
        access_token: None,
        generation: Some(verified.bearer.generation),
        verified: Some(verified),
    })
}

/// The account `token` (a JWT or an access token) speaks for, if it is valid: what the
/// middleware that counts per account needs, from the same caches as the extractor.
pub async fn token_user(state: &AppState, token: &str) -> Option<i32> {
    credential(state, token).await.ok().map(|c| c.user_id)
}

/// The account `token` speaks for, checked as every API request checks it (revoked,
/// signed out everywhere, suspended), whatever the request: the scope a route needs is
/// the caller's to require. The GraphQL API authenticates its WebSocket connections
/// with this, from their `connection_init` payload.
pub async fn authenticate_token(state: &AppState, token: String) -> Result<ApiUser, ApiError> {
    let credential = credential(state, &token).await?;
    let account = match &credential.verified {
        Some(verified) => crate::app::viewer::account_of_token(&state.app, verified).await?,
        None => crate::app::viewer::account(&state.app, credential.user_id).await?,
    };
    let user = account.ok_or(AppError::InvalidToken)?;
    // Signed out everywhere since (a password reset): the cached account row is dropped
    // on every instance by the write that raised the generation.
    if credential
        .generation
        .is_some_and(|generation| generation != user.token_generation)
    {
        return Err(AppError::InvalidToken.into());
    }
    // A suspended account's tokens stop working at once, with the reason.
    crate::domain::users::check_api_access(&user)?;
    Ok(ApiUser {
        user,
        token,
        scopes: credential.scopes,
        access_token: credential.access_token,
    })
}

async fn authenticate(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: String,
) -> Result<ApiUser, ApiError> {
    let auth = authenticate_token(&state, token).await?;
    req.extensions_mut().insert(LoggedUser(auth.user.id));
    // Reading is all a token without `write` may do, whatever the route (GraphQL
    // posts its queries too: it requires `write` of its mutations itself).
    if !matches!(*req.method(), Method::GET | Method::HEAD) && req.path() != GRAPHQL_PATH {
        auth.require(Scope::Write)?;
    }
    Ok(auth)
}

/// The GraphQL endpoint, whose POSTs may be reads.
const GRAPHQL_PATH: &str = "/api/graphql";

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
