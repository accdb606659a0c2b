//! `/admin/tags`: every tag with its use, renaming and merging.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{AdminFrame, Confirm, StaffUser, actor, ask, confirmed, frame};
use crate::domain::moderation::tags::{self, TagUsage};
use crate::domain::users::User;
use crate::routes::pages::session::{CsrfForm, FlashKind, flash};
use crate::routes::pages::views::{Chrome, FormErrors, form_errors};
use crate::routes::pages::{PageResult, redirect, render};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/tags.html")]
struct TagsPage {
    chrome: Chrome,
    admin: AdminFrame,
    errors: FormErrors,
    tags: Vec<TagUsage>,
    from: String,
    to: String,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    viewer: &User,
    errors: FormErrors,
    kept: (String, String),
) -> PageResult {
    let all = tags::all(&state.db).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (chrome, admin) = frame(state, req, viewer, "Tags · Admin", "/admin/tags")?;
    render(
        status,
        &TagsPage {
            chrome,
            admin,
            errors,
            tags: all,
            from: kept.0,
            to: kept.1,
        },
    )
}

/// `GET /admin/tags`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, user: StaffUser) -> PageResult {
    page(
        &state,
        &req,
        &user.0,
        FormErrors::default(),
        Default::default(),
    )
    .await
}

/// The rename form.
#[derive(Deserialize)]
pub struct RenameForm {
    from: Option<String>,
    to: Option<String>,
}

/// `POST /admin/tags/rename`
pub async fn rename(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    form: CsrfForm<RenameForm>,
) -> PageResult {
    let from = form.0.from.unwrap_or_default();
    let to = form.0.to.unwrap_or_default();
    let result = crate::app::moderation::rename_tag(
        &state.app,
        actor(&state, &req, &user.0),
        from.clone(),
        to.clone(),
    )
    .await;
    match result {
        Ok(()) => {
            flash(
                &req,
                FlashKind::Success,
                format!("Renamed “{from}” to “{}”.", to.trim()),
            );
            Ok(redirect("/admin/tags"))
        }
        Err(err) => page(&state, &req, &user.0, form_errors(err)?, (from, to)).await,
    }
}

/// The merge form.
#[derive(Deserialize)]
pub struct MergeForm {
    from: Option<String>,
    into: Option<String>,
    confirm: Option<String>,
}

/// `POST /admin/tags/merge` (asks for confirmation first)
pub async fn merge(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    form: CsrfForm<MergeForm>,
) -> PageResult {
    let form = form.0;
    let from = form.from.unwrap_or_default();
    let into = form.into.unwrap_or_default();
    if !confirmed(form.confirm.as_deref()) {
        // Mistakes (a blank name, a tag into itself) are shown on the form, not after
        // the confirmation.
        if let Err(err) = crate::domain::moderation::tags::merge_names(&from, &into) {
            return page(&state, &req, &user.0, form_errors(err)?, (from, into)).await;
        }
        return ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!(
                    "Merge “{from}” into “{into}”? Its articles are tagged “{into}” and “{from}” is removed."
                ),
                action: "/admin/tags/merge".into(),
                fields: vec![("from".into(), from), ("into".into(), into)],
                button: "Merge",
                cancel: "/admin/tags",
                reason: None,
            },
        );
    }
    let result = crate::app::moderation::merge_tags(
        &state.app,
        actor(&state, &req, &user.0),
        from.clone(),
        into.clone(),
    )
    .await;
    match result {
        Ok(()) => {
            flash(
                &req,
                FlashKind::Success,
                format!("Merged “{from}” into “{into}”."),
            );
            Ok(redirect("/admin/tags"))
        }
        Err(err) => page(&state, &req, &user.0, form_errors(err)?, (from, into)).await,
    }
}
