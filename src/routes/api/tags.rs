//! `/api/tags`

use actix_web::{HttpResponse, web};

use super::dto::TagsBody;
use super::error::ApiError;
use crate::domain::tags;
use crate::state::AppState;

/// `GET /api/tags`: tags in use, most used first.
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tags = tags::popular(&state.db).await?;
    Ok(HttpResponse::Ok().json(TagsBody { tags }))
}
