//! `/api/profiles/{username}` and following.

use actix_web::{HttpResponse, web};

use super::dto::ProfileBody;
use super::error::ApiError;
use super::extract::{ApiUser, MaybeApiUser};
use super::openapi::{NotFound, TooManyRequests, Unauthorized, Unprocessable};
use crate::app::{self, reads};
use crate::state::AppState;

/// `GET /api/profiles/{username}`
#[utoipa::path(
    get,
    path = "/api/profiles/{username}",
    tag = "Profile",
    operation_id = "GetProfileByUsername",
    summary = "A user's public profile",
    params(("username" = String, Path, description = "The user's name")),
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileBody),
        Unauthorized,
        NotFound,
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let profile = reads::profile(&state.app, viewer.id(), &path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProfileBody {
        profile: profile.into(),
    }))
}

/// `POST /api/profiles/{username}/follow`
#[utoipa::path(
    post,
    path = "/api/profiles/{username}/follow",
    tag = "Profile",
    operation_id = "FollowUserByUsername",
    summary = "Follow a user",
    description = "Following yourself is refused (422).",
    params(("username" = String, Path, description = "The user's name")),
    security(("Token" = [])),
    responses(
        (status = 200, description = "The followed profile", body = ProfileBody),
        Unauthorized,
        NotFound,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn follow(
    state: web::Data<AppState>,
    auth: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let profile = app::profiles::follow(&state.app, auth.user.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProfileBody {
        profile: profile.into(),
    }))
}

/// `DELETE /api/profiles/{username}/follow`
#[utoipa::path(
    delete,
    path = "/api/profiles/{username}/follow",
    tag = "Profile",
    operation_id = "UnfollowUserByUsername",
    summary = "Stop following a user",
    params(("username" = String, Path, description = "The user's name")),
    security(("Token" = [])),
    responses(
        (status = 200, description = "The unfollowed profile", body = ProfileBody),
        Unauthorized,
        NotFound,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn unfollow(
    state: web::Data<AppState>,
    auth: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let profile = app::profiles::unfollow(&state.app, auth.user.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProfileBody {
        profile: profile.into(),
    }))
}
