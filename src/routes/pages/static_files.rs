//! `/static/…`: the embedded files. URLs carry a content fingerprint, so they may be
//! cached for a year.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::errors::PageError;
use crate::assets::Assets;
use crate::error::AppError;

/// `GET /static/{path}`
pub async fn serve(path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let asset = Assets::get(&path).ok_or(AppError::NotFound("file"))?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.bytes))
}
