//! Notification pages, email settings and the signed unsubscribe link.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::admin::query_value;
use super::auth::EmptyForm;
use super::session::{self, CsrfForm, CurrentUser, FlashKind, MaybeUser, local_next};
use super::views::{Chrome, Pagination, avatar, date, page_number};
use super::{PageResult, ok, redirect};
use crate::domain::email_settings::{self, EmailSettings};
use crate::domain::notifications;
use crate::error::AppError;
use crate::state::AppState;

/// Notifications on one page of the site.
const PAGE_SIZE: i64 = 20;

/// One line of the notifications page: one notification, or a run of them.
struct NotificationLine {
    /// The newest one's id (its "Mark read" form marks the whole run).
    id: i32,
    /// The run's ids, as `/notifications/open` takes them.
    ids: String,
    sentence: String,
    /// Opens it (and marks it read); `None` when nothing is left to open.
    open: Option<String>,
    avatar: String,
    when: String,
    unread: bool,
    /// How many notifications the line stands for.
    count: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    lines: Vec<NotificationLine>,
    unread: i64,
    pagination: Pagination,
}

/// The query of the notifications page.
#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<String>,
}

/// `GET /notifications?page=N`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> PageResult {
    let page = page_number(query.page.as_deref());
    let found = notifications::list(&state.db, &user.0, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
    let lines = notifications::group(found.views)
        .iter()
        .map(|run| {
            let ids: Vec<String> = run.ids().iter().map(i32::to_string).collect();
            let ids = ids.join(",");
            let newest = run.newest();
            NotificationLine {
                id: newest.notification.id,
                open: run
                    .link()
                    .map(|to| format!("/notifications/open?ids={ids}&to={}", query_value(&to))),
                ids,
                sentence: run.sentence(),
                avatar: avatar(&state.assets, newest.actor_image.as_deref()),
                when: date(newest.notification.created_at),
                unread: run.unread(),
                count: run.members.len(),
            }
        })
        .collect();
    ok(&NotificationsPage {
        chrome: Chrome::new(
            &state,
            &req,
            Some(&user.0),
            "Notifications",
            "notifications",
        )?,
        lines,
        unread: found.unread,
        pagination: Pagination::sized("/notifications", page, found.total, PAGE_SIZE),
    })
}

/// The query of `/notifications/open`.
#[derive(Deserialize)]
pub struct OpenQuery {
    /// Comma-separated ids of the line's notifications.
    ids: Option<String>,
    /// Where the line leads (a local path).
    to: Option<String>,
}

/// `GET /notifications/open?ids=..&to=..`: marks the line's notifications read and
/// goes where it leads. Marking one's own notifications read is harmless enough to
/// ride on a link, which is what people click.
pub async fn open(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<OpenQuery>,
) -> PageResult {
    let ids: Vec<i32> = query
        .ids
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .take(PAGE_SIZE as usize)
        .collect();
    if !ids.is_empty() {
        crate::app::notifications::mark_read(&state.app, user.0.id, Some(ids)).await?;
    }
    Ok(redirect(&local_next(query.to.as_deref(), "/notifications")))
}

/// The "Mark read" form of one line: the ids of its run.
#[derive(Deserialize)]
pub struct ReadForm {
    ids: Option<String>,
}

/// `POST /notifications/{id}/read`: that notification, and the rest of its run.
pub async fn read_one(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i32>,
    form: CsrfForm<ReadForm>,
) -> PageResult {
    let mut ids = vec![id.into_inner()];
    ids.extend(
        form.0
            .ids
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.trim().parse::<i32>().ok())
            .take(PAGE_SIZE as usize),
    );
    crate::app::notifications::mark_read(&state.app, user.0.id, Some(ids)).await?;
    Ok(redirect("/notifications"))
}

/// `POST /notifications/read`: all of them.
pub async fn read_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    crate::app::notifications::mark_read(&state.app, user.0.id, None).await?;
    session::flash(&req, FlashKind::Info, "All notifications are marked read.");
    Ok(redirect("/notifications"))
}

/// The email section of the settings form (checkboxes are absent when off).
#[derive(Deserialize)]
pub struct EmailForm {
    article: Option<String>,
    comment: Option<String>,
    follower: Option<String>,
    favorite: Option<String>,
}

/// `POST /settings/email`
pub async fn save_email(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<EmailForm>,
) -> PageResult {
    let form = form.0;
    let settings = EmailSettings {
        article: form.article.is_some(),
        comment: form.comment.is_some(),
        follower: form.follower.is_some(),
        favorite: form.favorite.is_some(),
    };
    let user_id = user.0.id;
    state
        .db
        .run(move |conn| email_settings::save(conn, user_id, settings))
        .await?;
    session::flash(&req, FlashKind::Success, "Your email settings were saved.");
    Ok(redirect("/settings#email"))
}

/// The current email settings of `user_id`, for the settings page.
pub async fn email_settings_of(state: &AppState, user_id: i32) -> Result<EmailSettings, AppError> {
    state
        .db
        .run(move |conn| Ok::<_, AppError>(email_settings::load(conn, user_id)?))
        .await
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/unsubscribe.html")]
struct UnsubscribePage {
    chrome: Chrome,
    token: String,
    what: String,
    done: bool,
}

fn describe(kind: &str) -> String {
    match kind {
        "article" => "emails about new articles by people you follow".into(),
        "comment" => "emails about comments on your articles".into(),
        "follower" => "emails about new followers".into(),
        "favorite" => "emails about favorites of your articles".into(),
        _ => "all emails from Conduit".into(),
    }
}

/// `GET /unsubscribe/{token}`: asks to confirm (a GET never changes anything, so link
/// scanners in mail systems cannot unsubscribe anyone). No sign-in needed.
pub async fn unsubscribe_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let (_, kind) = email_settings::verify_unsubscribe(state.link_key.expose(), &token)
        .ok_or(AppError::NotFound("unsubscribe link"))?;
    ok(&UnsubscribePage {
        chrome: Chrome::new(&state, &req, viewer.0.as_ref(), "Unsubscribe", "")?.with_csrf(&req)?,
        token,
        what: describe(&kind),
        done: false,
    })
}

/// `POST /unsubscribe/{token}`: turns the link's kind off for the link's user. It is
/// both the confirmation page's button and the one-click unsubscribe of RFC 8058 (a
/// mail client posts `List-Unsubscribe=One-Click`, with no cookie), so it takes no
/// CSRF token: the signed link is the only authority it needs, and all it can do is
/// stop some email.
pub async fn unsubscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let (user_id, kind) = email_settings::verify_unsubscribe(state.link_key.expose(), &token)
        .ok_or(AppError::NotFound("unsubscribe link"))?;
    let off = kind.clone();
    state
        .db
        .run(move |conn| email_settings::unsubscribe(conn, user_id, &off))
        .await?;
    ok(&UnsubscribePage {
        chrome: Chrome::new(&state, &req, viewer.0.as_ref(), "Unsubscribed", "")?,
        token,
        what: describe(&kind),
        done: true,
    })
}
