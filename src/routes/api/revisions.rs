//! `/api/articles/{slug}/revisions`: an article's history for its author and staff.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::ApiUser;
use super::openapi::{NotFound, Unauthorized};
use crate::domain::revisions::RevisionEntry;
use crate::domain::time::iso8601;
use crate::state::AppState;

/// `{"revisions": […], "revisionsCount": n}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionsBody {
    /// Newest first. At most 50 are kept: the original (number 1) and the newest 49.
    revisions: Vec<RevisionJson>,
    /// How many are listed.
    revisions_count: usize,
}

/// One saved version of an article, without its body (the history pages show diffs).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Revision)]
pub struct RevisionJson {
    /// 1 for the original, one more per save that changed something.
    number: i32,
    /// Username of whoever saved it.
    editor: String,
    /// When it was saved (ISO-8601 UTC).
    created_at: String,
    /// The title as saved.
    title: String,
    /// Body lines added since the revision before it.
    added_lines: i32,
    /// Body lines removed since the revision before it.
    removed_lines: i32,
}

impl From<RevisionEntry> for RevisionJson {
    fn from(r: RevisionEntry) -> Self {
        Self {
            number: r.number,
            editor: r.editor,
            created_at: iso8601(r.created_at),
            title: r.title,
            added_lines: r.added_lines,
            removed_lines: r.removed_lines,
        }
    }
}

/// `GET /api/articles/{slug}/revisions`
#[utoipa::path(
    get,
    path = "/api/articles/{slug}/revisions",
    tag = "Articles",
    operation_id = "GetArticleRevisions",
    summary = "An article's revisions",
    description = "For the article's author and staff; to anyone else the article is \
        not found.",
    params(("slug" = String, Path, description = "The article's slug")),
    security(("Token" = [])),
    responses(
        (status = 200, description = "The revisions, newest first", body = RevisionsBody),
        Unauthorized,
        NotFound,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let history =
        crate::app::revisions::history(&state.app, Some(auth.user.id), slug.into_inner()).await?;
    let revisions: Vec<RevisionJson> = history.revisions.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(RevisionsBody {
        revisions_count: revisions.len(),
        revisions,
    }))
}
