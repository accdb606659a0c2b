//! `/api/images` and `/api/user/images`: uploading, listing and deleting one's images
//! (Conduit's own addition to the API). Uploads are `multipart/form-data` with the file
//! in the field `image`.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::ApiUser;
use super::openapi::{Forbidden, NotFound, TooManyRequests, Unauthorized, Unprocessable};
use crate::domain::images::process::{FIELD, Purpose, too_big};
use crate::domain::images::{ImageEntry, human_size};
use crate::domain::time;
use crate::routes::multipart::{UploadError, read_upload, upload_slot};
use crate::state::AppState;

/// One stored width.
#[derive(Serialize, ToSchema)]
pub struct ImageWidthJson {
    width: i32,
    url: String,
}

/// An uploaded image as the API shows it. URLs are relative to the site.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Image)]
pub struct ImageJson {
    id: i32,
    /// The URL articles should use (the largest width up to 1280 pixels).
    url: String,
    /// Every width, largest first.
    widths: Vec<ImageWidthJson>,
    /// For an `<img srcset>`.
    srcset: String,
    /// Markdown that shows the image: `![image](url)`.
    markdown: String,
    /// `png` or `jpeg`: what is stored (uploads are re-encoded, without metadata).
    format: String,
    width: i32,
    height: i32,
    /// Bytes stored for all widths (what counts toward the quota).
    bytes: i32,
    created_at: String,
}

impl From<&ImageEntry> for ImageJson {
    fn from(entry: &ImageEntry) -> Self {
        Self {
            id: entry.image.id,
            url: entry.default_url(),
            widths: entry
                .widths
                .iter()
                .map(|&width| ImageWidthJson {
                    width,
                    url: entry.url(width),
                })
                .collect(),
            srcset: entry.srcset(),
            markdown: entry.markdown("image"),
            format: entry.image.format.clone(),
            width: entry.image.width,
            height: entry.image.height,
            bytes: entry.image.bytes,
            created_at: time::iso8601(entry.image.created_at),
        }
    }
}

/// `{"image": …}`
#[derive(Serialize, ToSchema)]
pub struct ImageBody {
    image: ImageJson,
}

/// Storage used and allowed, in bytes.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaJson {
    used_bytes: i64,
    quota_bytes: u64,
    /// Both, as people read them: `1.2 MB of 50 MB`.
    summary: String,
}

/// `{"images": […], "quota": …}`
#[derive(Serialize, ToSchema)]
pub struct ImagesBody {
    /// Newest first (the latest 100).
    images: Vec<ImageJson>,
    quota: QuotaJson,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the multipart body for the OpenAPI document"
)]
pub struct ImageUpload {
    /// A PNG, JPEG, WebP or GIF file. Its name's extension and its declared type, when
    /// given, must match its contents.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

/// `POST /api/images`
#[utoipa::path(
    post,
    path = "/api/images",
    tag = "Images",
    operation_id = "UploadImage",
    summary = "Upload an image",
    description = "A PNG, JPEG, WebP or GIF file in the multipart field `image`, up to the \
        server's byte limit (5 MB by default) and 16 megapixels. The image is decoded and \
        stored re-encoded (PNG or JPEG, without metadata) in widths for `srcset`; SVG, \
        files whose extension or declared type lies, and files with data after the image \
        are refused (422). Uploading the same file again answers the image already stored.",
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    security(("Token" = [])),
    responses(
        (status = 201, description = "The stored image", body = ImageBody),
        Unauthorized,
        Forbidden,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    auth: ApiUser,
    parts: Multipart,
) -> Result<HttpResponse, ApiError> {
    let max = state.image_limits.max_bytes;
    let _slot = upload_slot().await;
    let file = match read_upload(parts, FIELD, max, |_| true).await {
        Ok(form) => form.file.filter(|f| !f.bytes.is_empty()),
        Err(UploadError::TooLarge) => return Err(ApiError::unreadable(FIELD, too_big(max))),
        Err(UploadError::Unreadable(cause)) => {
            log::debug!("unreadable upload: {cause}");
            None
        }
        // The API's gate lets everything through.
        Err(UploadError::Refused) => None,
    };
    let file = file.ok_or_else(|| {
        ApiError::unreadable(
            FIELD,
            "is missing: send multipart/form-data with the file in the field `image`",
        )
    })?;
    let entry = crate::app::images::upload(
        &state.app,
        state.image_limits,
        auth.user.id,
        file,
        Purpose::Article,
    )
    .await?;
    Ok(HttpResponse::Created().json(ImageBody {
        image: (&entry).into(),
    }))
}

/// `GET /api/user/images`
#[utoipa::path(
    get,
    path = "/api/user/images",
    tag = "Images",
    operation_id = "GetMyImages",
    summary = "The caller's images and storage quota",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The images, newest first", body = ImagesBody),
        Unauthorized,
    )
)]
pub async fn mine(state: web::Data<AppState>, auth: ApiUser) -> Result<HttpResponse, ApiError> {
    let (list, used) = crate::app::images::mine(&state.app, auth.user.id).await?;
    let quota = state.image_limits.quota_bytes;
    Ok(HttpResponse::Ok().json(ImagesBody {
        images: list.iter().map(Into::into).collect(),
        quota: QuotaJson {
            used_bytes: used,
            quota_bytes: quota,
            summary: format!(
                "{} of {}",
                human_size(u64::try_from(used).unwrap_or(0)),
                human_size(quota)
            ),
        },
    }))
}

/// `DELETE /api/images/{id}`
#[utoipa::path(
    delete,
    path = "/api/images/{id}",
    tag = "Images",
    operation_id = "DeleteImage",
    summary = "Delete one of the caller's images",
    description = "Its URLs answer 404 from then on.",
    params(("id" = i32, Path, description = "The image's id")),
    security(("Token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized,
        Forbidden,
        NotFound,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    auth: ApiUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    crate::app::images::delete_own(&state.app, auth.user.id, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
