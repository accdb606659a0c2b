//! `/api/user/tokens`: the signed-in user's personal access tokens (Conduit's own
//! addition to the API). Creating one needs the sign-in token (JWT): an access token
//! cannot mint more, so a leaked one cannot outlive its own revocation or expiry.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::NewAccessTokenRequest;
use super::error::ApiError;
use super::extract::{ApiUser, wrapped_json};
use super::input::NewAccessToken;
use super::openapi::{
    Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable,
};
use crate::domain::access_tokens::AccessToken;
use crate::domain::time;
use crate::domain::users::Reauth;
use crate::error::AppError;
use crate::state::AppState;

/// A token as the API lists it: never its secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccessToken)]
pub struct TokenJson {
    id: i32,
    name: String,
    /// `read`, `write`, `admin`.
    scopes: Vec<String>,
    created_at: String,
    /// `null`: it never expires.
    #[schema(required = true)]
    expires_at: Option<String>,
    /// To within five minutes; `null`: never used.
    #[schema(required = true)]
    last_used_at: Option<String>,
    /// True once past `expiresAt` (expired tokens are listed until revoked).
    expired: bool,
}

impl From<AccessToken> for TokenJson {
    fn from(t: AccessToken) -> Self {
        Self {
            expired: t.expired(time::now()),
            scopes: t.scopes().names().into_iter().map(str::to_owned).collect(),
            id: t.id,
            name: t.name,
            created_at: time::iso8601(t.created_at),
            expires_at: t.expires_at.map(time::iso8601),
            last_used_at: t.last_used_at.map(time::iso8601),
        }
    }
}

/// A token just created, with its secret: shown this once, stored nowhere.
#[derive(Serialize, ToSchema)]
#[schema(as = CreatedAccessToken)]
pub struct CreatedTokenJson {
    #[serde(flatten)]
    token: TokenJson,
    /// Send it as `Authorization: Token <secret>`.
    secret: String,
}

/// `{"token": …}`
#[derive(Serialize, ToSchema)]
pub struct CreatedTokenBody {
    token: CreatedTokenJson,
}

/// `{"tokens": […]}`
#[derive(Serialize, ToSchema)]
pub struct TokensBody {
    tokens: Vec<TokenJson>,
}

/// `GET /api/user/tokens`
#[utoipa::path(
    get,
    path = "/api/user/tokens",
    tag = "User and Authentication",
    operation_id = "GetAccessTokens",
    summary = "The signed-in user's personal access tokens, newest first",
    description = "Live and expired tokens; revoked ones are gone. Secrets are never shown again.",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The tokens", body = TokensBody),
        Unauthorized,
        Forbidden,
    )
)]
pub async fn list(state: web::Data<AppState>, auth: ApiUser) -> Result<HttpResponse, ApiError> {
    let tokens = crate::app::access_tokens::list(&state.app, auth.user.id).await?;
    Ok(HttpResponse::Ok().json(TokensBody {
        tokens: tokens.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/user/tokens` with `{"token": {"name", "scopes", "expiresInDays"?}}`.
#[utoipa::path(
    post,
    path = "/api/user/tokens",
    tag = "User and Authentication",
    operation_id = "CreateAccessToken",
    summary = "Create a personal access token",
    description = "Answers with the secret, this once: only its hash is stored. Needs the \
        sign-in token: a personal access token cannot create tokens (403). At most 50 live \
        tokens per account (422); the `admin` scope is for staff accounts only (422). \
        The answer is never kept for `Idempotency-Key` replays, so it takes no key.",
    request_body = NewAccessTokenRequest,
    security(("Token" = [])),
    responses(
        (status = 201, description = "The token and its secret", body = CreatedTokenBody),
        Unauthorized,
        Forbidden,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if auth.access_token.is_some() {
        return Err(AppError::Forbidden("token").into());
    }
    let input: NewAccessToken = wrapped_json(&body, "token")?;
    let ip = state.client_ip(&req);
    // Like the settings, the API cannot ask for the password (see `Reauth::IfGiven`).
    let (token, secret) = crate::app::access_tokens::create(
        &state.app,
        state.bcrypt_cost,
        auth.user.user.clone(),
        input.into(),
        Reauth::IfGiven,
        ip,
    )
    .await?;
    Ok(HttpResponse::Created().json(CreatedTokenBody {
        token: CreatedTokenJson {
            token: token.into(),
            secret,
        },
    }))
}

/// `DELETE /api/user/tokens/{id}`
#[utoipa::path(
    delete,
    path = "/api/user/tokens/{id}",
    tag = "User and Authentication",
    operation_id = "RevokeAccessToken",
    summary = "Revoke a personal access token",
    description = "Refused from the next request on, on every instance. A token may revoke \
        itself (with the `write` scope).",
    params(("id" = i32, Path, description = "The token's id")),
    security(("Token" = [])),
    responses(
        (status = 204, description = "Revoked"),
        Unauthorized,
        Forbidden,
        NotFound,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: ApiUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&req);
    crate::app::access_tokens::revoke(&state.app, auth.user.user.clone(), id.into_inner(), ip)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
