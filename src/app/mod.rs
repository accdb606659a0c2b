//! The application layer: every change that alters what someone sees is one call here,
//! and so is every read that goes through the caches ([`reads`]). A write runs the
//! domain change in its transaction, names what it makes stale, queues the broadcast of
//! that inside the same transaction (so other instances hear of it once it has
//! committed, and never if it rolls back), then drops those entries from this
//! instance's caches. Page and API handlers both call
//! these functions and never touch a cache themselves; so do the command line and
//! `conduit worker`.

pub mod access_tokens;
pub mod accounts;
pub mod answers;
pub mod articles;
pub mod bearers;
pub mod comments;
pub mod discovery;
pub mod images;
pub mod moderation;
pub mod notifications;
pub mod profiles;
pub mod reads;
pub mod recovery;
pub mod revisions;
pub mod search;
pub mod sessions;
pub mod site_settings;
pub mod two_factor;
pub mod verification;
pub mod viewer;
pub mod webhooks;

use std::sync::Arc;

use crate::cache::broadcast::Broadcast;
use crate::cache::{Account, Caches, Stale, invalidate};
use crate::db::{Batcher, Db, DbConnection};
use crate::domain::articles::{PUBLISH_BATCH, Publication, Published};
use crate::domain::comments::{Inserted, NewComment, batch_pg};
use crate::domain::events;
use crate::domain::webhooks::listeners;
use crate::error::{AppError, AppResult};

/// What writes and cached reads need: the database, this process's caches and where it
/// broadcasts invalidations. Cheap to clone.
#[derive(Clone)]
pub struct App {
    db: Db,
    caches: Arc<Caches>,
    broadcast: Broadcast,
    /// Publishing and commenting need a proved email (`CONDUIT_REQUIRE_VERIFIED_EMAIL`).
    require_verified_email: bool,
    /// PostgreSQL only: stores the comments of concurrent requests together.
    comment_batch: Option<Arc<Batcher<NewComment, Inserted>>>,
    /// PostgreSQL only: publishes the new articles of concurrent requests together.
    publish_batch: Option<Arc<Batcher<Publication, Option<Published>>>>,
}

/// A write in progress: its connection, inside the transaction, and what it has said
/// is stale so far.
pub struct Tx<'a> {
    /// The transaction's connection.
    pub conn: &'a mut DbConnection,
    stale: Vec<Stale>,
}

impl Tx<'_> {
    /// Records that this write makes `stale` out of date once it commits.
    pub fn stale(&mut self, stale: Stale) {
        self.stale.push(stale);
    }
}

impl App {
    /// The application over `db`, serving from `caches` and broadcasting with `broadcast`.
    pub fn new(db: Db, caches: Arc<Caches>, broadcast: Broadcast) -> Self {
        // Without their lanes, writes are stored one by one, as on SQLite.
        let comment_batch = started(db.batcher(batch_pg::SQL));
        let publish_batch = started(db.batcher(PUBLISH_BATCH));
        Self {
            db,
            caches,
            broadcast,
            require_verified_email: false,
            comment_batch,
            publish_batch,
        }
    }

    /// This app, asking for a proved email before publishing or commenting when `on`.
    pub fn requiring_verified_email(mut self, on: bool) -> Self {
        self.require_verified_email = on;
        self
    }

    /// The account of `user_id`, who is about to publish or comment: 403 when the site
    /// requires a proved email and theirs is not. Read from the cached account (which a
    /// confirmation drops on every instance), which the request's sign-in has just
    /// loaded there, so the write that follows needs no read of its author.
    pub async fn publisher(&self, user_id: i32) -> AppResult<Arc<Account>> {
        let user = viewer::account(self, user_id)
            .await?
            .ok_or(AppError::InvalidToken)?;
        if self.require_verified_email && user.email_verified_at.is_none() {
            return Err(AppError::EmailUnverified);
        }
        Ok(user)
    }

    /// For a process without caches of its own (the command line, `conduit worker`): its
    /// writes only broadcast, so that the servers on the same database drop what they
    /// changed.
    pub fn without_caches(db: Db) -> Result<Self, String> {
        let broadcast = Broadcast::for_db(&db)?;
        let caches = Arc::new(Caches::new(0, std::time::Duration::from_secs(1)));
        Ok(Self::new(db, caches, broadcast))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// This process's caches.
    pub fn caches(&self) -> &Arc<Caches> {
        &self.caches
    }

    /// Where this process broadcasts.
    pub fn broadcast(&self) -> &Broadcast {
        &self.broadcast
    }

    /// Runs `work` in a write transaction; what it marks stale is queued for broadcast
    /// inside that transaction, sent once it has committed, and dropped from this
    /// instance's caches after the commit. If it
    /// queued jobs, idle workers here and on the other instances wake for them.
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut Tx<'_>) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.write_as(None, work).await
    }

    /// [`App::write`] for a `work` that runs one statement and raises webhook event
    /// `event` about the things of user `owner`: when the cached directory of webhooks
    /// says that nobody listens to it, that statement is the whole write, and on
    /// PostgreSQL it runs without `BEGIN` and `COMMIT` ([`Db::write_single`], whose
    /// rules `work` keeps). Otherwise an [`App::write`].
    pub async fn write_one_statement<T, F>(
        &self,
        owner: i32,
        event: &'static str,
        work: F,
    ) -> AppResult<T>
    where
        F: FnOnce(&mut Tx<'_>) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.write_as(Some((owner, event)), work).await
    }

    async fn write_as<T, F>(&self, single: Option<(i32, &'static str)>, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut Tx<'_>) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let broadcast = self.broadcast.clone();
        // Which webhooks listen, for the events this write may raise: from the cache, or
        // loaded by the write's first event and kept for the next writes (not when this
        // process caches nothing: then each event asks about its owner alone).
        let webhooks = &self.caches.webhooks;
        let (webhooks_stamp, caching_webhooks) = (webhooks.stamp(&()), webhooks.caching());
        let known_webhooks = webhooks.get(&()).await;
        let single = single.is_some_and(|(owner, event)| {
            known_webhooks
                .as_ref()
                .is_some_and(|directory| directory.quiet(owner, event))
        });
        let write = move |conn: &mut DbConnection| {
            let mut tx = Tx {
                conn,
                stale: Vec::new(),
            };
            // A write that failed earlier on this thread may have left marks behind.
            events::take_told();
            crate::jobs::wake::take_pending();
            let scope = listeners::WriteScope::begin(caching_webhooks, known_webhooks);
            let value = work(&mut tx);
            let loaded_webhooks = scope.finish();
            let value = value?;
            let mut users = events::take_told();
            if !users.is_empty() {
                users.sort_unstable();
                users.dedup();
                tx.stale(Stale::Unread { users });
            }
            broadcast.publish(tx.conn, &tx.stale)?;
            let queued_jobs = crate::jobs::wake::take_pending();
            Ok::<_, AppError>((value, tx.stale, queued_jobs, loaded_webhooks))
        };
        let (value, stale, queued_jobs, loaded_webhooks) = if single {
            self.db.write_single(write).await?
        } else {
            self.db.write(write).await?
        };
        if let Some(directory) = loaded_webhooks {
            webhooks.put_if_fresh((), directory, webhooks_stamp).await;
        }
        // The jobs it queued are there now: this process's idle workers wake.
        if queued_jobs {
            crate::jobs::wake::wake_local();
        }
        for s in &stale {
            invalidate::apply(&self.caches, s).await;
        }
        Ok(value)
    }

    /// Whether the cached directory of webhooks says that nobody listens to event
    /// `event` about the things of user `owner` (`false` when it is not cached).
    async fn webhooks_quiet(&self, owner: i32, event: &str) -> bool {
        let directory = self.caches.webhooks.get(&()).await;
        directory.is_some_and(|directory| directory.quiet(owner, event))
    }

    /// After a write that a batcher stored (it committed outside [`App::write`]): what
    /// [`App::write`] does after its commit. Other instances hear that `stale` and the
    /// unread count of `told` are out of date (and that jobs wait, if `jobs_queued`),
    /// this one's idle workers wake for the jobs, and its caches drop those entries.
    async fn batched_write_done(
        &self,
        mut stale: Vec<Stale>,
        mut told: Vec<i32>,
        jobs_queued: bool,
    ) {
        if !told.is_empty() {
            told.sort_unstable();
            told.dedup();
            stale.push(Stale::Unread { users: told });
        }
        if let Some(notification) = self.broadcast.notification(&stale, jobs_queued) {
            self.db.send_notifications(vec![notification]).await;
        }
        if jobs_queued {
            crate::jobs::wake::wake_local();
        }
        for s in &stale {
            invalidate::apply(&self.caches, s).await;
        }
    }

    /// Drops every cached entry here and on every other instance (after bulk changes
    /// such as `conduit seed`).
    pub async fn flush_everywhere(&self) -> AppResult<()> {
        self.write(|tx| {
            tx.stale(Stale::Everything);
            Ok(())
        })
        .await
    }
}

/// A batcher's lanes, if they started; `None` (and a warning) if they could not.
fn started<I, O>(batcher: Result<Option<Batcher<I, O>>, String>) -> Option<Arc<Batcher<I, O>>> {
    batcher
        .unwrap_or_else(|e| {
            log::warn!("{e}");
            None
        })
        .map(Arc::new)
}
