//! `/api/tags`

use actix_web::{HttpResponse, web};

use super::dto::TagsBody;
use super::error::ApiError;
use crate::state::AppState;

/// `GET /api/tags`: tags in use, most used first.
#[utoipa::path(
    get,
    path = "/api/tags",
    tag = "Tags",
    operation_id = "GetTags",
    summary = "Tags in use",
    responses(
        (status = 200, description = "Up to 100 tags, most used first", body = TagsBody),
    )
)]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tags = crate::app::reads::popular_tags(&state.app).await?;
    Ok(HttpResponse::Ok().json(TagsBody {
        tags: tags.as_ref().clone(),
    }))
}
