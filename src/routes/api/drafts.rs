//! `/api/user/drafts`: the signed-in author's unpublished articles. Drafts are made and
//! published through `POST /api/articles` and `PUT /api/articles/{slug}` with
//! `"published"` (and `"publishAt"` to schedule one).

use actix_web::{HttpResponse, web};

use super::dto::{ArticleSummary, ArticlesBody};
use super::error::ApiError;
use super::extract::ApiUser;
use super::openapi::Unauthorized;
use crate::app;
use crate::state::AppState;

/// `GET /api/user/drafts`
#[utoipa::path(
    get,
    path = "/api/user/drafts",
    tag = "Articles",
    operation_id = "GetDrafts",
    summary = "Your drafts",
    description = "Your unpublished articles, last edited first (at most 100). Nobody else \
        sees them: they are in no list, and their slugs answer 404 to everyone but you. \
        Save one with `\"published\": false` on `POST /api/articles`, schedule it with \
        `\"publishAt\"`, publish it with `\"published\": true` on `PUT /api/articles/{slug}`.",
    security(("Token" = [])),
    responses(
        (status = 200, description = "Your drafts", body = ArticlesBody),
        Unauthorized,
    )
)]
pub async fn list(state: web::Data<AppState>, auth: ApiUser) -> Result<HttpResponse, ApiError> {
    let drafts = app::articles::drafts(&state.app, auth.user.id).await?;
    Ok(HttpResponse::Ok().json(ArticlesBody {
        articles_count: i64::try_from(drafts.len()).unwrap_or(i64::MAX),
        articles: drafts.into_iter().map(ArticleSummary::new).collect(),
    }))
}
