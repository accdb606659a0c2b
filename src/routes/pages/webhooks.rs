//! The webhooks section of the settings: list, add, delete (confirmed), and one webhook's
//! deliveries with a "redeliver" button.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::{Chrome, FormErrors, date, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::app;
use crate::domain::webhooks::{self, Delivery, EVENTS, Webhook, WebhookInput};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    hooks: Vec<Webhook>,
    events: Vec<&'static str>,
    errors: FormErrors,
    url: String,
    chosen: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    hook: Webhook,
    deliveries: Vec<DeliveryLine>,
    confirm_delete: bool,
}

/// A delivery as the page lists it.
struct DeliveryLine {
    id: i32,
    event: String,
    state: String,
    attempts: i32,
    code: String,
    error: String,
    when: String,
}

impl From<Delivery> for DeliveryLine {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event: d.event,
            state: d.state,
            attempts: d.attempts,
            code: d.response_code.map(|c| c.to_string()).unwrap_or_default(),
            error: d.last_error.unwrap_or_default(),
            when: format!("{} {}", date(d.updated_at), d.updated_at.format("%H:%M:%S")),
        }
    }
}

/// The add-webhook form (`events` repeats, one per checked box).
#[derive(Deserialize)]
pub struct WebhookForm {
    url: Option<String>,
    secret: Option<String>,
    #[serde(default)]
    events: Vec<String>,
}

async fn list_page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    errors: FormErrors,
    url: String,
    chosen: Vec<String>,
) -> Result<WebhooksPage, super::PageError> {
    Ok(WebhooksPage {
        chrome: Chrome::new(state, req, Some(&user.0), "Webhooks", "settings")?,
        hooks: webhooks::list(&state.db, user.0.id).await?,
        events: EVENTS.to_vec(),
        errors,
        url,
        chosen,
    })
}

/// `GET /settings/webhooks`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser) -> PageResult {
    ok(&list_page(
        &state,
        &req,
        &user,
        FormErrors::default(),
        String::new(),
        Vec::new(),
    )
    .await?)
}

/// `POST /settings/webhooks`
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    // Read as pairs: `events` repeats, once per checked box.
    let fields = form.0;
    let form = WebhookForm {
        url: fields
            .iter()
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v.clone()),
        secret: fields
            .iter()
            .find(|(k, _)| k == "secret")
            .map(|(_, v)| v.clone()),
        events: fields
            .iter()
            .filter(|(k, _)| k == "events")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let kept_url = form.url.clone().unwrap_or_default();
    let chosen = form.events.clone();
    let input = WebhookInput {
        url: form.url,
        secret: form.secret,
        events: Some(form.events),
        site_wide: false,
    };
    let role = user.0.role.clone();
    match app::webhooks::create(
        &state.app,
        user.0.id,
        &role,
        input,
        state.webhook_allow_private,
    )
    .await
    {
        Ok(hook) => {
            session::flash(&req, FlashKind::Success, "The webhook was added.");
            Ok(redirect(&format!("/settings/webhooks/{}", hook.id)))
        }
        Err(err) => {
            let errors = form_errors(err)?;
            let page = list_page(&state, &req, &user, errors, kept_url, chosen).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

async fn hook_page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    id: i32,
    confirm_delete: bool,
) -> PageResult {
    let (hook, deliveries) = webhooks::with_deliveries(&state.db, user.0.id, id).await?;
    ok(&WebhookPage {
        chrome: Chrome::new(state, req, Some(&user.0), "Webhook", "settings")?,
        hook,
        deliveries: deliveries.into_iter().map(Into::into).collect(),
        confirm_delete,
    })
}

/// `GET /settings/webhooks/{id}`: the webhook and its latest deliveries.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
) -> PageResult {
    hook_page(&state, &req, &user, id.into_inner(), false).await
}

/// Confirmation flag of the delete form.
#[derive(Deserialize)]
pub struct DeleteForm {
    confirm: Option<String>,
}

/// `POST /settings/webhooks/{id}/delete`: the first press asks to confirm.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    form: CsrfForm<DeleteForm>,
) -> PageResult {
    let id = id.into_inner();
    if form.0.confirm.as_deref() != Some("yes") {
        return hook_page(&state, &req, &user, id, true).await;
    }
    app::webhooks::delete(&state.app, user.0.id, id).await?;
    session::flash(&req, FlashKind::Info, "The webhook was deleted.");
    Ok(redirect("/settings/webhooks"))
}

/// `POST /settings/webhooks/{id}/deliveries/{delivery}/redeliver`
pub async fn redeliver(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(i32, i32)>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    let (id, delivery) = path.into_inner();
    webhooks::redeliver(&state.db, user.0.id, id, delivery).await?;
    session::flash(
        &req,
        FlashKind::Info,
        "Sent again: the new delivery is listed below.",
    );
    Ok(redirect(&format!("/settings/webhooks/{id}")))
}
