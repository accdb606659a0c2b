//! `/report`: any signed-in user reports an article, a comment or a user to the staff.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::home::path_segment;
use super::session::{CsrfForm, CurrentUser, FlashKind, flash};
use super::views::{Chrome, FormErrors, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::domain::moderation::reports::{self, ReportInput};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/report.html")]
struct ReportPage {
    chrome: Chrome,
    errors: FormErrors,
    kind: String,
    target: String,
    reason: String,
}

impl ReportPage {
    fn what(&self) -> String {
        match self.kind.as_str() {
            "comment" => format!("comment #{}", self.target),
            "user" => format!("the user {}", self.target),
            _ => format!("the article “{}”", self.target),
        }
    }
}

/// The form's fields (also the query string of the link that opens it).
#[derive(Deserialize)]
pub struct ReportForm {
    kind: Option<String>,
    target: Option<String>,
    reason: Option<String>,
}

/// `GET /report?kind=&target=`
pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ReportForm>,
) -> PageResult {
    ok(&ReportPage {
        chrome: Chrome::new(&state, &req, Some(&user.0), "Report", "")?,
        errors: FormErrors::default(),
        kind: query.kind.clone().unwrap_or_default(),
        target: query.target.clone().unwrap_or_default(),
        reason: String::new(),
    })
}

/// `POST /report`
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<ReportForm>,
) -> PageResult {
    let form = form.0;
    let kept = (
        form.kind.clone().unwrap_or_default(),
        form.target.clone().unwrap_or_default(),
        form.reason.clone().unwrap_or_default(),
    );
    let input = ReportInput {
        kind: form.kind,
        target: form.target,
        reason: form.reason,
    };
    match reports::file(&state.db, &user.0, input).await {
        Ok(report) => {
            flash(
                &req,
                FlashKind::Success,
                "Thank you: the moderators will look at your report.",
            );
            let label = path_segment(&report.target_label);
            Ok(redirect(&match report.target_kind.as_str() {
                "user" => format!("/profile/{label}"),
                _ => format!("/article/{label}"),
            }))
        }
        Err(err) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ReportPage {
                chrome: Chrome::new(&state, &req, Some(&user.0), "Report", "")?,
                errors: form_errors(err)?,
                kind: kept.0,
                target: kept.1,
                reason: kept.2,
            },
        ),
    }
}
