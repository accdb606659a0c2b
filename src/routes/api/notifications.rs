//! `GET /api/notifications`, `POST /api/notifications/read`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::ApiUser;
use super::openapi::{PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable};
use crate::domain::notifications::{self, NotificationView, Subject};
use crate::domain::time;
use crate::state::AppState;

// One shape for the REST body's item and GraphQL's `Notification`, so that the two
// cannot drift apart.
/// Something that happened to the viewer.
#[derive(Serialize, ToSchema, async_graphql::SimpleObject, Clone)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "Notification")]
pub struct NotificationJson {
    /// Its id.
    pub id: i32,
    /// `article`, `comment`, `follower`, `favorite`, `moderation` or `report`.
    pub kind: String,
    /// The sentence the site shows.
    pub message: String,
    /// Who caused it.
    pub actor: String,
    /// The article, if it is about one the viewer may see.
    pub article: Option<ArticleRef>,
    /// Whether it was read.
    pub read: bool,
    /// When it happened (ISO 8601).
    pub created_at: String,
}

/// The article a notification is about, when the recipient may still see it.
#[derive(Serialize, ToSchema, async_graphql::SimpleObject, Clone)]
pub struct ArticleRef {
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub title: String,
}

impl From<NotificationView> for NotificationJson {
    fn from(view: NotificationView) -> Self {
        Self {
            message: view.sentence(),
            id: view.notification.id,
            kind: view.notification.kind,
            actor: view.actor,
            article: match view.subject {
                Subject::Here { slug, title } => Some(ArticleRef { slug, title }),
                _ => None,
            },
            read: view.notification.read_at.is_some(),
            created_at: time::iso8601(view.notification.created_at),
        }
    }
}

/// `{"notifications": […], "unreadCount": n}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationsBody {
    notifications: Vec<NotificationJson>,
    unread_count: i64,
}

/// `{"unreadCount": n}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnreadBody {
    unread_count: i64,
}

/// `GET /api/notifications`: the newest 50 and the unread count.
#[utoipa::path(
    get,
    path = "/api/notifications",
    tag = "Notifications",
    operation_id = "GetNotifications",
    summary = "The newest 50 notifications and the unread count",
    security(("Token" = [])),
    responses(
        (status = 200, description = "Notifications, newest first", body = NotificationsBody),
        Unauthorized,
    )
)]
pub async fn list(state: web::Data<AppState>, auth: ApiUser) -> Result<HttpResponse, ApiError> {
    let page = notifications::list(&state.db, &auth.user, 0, notifications::PAGE_SIZE).await?;
    Ok(HttpResponse::Ok().json(NotificationsBody {
        notifications: page.views.into_iter().map(Into::into).collect(),
        unread_count: page.unread,
    }))
}

/// Body of `POST /api/notifications/read`: `{"ids": [..]}`, or nothing for all.
#[derive(Deserialize, Default, ToSchema)]
pub struct ReadBody {
    /// The notifications to mark read; absent (or no body at all) marks every one.
    ids: Option<Vec<i32>>,
}

/// `POST /api/notifications/read`: marks the given ones (or all) read.
#[utoipa::path(
    post,
    path = "/api/notifications/read",
    tag = "Notifications",
    operation_id = "MarkNotificationsRead",
    summary = "Mark some notifications (or all of them) read",
    request_body(content = Option<ReadBody>, description = "Ids to mark; no body marks all"),
    security(("Token" = [])),
    responses(
        (status = 200, description = "The unread count left", body = UnreadBody),
        Unauthorized,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn read(
    state: web::Data<AppState>,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let parsed: ReadBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReadBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::unreadable("body", format!("is not valid JSON ({e})")))?
    };
    let unread = crate::app::notifications::mark_read(&state.app, auth.user.id, parsed.ids).await?;
    Ok(HttpResponse::Ok().json(UnreadBody {
        unread_count: unread,
    }))
}
