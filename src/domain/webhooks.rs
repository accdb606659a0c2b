//! Webhooks: endpoints that users (or admins, site-wide) register for events, and the
//! record of every delivery. Sending happens in `jobs::webhook_client`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{Db, DbConnection, write_transaction};
use crate::domain::time;
use crate::error::{AppError, AppResult, FieldErrors};

mod deliveries;
pub mod listeners;
mod targets;

pub use deliveries::{fan_out, for_sending, queue_deliveries, record_attempt};
pub use targets::{allowed_addresses, is_public, target_of};

/// Events a webhook can choose.
pub const EVENTS: [&str; 5] = [
    "article.published",
    "article.updated",
    "article.deleted",
    "comment.created",
    "user.followed",
];
/// Deliveries listed per webhook.
pub const DELIVERIES_SHOWN: i64 = 20;
/// Most webhooks one user may have.
const MAX_PER_USER: i64 = 20;

/// A registered endpoint.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    /// Primary key.
    pub id: i32,
    /// Owner.
    pub user_id: i32,
    /// Where deliveries go.
    pub url: String,
    /// Key of the signature.
    pub secret: String,
    /// Comma-separated events.
    pub events: String,
    /// Gets every user's events (admins only).
    pub site_wide: bool,
    /// Registration time.
    pub created_at: NaiveDateTime,
}

impl Webhook {
    /// The chosen events.
    pub fn event_list(&self) -> Vec<String> {
        self.events.split(',').map(str::to_owned).collect()
    }
}

/// One delivery (with its attempts so far).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    /// Primary key; sent as `X-Conduit-Delivery`.
    pub id: i32,
    /// The endpoint.
    pub webhook_id: i32,
    /// Event name.
    pub event: String,
    /// The JSON body sent.
    pub payload: String,
    /// `pending`, `succeeded`, `failed` (retrying) or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last HTTP status received.
    pub response_code: Option<i32>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last attempt.
    pub updated_at: NaiveDateTime,
}

/// A new webhook, as received.
#[derive(Debug, Default, Clone)]
pub struct WebhookInput {
    /// Target URL (http or https).
    pub url: Option<String>,
    /// Shared secret for the signature.
    pub secret: Option<String>,
    /// Events wanted.
    pub events: Option<Vec<String>>,
    /// Every user's events (admins only).
    pub site_wide: bool,
}

fn validate(raw: WebhookInput) -> AppResult<(String, String, Vec<String>, bool)> {
    let mut errors = FieldErrors::default();
    let url = raw.url.unwrap_or_default().trim().to_owned();
    if url.len() > 2000 {
        errors.add("url", "is too long");
    } else if let Err(why) = target_of(&url) {
        errors.add("url", why);
    }
    let secret = raw.secret.unwrap_or_default();
    if secret.len() < 16 || secret.len() > 200 {
        errors.add("secret", "must be 16 to 200 characters long");
    }
    let mut events = raw.events.unwrap_or_default();
    events.sort();
    events.dedup();
    if events.is_empty() {
        errors.add("events", "choose at least one event");
    }
    for event in &events {
        if !EVENTS.contains(&event.as_str()) {
            errors.add("events", format!("`{event}` is not a known event"));
        }
    }
    errors.into_result()?;
    Ok((url, secret, events, raw.site_wide))
}

/// A webhook that passed every check and may be stored ([`prepare`]).
#[derive(Debug)]
pub struct Checked {
    url: String,
    secret: String,
    events: Vec<String>,
    site_wide: bool,
}

/// Checks a new webhook of a user with `role` (which decides whether it may be
/// site-wide). The URL must resolve to public addresses unless `allow_private`.
pub async fn prepare(role: &str, raw: WebhookInput, allow_private: bool) -> AppResult<Checked> {
    let (url, secret, events, site_wide) = validate(raw)?;
    if site_wide && role != "admin" {
        return Err(AppError::Forbidden("siteWide"));
    }
    let (host, port) = target_of(&url).map_err(AppError::Internal)?;
    // Name resolution blocks: off the async workers.
    let check = tokio::task::spawn_blocking(move || allowed_addresses(&host, port, allow_private))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if let Err(why) = check {
        return Err(AppError::Validation(FieldErrors::single(
            "url",
            why.to_string(),
        )));
    }
    Ok(Checked {
        url,
        secret,
        events,
        site_wide,
    })
}

/// Stores `hook` for `user_id`, inside the caller's write transaction.
pub fn insert(conn: &mut DbConnection, user_id: i32, hook: &Checked) -> AppResult<Webhook> {
    let owned: i64 = webhooks::table
        .filter(webhooks::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    if owned >= MAX_PER_USER {
        return Err(AppError::Validation(FieldErrors::single(
            "webhook",
            format!("you can have at most {MAX_PER_USER} webhooks"),
        )));
    }
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::user_id.eq(user_id),
            webhooks::url.eq(&hook.url),
            webhooks::secret.eq(&hook.secret),
            webhooks::events.eq(hook.events.join(",")),
            webhooks::site_wide.eq(hook.site_wide),
            webhooks::created_at.eq(time::now()),
        ))
        .execute(conn)?;
    Ok(webhooks::table
        .filter(webhooks::user_id.eq(user_id))
        .order(webhooks::id.desc())
        .select(Webhook::as_select())
        .first(conn)?)
}

/// The webhooks of `user_id`, oldest first.
pub async fn list(db: &Db, user_id: i32) -> AppResult<Vec<Webhook>> {
    db.run(move |conn| {
        Ok::<_, AppError>(
            webhooks::table
                .filter(webhooks::user_id.eq(user_id))
                .order(webhooks::id.asc())
                .select(Webhook::as_select())
                .load(conn)?,
        )
    })
    .await
}

fn owned(conn: &mut DbConnection, user_id: i32, id: i32) -> AppResult<Webhook> {
    webhooks::table
        .find(id)
        .filter(webhooks::user_id.eq(user_id))
        .select(Webhook::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("webhook"))
}

/// Deletes webhook `id` of `user_id` with its deliveries (404 when not theirs), inside
/// the caller's write transaction.
pub fn remove(conn: &mut DbConnection, user_id: i32, id: i32) -> AppResult<()> {
    owned(conn, user_id, id)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhooks::table.find(id)).execute(conn)?;
    Ok(())
}

/// Webhook `id` of `user_id` and its latest deliveries, newest first.
pub async fn with_deliveries(
    db: &Db,
    user_id: i32,
    id: i32,
) -> AppResult<(Webhook, Vec<Delivery>)> {
    db.run(move |conn| {
        let hook = owned(conn, user_id, id)?;
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .order(webhook_deliveries::id.desc())
            .limit(DELIVERIES_SHOWN)
            .select(Delivery::as_select())
            .load(conn)?;
        Ok((hook, deliveries))
    })
    .await
}

/// Sends delivery `delivery_id` of webhook `id` again, as a new delivery.
pub async fn redeliver(db: &Db, user_id: i32, id: i32, delivery_id: i32) -> AppResult<i32> {
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            owned(conn, user_id, id)?;
            let old = webhook_deliveries::table
                .find(delivery_id)
                .filter(webhook_deliveries::webhook_id.eq(id))
                .select(Delivery::as_select())
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound("delivery"))?;
            let source = format!("redeliver:{}:{}", old.id, rand::random::<u64>());
            deliveries::insert_delivery(conn, id, &old.event, &source, &old.payload)?
                .ok_or(AppError::NotFound("webhook"))
        })
    })
    .await
}

/// The webhooks that want `event` about `owner_id`'s things: the owner's own and every
/// site-wide one that lists it.
pub fn listening(conn: &mut DbConnection, owner_id: i32, event: &str) -> QueryResult<Vec<Webhook>> {
    let hooks: Vec<Webhook> = webhooks::table
        .filter(
            webhooks::user_id
                .eq(owner_id)
                .or(webhooks::site_wide.eq(true)),
        )
        .select(Webhook::as_select())
        .load(conn)?;
    Ok(hooks
        .into_iter()
        .filter(|h| h.event_list().iter().any(|e| e == event))
        .collect())
}
