//! An r2d2 connection manager that picks the backend from the URL's scheme.
//!
//! diesel's generated `MultiConnection::establish` tries each backend in turn, so a
//! mistyped `postgres:` URL can silently become a SQLite file. Here the scheme decides,
//! and an unknown scheme is an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;

use super::DbConnection;

/// The two database backends Conduit runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A parsed `DATABASE_URL`: the backend and what to hand its driver.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    kind: BackendKind,
    target: String,
}

impl std::fmt::Debug for DatabaseUrl {
    // A PostgreSQL URL may carry a password: show only the backend.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.kind)
    }
}

impl DatabaseUrl {
    /// Parses a `DATABASE_URL`: `postgres://…`/`postgresql://…`, `sqlite://PATH`,
    /// `sqlite:PATH` or a bare file path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let tls_default = std::env::var_os("PGSSLMODE").is_some();
            return Ok(Self {
                kind: BackendKind::Postgres,
                target: without_tls_to_this_machine(raw, tls_default),
            });
        }
        let path = if let Some(rest) = raw.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            rest
        } else if raw.contains("://") {
            let scheme = raw.split("://").next().unwrap_or_default();
            return Err(format!(
                "has unsupported scheme `{scheme}` (use postgres://, sqlite:// or a file path)"
            ));
        } else {
            raw
        };
        if path.is_empty() {
            return Err("names no SQLite file".into());
        }
        Ok(Self {
            kind: BackendKind::Sqlite,
            target: path.to_owned(),
        })
    }

    /// The backend this URL selects.
    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// What the backend's driver opens (a PostgreSQL URL or a SQLite path), for the
    /// few dedicated connections kept outside the pool (the cache listener).
    pub fn connection_target(&self) -> &str {
        &self.target
    }

    /// The SQLite file path, if this is SQLite.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.kind == BackendKind::Sqlite).then_some(self.target.as_str())
    }
}

/// `raw` with `sslmode=disable` when it names a server on this machine (`localhost`, a
/// loopback address, a socket directory, or no host at all) and says nothing about
/// TLS, nor does `PGSSLMODE` (`tls_set_elsewhere`); otherwise `raw` as it is.
///
/// libpq's default (`prefer`) encrypts such a connection too, which protects nothing
/// (the traffic never leaves the kernel) and costs both ends CPU on every round trip:
/// about a fifth of the comments a PostgreSQL site on one machine could post per second
/// (docs/benchmarks.md). An `sslmode` given anywhere still wins.
fn without_tls_to_this_machine(raw: &str, tls_set_elsewhere: bool) -> String {
    let Ok(parsed) = url::Url::parse(raw) else {
        // libpq reads forms `url` does not (several hosts, say): left to libpq as given.
        return raw.to_owned();
    };
    let mut host = parsed.host_str().unwrap_or_default().to_owned();
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "sslmode" => return raw.to_owned(),
            "host" => host = value.into_owned(),
            _ => {}
        }
    }
    let host = percent_decoded(&host);
    let this_machine = host.is_empty()
        || host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if tls_set_elsewhere || !this_machine {
        return raw.to_owned();
    }
    let separator = if parsed.query().is_some() { '&' } else { '?' };
    match raw.split_once('#') {
        Some((before, fragment)) => format!("{before}{separator}sslmode=disable#{fragment}"),
        None => format!("{raw}{separator}sslmode=disable"),
    }
}

/// A URL's host as libpq reads it: a socket directory may be percent-encoded (`%2Frun`).
fn percent_decoded(host: &str) -> String {
    url::form_urlencoded::parse(format!("h={host}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Opens connections of the backend the URL names, and counts the statements they run
/// (for metrics, and for tests that hold list pages to a fixed number of queries).
#[derive(Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    queries: Arc<AtomicU64>,
}

impl ConnectionManager {
    /// A manager for `url` that adds every statement it runs to `queries`.
    pub fn new(url: DatabaseUrl, queries: Arc<AtomicU64>) -> Self {
        Self { url, queries }
    }

    fn count_queries(&self, conn: &mut impl Connection) {
        let queries = Arc::clone(&self.queries);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                queries.fetch_add(1, Ordering::Relaxed);
                super::transaction::count_statement();
            }
        });
    }
}

/// Per-connection SQLite settings: WAL for concurrent readers, enforced foreign keys,
/// a busy timeout so writers queue instead of failing, and NORMAL sync (safe with WAL).
/// The busy timeout comes first so that the WAL switch itself waits for other openers.
/// Each connection's page cache is held to 1 MiB (SQLite's default is 2 MiB): the
/// pages all live in the operating system's file cache anyway, and SQLite's
/// allocations, these caches first, were 12.6 MB of the server's heap in a soak
/// (docs/benchmarks.md).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -1024;";

/// Initialises OpenSSL, which libpq uses for TLS, without its exit handler. By default
/// libcrypto frees its global state in an `atexit` handler; a thread still closing or
/// using a PostgreSQL connection while the process exits then crashes (SIGSEGV). The
/// first initialisation decides, so this runs before any PostgreSQL connection is made.
pub fn init_client_tls() {
    openssl_sys::init();
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match self.url.kind {
            BackendKind::Postgres => {
                init_client_tls();
                let mut conn = diesel::PgConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Named after the process, so that operators (and tests) can tell whose
                // connections they see in `pg_stat_activity`.
                conn.batch_execute(&format!(
                    "SET application_name = 'conduit {}'",
                    std::process::id()
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                self.count_queries(&mut conn);
                Ok(DbConnection::Pg(conn))
            }
            BackendKind::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                self.count_queries(&mut conn);
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// Runs at every checkout, so it costs no round trip (a `SELECT 1` here ran 2.5 times
    /// per comment posted, counting the workers' checkouts). A SQLite file does not go away under
    /// an open connection. A PostgreSQL server that ended a connection (a restart, an
    /// administrator's `pg_terminate_backend`) left its last message and the end of the
    /// stream on the socket: reading what has arrived, without waiting, finds them.
    /// Twice, since one read may return the message alone.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        match conn {
            DbConnection::Sqlite(_) => Ok(()),
            DbConnection::Pg(pg) => {
                for _ in 0..2 {
                    // Pool connections listen to no channel: nothing is taken from anyone.
                    for received in pg.notifications_iter() {
                        received.map_err(diesel::r2d2::Error::QueryError)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::without_tls_to_this_machine as untls;

    #[test]
    fn connections_to_this_machine_skip_tls_unless_asked() {
        let off = |url: &str| untls(url, false);
        assert_eq!(
            off("postgres://root@127.0.0.1/test"),
            "postgres://root@127.0.0.1/test?sslmode=disable"
        );
        assert_eq!(
            off("postgresql://u:p@localhost:5433/db?options=-csearch_path%3Dx"),
            "postgresql://u:p@localhost:5433/db?options=-csearch_path%3Dx&sslmode=disable"
        );
        assert_eq!(
            off("postgres://[::1]/db"),
            "postgres://[::1]/db?sslmode=disable"
        );
        assert_eq!(off("postgres:///db"), "postgres:///db?sslmode=disable");
        assert_eq!(
            off("postgres://root@%2Frun%2Fpostgresql/db"),
            "postgres://root@%2Frun%2Fpostgresql/db?sslmode=disable"
        );
        assert_eq!(
            off("postgres://db.example/db?host=/run/postgresql"),
            "postgres://db.example/db?host=/run/postgresql&sslmode=disable"
        );
    }

    #[test]
    fn other_servers_and_explicit_modes_are_left_alone() {
        for url in [
            "postgres://root@db.internal/test",
            "postgres://root@10.0.0.5/test",
            "postgres://root@127.0.0.1/test?sslmode=require",
            "postgres://127.0.0.1/db?host=db.internal",
        ] {
            assert_eq!(untls(url, false), url);
        }
        assert_eq!(
            untls("postgres://root@127.0.0.1/test", true),
            "postgres://root@127.0.0.1/test"
        );
    }
}
