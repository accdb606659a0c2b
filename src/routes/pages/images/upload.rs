//! Uploads from the site: `POST /settings/images` (a plain multipart form, or the
//! editor's script asking for JSON) and the profile picture at `/settings/picture`.
//! The CSRF token comes as the form's first field (or an `X-CSRF-Token` header), and is
//! checked before a byte of the file is read.

use actix_multipart::Multipart;
use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde_json::json;

use super::super::session::{self, CSRF_FIELD, CurrentUser, FlashKind};
use super::super::views::{Chrome, FormErrors, form_errors};
use super::super::{PageError, PageResult, redirect, render};
use crate::domain::images::process::{FIELD, Upload, too_big};
use crate::domain::images::{ImageEntry, human_size};
use crate::error::{AppError, FieldErrors};
use crate::routes::multipart::{UploadError, read_upload, upload_slot};
use crate::state::AppState;

/// The header a script may send the CSRF token in.
const CSRF_HEADER: &str = "x-csrf-token";

/// Reads the upload of `parts` once its CSRF token checks out: the file, or a message
/// for the form.
async fn received(
    state: &AppState,
    req: &HttpRequest,
    parts: Multipart,
) -> Result<Result<Upload, AppError>, PageError> {
    let session = req.get_session();
    let header_token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let gate = |fields: &[(String, String)]| {
        let presented = header_token.as_deref().or_else(|| {
            fields
                .iter()
                .find(|(name, _)| name == CSRF_FIELD)
                .map(|(_, value)| value.as_str())
        });
        presented.is_some_and(|token| session::csrf_matches(&session, token))
    };
    let max = state.image_limits.max_bytes;
    let refused = |message: String| {
        Ok(Err(AppError::Validation(FieldErrors::single(
            FIELD, message,
        ))))
    };
    match read_upload(parts, FIELD, max, gate).await {
        Err(UploadError::Refused) => Err(PageError::Csrf),
        Err(UploadError::TooLarge) => refused(too_big(max)),
        Err(UploadError::Unreadable(cause)) => {
            log::debug!("unreadable upload: {cause}");
            refused("could not be read: choose a file and send the form again".into())
        }
        Ok(form) => match form.file {
            Some(file) if !file.bytes.is_empty() => Ok(Ok(file)),
            _ => refused("is missing: choose an image file to upload".into()),
        },
    }
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

/// What the editor's script gets for a stored image.
fn image_json(entry: &ImageEntry) -> serde_json::Value {
    json!({
        "image": {
            "id": entry.image.id,
            "url": entry.default_url(),
            "srcset": entry.srcset(),
            "markdown": entry.markdown("image"),
            "width": entry.image.width,
            "height": entry.image.height,
            "bytes": entry.image.bytes,
        }
    })
}

/// `POST /settings/images` (multipart: `csrf_token`, then `image`).
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    parts: Multipart,
) -> PageResult {
    let json = wants_json(&req);
    let _slot = upload_slot().await;
    let stored = match received(&state, &req, parts).await? {
        Ok(file) => {
            crate::app::images::upload(
                &state.app,
                state.image_limits,
                user.0.id,
                file,
                crate::domain::images::process::Purpose::Article,
            )
            .await
        }
        Err(refused) => Err(refused),
    };
    match stored {
        Ok(entry) if json => Ok(HttpResponse::Created().json(image_json(&entry))),
        Ok(entry) => {
            session::flash(
                &req,
                FlashKind::Success,
                format!(
                    "Uploaded: {} × {}, {}.",
                    entry.image.width,
                    entry.image.height,
                    human_size(u64::try_from(entry.image.bytes).unwrap_or(0))
                ),
            );
            Ok(redirect("/settings/images"))
        }
        Err(AppError::Validation(errors)) if json => {
            Ok(HttpResponse::UnprocessableEntity().json(json!({ "errors": errors })))
        }
        Err(err) => {
            let errors = form_errors(err)?;
            super::page(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/picture.html")]
struct PicturePage {
    chrome: Chrome,
    errors: FormErrors,
}

/// `GET /settings/picture`: the upload form alone (also where a refused upload lands).
pub async fn picture_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> PageResult {
    render(
        StatusCode::OK,
        &PicturePage {
            chrome: Chrome::new(&state, &req, Some(&user.0), "Profile picture", "settings")?,
            errors: FormErrors::default(),
        },
    )
}

/// `POST /settings/picture` (multipart: `csrf_token`, then `image`): the upload, cropped
/// square, becomes the profile picture.
pub async fn picture(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    parts: Multipart,
) -> PageResult {
    let _slot = upload_slot().await;
    let saved = match received(&state, &req, parts).await? {
        Ok(file) => {
            crate::app::images::set_avatar(
                &state.app,
                state.image_limits,
                state.bcrypt_cost,
                user.0.id,
                file,
                &state.public_url,
                state.client_ip(&req),
            )
            .await
        }
        Err(refused) => Err(refused),
    };
    match saved {
        Ok(_) => {
            session::flash(
                &req,
                FlashKind::Success,
                "Your profile picture was updated.",
            );
            Ok(redirect("/settings"))
        }
        Err(err) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PicturePage {
                chrome: Chrome::new(&state, &req, Some(&user.0), "Profile picture", "settings")?,
                errors: form_errors(err)?,
            },
        ),
    }
}
