//! `/api/reports`: users report content or people; staff read the open queue.
//! Kept apart from the RealWorld handlers (it is Conduit's own addition to the API).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::NewReportRequest;
use super::error::ApiError;
use super::extract::{ApiUser, wrapped_json};
use super::input::NewReport;
use super::openapi::{
    Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable,
};
use crate::domain::access_tokens::Scope;
use crate::domain::moderation::reports::{self, Report, ReportInput, ReportView};
use crate::domain::time;
use crate::error::AppError;
use crate::state::AppState;

/// A report as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportDto {
    /// Id.
    pub id: i32,
    /// `article`, `comment` or `user`.
    pub kind: String,
    /// Slug, comment id or username.
    pub target: String,
    /// The reporter's words.
    pub reason: String,
    /// `open` or `resolved`.
    pub status: String,
    /// Reporter's username (staff views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// ISO 8601 filing time.
    pub created_at: String,
}

impl ReportDto {
    fn of(report: Report, reporter: Option<String>) -> Self {
        Self {
            id: report.id,
            target: if report.target_kind == "comment" {
                report.target_id.to_string()
            } else {
                report.target_label
            },
            kind: report.target_kind,
            reason: report.reason,
            status: report.status,
            reporter,
            created_at: time::iso8601(report.created_at),
        }
    }
}

/// `{"report": …}`
#[derive(Serialize, ToSchema)]
pub struct ReportBody {
    report: ReportDto,
}

/// `{"reports": […], "reportsCount": n}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportsBody {
    reports: Vec<ReportDto>,
    reports_count: i64,
}

/// `POST /api/reports` with `{"report": {"kind", "target", "reason"}}`: 201 with the
/// report; 404 for a missing target, 422 for bad input.
#[utoipa::path(
    post,
    path = "/api/reports",
    tag = "Reports",
    operation_id = "CreateReport",
    summary = "Report an article, a comment or a user to the moderators",
    request_body = NewReportRequest,
    security(("Token" = [])),
    responses(
        (status = 201, description = "The report, filed", body = ReportBody),
        Unauthorized,
        Forbidden,
        NotFound,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: ReportInput = wrapped_json::<NewReport>(&body, "report")?.into();
    let report = reports::file(&state.db, &auth.user, input).await?;
    Ok(HttpResponse::Created().json(ReportBody {
        report: ReportDto::of(report, None),
    }))
}

/// `?limit=&offset=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Page size.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// Reports to skip.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10_000_000, default = 0)]
    offset: Option<String>,
}

/// `GET /api/reports`: the open reports, oldest first (staff only, else 403; an access
/// token needs the `admin` scope).
#[utoipa::path(
    get,
    path = "/api/reports",
    tag = "Reports",
    operation_id = "GetOpenReports",
    summary = "The open reports, oldest first (moderators and admins)",
    params(QueueQuery),
    security(("Token" = ["admin"])),
    responses(
        (status = 200, description = "A page of open reports", body = ReportsBody),
        Unauthorized,
        Forbidden,
        Unprocessable,
    )
)]
pub async fn open(
    state: web::Data<AppState>,
    auth: ApiUser,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    if !auth.user.is_staff() {
        return Err(AppError::Forbidden("reports").into());
    }
    auth.require(Scope::Admin)?;
    let page = crate::domain::articles::PageRequest::parse(
        query.limit.as_deref(),
        query.offset.as_deref(),
    )?;
    let (views, total) = reports::list(&state.db, "open", page.limit, page.offset).await?;
    Ok(HttpResponse::Ok().json(ReportsBody {
        reports: views
            .into_iter()
            .map(
                |ReportView {
                     report, reporter, ..
                 }| ReportDto::of(report, Some(reporter)),
            )
            .collect(),
        reports_count: total,
    }))
}
