//! `/admin/images`: the latest uploads of everyone, each with a button that removes it
//! (audited as `image.remove`).

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{AdminFrame, StaffUser, actor, frame};
use crate::error::AppError;
use crate::routes::pages::auth::EmptyForm;
use crate::routes::pages::images::ImageRow;
use crate::routes::pages::session::{CsrfForm, FlashKind, flash};
use crate::routes::pages::views::Chrome;
use crate::routes::pages::{PageResult, ok, redirect};
use crate::state::AppState;

/// Uploads listed.
const RECENT: i64 = 100;

/// An upload and who made it.
struct Upload {
    image: ImageRow,
    owner: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/images.html")]
struct ImagesPage {
    chrome: Chrome,
    admin: AdminFrame,
    uploads: Vec<Upload>,
}

/// `GET /admin/images`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, user: StaffUser) -> PageResult {
    let recent = crate::app::images::recent(&state.app, RECENT).await?;
    let (chrome, admin) = frame(&state, &req, &user.0, "Images · Admin", "/admin/images")?;
    ok(&ImagesPage {
        chrome,
        admin,
        uploads: recent
            .iter()
            .map(|(entry, owner)| Upload {
                image: ImageRow::of(entry),
                owner: owner.clone(),
            })
            .collect(),
    })
}

/// `POST /admin/images/{id}/remove`
pub async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    id: web::Path<i32>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    match crate::app::images::remove(&state.app, actor(&state, &req, &user.0), id.into_inner())
        .await
    {
        Ok(()) => flash(&req, FlashKind::Success, "The image was removed."),
        // Another staff member (or its owner) was quicker: the outcome is the same.
        Err(AppError::NotFound(_)) => flash(&req, FlashKind::Info, "That image was already gone."),
        Err(other) => return Err(other.into()),
    }
    Ok(redirect("/admin/images"))
}
