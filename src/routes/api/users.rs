//! `/api/users`, `/api/users/login`, `/api/user`.

use actix_web::{HttpResponse, web};

use super::dto::UserBody;
use super::error::ApiError;
use super::extract::{ApiUser, wrapped_json};
use crate::domain::users;
use crate::state::AppState;

/// `POST /api/users`: sign up.
pub async fn register(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = wrapped_json(&body, "user")?;
    let user = users::register(&state.db, state.bcrypt_cost, input).await?;
    let token = state.tokens.issue(user.id);
    Ok(HttpResponse::Created().json(UserBody::new(user, token)))
}

/// `POST /api/users/login`: sign in.
pub async fn login(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let input = wrapped_json(&body, "user")?;
    let user = users::login(&state.db, state.bcrypt_cost, input).await?;
    let token = state.tokens.issue(user.id);
    Ok(HttpResponse::Ok().json(UserBody::new(user, token)))
}

/// `GET /api/user`: the signed-in user.
pub async fn current(auth: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserBody::new(auth.user, auth.token))
}

/// `PUT /api/user`: change settings.
pub async fn update(
    state: web::Data<AppState>,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let changes = wrapped_json(&body, "user")?;
    let user = users::update(&state.db, state.bcrypt_cost, auth.user.id, changes).await?;
    Ok(HttpResponse::Ok().json(UserBody::new(user, auth.token)))
}
