//! Webhooks: endpoints that users (or admins, site-wide) register for events, and the
//! record of every delivery. Sending happens in `jobs::webhook_client`.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{Db, DbConnection, write_transaction};
use crate::domain::time;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::jobs::{self, kinds};

pub mod listeners;

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

/// Whether `ip` is on the public internet (not private, loopback, link-local, …).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves `host:port` and keeps only the addresses deliveries may go to; an error when
/// none is left. The HTTP client connects only to what this returns, so the check holds
/// for the addresses actually used (no second lookup can swap them).
pub fn allowed_addresses(
    host: &str,
    port: u16,
    allow_private: bool,
) -> std::io::Result<Vec<SocketAddr>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let resolved: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    let allowed: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| allow_private || is_public(a.ip()))
        .collect();
    if allowed.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            if resolved.is_empty() {
                format!("{host} does not resolve")
            } else {
                format!("{host} resolves to a private, loopback or link-local address")
            },
        ));
    }
    Ok(allowed)
}

/// The host and port of an http(s) URL, or why it is not one.
pub fn target_of(url: &str) -> Result<(String, u16), String> {
    let (scheme, rest) = url.split_once("://").ok_or("must be an http(s) URL")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err("must start with http:// or https://".into()),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("must not contain credentials".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (
            host,
            port.parse::<u16>().map_err(|_| "has an invalid port")?,
        ),
        _ => (authority, default_port),
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    Ok((host.to_owned(), port))
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
            insert_delivery(conn, id, &old.event, &source, &old.payload)?
                .ok_or(AppError::NotFound("webhook"))
        })
    })
    .await
}

/// Creates a delivery of `payload` to webhook `webhook_id` and its job; `None` (and
/// nothing created) when that webhook is gone: a write may hold a cached directory
/// ([`listeners`]) that names a webhook deleted on another instance a moment ago.
fn insert_delivery(
    conn: &mut DbConnection,
    webhook_id: i32,
    event: &str,
    source: &str,
    payload: &str,
) -> QueryResult<Option<i32>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Integer, Text, Timestamp};
    let now = time::now();
    let created = diesel::insert_into(webhook_deliveries::table)
        .values(webhooks::table.filter(webhooks::id.eq(webhook_id)).select((
            webhooks::id,
            event.into_sql::<Text>(),
            source.into_sql::<Text>(),
            payload.into_sql::<Text>(),
            sql::<Text>("'pending'"),
            sql::<Integer>("0"),
            now.into_sql::<Timestamp>(),
            now.into_sql::<Timestamp>(),
        )))
        .into_columns((
            webhook_deliveries::webhook_id,
            webhook_deliveries::event,
            webhook_deliveries::source_key,
            webhook_deliveries::payload,
            webhook_deliveries::state,
            webhook_deliveries::attempts,
            webhook_deliveries::created_at,
            webhook_deliveries::updated_at,
        ))
        .execute(conn)?;
    if created == 0 {
        return Ok(None);
    }
    let delivery_id = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::source_key.eq(source))
        .select(webhook_deliveries::id)
        .first(conn)?;
    jobs::enqueue(
        conn,
        kinds::WEBHOOK_DELIVER,
        &kinds::Deliver { delivery_id },
    )?;
    Ok(Some(delivery_id))
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

/// The body of a delivery, fixed at creation so that a redelivery sends the same bytes.
fn delivery_body(event: &str, data: &serde_json::Value) -> String {
    serde_json::json!({
        "event": event,
        "createdAt": time::iso8601(time::now()),
        "data": data,
    })
    .to_string()
}

/// Creates a delivery of `event` (and its job) for each of the webhooks `hook_ids`,
/// inside the caller's transaction: the write that causes an event queues its
/// deliveries itself (the outbox), so each is one job away from its receiver rather
/// than two.
pub fn queue_deliveries(
    conn: &mut DbConnection,
    hook_ids: &[i32],
    event: &str,
    data: &serde_json::Value,
) -> QueryResult<()> {
    let body = delivery_body(event, data);
    // Unique per event; nothing re-runs this (a rolled-back write leaves no delivery).
    let source = format!("write:{:032x}", rand::random::<u128>());
    for id in hook_ids {
        insert_delivery(conn, *id, event, &source, &body)?;
    }
    Ok(())
}

/// Creates one delivery (and its job) per webhook that wants `event`, for the event jobs
/// that writes queued before they created deliveries themselves. Keyed by the event job,
/// so a re-run creates none twice.
pub fn fan_out(conn: &mut DbConnection, job_id: i32, event: &kinds::Event) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let hooks = listening(conn, event.owner_id, &event.event)?;
        let source = format!("event:{job_id}");
        let mut created = 0;
        for hook in &hooks {
            let exists: bool = diesel::select(diesel::dsl::exists(
                webhook_deliveries::table
                    .filter(webhook_deliveries::webhook_id.eq(hook.id))
                    .filter(webhook_deliveries::source_key.eq(&source)),
            ))
            .get_result(conn)?;
            if exists {
                continue;
            }
            let body = delivery_body(&event.event, &event.data);
            if insert_delivery(conn, hook.id, &event.event, &source, &body)?.is_some() {
                created += 1;
            }
        }
        Ok(created)
    })
}

/// Deliveries with their webhooks, for sending (those whose delivery or webhook is gone
/// are missing).
pub fn for_sending(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<(Delivery, Webhook)>> {
    webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq_any(ids))
        .select((Delivery::as_select(), Webhook::as_select()))
        .load(conn)
}

/// Records an attempt: its state (`succeeded`, `failed`, `dead`), status code and error.
pub fn record_attempt(
    conn: &mut DbConnection,
    id: i32,
    state: &str,
    response_code: Option<i32>,
    error: Option<String>,
) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::state.eq(state),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::response_code.eq(response_code),
            webhook_deliveries::last_error.eq(error),
            webhook_deliveries::updated_at.eq(time::now()),
        ))
        .execute(conn)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn targets_are_parsed() {
        assert_eq!(
            target_of("https://example.com/hook"),
            Ok(("example.com".into(), 443))
        );
        assert_eq!(
            target_of("http://127.0.0.1:9000/x?y"),
            Ok(("127.0.0.1".into(), 9000))
        );
        assert_eq!(target_of("http://[::1]:81/"), Ok(("[::1]".into(), 81)));
        assert!(target_of("ftp://example.com").is_err());
        assert!(target_of("http://user:pw@example.com").is_err());
    }
}
