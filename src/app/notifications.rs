//! Reading one's notifications.

use super::App;
use crate::cache::Stale;
use crate::domain::notifications;
use crate::error::AppResult;

/// Marks notifications of `user_id` read (all when `ids` is `None`); returns the unread
/// count left.
pub async fn mark_read(app: &App, user_id: i32, ids: Option<Vec<i32>>) -> AppResult<i64> {
    app.write(move |tx| {
        let unread = notifications::mark_read(tx.conn, user_id, ids)?;
        tx.stale(Stale::Unread {
            users: vec![user_id],
        });
        Ok(unread)
    })
    .await
}
