//! `/api/profiles/{username}` and following.

use actix_web::{HttpResponse, web};

use super::dto::ProfileBody;
use super::error::ApiError;
use super::extract::{ApiUser, MaybeApiUser};
use crate::domain::profiles;
use crate::state::AppState;

/// `GET /api/profiles/{username}`
pub async fn get(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let profile = profiles::get(&state.db, viewer.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProfileBody { profile }))
}

/// `POST /api/profiles/{username}/follow`
pub async fn follow(
    state: web::Data<AppState>,
    auth: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let profile = profiles::follow(&state.db, auth.user.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProfileBody { profile }))
}

/// `DELETE /api/profiles/{username}/follow`
pub async fn unfollow(
    state: web::Data<AppState>,
    auth: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let profile = profiles::unfollow(&state.db, auth.user.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProfileBody { profile }))
}
