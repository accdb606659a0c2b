//! What the emails about a batch of notifications need, read in one statement: a worker
//! sends them a batch at a time, and under load each statement is a round trip that
//! waits its turn behind the requests' own.

use std::collections::HashMap;

use diesel::prelude::*;

use super::view::ArticleFacts;
use super::{Notification, NotificationView};
use crate::db::DbConnection;
use crate::db::schema::{articles, email_settings, notifications, users};
use crate::domain::email_settings::EmailSettings;
use crate::domain::users::User;

diesel::alias!(users as actors: Actors);

/// A notification to email, as its recipient sees it now.
#[derive(Debug)]
pub struct ToEmail {
    /// The recipient.
    pub user: User,
    /// What the notification says.
    pub view: NotificationView,
    /// The recipient's email choices (the defaults when never saved).
    pub settings: EmailSettings,
}

/// What the emails about notifications `ids` need, by notification id, in one statement
/// however many ids; notifications or recipients gone since are left out.
pub fn for_emails(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, ToEmail>> {
    type Row = (
        Notification,
        User,
        Option<(String, Option<String>)>,
        Option<ArticleFacts>,
        Option<EmailSettings>,
    );
    let rows: Vec<Row> = notifications::table
        .inner_join(users::table.on(users::id.eq(notifications::user_id)))
        .left_join(actors.on(actors.field(users::id).eq(notifications::actor_id)))
        .left_join(articles::table.on(notifications::article_id.eq(articles::id.nullable())))
        .left_join(email_settings::table.on(email_settings::user_id.eq(notifications::user_id)))
        .filter(notifications::id.eq_any(ids))
        .select((
            Notification::as_select(),
            User::as_select(),
            actors.fields((users::username, users::image)).nullable(),
            (
                articles::slug,
                articles::title,
                articles::hidden,
                articles::author_id,
            )
                .nullable(),
            Option::<EmailSettings>::as_select(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(notification, user, actor, article, settings)| {
            let view =
                NotificationView::assemble(notification, actor, article.as_ref(), user.is_staff());
            let to = ToEmail {
                user,
                view,
                settings: settings.unwrap_or_default(),
            };
            (to.view.notification.id, to)
        })
        .collect())
}
