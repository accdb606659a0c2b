//! The member's images: `/settings/images` lists them (Markdown to copy, sizes, the
//! quota) and takes uploads by a plain multipart form, or by the editor's script, which
//! asks for JSON; `/settings/picture` makes an upload the profile picture; and
//! `/images/{key}-{width}.{ext}` serves the stored files to everyone.

mod serve;
mod upload;

pub use serve::file;
pub use upload::{picture, picture_form, upload};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use super::auth::EmptyForm;
use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::{Chrome, FormErrors};
use super::{PageResult, redirect, render};
use crate::domain::images::{ImageEntry, human_size};
use crate::state::AppState;

/// One image as the list shows it.
pub struct ImageRow {
    /// Its id, for the delete form.
    pub id: i32,
    /// The URL of its smallest width, for the thumbnail.
    pub thumbnail: String,
    /// The Markdown that shows it in an article.
    pub markdown: String,
    /// `1280 × 720`.
    pub dimensions: String,
    /// Stored size, all widths together.
    pub size: String,
    /// Widths served.
    pub widths: String,
    /// When it was uploaded.
    pub uploaded: String,
}

impl ImageRow {
    /// The row for `entry`.
    pub fn of(entry: &ImageEntry) -> Self {
        Self {
            id: entry.image.id,
            thumbnail: entry.url(entry.widths.last().copied().unwrap_or(entry.image.width)),
            markdown: entry.markdown("image"),
            dimensions: format!("{} × {}", entry.image.width, entry.image.height),
            size: human_size(u64::try_from(entry.image.bytes).unwrap_or(0)),
            widths: entry
                .widths
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            uploaded: super::views::date(entry.image.created_at),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/images.html")]
struct ImagesPage {
    chrome: Chrome,
    errors: FormErrors,
    images: Vec<ImageRow>,
    used: String,
    quota: String,
    max_upload: String,
}

/// The images page for `user`, with `errors` from a refused upload.
async fn page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let (list, used) = crate::app::images::mine(&state.app, user.0.id).await?;
    render(
        status,
        &ImagesPage {
            chrome: Chrome::new(state, req, Some(&user.0), "Your images", "settings")?,
            errors,
            images: list.iter().map(ImageRow::of).collect(),
            used: human_size(u64::try_from(used).unwrap_or(0)),
            quota: human_size(state.image_limits.quota_bytes),
            max_upload: human_size(state.image_limits.max_bytes as u64),
        },
    )
}

/// `GET /settings/images`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser) -> PageResult {
    page(&state, &req, &user, StatusCode::OK, FormErrors::default()).await
}

/// `POST /settings/images/{id}/delete`
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    crate::app::images::delete_own(&state.app, user.0.id, id.into_inner()).await?;
    session::flash(&req, FlashKind::Info, "The image was deleted.");
    Ok(redirect("/settings/images"))
}
