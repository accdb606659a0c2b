//! `/admin/reports`: the open-reports queue (and the resolved ones), resolved one by one
//! with an action and a note.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{AdminFrame, Confirm, StaffUser, actor, ask, confirmed, frame, page_and_offset};
use crate::domain::moderation::reports::{self, ACTIONS, ReportView, Resolution};
use crate::domain::users::User;
use crate::routes::pages::home::path_segment;
use crate::routes::pages::session::{CsrfForm, FlashKind, flash};
use crate::routes::pages::views::{Chrome, FormErrors, PAGE_SIZE, Pagination, date, form_errors};
use crate::routes::pages::{PageResult, redirect, render};
use crate::state::AppState;

/// A report as the queue shows it.
struct ReportItem {
    id: i32,
    kind: String,
    label: String,
    href: String,
    reason: String,
    reporter: String,
    date: String,
    outcome: Option<String>,
}

impl ReportItem {
    fn of(view: ReportView) -> Self {
        let report = view.report;
        let label = path_segment(&report.target_label);
        let href = match report.target_kind.as_str() {
            "article" => format!("/article/{label}"),
            // The window of the thread that ends with the comment, however old it is.
            "comment" => format!(
                "/article/{label}?before={}#comment-{}",
                report.target_id.saturating_add(1),
                report.target_id
            ),
            _ => format!("/admin/users/{label}"),
        };
        let outcome = report.resolution_action.as_ref().map(|action| {
            format!(
                "{action} by {}: {}",
                view.resolver.as_deref().unwrap_or("a former member"),
                report.resolution_note.as_deref().unwrap_or_default()
            )
        });
        Self {
            id: report.id,
            label: match report.target_kind.as_str() {
                "comment" => format!("comment #{} on {}", report.target_id, report.target_label),
                _ => report.target_label.clone(),
            },
            kind: report.target_kind,
            href,
            reason: report.reason,
            reporter: view.reporter,
            date: date(report.created_at),
            outcome,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/reports.html")]
struct ReportsPage {
    chrome: Chrome,
    admin: AdminFrame,
    errors: FormErrors,
    open: bool,
    total: i64,
    reports: Vec<ReportItem>,
    pagination: Pagination,
    actions: [&'static str; 3],
    kept_id: i32,
    kept_note: String,
}

/// `?status=&page=`
#[derive(Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    page: Option<String>,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    viewer: &User,
    open: bool,
    page_raw: Option<&str>,
    errors: FormErrors,
    kept: (i32, String),
) -> PageResult {
    let (page, offset) = page_and_offset(page_raw);
    let status = if open { "open" } else { "resolved" };
    let (views, total) = reports::list(&state.db, status, PAGE_SIZE, offset).await?;
    let base = format!("/admin/reports?status={status}");
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (chrome, admin) = frame(state, req, viewer, "Reports · Admin", "/admin/reports")?;
    render(
        code,
        &ReportsPage {
            chrome,
            admin,
            errors,
            open,
            total,
            reports: views.into_iter().map(ReportItem::of).collect(),
            pagination: Pagination::new(&base, page, total),
            actions: ACTIONS,
            kept_id: kept.0,
            kept_note: kept.1,
        },
    )
}

/// `GET /admin/reports`
pub async fn queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    query: web::Query<QueueQuery>,
) -> PageResult {
    let open = query.status.as_deref() != Some("resolved");
    page(
        &state,
        &req,
        &user.0,
        open,
        query.page.as_deref(),
        FormErrors::default(),
        (0, String::new()),
    )
    .await
}

/// The resolve form.
#[derive(Deserialize)]
pub struct ResolveForm {
    action: Option<String>,
    note: Option<String>,
    confirm: Option<String>,
}

/// `POST /admin/reports/{id}/resolve` (deleting the content asks for confirmation first)
pub async fn resolve(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ResolveForm>,
) -> PageResult {
    let id: i32 = id
        .parse()
        .map_err(|_| crate::error::AppError::NotFound("report"))?;
    let form = form.0;
    let note = form.note.clone().unwrap_or_default();
    if form.action.as_deref() == Some("delete")
        && !note.trim().is_empty()
        && !confirmed(form.confirm.as_deref())
    {
        let report = reports::get(&state.db, id).await?;
        return ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!(
                    "Resolve report #{id} by deleting the reported {} “{}”? This cannot be undone.",
                    report.target_kind, report.target_label
                ),
                action: format!("/admin/reports/{id}/resolve"),
                fields: vec![("action".into(), "delete".into()), ("note".into(), note)],
                button: "Delete and resolve",
                cancel: "/admin/reports",
                reason: None,
            },
        );
    }
    let resolution = Resolution {
        action: form.action,
        note: form.note,
    };
    match crate::app::moderation::resolve_report(
        &state.app,
        actor(&state, &req, &user.0),
        id,
        resolution,
    )
    .await
    {
        Ok(()) => {
            flash(
                &req,
                FlashKind::Success,
                format!("Report #{id} is resolved."),
            );
            Ok(redirect("/admin/reports"))
        }
        Err(err) => {
            let errors = form_errors(err)?;
            page(&state, &req, &user.0, true, None, errors, (id, note)).await
        }
    }
}
