//! Adding and removing webhooks: every write that raises an event checks the cached
//! directory of them (`domain::webhooks::listeners`), which these drop everywhere.

use super::App;
use crate::cache::Stale;
use crate::domain::webhooks::{self, Webhook, WebhookInput};
use crate::error::AppResult;

/// Registers a webhook for `user_id`, whose `role` decides whether it may be site-wide.
/// Its URL must resolve to public addresses unless `allow_private`.
pub async fn create(
    app: &App,
    user_id: i32,
    role: &str,
    input: WebhookInput,
    allow_private: bool,
) -> AppResult<Webhook> {
    let checked = webhooks::prepare(role, input, allow_private).await?;
    app.write(move |tx| {
        let hook = webhooks::insert(tx.conn, user_id, &checked)?;
        tx.stale(Stale::Webhooks);
        Ok(hook)
    })
    .await
}

/// Deletes webhook `id` of `user_id` with its deliveries (404 when not theirs).
pub async fn delete(app: &App, user_id: i32, id: i32) -> AppResult<()> {
    app.write(move |tx| {
        webhooks::remove(tx.conn, user_id, id)?;
        tx.stale(Stale::Webhooks);
        Ok(())
    })
    .await
}
