//! `GET /images/{key}-{width}.{ext}`: a stored image, to everyone. The name is derived
//! from the content, so the file at a URL never changes: browsers and proxies may keep
//! it for a year. A deleted image is gone from the database, so every instance answers
//! 404 at once.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::PageResult;
use crate::domain::images;
use crate::error::AppError;
use crate::middleware::http_cache::none_match_hits;
use crate::state::AppState;

/// `GET /images/{file}`
pub async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> PageResult {
    let name = name.into_inner();
    let (key, width, ext) = images::parse_file_name(&name).ok_or(AppError::NotFound("image"))?;
    let (key, ext) = (key.to_owned(), ext.to_owned());
    let etag = format!("\"{key}-{width}\"");
    let found = state
        .db
        .run(move |conn| Ok::<_, AppError>(images::file(conn, &key, width, &ext)?))
        .await?
        .ok_or(AppError::NotFound("image"))?;
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|wanted| none_match_hits(wanted, &etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Opened on its own, an image is never a page that runs anything.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type(found.content_type).body(found.data))
}
