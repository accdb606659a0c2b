//! Subscriptions over WebSocket (graphql-transport-ws): a subscriber receives new
//! comments, never a hidden one; the viewer's notifications arrive live; and a comment
//! posted through one instance reaches a subscriber connected to another within a second.

use std::time::{Duration, Instant};

use awc::ws::{Frame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Value, json};

use crate::admin::{comment, post, signed_in, with_role};
use crate::cluster::Cluster;
use crate::helpers::TestApp;

crate::tests![
    subscribers_get_new_comments_and_never_hidden_ones,
    notifications_arrive_live,
    live_connections_are_capped_per_account,
    a_comment_through_one_instance_reaches_a_subscriber_on_another,
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

async fn a_comment_through_one_instance_reaches_a_subscriber_on_another(app: TestApp) {
    if app.config.database_url.kind() != conduit::db::BackendKind::Postgres {
        // Several instances share one database only on PostgreSQL.
        return;
    }
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let author = app.register("author").await;
    let slug = app.publish(&author, "Shared", &[]).await;
    // The second instance's port is picked free and then bound by the binary: another
    // server on this machine may take it in between. Ours serves this test's article.
    let mut started = None;
    for _ in 0..3 {
        let cluster = Cluster::start(&app, 1, &[("CONDUIT_RATE_LIMIT_PER_MINUTE", "0")]).await;
        let path = format!("/api/articles/{slug}");
        if cluster.nodes[0].get(&path, None).await.status.is_success() {
            started = Some(cluster);
            break;
        }
    }
    let cluster = started.expect("a second instance on this test's database");
    let other = &cluster.nodes[0];

    let mut socket = connect(&app.client, &other.base, json!({})).await;
    subscribe_comments(&mut socket, "1", &slug).await;
    until_listening(&mut socket, async |i| {
        comment(&app, &author, &slug, &format!("probe {i}")).await;
    })
    .await;
    for round in 0..3 {
        let body = format!("across {round}");
        let posted = Instant::now();
        comment(&app, &author, &slug, &body).await;
        let message = receive(&mut socket, Duration::from_secs(1))
            .await
            .unwrap_or_else(|| panic!("{body} did not arrive within 1 s"));
        assert!(posted.elapsed() < Duration::from_secs(1));
        assert_eq!(
            message["payload"]["data"]["commentAdded"]["body"],
            json!(body)
        );
    }
}

async fn live_connections_are_capped_per_account(app: TestApp) {
    let token = app.register("eager").await;
    let payload = json!({"Authorization": format!("Token {token}")});
    let mut held = Vec::new();
    for _ in 0..conduit::graphql::live::PER_USER {
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
