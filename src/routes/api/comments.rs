//! `/api/articles/{slug}/comments…`

use actix_web::{HttpResponse, web};

use super::dto::{CommentBody, CommentJson, CommentsBody, NewCommentRequest};
use super::error::ApiError;
use super::extract::{ApiUser, MaybeApiUser, wrapped_json};
use super::input::NewComment;
use super::openapi::{
    Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable,
};
use crate::app::{self, reads};
use crate::state::AppState;

/// `GET /api/articles/{slug}/comments`
#[utoipa::path(
    get,
    path = "/api/articles/{slug}/comments",
    tag = "Comments",
    operation_id = "GetArticleComments",
    summary = "An article's comments",
    params(("slug" = String, Path, description = "The article's slug")),
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "The comments, oldest first", body = CommentsBody),
        Unauthorized,
        NotFound,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let views = reads::comments(&state.app, viewer.id(), &slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(CommentsBody {
        comments: views.into_iter().map(CommentJson::from).collect(),
    }))
}

/// `POST /api/articles/{slug}/comments`
#[utoipa::path(
    post,
    path = "/api/articles/{slug}/comments",
    tag = "Comments",
    operation_id = "CreateArticleComment",
    summary = "Comment on an article",
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = NewCommentRequest,
    security(("Token" = [])),
    responses(
        (status = 201, description = "The new comment", body = CommentBody),
        Unauthorized,
        NotFound,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewComment = wrapped_json(&body, "comment")?;
    let slug = slug.into_inner();
    let view = app::comments::add(&state.app, auth.user.id, slug, input.into()).await?;
    Ok(HttpResponse::Created().json(CommentBody {
        comment: view.into(),
    }))
}

/// `DELETE /api/articles/{slug}/comments/{id}`
#[utoipa::path(
    delete,
    path = "/api/articles/{slug}/comments/{id}",
    tag = "Comments",
    operation_id = "DeleteArticleComment",
    summary = "Delete a comment (its author only)",
    params(("slug" = String, Path, description = "The article's slug"), ("id" = i32, Path, description = "The comment's id")),
    security(("Token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized,
        Forbidden,
        NotFound,
        TooManyRequests,
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    auth: ApiUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    // A non-numeric id names no comment: 404, like any other unknown id.
    let id = id.parse::<i32>().unwrap_or(-1);
    app::comments::delete(&state.app, auth.user.id, slug, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
