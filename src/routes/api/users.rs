//! `/api/users`, `/api/users/login`, `/api/user`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::dto::{LoginRequest, NewUserRequest, UpdateUserRequest, UserBody};
use super::error::ApiError;
use super::extract::{ApiUser, wrapped_json};
use super::input::{LoginUser, NewUser, UpdateUser};
use super::openapi::{
    Conflict, Forbidden, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable,
};
use crate::state::AppState;

/// `POST /api/users`: sign up.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "User and Authentication",
    operation_id = "CreateUser",
    summary = "Register a new user",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "The new user, signed in", body = UserBody),
        Conflict,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewUser = wrapped_json(&body, "user")?;
    let user = crate::app::accounts::register(&state.app, state.bcrypt_cost, input.into()).await?;
    let token = state.tokens.issue(user.id, user.token_generation);
    Ok(HttpResponse::Created().json(UserBody::new(user, token)))
}

/// `POST /api/users/login`: sign in.
#[utoipa::path(
    post,
    path = "/api/users/login",
    tag = "User and Authentication",
    operation_id = "Login",
    summary = "Sign in with email and password",
    description = "Repeated failures for one account slow further attempts down (429). \
        An account with two-factor sign-in is refused (403, `twoFactor`): API clients use a \
        personal access token for it.",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "The user, signed in", body = UserBody),
        Unauthorized,
        Forbidden,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: LoginUser = wrapped_json(&body, "user")?;
    let ip = state.client_ip(&req);
    let user =
        crate::app::accounts::api_login(&state.db, state.bcrypt_cost, input.into(), ip).await?;
    let token = state.tokens.issue(user.id, user.token_generation);
    Ok(HttpResponse::Ok().json(UserBody::new(user, token)))
}

/// `GET /api/user`: the signed-in user.
#[utoipa::path(
    get,
    path = "/api/user",
    tag = "User and Authentication",
    operation_id = "GetCurrentUser",
    summary = "The signed-in user",
    description = "`token` is the token presented: the sign-in token, or a personal access token.",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The user and their token", body = UserBody),
        Unauthorized,
    )
)]
pub async fn current(auth: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserBody::new(auth.user.user.clone(), auth.token))
}

/// `PUT /api/user`: change settings.
#[utoipa::path(
    put,
    path = "/api/user",
    tag = "User and Authentication",
    operation_id = "UpdateCurrentUser",
    summary = "Change the signed-in user's settings",
    description = "With a personal access token (and its `write` scope), a new email or \
        password also needs `currentPassword` (422 without it).",
    request_body = UpdateUserRequest,
    security(("Token" = [])),
    responses(
        (status = 200, description = "The updated user", body = UserBody),
        Unauthorized,
        Conflict,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let changes: UpdateUser = wrapped_json(&body, "user")?;
    let ip = state.client_ip(&req);
    let user = crate::app::accounts::update(
        &state.app,
        state.bcrypt_cost,
        auth.user.id,
        changes.into(),
        auth.reauth(),
        ip,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserBody::new(user, auth.token)))
}
