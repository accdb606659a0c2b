//! `/api/articles/{slug}/comments…`

use actix_web::{HttpResponse, web};

use super::dto::{CommentBody, CommentJson, CommentsBody};
use super::error::ApiError;
use super::extract::{ApiUser, MaybeApiUser, wrapped_json};
use crate::domain::comments;
use crate::state::AppState;

/// `GET /api/articles/{slug}/comments`
pub async fn list(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let views = comments::list(&state.db, viewer.id(), slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(CommentsBody {
        comments: views.into_iter().map(CommentJson::from).collect(),
    }))
}

/// `POST /api/articles/{slug}/comments`
pub async fn add(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = wrapped_json(&body, "comment")?;
    let view = comments::add(&state.db, auth.user.id, slug.into_inner(), input).await?;
    Ok(HttpResponse::Created().json(CommentBody {
        comment: view.into(),
    }))
}

/// `DELETE /api/articles/{slug}/comments/{id}`
pub async fn delete(
    state: web::Data<AppState>,
    auth: ApiUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    // A non-numeric id names no comment: 404, like any other unknown id.
    let id = id.parse::<i32>().unwrap_or(-1);
    comments::delete(&state.db, auth.user.id, slug, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
