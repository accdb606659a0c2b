//! The WebSocket transport of GraphQL subscriptions: async-graphql's protocol machine
//! (graphql-transport-ws, or the older graphql-ws) over `actix-ws`, with the bounds of
//! the live pages. Replies wait in a queue of at most `CONDUIT_LIVE_BUFFER` messages for
//! a client to read them; a client that lets it fill has stopped reading and is dropped,
//! its connection closed, never buffered for. A WebSocket ping goes out at every
//! heartbeat, and shutdown closes every socket.
//!
//! (async-graphql-actix-web's own transport has no such bound: its actor simply stops
//! being polled while the client is not reading, so such a client holds its connection
//! and its place forever.)

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::web::{Bytes, Payload};
use actix_web::{HttpRequest, HttpResponse};
use actix_ws::{CloseReason, Message, Session};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use futures_util::task::AtomicWaker;
use tokio::sync::mpsc;

use crate::graphql::ApiSchema;

/// The largest message a client may send (a subscription document and its variables).
const MAX_FRAME_BYTES: usize = 64 * 1024;

/// How long a closing socket waits for its close frame to be taken.
const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// What one socket is bound by.
#[derive(Clone)]
pub struct Bounds {
    /// Replies that may wait for the client before it is dropped.
    pub buffer: usize,
    /// How often a WebSocket ping is sent.
    pub heartbeat: std::time::Duration,
    /// Set to true when the server shuts down.
    pub closing: tokio::sync::watch::Receiver<bool>,
}

/// Upgrades `req` to a GraphQL WebSocket running `schema` with `data` for every
/// operation, `on_init` deciding on `connection_init`.
pub fn start<OnInit, InitFut>(
    req: &HttpRequest,
    payload: Payload,
    schema: ApiSchema,
    data: Data,
    on_init: OnInit,
    bounds: Bounds,
) -> Result<HttpResponse, actix_web::Error>
where
    OnInit: FnOnce(serde_json::Value) -> InitFut + Send + 'static,
    InitFut: Future<Output = async_graphql::Result<Data>> + Send + 'static,
{
    let protocol = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| {
            list.split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
        .ok_or_else(|| {
            actix_web::error::ErrorBadRequest(
                "Sec-WebSocket-Protocol must offer graphql-transport-ws or graphql-ws",
            )
        })?;
    let (mut response, session, messages) = actix_ws::handle(req, payload)?;
    response.headers_mut().insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    let (incoming, received) = mpsc::channel::<Bytes>(16);
    let reader = actix_web::rt::spawn(read(
        messages.max_frame_size(MAX_FRAME_BYTES),
        session.clone(),
        incoming,
    ));
    let replies = WebSocket::new(schema, stream_of(received), protocol)
        .connection_data(data)
        .on_connection_init(on_init);
    let cut = Arc::new(Cut::default());
    actix_web::rt::spawn(write(replies, session, bounds, Arc::clone(&cut), reader));
    Ok(response.map_body(|_, body| Cuttable { body, cut }.boxed()))
}

/// The receiving half of a channel as a stream.
fn stream_of(mut rx: mpsc::Receiver<Bytes>) -> impl futures_util::Stream<Item = Bytes> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Hands the client's text (and binary) messages to the protocol, answers its pings;
/// ends when the client closes or breaks the protocol.
async fn read(
    mut messages: actix_ws::MessageStream,
    mut session: Session,
    incoming: mpsc::Sender<Bytes>,
) {
    while let Some(Ok(message)) = messages.next().await {
        let forwarded = match message {
            Message::Text(text) => incoming.send(text.into_bytes()).await,
            Message::Binary(bytes) => incoming.send(bytes).await,
            Message::Ping(bytes) => {
                if session.pong(&bytes).await.is_err() {
                    return;
                }
                Ok(())
            }
            Message::Close(_) => return,
            Message::Pong(_) | Message::Continuation(_) | Message::Nop => Ok(()),
        };
        if forwarded.is_err() {
            return;
        }
    }
}

/// One message for the client.
enum Out {
    Text(String),
    Ping,
    Close(u16, String),
}

/// Sends the protocol's replies through the bounded queue, with heartbeats, until the
/// protocol ends, the client goes, falls `bounds.buffer` replies behind (dropped) or the
/// server closes.
async fn write(
    replies: impl futures_util::Stream<Item = WsMessage>,
    mut session: Session,
    mut bounds: Bounds,
    cut: Arc<Cut>,
    reader: actix_web::rt::task::JoinHandle<()>,
) {
    let mut replies = std::pin::pin!(replies);
    let mut queue: VecDeque<Out> = VecDeque::new();
    let start = tokio::time::Instant::now() + bounds.heartbeat;
    let mut beat = tokio::time::interval_at(start, bounds.heartbeat);
    let mut ended = false;
    let outcome = loop {
        if ended && queue.is_empty() {
            break Ok(());
        }
        let front = queue.front().map(|out| match out {
            Out::Text(text) => Message::Text(text.clone().into()),
            Out::Ping => Message::Ping(Bytes::new()),
            Out::Close(code, reason) => Message::Close(Some(CloseReason {
                code: (*code).into(),
                description: Some(reason.clone()),
            })),
        });
        let sending = front.is_some();
        let arrived = tokio::select! {
            _ = bounds.closing.changed() => break Ok(()),
            _ = beat.tick() => Some(Out::Ping),
            reply = replies.next(), if !ended => match reply {
                Some(WsMessage::Text(text)) => Some(Out::Text(text)),
                Some(WsMessage::Close(code, reason)) => {
                    ended = true;
                    Some(Out::Close(code, reason))
                }
                None => {
                    ended = true;
                    None
                }
            },
            // Cancel-safe: when another branch wins, nothing was sent and the front
            // message is tried again.
            sent = send(&mut session, front), if sending => {
                if sent.is_err() {
                    break Ok(());
                }
                queue.pop_front();
                None
            }
        };
        if let Some(out) = arrived {
            if queue.len() >= bounds.buffer {
                break Err(());
            }
            queue.push_back(out);
        }
    };
    reader.abort();
    match outcome {
        // A client that does not read would hold the close frame (and this task, with
        // its places) forever: it gets a moment, then the connection is cut.
        Ok(()) => {
            let closed = tokio::time::timeout(CLOSE_WITHIN, session.close(None)).await;
            if closed.is_err() {
                cut.now();
            }
        }
        Err(()) => {
            metrics::counter!("conduit_live_dropped_total", "reason" => "slow").increment(1);
            log::info!("graphql: dropped a subscriber that stopped reading");
            cut.now();
        }
    }
}

async fn send(session: &mut Session, message: Option<Message>) -> Result<(), actix_ws::Closed> {
    match message {
        Some(Message::Text(text)) => session.text(text).await,
        Some(Message::Ping(bytes)) => session.ping(&bytes).await,
        Some(Message::Close(reason)) => session.clone().close(reason).await,
        _ => Ok(()),
    }
}

/// Tells the response body to end the connection now.
#[derive(Default)]
struct Cut {
    now: AtomicBool,
    waker: AtomicWaker,
}

impl Cut {
    fn now(&self) {
        self.now.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// The socket's response body, ended with an error (which closes the TCP connection at
/// once, whatever is still unsent) when its [`Cut`] says so.
struct Cuttable {
    body: BoxBody,
    cut: Arc<Cut>,
}

impl MessageBody for Cuttable {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        this.cut.waker.register(cx.waker());
        if this.cut.now.load(Ordering::Acquire) {
            return Poll::Ready(Some(Err("a slow subscriber was dropped".into())));
        }
        Pin::new(&mut this.body).poll_next(cx)
    }
}
