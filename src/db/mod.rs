//! Database access: the two-backend connection type, its pool, migrations and the
//! helpers that move diesel's blocking calls off the async workers.

mod backup;
mod batcher;
mod checkpoint;
mod manager;
mod notifier;
pub mod notify;
mod prepared;
pub mod schema;
mod transaction;
pub mod username_keys;
mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use parking_lot::{FairMutex, FairMutexGuard};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use batcher::{BatchSql, Batcher, MAX_BATCH};
pub use manager::{BackendKind, ConnectionManager, DatabaseUrl, init_client_tls};
pub use prepared::{Prepared, prepared};
pub use transaction::{
    is_foreign_key_violation, is_unique_violation, last_insert_id, next_attempt, savepoint,
    unit_of_work, write_transaction,
};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection that is SQLite or PostgreSQL, picked at run time from `DATABASE_URL`.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL, selected by a `postgres://` or `postgresql://` URL.
    Pg(diesel::PgConnection),
    /// SQLite, the embedded default.
    Sqlite(diesel::SqliteConnection),
}

/// A connection checked out of the pool.
pub type Conn = PooledConnection<ConnectionManager>;

/// Why a database call failed, before the domain gives it a meaning.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had from the pool in time.
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The query itself failed.
    #[error("database query: {0}")]
    Query(#[from] diesel::result::Error),
    /// No connection came free in time: the wait for a turn at the pool ran out.
    #[error("no database connection came free in {0:?}")]
    Busy(std::time::Duration),
    /// The blocking thread pool refused or lost the job.
    #[error("blocking task failed: {0}")]
    Blocking(String),
    /// The group of writes this one was part of could not commit (see [`Db::write`]
    /// on SQLite, [`Db::batcher`] on PostgreSQL).
    #[error("write group failed: {0}")]
    Group(String),
}

/// A snapshot of the pool, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    /// Connections open.
    pub connections: u32,
    /// Open and unused.
    pub idle: u32,
    /// The most it will open.
    pub max_size: u32,
}

/// The application's handle on the database: a pool plus the backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    backend: BackendKind,
    queries: Arc<AtomicU64>,
    /// SQLite only: see [`Db::write_gate`].
    gate: Option<Arc<FairMutex<()>>>,
    /// SQLite only: the thread that runs [`Db::write`]s in groups.
    writer: Option<Arc<writer::Writer>>,
    /// PostgreSQL only: the thread that sends the notifications of [`Db::write`]s.
    notifier: Option<Arc<notifier::Notifier>>,
    /// Turns at the pool, one per connection (see [`Db::run_on_pool`]).
    turns: Arc<tokio::sync::Semaphore>,
    /// Opens connections like the pool's, counted with its statements ([`Db::batcher`]).
    counted: ConnectionManager,
}

/// How long a request waits for a pooled connection before it fails.
const CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The write gates of this process, one per SQLite file (see [`Db::write_gate`]).
static GATES: Mutex<Vec<(String, Weak<FairMutex<()>>)>> = Mutex::new(Vec::new());

/// The gate of the SQLite file `path`, shared by every pool on it in this process.
fn gate_for(path: &str) -> Arc<FairMutex<()>> {
    let mut gates = GATES.lock().unwrap_or_else(PoisonError::into_inner);
    gates.retain(|(_, gate)| gate.strong_count() > 0);
    if let Some(gate) = gates
        .iter()
        .find(|(p, _)| p == path)
        .and_then(|(_, gate)| gate.upgrade())
    {
        return gate;
    }
    let gate = Arc::new(FairMutex::new(()));
    gates.push((path.to_owned(), Arc::downgrade(&gate)));
    gate
}

impl Db {
    /// Builds the pool for `url` and checks that one connection can be made.
    pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<Self, String> {
        // Open one connection first: it creates the file and switches it to WAL (a
        // persistent setting) before the pool opens the rest side by side.
        let queries = Arc::new(AtomicU64::new(0));
        let manager = ConnectionManager::new(url.clone(), Arc::clone(&queries));
        diesel::r2d2::ManageConnection::connect(&manager).map_err(|e| {
            // libpq's messages span lines; start-up errors are one line.
            let cause = e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            format!("cannot connect to the database: {cause}")
        })?;
        let pool = Pool::builder()
            .max_size(max_size)
            .connection_timeout(CONNECTION_WAIT)
            .build(manager)
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let gate = url.sqlite_path().map(gate_for);
        let writer = match &gate {
            Some(gate) => Some(Arc::new(
                writer::Writer::start(
                    ConnectionManager::new(url.clone(), Arc::clone(&queries)),
                    // Not counted: its statements come at times of its own, not a request's.
                    ConnectionManager::new(url.clone(), Arc::new(AtomicU64::new(0))),
                    Arc::clone(gate),
                )
                .map_err(|e| format!("cannot start the writer thread: {e}"))?,
            )),
            None => None,
        };
        let notifier = match url.kind() {
            BackendKind::Postgres => Some(Arc::new(
                // Not counted: its statements are many writes' at once, not a request's.
                notifier::Notifier::start(ConnectionManager::new(
                    url.clone(),
                    Arc::new(AtomicU64::new(0)),
                ))
                .map_err(|e| format!("cannot start the notifier thread: {e}"))?,
            )),
            BackendKind::Sqlite => None,
        };
        Ok(Self {
            pool,
            backend: url.kind(),
            gate,
            writer,
            notifier,
            turns: Arc::new(tokio::sync::Semaphore::new(max_size as usize)),
            counted: ConnectionManager::new(url.clone(), Arc::clone(&queries)),
            queries,
        })
    }

    /// On SQLite, waits for this process's turn to write to the file and holds it until
    /// the guard drops; `None` (no wait) on PostgreSQL, where writers run side by side.
    ///
    /// SQLite lets one transaction write at a time. The others wait in its busy
    /// handler, which naps and retries (up to 100 ms a nap), each holding a pooled
    /// connection meanwhile: under load, writers queue slowly and readers find the pool
    /// empty. Writers that take this gate first queue on a mutex instead, are woken the
    /// moment the writer ahead is done, in the order they came (a fair mutex: no writer
    /// waits behind later ones), and hold no connection while they wait. One gate
    /// per file, shared by every pool on it in this process (the server's and its job
    /// workers'); other processes (the command line) still meet the busy handler.
    pub fn write_gate(&self) -> Option<FairMutexGuard<'_, ()>> {
        self.gate.as_ref().map(|gate| gate.lock())
    }

    /// Runs `work` as one write transaction and returns once it has committed (or
    /// failed, rolled back) and its notifications have been sent. On PostgreSQL it runs
    /// alone on a pooled connection, and the pool's [`notifier`] sends its
    /// notifications with those of other writes. On SQLite it joins the next group of
    /// the pool's writer thread (see [`writer`]): it runs inside a savepoint of a
    /// transaction that other writes share, so `work` must not open a transaction
    /// itself, nor keep any state across calls but its result.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.write_as(false, work).await
    }

    /// [`Db::write`] for a `work` that starts at most one statement: on PostgreSQL it
    /// runs without `BEGIN` and `COMMIT`, as a transaction of its own (see
    /// [`transaction::single_statement`] for what `work` must keep to).
    pub async fn write_single<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.write_as(true, work).await
    }

    /// [`Db::write`], or [`Db::write_single`] when `single`: on SQLite through the writer
    /// thread; on PostgreSQL on a pooled connection, whose notifications the notifier
    /// sends once the connection is back in the pool.
    async fn write_as<T, E, F>(&self, single: bool, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.write(work).await;
        }
        let write = move |conn: &mut DbConnection| {
            if single {
                transaction::single_statement(conn, work)
            } else {
                write_transaction(conn, work)
            }
        };
        let (value, queued) = self
            .run_on_pool(move |pool| {
                Self::with_conn(pool, |conn| {
                    let (value, queued) = notify::deferred(|| write(conn));
                    value.map(|value| (value, queued))
                })
            })
            .await?;
        if let Some(notifier) = &self.notifier {
            notifier.send(queued).await;
        }
        Ok(value)
    }

    /// [`Db::run`] for a write: on SQLite it first passes the [`Db::write_gate`].
    pub async fn run_write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let gate = self.gate.clone();
        self.run_on_pool(move |pool| {
            let _turn = gate.as_ref().map(|gate| gate.lock());
            Self::with_conn(pool, work)
        })
        .await
    }

    /// Statements run through this pool since it opened.
    pub fn queries_executed(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// How full the pool is.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
        }
    }

    /// Which backend this database is.
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// Checks out a connection on the current thread (only for start-up and CLI use).
    pub fn conn(&self) -> Result<Conn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` with a pooled connection on actix's blocking thread pool, so that
    /// diesel never stalls an async worker.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.run_on_pool(move |pool| Self::with_conn(pool, work))
            .await
    }

    /// Runs `work` with the pool on actix's blocking thread pool, once it is this
    /// caller's turn: callers queue here, in the order they came and without a thread
    /// each, for as many turns as the pool has connections, and a turn ends when its
    /// work does (a caller that went away still waits for its thread). Without the
    /// queue every caller took a blocking thread at once and waited on the pool, which
    /// hands a returned connection to whichever waiting thread gets there first: with
    /// 64 clients posting comments to an 8-connection PostgreSQL pool, p99 fell from
    /// 80 to 58 ms with the queue, at about 7 % fewer comments a second
    /// (docs/benchmarks.md).
    async fn run_on_pool<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Pool<ConnectionManager>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let waited = std::time::Instant::now();
        let turn = tokio::time::timeout(CONNECTION_WAIT, Arc::clone(&self.turns).acquire_owned());
        let turn = turn.await;
        metrics::histogram!("db_pool_wait_seconds").record(waited.elapsed().as_secs_f64());
        let turn = match turn {
            Ok(Ok(turn)) => turn,
            Ok(Err(closed)) => return Err(E::from(DbError::Blocking(closed.to_string()))),
            Err(_) => return Err(E::from(DbError::Busy(CONNECTION_WAIT))),
        };
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let _turn = turn;
            work(&pool)
        })
        .await
        .map_err(|e| E::from(DbError::Blocking(e.to_string())))?
    }

    /// Checks a connection out of `pool` and runs `work` on it.
    fn with_conn<T, E, F>(pool: &Pool<ConnectionManager>, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<DbError>,
    {
        let mut conn = pool.get().map_err(DbError::from)?;
        work(&mut conn)
    }

    fn migrations(&self) -> EmbeddedMigrations {
        match self.backend {
            BackendKind::Sqlite => SQLITE_MIGRATIONS,
            BackendKind::Postgres => POSTGRES_MIGRATIONS,
        }
    }

    /// Applies every pending migration of this backend, then keys the usernames that
    /// have no key yet (see [`username_keys`]), logging the clashes found.
    pub fn migrate(&self) -> Result<usize, String> {
        let mut conn = self.conn().map_err(|e| e.to_string())?;
        let applied = conn
            .run_pending_migrations(self.migrations())
            .map_err(|e| format!("migrations failed: {e}"))?
            .len();
        let clashes =
            username_keys::fill(&mut conn).map_err(|e| format!("keying usernames failed: {e}"))?;
        for clash in clashes {
            log::warn!("{clash}");
        }
        Ok(applied)
    }

    /// Whether the database answers and has every migration applied, within `timeout`.
    pub fn check_ready(&self, timeout: std::time::Duration) -> Result<(), String> {
        let mut conn = self
            .pool
            .get_timeout(timeout)
            .map_err(|e| format!("no connection: {e}"))?;
        conn.batch_execute("SELECT 1")
            .map_err(|e| format!("query failed: {e}"))?;
        match conn.has_pending_migration(self.migrations()) {
            Ok(false) => Ok(()),
            Ok(true) => Err("migrations pending".into()),
            Err(e) => Err(format!("cannot read migrations: {e}")),
        }
    }

    /// Reverts every applied migration (drops all data): for checking `down.sql`.
    pub fn revert_all(&self) -> Result<usize, String> {
        let mut conn = self.conn().map_err(|e| e.to_string())?;
        let reverted = conn
            .revert_all_migrations(self.migrations())
            .map_err(|e| format!("reverting migrations failed: {e}"))?;
        Ok(reverted.len())
    }
}
