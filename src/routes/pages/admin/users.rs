//! `/admin/users`: the searchable list and one account's page with its staff actions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{
    AdminFrame, AdminUser, Confirm, StaffUser, actor, ask, confirmed, frame, page_and_offset,
    query_value,
};
use crate::domain::audit::{self, AuditFilter, AuditRow};
use crate::domain::moderation::{accounts, search};
use crate::domain::roles::Role;
use crate::domain::time;
use crate::domain::users::User;
use crate::routes::pages::home::path_segment;
use crate::routes::pages::session::{CsrfForm, FlashKind, flash};
use crate::routes::pages::views::{Chrome, FormErrors, PAGE_SIZE, Pagination, date, form_errors};
use crate::routes::pages::{PageResult, ok, redirect, render};
use crate::state::AppState;

/// `?q=&page=` of the admin lists.
#[derive(Deserialize)]
pub struct ListQuery {
    /// Search term.
    pub q: Option<String>,
    /// 1-based page.
    pub page: Option<String>,
}

/// A row of the users table.
struct UserRow {
    username: String,
    email: String,
    role: &'static str,
    joined: String,
    suspended: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    admin: AdminFrame,
    q: String,
    total: i64,
    users: Vec<UserRow>,
    pagination: Pagination,
}

/// `GET /admin/users`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    query: web::Query<ListQuery>,
) -> PageResult {
    let q = query.q.clone().unwrap_or_default();
    let (page, offset) = page_and_offset(query.page.as_deref());
    let found = search::users(&state.db, q.clone(), PAGE_SIZE, offset).await?;
    let now = time::now();
    let users = found
        .rows
        .iter()
        .map(|u| UserRow {
            username: u.username.clone(),
            email: u.email.clone(),
            role: u.role().as_str(),
            joined: date(u.created_at),
            suspended: u.suspension(now).is_some(),
        })
        .collect();
    let base = format!("/admin/users?q={}", query_value(&q));
    let (chrome, admin) = frame(&state, &req, &user.0, "Users · Admin", "/admin/users")?;
    ok(&UsersPage {
        chrome,
        admin,
        total: found.total,
        pagination: Pagination::new(&base, page, found.total),
        users,
        q,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user.html")]
struct UserPage {
    chrome: Chrome,
    admin: AdminFrame,
    errors: FormErrors,
    member: User,
    href: String,
    role: &'static str,
    suspension: Option<String>,
    joined: String,
    reason: String,
    until: String,
    roles: Vec<&'static str>,
    history: Vec<AuditRow>,
}

async fn user_page(
    state: &AppState,
    req: &HttpRequest,
    viewer: &User,
    username: String,
    errors: FormErrors,
    kept: (String, String),
) -> PageResult {
    let member = accounts::get(&state.db, username).await?;
    // The account's own trail, for admins (who may read the audit log).
    let history = if viewer.role() == Role::Admin {
        let filter = AuditFilter {
            target_kind: Some("user".into()),
            target: Some(member.username.clone()),
            ..AuditFilter::default()
        };
        audit::list(&state.db, filter, 10, 0).await?.0
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (chrome, admin) = frame(state, req, viewer, &member.username, "/admin/users")?;
    render(
        status,
        &UserPage {
            chrome,
            admin,
            errors,
            href: format!("/admin/users/{}", path_segment(&member.username)),
            role: member.role().as_str(),
            suspension: member.suspension(time::now()).map(|s| s.message()),
            joined: date(member.created_at),
            reason: kept.0,
            until: kept.1,
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            history,
            member,
        },
    )
}

/// `GET /admin/users/{username}`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    username: web::Path<String>,
) -> PageResult {
    user_page(
        &state,
        &req,
        &user.0,
        username.into_inner(),
        FormErrors::default(),
        Default::default(),
    )
    .await
}

/// The suspend form.
#[derive(Deserialize)]
pub struct SuspendForm {
    reason: Option<String>,
    until: Option<String>,
    confirm: Option<String>,
}

/// `POST /admin/users/{username}/suspend` (asks for confirmation first)
pub async fn suspend(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    username: web::Path<String>,
    form: CsrfForm<SuspendForm>,
) -> PageResult {
    let username = username.into_inner();
    let form = form.0;
    let href = format!("/admin/users/{}", path_segment(&username));
    let reason = form.reason.clone().unwrap_or_default();
    let until = form.until.clone().unwrap_or_default();
    if !confirmed(form.confirm.as_deref()) && !reason.trim().is_empty() {
        return ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!(
                    "Suspend {username}? They are signed out, cannot sign in and their API tokens stop working{}.",
                    if until.trim().is_empty() {
                        String::new()
                    } else {
                        format!(" until {until}")
                    }
                ),
                action: format!("{href}/suspend"),
                fields: vec![("reason".into(), reason), ("until".into(), until)],
                button: "Suspend",
                cancel: &href,
                reason: None,
            },
        );
    }
    let input = accounts::SuspensionInput {
        reason: form.reason,
        until: form.until,
    };
    match crate::app::moderation::suspend(
        &state.app,
        actor(&state, &req, &user.0),
        username.clone(),
        input,
    )
    .await
    {
        Ok(()) => {
            flash(
                &req,
                FlashKind::Success,
                format!("{username} is suspended."),
            );
            Ok(redirect(&href))
        }
        Err(err) => {
            let errors = form_errors(err)?;
            user_page(&state, &req, &user.0, username, errors, (reason, until)).await
        }
    }
}

/// A form with only its CSRF token and maybe the confirmation.
#[derive(Deserialize)]
pub struct ConfirmForm {
    confirm: Option<String>,
}

/// `POST /admin/users/{username}/unsuspend`
pub async fn unsuspend(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    username: web::Path<String>,
    _form: CsrfForm<ConfirmForm>,
) -> PageResult {
    let username = username.into_inner();
    let href = format!("/admin/users/{}", path_segment(&username));
    crate::app::moderation::unsuspend(&state.app, actor(&state, &req, &user.0), username.clone())
        .await?;
    flash(
        &req,
        FlashKind::Success,
        format!("{username} may sign in again."),
    );
    Ok(redirect(&href))
}

/// `POST /admin/users/{username}/reset-password` (asks for confirmation first)
pub async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: StaffUser,
    username: web::Path<String>,
    form: CsrfForm<ConfirmForm>,
) -> PageResult {
    let username = username.into_inner();
    let href = format!("/admin/users/{}", path_segment(&username));
    if !confirmed(form.0.confirm.as_deref()) {
        return ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!(
                    "Require {username} to choose a new password? Their API tokens stop working until they do."
                ),
                action: format!("{href}/reset-password"),
                fields: Vec::new(),
                button: "Require a new password",
                cancel: &href,
                reason: None,
            },
        );
    }
    crate::app::moderation::force_password_reset(
        &state.app,
        actor(&state, &req, &user.0),
        username.clone(),
    )
    .await?;
    flash(
        &req,
        FlashKind::Success,
        format!("{username} must choose a new password."),
    );
    Ok(redirect(&href))
}

/// The role form.
#[derive(Deserialize)]
pub struct RoleForm {
    role: Option<String>,
    confirm: Option<String>,
}

/// `POST /admin/users/{username}/role` (admins; asks for confirmation first)
pub async fn change_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AdminUser,
    username: web::Path<String>,
    form: CsrfForm<RoleForm>,
) -> PageResult {
    let username = username.into_inner();
    let href = format!("/admin/users/{}", path_segment(&username));
    let form = form.0;
    let Some(role) = form.role.as_deref().and_then(Role::parse) else {
        let errors = FormErrors::form("role must be user, moderator or admin");
        return user_page(&state, &req, &user.0, username, errors, Default::default()).await;
    };
    if !confirmed(form.confirm.as_deref()) {
        return ask(
            &state,
            &req,
            &user.0,
            Confirm {
                question: format!("Make {username} {}?", role.as_str()),
                action: format!("{href}/role"),
                fields: vec![("role".into(), role.as_str().into())],
                button: "Change role",
                cancel: &href,
                reason: None,
            },
        );
    }
    match crate::app::moderation::change_role(
        &state.app,
        actor(&state, &req, &user.0),
        username.clone(),
        role,
    )
    .await
    {
        Ok(()) => {
            flash(
                &req,
                FlashKind::Success,
                format!("{username} is now {}.", role.as_str()),
            );
            Ok(redirect(&href))
        }
        Err(err) => {
            let errors = form_errors(err)?;
            user_page(&state, &req, &user.0, username, errors, Default::default()).await
        }
    }
}
