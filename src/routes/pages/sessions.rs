//! Where the signed-in member is signed in: the session list, with "sign out" for any
//! one of them and "sign out everywhere".

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use super::auth::EmptyForm;
use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::Chrome;
use super::{PageResult, ok, redirect};
use crate::domain::sessions::{device_name, key_hash};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionLine>,
}

/// One session as the list shows it.
struct SessionLine {
    id: i32,
    device: String,
    ip: String,
    signed_in: String,
    last_seen: String,
    kept: bool,
    current: bool,
}

/// `GET /settings/sessions`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser) -> PageResult {
    let current = session::session_key(&req).map(|key| key_hash(&key));
    let rows = crate::app::sessions::list(&state.app, user.0.id).await?;
    let when = |t: chrono::NaiveDateTime| t.format("%B %-d, %Y at %H:%M UTC").to_string();
    let sessions = rows
        .into_iter()
        .map(|row| SessionLine {
            id: row.id,
            device: device_name(&row.user_agent),
            ip: row.ip.unwrap_or_else(|| "unknown address".into()),
            signed_in: when(row.created_at),
            last_seen: when(row.last_seen_at),
            kept: row.persistent,
            current: current.as_deref() == Some(row.key_hash.as_str()),
        })
        .collect();
    ok(&SessionsPage {
        chrome: Chrome::new(
            &state,
            &req,
            Some(&user.0),
            "Where you're signed in",
            "settings",
        )?,
        sessions,
    })
}

/// `POST /settings/sessions/{id}/end`
pub async fn end(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    let ip = state.client_ip(&req);
    crate::app::sessions::end(&state.app, &user.0, id.into_inner(), ip).await?;
    session::flash(&req, FlashKind::Success, "That session is signed out.");
    Ok(redirect("/settings/sessions"))
}

/// `POST /settings/sessions/end-all`: every session and API token, this one too.
pub async fn end_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    let ip = state.client_ip(&req);
    crate::app::sessions::end_everywhere(&state.app, &user.0, ip).await?;
    session::sign_out(&req)?;
    session::flash(
        &req,
        FlashKind::Info,
        "You are signed out everywhere, and every API token is revoked.",
    );
    Ok(redirect("/login"))
}
