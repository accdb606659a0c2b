//! `/admin/audit`: the audit log, newest first, filtered by action, actor, target kind
//! and target (admins only).

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{AdminFrame, AdminUser, frame, page_and_offset, query_value};
use crate::domain::audit::{self, AuditFilter, AuditRow};
use crate::routes::pages::views::{Chrome, PAGE_SIZE, Pagination};
use crate::routes::pages::{PageResult, ok};
use crate::state::AppState;

/// The filter form.
#[derive(Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    kind: Option<String>,
    target: Option<String>,
    page: Option<String>,
}

/// Target kinds offered in the filter.
const KINDS: [&str; 6] = ["user", "article", "comment", "tag", "report", "job"];

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    admin: AdminFrame,
    action: String,
    actor: String,
    kind: String,
    target: String,
    kinds: [&'static str; 6],
    total: i64,
    rows: Vec<AuditRow>,
    pagination: Pagination,
}

fn given(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `GET /admin/audit`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AdminUser,
    query: web::Query<AuditQuery>,
) -> PageResult {
    let filter = AuditFilter {
        action: given(query.action.as_ref()),
        actor: given(query.actor.as_ref()),
        target_kind: given(query.kind.as_ref()),
        target: given(query.target.as_ref()),
    };
    let (page, offset) = page_and_offset(query.page.as_deref());
    let (rows, total) = audit::list(&state.db, filter.clone(), PAGE_SIZE, offset).await?;
    let shown = |v: &Option<String>| v.clone().unwrap_or_default();
    let base = format!(
        "/admin/audit?action={}&actor={}&kind={}&target={}",
        query_value(&shown(&filter.action)),
        query_value(&shown(&filter.actor)),
        query_value(&shown(&filter.target_kind)),
        query_value(&shown(&filter.target)),
    );
    let (chrome, admin) = frame(&state, &req, &user.0, "Audit log · Admin", "/admin/audit")?;
    ok(&AuditPage {
        chrome,
        admin,
        action: shown(&filter.action),
        actor: shown(&filter.actor),
        kind: shown(&filter.target_kind),
        target: shown(&filter.target),
        kinds: KINDS,
        total,
        pagination: Pagination::new(&base, page, total),
        rows,
    })
}
