//! Live events over WebSocket (graphql-ws). A subscription listens to this process's
//! change signals (`Caches.signals`: its own writes and, through the PostgreSQL
//! broadcast, every other instance's); on a signal that concerns it, it reloads what its
//! viewer may see through the same reads as the REST API and yields what is new. A
//! signal carries no content, so nothing hidden, deleted, drafted or by a suspended
//! author can reach a viewer by way of one; a viewer whose token stops working (signed
//! out, suspended) is dropped at the next signal.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use actix_web::web;
use async_graphql::{Context, Subscription as SubscriptionRoot};
use futures_util::Stream;
use futures_util::stream::unfold;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::caller::Caller;
use super::errors::OrGql;
use super::types::{Comment, Notification};
use crate::app::reads;
use crate::cache::Stale;
use crate::domain::notifications;
use crate::domain::users::User;
use crate::error::AppError;
use crate::routes::api::extract::authenticate_token;
use crate::state::AppState;

/// The subscription root.
pub struct Subscription;

/// One subscription's state between events.
struct Watch<T> {
    state: web::Data<AppState>,
    /// The token the connection authenticated with, checked again on every reload.
    token: Option<String>,
    signals: Receiver<Arc<Stale>>,
    /// Ids already yielded (or there when the subscription started).
    seen: HashSet<i32>,
    ready: VecDeque<T>,
}

/// Why a watch ends.
enum End {
    /// The viewer may no longer see it, or it is gone.
    Closed,
}

impl<T> Watch<T> {
    fn new(caller: &Caller, signals: Receiver<Arc<Stale>>, seen: HashSet<i32>) -> Self {
        Self {
            state: caller.state.clone(),
            token: caller.auth().ok().flatten().map(|a| a.token.clone()),
            signals,
            seen,
            ready: VecDeque::new(),
        }
    }

    /// Waits for a signal `concerns` accepts (or a missed one): `Err` once the process's
    /// signals end.
    async fn wait(&mut self, concerns: impl Fn(&Stale) -> bool) -> Result<(), End> {
        loop {
            match self.signals.recv().await {
                Ok(stale) if concerns(&stale) => return Ok(()),
                Ok(_) => {}
                // Missed signals may have concerned us: reload.
                Err(RecvError::Lagged(_)) => return Ok(()),
                Err(RecvError::Closed) => return Err(End::Closed),
            }
        }
    }

    /// The viewer as they are now; `Err` when their token no longer works.
    async fn viewer(&self) -> Result<Option<User>, End> {
        match &self.token {
            None => Ok(None),
            Some(token) => authenticate_token(&self.state, token.clone())
                .await
                .map(|auth| Some(auth.user.user.clone()))
                .map_err(|_| End::Closed),
        }
    }

    /// Queues the items of `found` not yielded yet, in order.
    fn queue_new(&mut self, found: impl IntoIterator<Item = (i32, T)>) {
        for (id, item) in found {
            if self.seen.insert(id) {
                self.ready.push_back(item);
            }
        }
    }
}

async fn next_comment(
    (mut watch, slug): (Watch<Comment>, String),
) -> Option<(Comment, (Watch<Comment>, String))> {
    loop {
        if let Some(comment) = watch.ready.pop_front() {
            return Some((comment, (watch, slug)));
        }
        let concerns = |stale: &Stale| match stale {
            Stale::Comments { slug: s } | Stale::ArticleDeleted { slug: s, .. } => *s == slug,
            _ => false,
        };
        watch.wait(concerns).await.ok()?;
        let viewer = watch.viewer().await.ok()?.map(|u| u.id);
        match reads::comments(&watch.state.app, viewer, &slug).await {
            Ok(views) => watch.queue_new(views.into_iter().map(|v| (v.comment.id, v.into()))),
            Err(AppError::NotFound(_)) => return None,
            Err(e) => log::warn!("reloading comments for a subscription failed: {e}"),
        }
    }
}

async fn next_notification(
    mut watch: Watch<Notification>,
) -> Option<(Notification, Watch<Notification>)> {
    loop {
        if let Some(notification) = watch.ready.pop_front() {
            return Some((notification, watch));
        }
        let user = watch.viewer().await.ok()??;
        let concerns =
            |stale: &Stale| matches!(stale, Stale::Unread { users } if users.contains(&user.id));
        watch.wait(concerns).await.ok()?;
        let user = watch.viewer().await.ok()??;
        let page = notifications::list(&watch.state.db, &user, 0, notifications::PAGE_SIZE).await;
        match page {
            // Newest first in the page; yielded oldest first.
            Ok(page) => watch.queue_new(
                page.views
                    .into_iter()
                    .rev()
                    .map(|v| (v.notification.id, v.into())),
            ),
            Err(e) => log::warn!("reloading notifications for a subscription failed: {e}"),
        }
    }
}

#[SubscriptionRoot]
impl Subscription {
    /// New comments on article `slug`, as the viewer may see them (anonymous viewers
    /// too); ends when the article is deleted or hidden from the viewer.
    async fn comment_added(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<impl Stream<Item = Comment> + use<>> {
        let caller = Caller::of(ctx)?;
        // Listening before the first read: a comment posted in between is not missed.
        let signals = caller.state.caches.signals.subscribe();
        let now = reads::comments(&caller.state.app, caller.viewer()?, &slug)
            .await
            .gql()?;
        let seen = now.iter().map(|v| v.comment.id).collect();
        Ok(unfold(
            (Watch::new(caller, signals, seen), slug),
            next_comment,
        ))
    }

    /// The viewer's new notifications, as `notifications` lists them (needs a token in
    /// the connection's `connection_init` payload).
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Notification> + use<>> {
        let caller = Caller::of(ctx)?;
        let auth = caller.user()?;
        let signals = caller.state.caches.signals.subscribe();
        let now = notifications::list(&caller.state.db, &auth.user, 0, notifications::PAGE_SIZE)
            .await
            .gql()?;
        let seen = now.views.iter().map(|v| v.notification.id).collect();
        Ok(unfold(Watch::new(caller, signals, seen), next_notification))
    }
}
