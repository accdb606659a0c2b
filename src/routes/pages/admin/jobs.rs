//! `/admin/jobs`: queue counts by state and kind, the backlog, the dead jobs with their last error,
//! and retry or discard (confirmed) buttons.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{AdminFrame, AdminUser, actor, frame};
use crate::domain::users::User;
use crate::error::AppError;
use crate::jobs::{queue, staff};
use crate::routes::pages::auth::EmptyForm;
use crate::routes::pages::session::{self, CsrfForm, FlashKind};
use crate::routes::pages::views::{Chrome, date};
use crate::routes::pages::{PageResult, ok, redirect};
use crate::state::AppState;

/// Dead jobs listed.
const DEAD_SHOWN: i64 = 50;

/// One (state, kind) count.
struct CountLine {
    state: String,
    kind: String,
    count: i64,
}

/// A dead job as listed.
struct DeadLine {
    id: i32,
    kind: String,
    attempts: i32,
    error: String,
    payload: String,
    when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/jobs.html")]
struct AdminJobsPage {
    chrome: Chrome,
    admin: AdminFrame,
    counts: Vec<CountLine>,
    /// Jobs due now and how long the oldest has waited, in whole seconds.
    due: i64,
    oldest_wait_secs: u64,
    dead: Vec<DeadLine>,
    confirm_discard: Option<i32>,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    user: &User,
    confirm_discard: Option<i32>,
) -> PageResult {
    let (counts, backlog, dead) = state
        .db
        .run(|conn| {
            let counts = queue::counts(conn)?;
            let backlog = queue::backlog(conn)?;
            let dead = queue::dead(conn, DEAD_SHOWN)?;
            Ok::<_, AppError>((counts, backlog, dead))
        })
        .await?;
    let (chrome, admin) = frame(state, req, user, "Jobs", "/admin/jobs")?;
    ok(&AdminJobsPage {
        chrome,
        admin,
        counts: counts
            .into_iter()
            .map(|(state, kind, count)| CountLine { state, kind, count })
            .collect(),
        due: backlog.due,
        oldest_wait_secs: backlog.oldest_wait.as_secs(),
        dead: dead
            .into_iter()
            .map(|job| DeadLine {
                when: format!(
                    "{} {}",
                    date(job.updated_at),
                    job.updated_at.format("%H:%M:%S")
                ),
                id: job.id,
                kind: job.kind,
                attempts: job.attempts,
                error: job.last_error.unwrap_or_default(),
                payload: job.payload,
            })
            .collect(),
        confirm_discard,
    })
}

/// `GET /admin/jobs`
pub async fn show(state: web::Data<AppState>, req: HttpRequest, user: AdminUser) -> PageResult {
    page(&state, &req, &user.0, None).await
}

/// `POST /admin/jobs/{id}/retry`
pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AdminUser,
    id: web::Path<i32>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    let id = id.into_inner();
    let retried = staff::retry(&state.db, actor(&state, &req, &user.0), id).await?;
    let message = if retried {
        format!("Job {id} is queued again.")
    } else {
        format!("Job {id} is no longer dead.")
    };
    session::flash(&req, FlashKind::Info, message);
    Ok(redirect("/admin/jobs"))
}

/// Confirmation flag of the discard form.
#[derive(Deserialize)]
pub struct DiscardForm {
    confirm: Option<String>,
}

/// `POST /admin/jobs/{id}/discard`: the first press asks to confirm.
pub async fn discard(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AdminUser,
    id: web::Path<i32>,
    form: CsrfForm<DiscardForm>,
) -> PageResult {
    let id = id.into_inner();
    if form.0.confirm.as_deref() != Some("yes") {
        return page(&state, &req, &user.0, Some(id)).await;
    }
    let message = if staff::discard(&state.db, actor(&state, &req, &user.0), id).await? {
        format!("Job {id} was discarded.")
    } else {
        format!("Job {id} is no longer dead.")
    };
    session::flash(&req, FlashKind::Info, message);
    Ok(redirect("/admin/jobs"))
}
