//! Live pages (`GET /live`, server-sent events): what each reader is pushed, and what
//! never reaches them; resumption, caps, slow clients, and several instances.

use std::pin::Pin;
use std::time::{Duration, Instant};

use awc::http::StatusCode;
use futures_util::{Stream, StreamExt};
use serde_json::Value;

pub mod bounds;
pub mod streams;

/// One event as received.
#[derive(Debug, Clone)]
pub struct Event {
    /// `id:` of the event, if it had one.
    pub id: Option<String>,
    /// `event:` name.
    pub name: String,
    /// `data:` parsed as JSON.
    pub data: Value,
}

type Body = Pin<Box<dyn Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>>>;

/// An open event stream, read as it arrives.
pub struct Events {
    body: Body,
    buffer: String,
    /// Heartbeats seen so far.
    pub heartbeats: usize,
}

/// How long a test waits for an event that should come.
pub const WAIT: Duration = Duration::from_secs(5);

/// Opens `base + path` with `cookie` and `Last-Event-ID`; the status, and the stream
/// when it is 200.
pub async fn open(
    base: &str,
    path: &str,
    cookie: Option<&str>,
    last_event_id: Option<&str>,
) -> (StatusCode, Option<Events>) {
    let client = awc::Client::builder().disable_timeout().finish();
    let mut request = client
        .get(format!("{base}{path}"))
        .insert_header(("Accept", "text/event-stream"));
    if let Some(cookie) = cookie.filter(|c| !c.is_empty()) {
        request = request.insert_header(("Cookie", cookie.to_owned()));
    }
    if let Some(id) = last_event_id {
        request = request.insert_header(("Last-Event-ID", id.to_owned()));
    }
    let response = request.send().await.expect("live stream answered");
    let status = response.status();
    if status != StatusCode::OK {
        return (status, None);
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "text/event-stream");
    let events = Events {
        body: Box::pin(response),
        buffer: String::new(),
        heartbeats: 0,
    };
    (status, Some(events))
}

/// Opens a stream that must be accepted.
pub async fn must_open(base: &str, path: &str, cookie: Option<&str>) -> Events {
    let (status, events) = open(base, path, cookie, None).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    events.expect("stream")
}

impl Events {
    /// The next event within `within` (heartbeats counted, not returned); `None` when
    /// none came or the stream ended.
    pub async fn next(&mut self, within: Duration) -> Option<Event> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = self.parse(&block) {
                    return Some(event);
                }
                continue;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match actix_web::rt::time::timeout(left, self.body.next()).await {
                Ok(Some(Ok(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    fn parse(&mut self, block: &str) -> Option<Event> {
        let (mut id, mut name, mut data) = (None, None, String::new());
        for line in block.lines() {
            if line.starts_with(": heartbeat") {
                self.heartbeats += 1;
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("event: ") {
                name = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            }
        }
        Some(Event {
            id,
            name: name?,
            data: serde_json::from_str(&data).unwrap_or(Value::Null),
        })
    }

    /// The next event named `name` within [`WAIT`], skipping others.
    pub async fn expect(&mut self, name: &str) -> Event {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(event) if event.name == name => return event,
                Some(_) => continue,
                None => panic!("no `{name}` event within {WAIT:?}"),
            }
        }
    }

    /// Every event within `within`.
    pub async fn drain(&mut self, within: Duration) -> Vec<Event> {
        let deadline = Instant::now() + within;
        let mut all = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left).await {
                Some(event) => all.push(event),
                None => break,
            }
        }
        all
    }
}

/// Everything `stream` receives until the server closes it (a reset counts as closed);
/// `Err` when it stays open for 10 s without sending.
pub async fn read_until_closed(mut stream: std::net::TcpStream) -> Result<Vec<u8>, String> {
    use std::io::Read;
    actix_web::rt::task::spawn_blocking(move || {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut received = Vec::new();
        let mut chunk = [0u8; 65536];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => return Ok(received),
                Ok(n) => received.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(received),
                Err(e) => return Err(format!("{e} after {} bytes", received.len())),
            }
        }
    })
    .await
    .expect("reader")
}
