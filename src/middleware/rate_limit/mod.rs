//! Rate limits on sign-in, sign-up, account changes and writes: per client IP and per
//! account, answered with 429 and `Retry-After`. Applied as middleware so that the
//! pages and the API share one set of limits.
//!
//! On PostgreSQL several instances serve one database, so the limits live there (see
//! `shared`) and every instance draws on the same allowance; on SQLite (one server
//! process) they stay in memory with `governor`. Both run the same GCRA on the same quotas.

mod shared;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::db::{BackendKind, Db, DbError};
use crate::state::AppState;

/// What a request does, for the purpose of limiting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Signing in.
    Login,
    /// Creating an account.
    Register,
    /// Changing settings (email, password…).
    Account,
    /// Asking for a password recovery link (per client, and per address by the page
    /// itself: see [`RateLimits::admit`]).
    Recovery,
    /// Any other write.
    Write,
}

impl Action {
    const ALL: [Action; 5] = [
        Action::Login,
        Action::Register,
        Action::Account,
        Action::Recovery,
        Action::Write,
    ];

    /// Classifies a request; reads are never limited.
    pub fn of(method: &Method, path: &str) -> Option<Action> {
        if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
            return None;
        }
        Some(match (method.as_str(), path) {
            ("POST", "/api/users/login" | "/login" | "/login/two-factor") => Action::Login,
            ("POST", "/api/users" | "/register") => Action::Register,
            ("PUT", "/api/user") | ("POST", "/settings") => Action::Account,
            // Each checks a password.
            ("POST", "/settings/two-factor/disable" | "/settings/two-factor/codes") => {
                Action::Account
            }
            // A GraphQL request may be a read: each mutation draws on its REST twin's
            // allowance itself (see `graphql::limits`).
            ("POST", "/api/graphql") => return None,
            // Limited by the page, which knows the address asked for.
            ("POST", "/password/forgot") => return None,
            // Each sends an email: as scarce as recovery links, per signed-in account.
            ("POST", "/settings/verify-email") => Action::Recovery,
            _ => Action::Write,
        })
    }

    /// The action's part of a shared bucket's name.
    fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Register => "register",
            Action::Account => "account",
            Action::Recovery => "recovery",
            Action::Write => "write",
        }
    }
}

/// Whose allowance a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Ip,
    Account,
}

/// The allowance per minute of `action` per `scope`, from the base rate: sign-ins at the
/// base rate per IP, sign-ups and settings at half, writes at four times per IP and twice
/// per account, settings a quarter per account; recovery links a quarter per IP and one
/// a minute per address (at the default base). `None`: not limited that way.
fn per_minute(base: u32, action: Action, scope: Scope) -> Option<u32> {
    match (scope, action) {
        (Scope::Ip, Action::Login) => Some(base),
        (Scope::Ip, Action::Register | Action::Account) => Some(base / 2),
        (Scope::Ip, Action::Recovery) => Some(base / 4),
        (Scope::Ip, Action::Write) => Some(base.saturating_mul(4)),
        (Scope::Account, Action::Account) => Some(base / 4),
        (Scope::Account, Action::Recovery) => Some((base / 60).max(1)),
        (Scope::Account, Action::Write) => Some(base.saturating_mul(2)),
        (Scope::Account, Action::Login | Action::Register) => None,
    }
}

/// Who is asking: the client address, and the account when signed in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(Action, IpAddr),
    Account(Action, String),
}

/// The limits, sized from `CONDUIT_RATE_LIMIT_PER_MINUTE` (0 turns them off).
pub struct RateLimits {
    /// The base rate per minute; 0 when the limits are off.
    base: u32,
    /// The in-memory limiters (the SQLite path), one per limited action and scope.
    local: Vec<(Action, Scope, DefaultKeyedRateLimiter<Key>)>,
    checks: AtomicU64,
}

fn limiter(per_minute: u32) -> DefaultKeyedRateLimiter<Key> {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    DefaultKeyedRateLimiter::dashmap(Quota::per_minute(n).allow_burst(n))
}

impl RateLimits {
    /// Limits derived from a base rate per minute (see `per_minute` for the ratios).
    pub fn new(base_per_minute: u32) -> Self {
        let mut local = Vec::new();
        if base_per_minute > 0 {
            for scope in [Scope::Ip, Scope::Account] {
                for action in Action::ALL {
                    if let Some(n) = per_minute(base_per_minute, action, scope) {
                        local.push((action, scope, limiter(n)));
                    }
                }
            }
        }
        Self {
            base: base_per_minute,
            local,
            checks: AtomicU64::new(0),
        }
    }

    /// True once in 4096 checks: time to forget idle clients.
    fn prune_due(&self) -> bool {
        self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095
    }

    fn local(&self, action: Action, scope: Scope) -> Option<&DefaultKeyedRateLimiter<Key>> {
        self.local
            .iter()
            .find(|(a, s, _)| *a == action && *s == scope)
            .map(|(_, _, l)| l)
    }

    /// `Err(wait)` when `action` from `ip` (and `account`) is over its limit in this
    /// process's memory (the SQLite path).
    pub fn check(
        &self,
        action: Action,
        ip: IpAddr,
        account: Option<String>,
    ) -> Result<(), Duration> {
        // Forget idle clients now and then so the maps stay small.
        if self.prune_due() {
            for (_, _, l) in &self.local {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
        // The limiter's own clock: a new `DefaultClock` calibrates itself on every call
        // (a few percent of a core under a write burst).
        let over = |limiter: &DefaultKeyedRateLimiter<Key>, key: Key| {
            limiter
                .check_key(&key)
                .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
        };
        if let Some(l) = self.local(action, Scope::Ip) {
            over(l, Key::Ip(action, ip))?;
        }
        if let (Some(l), Some(account)) = (self.local(action, Scope::Account), account) {
            over(l, Key::Account(action, account))?;
        }
        Ok(())
    }

    /// The rows of the shared table that `action` from `ip` (and `account`) draws on.
    fn buckets(&self, action: Action, ip: IpAddr, account: Option<&str>) -> Vec<shared::Bucket> {
        if self.base == 0 {
            return Vec::new();
        }
        let by_ip = per_minute(self.base, action, Scope::Ip)
            .map(|n| shared::Bucket::new(format!("{}:ip:{ip}", action.name()), n));
        let by_account = per_minute(self.base, action, Scope::Account)
            .zip(account)
            .map(|(n, id)| shared::Bucket::new(format!("{}:acct:{id}", action.name()), n));
        by_ip.into_iter().chain(by_account).collect()
    }

    /// `Err(wait)` when `action` from `ip` (and `account`) is over its limit in the
    /// database, shared by every instance (the PostgreSQL path): one statement, which
    /// takes from every bucket or from none. When the database cannot answer, the request
    /// goes through (logged): a pool timeout must not refuse every write.
    pub async fn check_shared(
        &self,
        db: &Db,
        action: Action,
        ip: IpAddr,
        account: Option<String>,
    ) -> Result<(), Duration> {
        let buckets = self.buckets(action, ip, account.as_deref());
        if buckets.is_empty() {
            return Ok(());
        }
        let now = shared::now_micros();
        if self.prune_due() {
            // Off the request's path: refilled rows are as good as absent.
            let db = db.clone();
            actix_web::rt::spawn(async move {
                let pruned = db.run(move |conn| Ok::<_, DbError>(shared::prune(conn, now)?));
                if let Err(e) = pruned.await {
                    log::warn!(target: "conduit::security", "pruning rate limits failed: {e}");
                }
            });
        }
        let taken = db.run(move |conn| Ok::<_, DbError>(shared::take(conn, &buckets, now)?));
        taken.await.unwrap_or_else(|e| {
            log::warn!(
                target: "conduit::security", action:? = action;
                "rate limit check failed, request let through: {e}"
            );
            Ok(())
        })
    }

    /// `Err(wait)` when `action` from `ip` (and for `account`, which may be any key such
    /// as an email address) is over its limit: in memory on SQLite, in the database
    /// (shared by every instance) on PostgreSQL.
    pub async fn admit(
        &self,
        db: &Db,
        action: Action,
        ip: IpAddr,
        account: Option<String>,
    ) -> Result<(), Duration> {
        let verdict = match db.backend() {
            BackendKind::Sqlite => self.check(action, ip, account),
            BackendKind::Postgres => self.check_shared(db, action, ip, account).await,
        };
        if verdict.is_err() {
            log::warn!(target: "conduit::security", action:? = action; "rate limit hit");
        }
        verdict
    }
}

/// The signed-in account, if any: the API token's user (a JWT's or an access token's),
/// or the page session's identity.
async fn account_of(req: &ServiceRequest, state: &AppState) -> Option<String> {
    let token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, token)| token.trim().to_owned());
    if let Some(token) = token
        && let Some(user_id) = crate::routes::api::extract::token_user(state, &token).await
    {
        return Some(user_id.to_string());
    }
    actix_identity::IdentityExt::get_identity(req)
        .ok()
        .and_then(|identity| identity.id().ok())
}

/// The client address: the TCP peer, or the proxy-reported client when
/// `CONDUIT_TRUST_PROXY=true` (only behind a proxy that sets `X-Forwarded-For`).
pub fn client_ip(req: &actix_web::HttpRequest, trust_proxy: bool) -> IpAddr {
    let forwarded = trust_proxy
        .then(|| {
            req.connection_info()
                .realip_remote_addr()
                .map(str::to_owned)
        })
        .flatten()
        .and_then(|addr| {
            addr.parse::<IpAddr>()
                .ok()
                .or_else(|| addr.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        });
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The API's 429 body (the GraphQL API's mutations say the same).
pub fn too_many_body(wait: Duration) -> crate::routes::api::error::ErrorBody {
    let seconds = wait.as_secs() + 1;
    crate::routes::api::error::ErrorBody::one(
        "rate",
        format!("too many requests; retry in {seconds} s"),
    )
}

/// The 429 answer: JSON under `/api/`, a sentence elsewhere.
pub fn too_many(path: &str, wait: Duration) -> HttpResponse {
    let seconds = wait.as_secs() + 1;
    let mut response = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS);
    response.insert_header(("Retry-After", seconds.to_string()));
    if path.starts_with("/api/") {
        response.json(too_many_body(wait))
    } else {
        response
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "Too many attempts. Please wait {seconds} seconds and try again."
            ))
    }
}

/// The middleware (use with `actix_web::middleware::from_fn`).
pub async fn limit_rate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(action) = Action::of(req.method(), req.path()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let ip = client_ip(req.request(), state.trust_proxy);
    let account = account_of(&req, &state).await;
    let verdict = (state.rate_limits)
        .admit(&state.db, action, ip, account)
        .await;
    if let Err(wait) = verdict {
        let path = req.path().to_owned();
        return Ok(req.into_response(too_many(&path, wait)));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(Action::of(&Method::GET, "/login"), None);
        assert_eq!(Action::of(&Method::POST, "/login"), Some(Action::Login));
        assert_eq!(
            Action::of(&Method::POST, "/api/users"),
            Some(Action::Register)
        );
        assert_eq!(Action::of(&Method::PUT, "/api/user"), Some(Action::Account));
        assert_eq!(
            Action::of(&Method::DELETE, "/api/articles/x"),
            Some(Action::Write)
        );
    }

    #[test]
    fn limits_trip_per_key_and_can_be_off() {
        let limits = RateLimits::new(4);
        let ip = IpAddr::from([10, 0, 0, 1]);
        assert!(limits.check(Action::Register, ip, None).is_ok());
        assert!(limits.check(Action::Register, ip, None).is_ok());
        let wait = limits
            .check(Action::Register, ip, None)
            .expect_err("refused");
        assert!(wait > Duration::ZERO);
        assert!(
            limits
                .check(Action::Register, IpAddr::from([10, 0, 0, 2]), None)
                .is_ok()
        );
        let off = RateLimits::new(0);
        for _ in 0..100 {
            assert!(off.check(Action::Login, ip, None).is_ok());
        }
    }
}
