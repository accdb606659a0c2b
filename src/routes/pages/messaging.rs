//! Notification pages, email settings and the signed unsubscribe link.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::session::{self, CsrfForm, CurrentUser, FlashKind, MaybeUser};
use super::views::{Chrome, avatar, date};
use super::{PageResult, ok, redirect};
use crate::domain::email_settings::{self, EmailSettings};
use crate::domain::notifications;
use crate::error::AppError;
use crate::state::AppState;

/// One line of the notifications page.
struct NotificationLine {
    id: i32,
    sentence: String,
    link: String,
    avatar: String,
    when: String,
    unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    lines: Vec<NotificationLine>,
    unread: i64,
}

/// `GET /notifications`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser) -> PageResult {
    let (views, unread) = notifications::list(&state.db, user.0.id).await?;
    let lines = views
        .into_iter()
        .map(|v| NotificationLine {
            id: v.notification.id,
            sentence: v.sentence(),
            link: v.link(),
            avatar: avatar(&state.assets, v.actor_image.as_deref()),
            when: date(v.notification.created_at),
            unread: v.notification.read_at.is_none(),
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
        unread,
    })
}

/// `POST /notifications/{id}/read`
pub async fn read_one(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i32>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    crate::app::notifications::mark_read(&state.app, user.0.id, Some(vec![id.into_inner()]))
        .await?;
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

/// `POST /unsubscribe/{token}`: turns the link's kind off for the link's user.
pub async fn unsubscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    token: web::Path<String>,
    _form: CsrfForm<EmptyForm>,
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
