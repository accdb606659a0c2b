//! Typed configuration read from environment variables (and an optional `.env`).

use std::path::{Path, PathBuf};

use crate::db::{BackendKind, DatabaseUrl};

mod secret;

use secret::{MIN_SECRET_LEN, load_or_create_key_file};
pub use secret::{Secret, key_file_path};

/// A configuration value that could not be used: names the variable, says why.
#[derive(Debug, thiserror::Error)]
#[error("invalid {var}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the data lives (`DATABASE_URL`).
    pub database_url: DatabaseUrl,
    /// Address to listen on (`CONDUIT_BIND`).
    pub bind: String,
    /// Key that signs tokens and cookies (`CONDUIT_SECRET_KEY` or the key file).
    pub secret_key: Secret,
    /// bcrypt work factor (`CONDUIT_BCRYPT_COST`, at least [`MIN_BCRYPT_COST`] from the
    /// environment). In-process tests set this field directly to a cheaper cost; nothing
    /// read from the environment can go below the floor.
    pub bcrypt_cost: u32,
    /// How long an API token stays valid (`CONDUIT_TOKEN_TTL_DAYS`).
    pub token_ttl_days: u32,
    /// How long after signing in the site's settings change the email or the password
    /// without asking for the current one (`CONDUIT_REAUTH_WINDOW_SECS`).
    pub reauth_window_secs: u32,
    /// Publishing and commenting need a proved email (`CONDUIT_REQUIRE_VERIFIED_EMAIL`).
    pub require_verified_email: bool,
    /// Moderators and admins must turn on two-factor sign-in before the admin area
    /// (`CONDUIT_REQUIRE_STAFF_2FA`).
    pub require_staff_two_factor: bool,
    /// Maximum pooled database connections (`CONDUIT_DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// The site is served over HTTPS (`CONDUIT_HTTPS=true`, usually behind a TLS proxy):
    /// the session cookie gets `Secure` and responses get HSTS. Default `false` so that
    /// plain-HTTP local use works.
    pub https: bool,
    /// Bearer token that unlocks `GET /metrics` (`CONDUIT_METRICS_TOKEN`); without one the
    /// endpoint is off.
    pub metrics_token: Option<Secret>,
    /// Base rate for the rate limits, per minute (`CONDUIT_RATE_LIMIT_PER_MINUTE`; 0 = off).
    pub rate_limit_per_minute: u32,
    /// Trust `X-Forwarded-For` for the client address (`CONDUIT_TRUST_PROXY`).
    pub trust_proxy: bool,
    /// One JSON object per log line instead of text (`CONDUIT_LOG_FORMAT=json`).
    pub json_logs: bool,
    /// Bytes all in-memory caches may hold together, in MiB (`CONDUIT_CACHE_MAX_MB`;
    /// 0 turns caching off).
    pub cache_max_mb: u32,
    /// How long a cached entry may live, in seconds (`CONDUIT_CACHE_TTL_SECS`): the bound
    /// on staleness when another process writes to the same database.
    pub cache_ttl_secs: u32,
    /// First pause before the cache listener reconnects after losing the database, in
    /// milliseconds (`CONDUIT_LISTENER_BACKOFF_MS`, default 100; doubles up to 5 s).
    pub listener_backoff_ms: u32,
    /// Size of the fixed response served by `GET /bench/ceiling`, for the benchmark's
    /// ceiling (`CONDUIT_BENCH_CEILING_BYTES`); unset, the route does not exist.
    pub bench_ceiling_bytes: Option<u32>,
    /// Largest image upload accepted, in bytes (`CONDUIT_IMAGE_MAX_BYTES`, default 5 MiB).
    pub image_max_bytes: u32,
    /// Bytes of stored images each member may hold (`CONDUIT_IMAGE_QUOTA_BYTES`, default
    /// 50 MiB).
    pub image_quota_bytes: u32,
    /// Background jobs, email and webhooks.
    pub jobs: JobsConfig,
    /// Live pages (server-sent events).
    pub live: crate::live::LiveConfig,
}

/// Configuration of the job workers, email and webhooks.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Worker threads inside the server (`CONDUIT_WORKERS`, default 2; 0 = none, for a
    /// deployment that runs `conduit worker` separately).
    pub workers: u32,
    /// Pause between polls of an empty queue (`CONDUIT_JOB_POLL_MS`, default 500).
    pub poll_ms: u32,
    /// How long a claimed job is held before another worker may take it over
    /// (`CONDUIT_JOB_LEASE_SECS`, default 60).
    pub lease_secs: u32,
    /// First retry delay (`CONDUIT_JOB_BACKOFF_MS`, default 2000); doubles per attempt.
    pub backoff_base_ms: u32,
    /// Longest retry delay (`CONDUIT_JOB_BACKOFF_MAX_MS`, default one hour).
    pub backoff_max_ms: u32,
    /// SMTP server (`CONDUIT_SMTP_URL`, e.g. `smtp://user:pass@relay:25`); without it
    /// email is written to `mail_dir`. May hold a password, hence a secret.
    pub smtp_url: Option<Secret>,
    /// Folder for `.eml` files (`CONDUIT_MAIL_DIR`; default `<database>.mail` beside the
    /// SQLite file, or `mail` in the working directory).
    pub mail_dir: PathBuf,
    /// Sender address (`CONDUIT_MAIL_FROM`).
    pub mail_from: String,
    /// The site's public address for links in email (`CONDUIT_PUBLIC_URL`).
    pub public_url: String,
    /// Let webhooks target private, loopback and link-local addresses
    /// (`CONDUIT_WEBHOOK_ALLOW_PRIVATE`, default false).
    pub webhook_allow_private: bool,
}

impl JobsConfig {
    /// The worker settings these values describe, with `workers` threads.
    pub fn settings(&self, workers: u32) -> crate::jobs::JobSettings {
        use std::time::Duration;
        crate::jobs::JobSettings {
            workers,
            poll: Duration::from_millis(u64::from(self.poll_ms)),
            lease: Duration::from_secs(u64::from(self.lease_secs)),
            backoff_base: Duration::from_millis(u64::from(self.backoff_base_ms)),
            backoff_max: Duration::from_millis(u64::from(self.backoff_max_ms)),
        }
    }

    fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        database_url: &DatabaseUrl,
        bind: &str,
    ) -> Result<Self, ConfigError> {
        let mail_dir = match lookup("CONDUIT_MAIL_DIR").filter(|d| !d.trim().is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => default_mail_dir(database_url),
        };
        let public_url = lookup("CONDUIT_PUBLIC_URL")
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{bind}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "CONDUIT_PUBLIC_URL",
                reason: "must start with http:// or https://".into(),
            });
        }
        Ok(Self {
            workers: parse_number(lookup, "CONDUIT_WORKERS", 2, 0..=64)?,
            poll_ms: parse_number(lookup, "CONDUIT_JOB_POLL_MS", 500, 5..=60_000)?,
            lease_secs: parse_number(lookup, "CONDUIT_JOB_LEASE_SECS", 60, 1..=86_400)?,
            backoff_base_ms: parse_number(lookup, "CONDUIT_JOB_BACKOFF_MS", 2000, 1..=3_600_000)?,
            backoff_max_ms: parse_number(
                lookup,
                "CONDUIT_JOB_BACKOFF_MAX_MS",
                3_600_000,
                1..=86_400_000,
            )?,
            smtp_url: lookup("CONDUIT_SMTP_URL")
                .filter(|u| !u.trim().is_empty())
                .map(|u| Secret::new(u.trim().as_bytes().to_vec())),
            mail_dir,
            mail_from: lookup("CONDUIT_MAIL_FROM")
                .unwrap_or_else(|| "Conduit <conduit@localhost>".into()),
            public_url,
            webhook_allow_private: parse_bool(lookup, "CONDUIT_WEBHOOK_ALLOW_PRIVATE", false)?,
        })
    }
}

/// `<file>.mail` beside the SQLite file, else `mail` in the working directory.
fn default_mail_dir(url: &DatabaseUrl) -> PathBuf {
    beside_database(url, "mail", "mail")
}

/// `<file>.<suffix>` beside the SQLite file, so a site's files stay together; `elsewhere`
/// in the working directory for PostgreSQL (or an in-memory SQLite).
fn beside_database(url: &DatabaseUrl, suffix: &str, elsewhere: &str) -> PathBuf {
    match (url.kind(), url.sqlite_path()) {
        (BackendKind::Sqlite, Some(path)) if path != ":memory:" => {
            let db = Path::new(path);
            let name = db
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "conduit.db".into());
            db.with_file_name(format!("{name}.{suffix}"))
        }
        _ => PathBuf::from(elsewhere),
    }
}

/// The lowest bcrypt cost a server accepts from its environment: below 10 a stolen
/// password hash is cheap to brute-force (each step halves the attacker's work).
pub const MIN_BCRYPT_COST: u32 = 10;
/// bcrypt's own upper bound.
const MAX_BCRYPT_COST: u32 = 31;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can pass their own values.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw_url = lookup("DATABASE_URL").unwrap_or_else(|| "conduit.db".into());
        let database_url = DatabaseUrl::parse(&raw_url).map_err(|reason| ConfigError {
            var: "DATABASE_URL",
            reason,
        })?;
        let bind = lookup("CONDUIT_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        if bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError {
                var: "CONDUIT_BIND",
                reason: format!("`{bind}` is not an address like 127.0.0.1:8080"),
            });
        }
        let bcrypt_cost = parse_number(&lookup, "CONDUIT_BCRYPT_COST", 12, 0..=MAX_BCRYPT_COST)?;
        if bcrypt_cost < MIN_BCRYPT_COST {
            return Err(ConfigError {
                var: "CONDUIT_BCRYPT_COST",
                reason: format!(
                    "{bcrypt_cost} is below the minimum of {MIN_BCRYPT_COST}: \
                     password hashes that cheap are quick to crack if they ever leak"
                ),
            });
        }
        let token_ttl_days = parse_number(&lookup, "CONDUIT_TOKEN_TTL_DAYS", 30, 1..=365)?;
        let reauth_window_secs =
            parse_number(&lookup, "CONDUIT_REAUTH_WINDOW_SECS", 600, 0..=86_400)?;
        let require_verified_email = parse_bool(&lookup, "CONDUIT_REQUIRE_VERIFIED_EMAIL", false)?;
        let require_staff_two_factor = parse_bool(&lookup, "CONDUIT_REQUIRE_STAFF_2FA", false)?;
        let db_pool_size = parse_number(
            &lookup,
            "CONDUIT_DB_POOL_SIZE",
            default_pool_size(database_url.kind()),
            1..=256,
        )?;
        let https = parse_bool(&lookup, "CONDUIT_HTTPS", false)?;
        let json_logs = log_format_is_json(lookup("CONDUIT_LOG_FORMAT"))?;
        let rate_limit_per_minute =
            parse_number(&lookup, "CONDUIT_RATE_LIMIT_PER_MINUTE", 60, 0..=100_000)?;
        let trust_proxy = parse_bool(&lookup, "CONDUIT_TRUST_PROXY", false)?;
        let cache_max_mb = parse_number(&lookup, "CONDUIT_CACHE_MAX_MB", 80, 0..=65_536)?;
        let cache_ttl_secs = parse_number(&lookup, "CONDUIT_CACHE_TTL_SECS", 300, 1..=86_400)?;
        let listener_backoff_ms =
            parse_number(&lookup, "CONDUIT_LISTENER_BACKOFF_MS", 100, 10..=60_000)?;
        let bench_ceiling_bytes =
            match lookup("CONDUIT_BENCH_CEILING_BYTES").filter(|v| !v.trim().is_empty()) {
                None => None,
                Some(_) => Some(parse_number(
                    &lookup,
                    "CONDUIT_BENCH_CEILING_BYTES",
                    0,
                    1..=16 * 1024 * 1024,
                )?),
            };
        let image_max_bytes = parse_number(
            &lookup,
            "CONDUIT_IMAGE_MAX_BYTES",
            5 * 1024 * 1024,
            1024..=64 * 1024 * 1024,
        )?;
        let image_quota_bytes = parse_number(
            &lookup,
            "CONDUIT_IMAGE_QUOTA_BYTES",
            50 * 1024 * 1024,
            0..=u32::MAX,
        )?;
        let metrics_token = match lookup("CONDUIT_METRICS_TOKEN") {
            None => None,
            Some(token) if token.trim().len() >= 16 => {
                Some(Secret::new(token.trim().as_bytes().to_vec()))
            }
            Some(_) => {
                return Err(ConfigError {
                    var: "CONDUIT_METRICS_TOKEN",
                    reason: "must be at least 16 characters long".into(),
                });
            }
        };
        let secret_key = match lookup("CONDUIT_SECRET_KEY") {
            Some(value) if value.len() >= MIN_SECRET_LEN => Secret::new(value.into_bytes()),
            Some(_) => {
                return Err(ConfigError {
                    var: "CONDUIT_SECRET_KEY",
                    reason: format!("must be at least {MIN_SECRET_LEN} characters long"),
                });
            }
            None => load_or_create_key_file(&key_file_path(&database_url))?,
        };
        let jobs = JobsConfig::from_lookup(&lookup, &database_url, &bind)?;
        let live = crate::live::LiveConfig::from_lookup(&lookup)?;
        Ok(Self {
            jobs,
            live,
            database_url,
            bind,
            secret_key,
            bcrypt_cost,
            token_ttl_days,
            reauth_window_secs,
            require_verified_email,
            require_staff_two_factor,
            db_pool_size,
            https,
            json_logs,
            metrics_token,
            rate_limit_per_minute,
            trust_proxy,
            cache_max_mb,
            cache_ttl_secs,
            listener_backoff_ms,
            bench_ceiling_bytes,
            image_max_bytes,
            image_quota_bytes,
        })
    }
}

/// The pool's size when `CONDUIT_DB_POOL_SIZE` is not set. A PostgreSQL connection spends
/// much of a write waiting (the round trip, the commit's flush), so more of them keep
/// the cores busy: 16 against 8 posted 9–18 % more comments and 6–9 % more articles a
/// second on 2 cores (docs/benchmarks.md), and three instances still hold well under
/// PostgreSQL's default 100 connections. SQLite's writes go through one writer thread
/// and its reads rarely wait, so its pool stays small (each connection has a page cache).
fn default_pool_size(backend: crate::db::BackendKind) -> u32 {
    match backend {
        crate::db::BackendKind::Postgres => 16,
        crate::db::BackendKind::Sqlite => 8,
    }
}

pub(crate) fn parse_number(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(raw) = lookup(var) else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError {
            var,
            reason: format!(
                "`{raw}` is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// `CONDUIT_LOG_FORMAT`: `text` (default) or `json`. Read on its own by `main`, before
/// the rest of the configuration, so that configuration errors are logged in that format.
pub fn log_format_is_json(raw: Option<String>) -> Result<bool, ConfigError> {
    match raw.as_deref().map(str::trim).unwrap_or("text") {
        "" | "text" => Ok(false),
        "json" => Ok(true),
        other => Err(ConfigError {
            var: "CONDUIT_LOG_FORMAT",
            reason: format!("`{other}` is not `text` or `json`"),
        }),
    }
}

fn parse_bool(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    let Some(raw) = lookup(var) else {
        return Ok(default);
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(default),
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError {
            var,
            reason: format!("`{raw}` is not true or false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    const KEY: (&str, &str) = ("CONDUIT_SECRET_KEY", "0123456789abcdef0123456789abcdef");

    #[test]
    fn bad_values_name_their_variable() {
        let err = config(&[KEY, ("CONDUIT_BCRYPT_COST", "99")]).expect_err("refused");
        assert_eq!(err.var, "CONDUIT_BCRYPT_COST");
        for cheap in ["4", "9"] {
            let err = config(&[KEY, ("CONDUIT_BCRYPT_COST", cheap)]).expect_err("refused");
            assert_eq!(err.var, "CONDUIT_BCRYPT_COST");
            assert!(err.reason.contains("minimum of 10"), "{}", err.reason);
        }
        let cfg = config(&[KEY, ("CONDUIT_BCRYPT_COST", "10")]).expect("floor accepted");
        assert_eq!(cfg.bcrypt_cost, 10);
        let err = config(&[KEY, ("CONDUIT_BIND", "nowhere")]).expect_err("refused");
        assert_eq!(err.var, "CONDUIT_BIND");
        let err = config(&[KEY, ("DATABASE_URL", "mysql://x")]).expect_err("refused");
        assert_eq!(err.var, "DATABASE_URL");
        let err = config(&[("CONDUIT_SECRET_KEY", "short")]).expect_err("refused");
        assert_eq!(err.var, "CONDUIT_SECRET_KEY");
    }

    #[test]
    fn defaults_apply() {
        let cfg = config(&[KEY]).expect("defaults are valid");
        assert_eq!(cfg.bind, "127.0.0.1:8080");
        assert_eq!(cfg.bcrypt_cost, 12);
        assert_eq!(cfg.database_url.sqlite_path(), Some("conduit.db"));
        assert!(!cfg.https);
        assert!(!cfg.json_logs);
        assert!(!format!("{cfg:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn the_pool_is_bigger_on_postgresql_unless_set() {
        assert_eq!(config(&[KEY]).expect("sqlite").db_pool_size, 8);
        let pg = ("DATABASE_URL", "postgres://root@127.0.0.1/test");
        assert_eq!(config(&[KEY, pg]).expect("postgres").db_pool_size, 16);
        let set = ("CONDUIT_DB_POOL_SIZE", "3");
        assert_eq!(config(&[KEY, pg, set]).expect("set").db_pool_size, 3);
    }

    #[test]
    fn https_is_a_boolean() {
        for (raw, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("false", false),
            ("0", false),
            ("", false),
        ] {
            let cfg = config(&[KEY, ("CONDUIT_HTTPS", raw)]).expect("valid boolean");
            assert_eq!(cfg.https, expected, "{raw}");
        }
        let err = config(&[KEY, ("CONDUIT_HTTPS", "maybe")]).expect_err("refused");
        assert_eq!(err.var, "CONDUIT_HTTPS");
        let err = config(&[KEY, ("CONDUIT_LOG_FORMAT", "xml")]).expect_err("refused");
        assert_eq!(err.var, "CONDUIT_LOG_FORMAT");
    }

    #[test]
    fn generated_key_is_kept_across_starts() {
        let dir = std::env::temp_dir().join(format!("conduit-cfg-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db = dir.join("site.db").to_string_lossy().into_owned();
        let first = config(&[("DATABASE_URL", &db)]).expect("first start");
        let second = config(&[("DATABASE_URL", &db)]).expect("second start");
        assert_eq!(first.secret_key.expose(), second.secret_key.expose());
        assert!(dir.join("site.db.secret").exists());
        let _ = std::fs::remove_dir_all(dir);
    }
}
