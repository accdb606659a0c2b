//! The record of deliveries: created with their jobs inside the write that raised the
//! event (the outbox), read for sending, and updated after each attempt.

use diesel::prelude::*;

use super::{Delivery, Webhook, listening};
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{DbConnection, write_transaction};
use crate::domain::time;
use crate::jobs::{self, kinds};

/// Creates a delivery of `payload` to webhook `webhook_id` and its job; `None` (and
/// nothing created) when that webhook is gone: a write may hold a cached directory
/// ([`listeners`](super::listeners)) that names a webhook deleted on another instance a
/// moment ago.
pub(super) fn insert_delivery(
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
