//! Subscriptions over WebSocket (graphql-transport-ws): a subscriber receives new
//! comments, never a hidden one; the viewer's notifications arrive live; and a comment
//! posted through one instance reaches the SSE readers and GraphQL subscribers connected
//! to two others within a second.

use std::time::{Duration, Instant};

use awc::ws::{Frame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Value, json};

use crate::admin::{comment, post, signed_in, with_role};
use crate::cluster::Cluster;
use crate::helpers::TestApp;
use crate::live::must_open;

crate::tests![
    subscribers_get_new_comments_and_never_hidden_ones,
    notifications_arrive_live,
    live_connections_are_capped_per_account,
    live_connections_are_capped_per_address,
    a_subscriber_that_stops_reading_is_dropped,
    a_suspended_member_is_cut_off,
    shutdown_closes_subscriptions,
    a_comment_through_one_instance_reaches_live_readers_on_the_others,
];

trait Socket:
    Stream<Item = Result<Frame, awc::error::WsProtocolError>>
    + Sink<Message, Error = awc::error::WsProtocolError>
    + Unpin
{
}
impl<T> Socket for T where
    T: Stream<Item = Result<Frame, awc::error::WsProtocolError>>
        + Sink<Message, Error = awc::error::WsProtocolError>
        + Unpin
{
}

/// A graphql-transport-ws client connected to `base`, acknowledged, with `payload` as
/// its `connection_init` payload.
async fn connect(client: &awc::Client, base: &str, payload: Value) -> impl Socket {
    let (socket, ack) = try_connect(client, base, payload).await;
    let ack = ack.expect("an answer to connection_init");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

/// Opens a WebSocket to `base` and sends `connection_init` with `payload`; the answer,
/// if any (`None` when the server closed the connection instead).
async fn try_connect(
    client: &awc::Client,
    base: &str,
    payload: Value,
) -> (impl Socket, Option<Value>) {
    let url = format!("{}/api/graphql", base.replacen("http", "ws", 1));
    let (response, mut socket) = client
        .ws(url)
        .protocols(["graphql-transport-ws"])
        .connect()
        .await
        .unwrap_or_else(|e| panic!("the WebSocket to {base} opens: {e:?}"));
    assert_eq!(
        response.status(),
        awc::http::StatusCode::SWITCHING_PROTOCOLS
    );
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": payload}),
    )
    .await;
    let answer = receive(&mut socket, Duration::from_secs(5)).await;
    (socket, answer)
}

async fn send(socket: &mut impl Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("sent");
}

/// The next protocol message within `within` (pings are answered on the way).
async fn receive(socket: &mut impl Socket, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let frame = actix_web::rt::time::timeout(left, socket.next())
            .await
            .ok()??;
        match frame.expect("a frame") {
            Frame::Text(text) => {
                let message: Value = serde_json::from_slice(&text).expect("JSON");
                if message["type"] == "ping" {
                    send(socket, json!({"type": "pong"})).await;
                    continue;
                }
                return Some(message);
            }
            Frame::Ping(bytes) => {
                let _ = socket.send(Message::Pong(bytes)).await;
            }
            Frame::Close(_) => return None,
            _ => {}
        }
    }
}

const COMMENTS: &str = "subscription($s:String!){commentAdded(slug:$s){id body author{username}}}";

/// Subscribes `socket` to the comments of `slug` as subscription `id`.
async fn subscribe_comments(socket: &mut impl Socket, id: &str, slug: &str) {
    send(
        socket,
        json!({"id": id, "type": "subscribe", "payload": {"query": COMMENTS, "variables": {"s": slug}}}),
    )
    .await;
}

/// The comment bodies a subscription yields within `within`.
async fn bodies(socket: &mut impl Socket, within: Duration) -> Vec<String> {
    let mut got = Vec::new();
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(message) = receive(socket, left).await else {
            break;
        };
        assert_eq!(message["type"], "next", "{message}");
        got.push(
            message["payload"]["data"]["commentAdded"]["body"]
                .as_str()
                .expect("a body")
                .to_owned(),
        );
    }
    got
}

/// Posts probe comments with `post_probe` until the subscription yields one: from then
/// on the subscription is listening (it starts asynchronously after `subscribe`).
async fn until_listening<F>(socket: &mut impl Socket, post_probe: F)
where
    F: AsyncFn(usize),
{
    for i in 0..40 {
        post_probe(i).await;
        if let Some(message) = receive(socket, Duration::from_millis(250)).await {
            assert_eq!(message["type"], "next", "{message}");
            // Probes posted meanwhile may still come: drain them.
            while receive(socket, Duration::from_millis(100)).await.is_some() {}
            return;
        }
    }
    panic!("the subscription never started");
}

async fn subscribers_get_new_comments_and_never_hidden_ones(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let troll = app.register("troll").await;
    let slug = app.publish(&author, "Calm post", &[]).await;
    let rude = comment(&app, &troll, &slug, "a rude remark").await;
    let moderator = signed_in(&app, "modest").await;
    post(&moderator, &format!("/admin/comments/{rude}/hide"), &[])
        .await
        .assert_redirect("/admin/comments");

    let mut socket = connect(&app.client, &app.address, json!({})).await;
    subscribe_comments(&mut socket, "1", &slug).await;
    until_listening(&mut socket, async |i| {
        comment(&app, &author, &slug, &format!("probe {i}")).await;
    })
    .await;

    // Another of the troll's comments, hidden at once, and the author's reply: the
    // reply arrives, neither hidden comment ever does (the hidden one that was there
    // before the subscription is "new" to it, and must still stay out).
    let worse = comment(&app, &troll, &slug, "a worse remark").await;
    post(&moderator, &format!("/admin/comments/{worse}/hide"), &[]).await;
    comment(&app, &author, &slug, "a kind reply").await;
    let got = bodies(&mut socket, Duration::from_millis(1500)).await;
    assert!(got.contains(&"a kind reply".to_owned()), "{got:?}");
    assert!(!got.contains(&"a rude remark".to_owned()), "{got:?}");
    // The worse remark was visible for a moment; if it came, it came before the
    // moderator hid it, and it never comes again.
    let later = comment(&app, &author, &slug, "later").await;
    let got = bodies(&mut socket, Duration::from_millis(1000)).await;
    assert_eq!(got, vec!["later".to_owned()], "comment {later}");

    // A reader subscribing now is not sent hidden comments as news either.
    let mut fresh = connect(&app.client, &app.address, json!({})).await;
    subscribe_comments(&mut fresh, "2", &slug).await;
    until_listening(&mut fresh, async |i| {
        comment(&app, &author, &slug, &format!("second probe {i}")).await;
    })
    .await;
    comment(&app, &author, &slug, "last").await;
    let got = bodies(&mut fresh, Duration::from_millis(1000)).await;
    assert_eq!(got, vec!["last".to_owned()]);
}

async fn notifications_arrive_live(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    let slug = app.publish(&author, "Notable", &[]).await;

    // Without a token, there are no notifications to subscribe to.
    let mut anonymous = connect(&app.client, &app.address, json!({})).await;
    send(
        &mut anonymous,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription{notificationAdded{id}}"}}),
    )
    .await;
    let refused = receive(&mut anonymous, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["status"], 401,
        "{refused}"
    );

    let mut socket = connect(
        &app.client,
        &app.address,
        json!({"Authorization": format!("Token {author}")}),
    )
    .await;
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription{notificationAdded{kind actor article{slug}}}"}}),
    )
    .await;
    // The subscription starts asynchronously; a comment per try until one is announced.
    for i in 0..20 {
        comment(&app, &reader, &slug, &format!("hello {i}")).await;
        if let Some(message) = receive(&mut socket, Duration::from_millis(1500)).await {
            assert_eq!(message["type"], "next", "{message}");
            let n = &message["payload"]["data"]["notificationAdded"];
            assert_eq!(n["kind"], "comment", "{message}");
            assert_eq!(n["actor"], "reader", "{message}");
            assert_eq!(n["article"]["slug"], json!(slug), "{message}");
            return;
        }
    }
    panic!("no notification arrived");
}

/// Three instances: the test's own (where comments are posted) and two `conduit`
/// processes, one with caches and one without (`CONDUIT_CACHE_MAX_MB=0`: live events must
/// not depend on them). On each of the two, an SSE reader and a GraphQL subscriber: every
/// comment reaches all four within a second of being posted.
async fn a_comment_through_one_instance_reaches_live_readers_on_the_others(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        // Several instances share one database only on PostgreSQL.
        return;
    }
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let author = app.register("author").await;
    let slug = app.publish(&author, "Shared", &[]).await;
    let quiet = ("CONDUIT_RATE_LIMIT_PER_MINUTE", "0");
    let cached = Cluster::start(&app, 1, &[quiet]).await;
    let uncached = Cluster::start(&app, 1, &[quiet, ("CONDUIT_CACHE_MAX_MB", "0")]).await;
    let others = [&cached.nodes[0], &uncached.nodes[0]];

    let mut readers = Vec::new();
    let mut sockets = Vec::new();
    for node in others {
        let mut reader = must_open(&node.base, &format!("/live?article={slug}"), None).await;
        reader.expect("comments").await;
        readers.push(reader);
        let mut socket = connect(&app.client, &node.base, json!({})).await;
        subscribe_comments(&mut socket, "1", &slug).await;
        until_listening(&mut socket, async |i| {
            comment(&app, &author, &slug, &format!("probe {i}")).await;
        })
        .await;
        sockets.push(socket);
    }
    // The probes reached the readers too (and the first socket may still get some).
    for reader in &mut readers {
        reader.drain(Duration::from_millis(300)).await;
    }
    for socket in &mut sockets {
        while receive(socket, Duration::from_millis(100)).await.is_some() {}
    }

    for round in 0..3 {
        let body = format!("across {round}");
        let posted = Instant::now();
        let id = comment(&app, &author, &slug, &body).await;
        for (n, reader) in readers.iter_mut().enumerate() {
            let event = loop {
                let left = Duration::from_secs(1).saturating_sub(posted.elapsed());
                let event = reader
                    .next(left)
                    .await
                    .unwrap_or_else(|| panic!("{body} did not reach SSE reader {n} within 1 s"));
                if event.name == "comment" {
                    break event;
                }
            };
            assert_eq!(event.data["id"], json!(id), "{event:?}");
        }
        for (n, socket) in sockets.iter_mut().enumerate() {
            let message = receive(
                socket,
                Duration::from_secs(1).saturating_sub(posted.elapsed()),
            )
            .await
            .unwrap_or_else(|| panic!("{body} did not reach subscriber {n} within 1 s"));
            assert_eq!(
                message["payload"]["data"]["commentAdded"]["body"],
                json!(body)
            );
        }
        assert!(posted.elapsed() < Duration::from_secs(1));
    }
}

async fn live_connections_are_capped_per_account(app: TestApp) {
    let token = app.register("eager").await;
    let payload = json!({"Authorization": format!("Token {token}")});
    let mut held = Vec::new();
    for _ in 0..app.config.live.max_per_user {
        held.push(connect(&app.client, &app.address, payload.clone()).await);
    }
    let (_refused, answer) = try_connect(&app.client, &app.address, payload.clone()).await;
    assert!(
        answer
            .as_ref()
            .is_none_or(|a| a["type"] != "connection_ack"),
        "{answer:?}"
    );
    // Another account, and anonymous readers, are not held back by it.
    let other = app.register("patient").await;
    let _other = connect(
        &app.client,
        &app.address,
        json!({"Authorization": format!("Token {other}")}),
    )
    .await;
    let _anonymous = connect(&app.client, &app.address, json!({})).await;
    // A bad token is refused at once.
    let (_bad, answer) = try_connect(&app.client, &app.address, json!({"token": "nonsense"})).await;
    assert!(
        answer
            .as_ref()
            .is_none_or(|a| a["type"] != "connection_ack"),
        "{answer:?}"
    );

    // A closed connection gives its slot back.
    drop(held.pop());
    let started = Instant::now();
    loop {
        let (_socket, answer) = try_connect(&app.client, &app.address, payload.clone()).await;
        if answer.is_some_and(|a| a["type"] == "connection_ack") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the slot was never given back"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn live_connections_are_capped_per_address(app: TestApp) {
    let mut held = Vec::new();
    for _ in 0..app.config.live.max_per_address {
        held.push(connect(&app.client, &app.address, json!({})).await);
    }
    let url = format!("{}/api/graphql", app.address.replacen("http", "ws", 1));
    let upgrade = || {
        app.client
            .ws(url.clone())
            .protocols(["graphql-transport-ws"])
            .connect()
    };
    match upgrade().await {
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => {
            assert_eq!(status, awc::http::StatusCode::TOO_MANY_REQUESTS);
        }
        Err(e) => panic!("refused otherwise: {e:?}"),
        Ok((response, _)) => panic!("one over the cap was let in: {}", response.status()),
    }
    // A closed connection gives its place back.
    drop(held.pop());
    let started = Instant::now();
    while upgrade().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the place was never given back"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A client WebSocket frame: text, final, masked (with a zero key, which leaves the
/// payload as it is).
fn client_text_frame(text: &str) -> Vec<u8> {
    let payload = text.as_bytes();
    let mut frame = vec![0x81];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// A raw graphql-transport-ws client of `base` with a 4 KiB receive window: it upgrades,
/// sends `connection_init` and then `messages`, and never reads (nothing here reads it).
fn stalled_subscriber(base: &str, messages: &[Value]) -> std::net::TcpStream {
    use std::io::Write;
    let address: std::net::SocketAddr =
        base.trim_start_matches("http://").parse().expect("address");
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(4096).expect("small window");
    socket.connect(&address.into()).expect("connect");
    let mut stream: std::net::TcpStream = socket.into();
    write!(
        stream,
        "GET /api/graphql HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    )
    .expect("upgrade sent");
    let init = json!({"type": "connection_init", "payload": {}});
    for message in std::iter::once(&init).chain(messages) {
        stream
            .write_all(&client_text_frame(&message.to_string()))
            .expect("message sent");
    }
    stream
}

async fn a_subscriber_that_stops_reading_is_dropped(app: TestApp) {
    let app = app
        .reconfigure(|c| {
            c.live.buffer = 4;
            // The slow subscriber's place is the address's only one: it frees when the
            // server drops it, which a probe sees.
            c.live.max_per_address = 1;
            c.rate_limit_per_minute = 0;
        })
        .await;
    let author = app.register("author").await;
    let slug = app.publish(&author, "Busy thread", &[]).await;
    // A client with a tiny receive window that subscribes and then never reads.
    let subscribe = json!({"id": "1", "type": "subscribe",
        "payload": {"query": COMMENTS, "variables": {"s": slug}}});
    let stream = stalled_subscriber(&app.address, &[subscribe]);
    let url = format!("{}/api/graphql", app.address.replacen("http", "ws", 1));
    let probe = || async {
        // Opened and closed at once: only whether there was a place counts.
        app.client
            .ws(url.clone())
            .protocols(["graphql-transport-ws"])
            .connect()
            .await
            .is_ok()
    };
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(!probe().await, "the slow subscriber holds the place");

    // Comments pile up for it until its queue is full.
    let started = Instant::now();
    let body = "x".repeat(9_000);
    let mut posted = 0;
    while !probe().await {
        for _ in 0..5 {
            comment(&app, &author, &slug, &body).await;
            posted += 1;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not dropped after {posted} comments"
        );
    }
    for _ in 0..5 {
        comment(&app, &author, &slug, "after the drop").await;
    }
    // The server closed the connection: reading what it had sent reaches the end.
    let read = crate::live::read_until_closed(stream).await;
    let received = read.expect("the server closed the slow subscriber's connection");
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("connection_ack"), "it was subscribed");
    assert!(
        !text.contains("after the drop"),
        "a comment posted after the drop reached it"
    );
    // Another subscriber is served as ever.
    let mut socket = connect(&app.client, &app.address, json!({})).await;
    subscribe_comments(&mut socket, "1", &slug).await;
    until_listening(&mut socket, async |i| {
        comment(&app, &author, &slug, &format!("probe {i}")).await;
    })
    .await;
}

/// Suspending a member ends their live connections, the page's stream and the GraphQL
/// subscription, at the next change; what they try to post is refused, so it reaches
/// no reader.
async fn a_suspended_member_is_cut_off(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    with_role(&app, "modest", "moderator").await;
    let author = app.register("author").await;
    let member = app.register("member").await;
    let slug = app.publish(&author, "Watched closely", &[]).await;
    let browser = signed_in(&app, "member").await;
    let mut bell = must_open(&app.address, "/live", Some(&browser.cookie_header())).await;
    bell.expect("unread").await;
    let mut socket = connect(
        &app.client,
        &app.address,
        json!({"Authorization": format!("Token {member}")}),
    )
    .await;
    subscribe_comments(&mut socket, "1", &slug).await;
    until_listening(&mut socket, async |i| {
        comment(&app, &author, &slug, &format!("probe {i}")).await;
    })
    .await;
    let mut reader = must_open(&app.address, &format!("/live?article={slug}"), None).await;
    reader.expect("comments").await;

    let moderator = signed_in(&app, "modest").await;
    post(
        &moderator,
        "/admin/users/member/suspend",
        &[("reason", "spam"), ("confirm", "yes")],
    )
    .await
    .assert_redirect("/admin/users/member");
    let refused = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(&member),
            json!({"comment": {"body": "from a suspended account"}}),
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.text);
    comment(&app, &author, &slug, "after the suspension").await;

    // The member's stream ends (the suspension was a change it heard).
    let started = Instant::now();
    while bell.next(Duration::from_secs(5)).await.is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the suspended member's stream goes on"
        );
    }
    // Their subscription ends too: nothing more arrives but its end.
    let message = receive(&mut socket, Duration::from_secs(5)).await;
    assert!(
        message.as_ref().is_none_or(|m| m["type"] == "complete"),
        "{message:?}"
    );
    // Readers get the author's comment (after the probes), never the refused one.
    loop {
        let event = reader.expect("comment").await;
        let html = event.data["html"].as_str().unwrap_or_default();
        assert!(!html.contains("from a suspended account"), "{html}");
        if html.contains("after the suspension") {
            break;
        }
    }
}

/// A stopping server closes its subscription sockets, also one whose client stopped
/// reading, and does not wait out its grace period for them.
async fn shutdown_closes_subscriptions(app: TestApp) {
    let author = app.register("author").await;
    let slug = app.publish(&author, "Closing time", &[]).await;
    let server = crate::helpers::ServerProcess::start(&app, &[]).await;
    let base = server.base.clone();
    let mut socket = connect(&app.client, &base, json!({})).await;
    subscribe_comments(&mut socket, "1", &slug).await;
    // And a client that connects, then never reads again.
    let stalled = stalled_subscriber(&base, &[]);
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let stopped = Instant::now();
    server.terminate();
    // The reading subscriber sees its socket closed.
    assert!(receive(&mut socket, Duration::from_secs(5)).await.is_none());
    let (status, output) = actix_web::rt::task::spawn_blocking(move || server.wait_with_output())
        .await
        .expect("waited");
    assert!(status.success(), "{output}");
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        stopped.elapsed()
    );
    drop(stalled);
}
