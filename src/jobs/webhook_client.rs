//! The HTTP side of webhooks: a small blocking client (ureq) for the worker threads that
//! signs each delivery and connects only to addresses the target policy allows.

use std::net::SocketAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::webhooks::allowed_addresses;

/// How long one delivery may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept open to one receiver between deliveries: as many as a worker sends
/// side by side. ureq's default keeps one, so a batch to a busy receiver opened a new
/// connection (and TLS session) for every delivery but one.
const IDLE_PER_HOST: usize = super::worker::WAITING_BATCH as usize;

/// The outcome of one delivery attempt.
#[derive(Debug)]
pub enum Sent {
    /// A 2xx answer.
    Delivered(u16),
    /// Any other status.
    Refused(u16),
    /// No answer: DNS, connection, TLS or timeout.
    Unreachable(String),
    /// The target resolves only to forbidden addresses.
    Forbidden(String),
}

/// Sends webhook deliveries.
pub struct WebhookClient {
    agent: ureq::Agent,
}

/// `X-Conduit-Signature` for `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &str) -> String {
    let digest = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    format!("t={timestamp},v1={digest}")
}

impl WebhookClient {
    /// A client that refuses private, loopback and link-local targets unless
    /// `allow_private`.
    pub fn new(allow_private: bool) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout(TIMEOUT)
            .max_idle_connections_per_host(IDLE_PER_HOST)
            // A redirect would be a second target that nobody chose.
            .redirects(0)
            .resolver(move |netloc: &str| -> std::io::Result<Vec<SocketAddr>> {
                let (host, port) = netloc.rsplit_once(':').ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "no port")
                })?;
                let port = port.parse::<u16>().map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad port")
                })?;
                allowed_addresses(host, port, allow_private)
            })
            .build();
        Self { agent }
    }

    /// POSTs `body` to `url` with the signature and event headers.
    pub fn send(&self, url: &str, secret: &str, event: &str, delivery_id: i32, body: &str) -> Sent {
        let timestamp = chrono::Utc::now().timestamp();
        let result = self
            .agent
            .post(url)
            .set("Content-Type", "application/json")
            .set("User-Agent", "Conduit-Webhooks/1")
            .set("X-Conduit-Event", event)
            .set("X-Conduit-Delivery", &delivery_id.to_string())
            .set(
                "X-Conduit-Signature",
                &signature(secret.as_bytes(), timestamp, body),
            )
            .send_string(body);
        match result {
            Ok(response) if (200..300).contains(&response.status()) => {
                Sent::Delivered(response.status())
            }
            Ok(response) => Sent::Refused(response.status()),
            Err(ureq::Error::Status(code, _)) => Sent::Refused(code),
            Err(ureq::Error::Transport(transport)) => {
                let text = transport.to_string();
                if text.contains("private, loopback or link-local") {
                    Sent::Forbidden(text)
                } else {
                    Sent::Unreachable(text)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn signature_has_the_documented_shape() {
        let sig = signature(b"secret", 1_700_000_000, "{}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(sig, signature(b"secret", 1_700_000_001, "{}"));
    }
}
