//! Settings of the live connections, read with the rest of the configuration.

use std::time::Duration;

use crate::config::{ConfigError, parse_number};

/// How live connections are paced and bounded (per instance).
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Pause between heartbeats (`CONDUIT_LIVE_HEARTBEAT_SECS`, default 15): a comment
    /// line that keeps proxies from closing a quiet stream and finds dead clients.
    pub heartbeat: Duration,
    /// Open streams one member may hold on this instance (`CONDUIT_LIVE_MAX_PER_USER`,
    /// default 8: a few tabs); one more is refused with 429.
    pub max_per_user: u32,
    /// Open streams one client address may hold on this instance
    /// (`CONDUIT_LIVE_MAX_PER_ADDRESS`, default 32: a household or office behind one
    /// address); one more is refused with 429.
    pub max_per_address: u32,
    /// Events waiting for a client that does not read (`CONDUIT_LIVE_BUFFER`, default
    /// 64); one more and the client is dropped, so no stream grows without end.
    pub buffer: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(15),
            max_per_user: 8,
            max_per_address: 32,
            buffer: 64,
        }
    }
}

impl LiveConfig {
    /// Reads the `CONDUIT_LIVE_*` variables through `lookup`.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            heartbeat: Duration::from_secs(u64::from(parse_number(
                lookup,
                "CONDUIT_LIVE_HEARTBEAT_SECS",
                15,
                1..=3600,
            )?)),
            max_per_user: parse_number(lookup, "CONDUIT_LIVE_MAX_PER_USER", 8, 1..=10_000)?,
            max_per_address: parse_number(lookup, "CONDUIT_LIVE_MAX_PER_ADDRESS", 32, 1..=100_000)?,
            buffer: parse_number(lookup, "CONDUIT_LIVE_BUFFER", 64, 1..=10_000)? as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let none = |_: &str| None;
        let cfg = LiveConfig::from_lookup(&none).expect("defaults");
        assert_eq!(cfg.heartbeat, Duration::from_secs(15));
        assert_eq!(
            (cfg.max_per_user, cfg.max_per_address, cfg.buffer),
            (8, 32, 64)
        );
        let zero = |name: &str| (name == "CONDUIT_LIVE_BUFFER").then(|| "0".to_owned());
        let err = LiveConfig::from_lookup(&zero).expect_err("refused");
        assert_eq!(err.var, "CONDUIT_LIVE_BUFFER");
    }
}
