//! The bounds of live connections: caps per member and address (429), heartbeats, a
//! client that never reads (dropped, its connection closed), shutdown. (A comment posted
//! through one instance reaching readers on others: `graphql::live`, with subscribers.)

use std::io::Write;
use std::time::{Duration, Instant};

use awc::http::StatusCode;

use super::{must_open, open};
use crate::admin::{comment, signed_in};
use crate::helpers::{METRICS_TOKEN, ServerProcess, TestApp};

crate::tests![
    connection_caps_give_429,
    heartbeats_keep_quiet_streams_alive,
    slow_client_is_dropped,
    shutdown_ends_streams,
];

async fn connection_caps_give_429(app: TestApp) {
    let app = app
        .reconfigure(|c| {
            c.live.max_per_user = 2;
            c.live.max_per_address = 3;
            c.live.heartbeat = Duration::from_millis(200);
        })
        .await;
    app.register("bob").await;
    let bob = signed_in(&app, "bob").await;
    let cookie = bob.cookie_header();
    let first = must_open(&app.address, "/live", Some(&cookie)).await;
    let _second = must_open(&app.address, "/live", Some(&cookie)).await;
    let (status, _) = open(&app.address, "/live", Some(&cookie), None).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a third for one member"
    );
    // The address has room for one more, anonymous.
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Open thread", &[]).await;
    let path = format!("/live?article={slug}");
    let _third = must_open(&app.address, &path, None).await;
    let (status, _) = open(&app.address, &path, None, None).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a fourth from one address"
    );
    // A closed stream frees its place (noticed by its next heartbeat at the latest).
    drop(first);
    let started = Instant::now();
    loop {
        let (status, _) = open(&app.address, "/live", Some(&cookie), None).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "place never freed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn heartbeats_keep_quiet_streams_alive(app: TestApp) {
    let app = app
        .reconfigure(|c| c.live.heartbeat = Duration::from_millis(200))
        .await;
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Quiet", &[]).await;
    let mut events = must_open(&app.address, &format!("/live?article={slug}"), None).await;
    events.drain(Duration::from_millis(900)).await;
    assert!(events.heartbeats >= 2, "heartbeats: {}", events.heartbeats);
}

/// `conduit_live_dropped_total` as `/metrics` shows it (0 before the first drop).
async fn dropped_total(app: &TestApp) -> u64 {
    let mut response = app
        .client
        .get(format!("{}/metrics", app.address))
        .insert_header(("Authorization", format!("Bearer {METRICS_TOKEN}")))
        .send()
        .await
        .expect("metrics");
    let body = response.body().limit(4 << 20).await.expect("metrics body");
    String::from_utf8_lossy(&body)
        .lines()
        .find(|l| l.starts_with("conduit_live_dropped_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .map_or(0, |n| n as u64)
}

async fn slow_client_is_dropped(app: TestApp) {
    let app = app
        .reconfigure(|c| {
            c.live.buffer = 4;
            // The slow client's place is the address's only one: it frees when the
            // server drops that client, which a probe sees (the drop counter in
            // `/metrics` is shared by every test in this process).
            c.live.max_per_address = 1;
            // Closed probes free their place at their next heartbeat.
            c.live.heartbeat = Duration::from_millis(200);
            c.rate_limit_per_minute = 0;
        })
        .await;
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Busy thread", &[]).await;
    let before = dropped_total(&app).await;
    // A client with a tiny receive window that never reads.
    let address: std::net::SocketAddr = app
        .address
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(4096).expect("small window");
    socket.connect(&address.into()).expect("connect");
    let mut stream: std::net::TcpStream = socket.into();
    write!(
        stream,
        "GET /live?article={slug}&after=0 HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("request sent");
    let path = format!("/live?article={slug}");
    let probe = || async { open(&app.address, &path, None, None).await.0 };
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        probe().await,
        StatusCode::TOO_MANY_REQUESTS,
        "the slow client holds the place"
    );
    let started = Instant::now();
    // Comments pile up for it until its buffer is full.
    let body = "x".repeat(9_000);
    let mut posted = 0;
    while probe().await == StatusCode::TOO_MANY_REQUESTS {
        for _ in 0..5 {
            comment(&app, &alice, &slug, &body).await;
            posted += 1;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not dropped after {posted} comments"
        );
    }
    assert!(dropped_total(&app).await > before, "the drop is counted");
    let mut later = Vec::new();
    for _ in 0..5 {
        later.push(comment(&app, &alice, &slug, "after the drop").await);
    }
    // The server closed the connection: reading what it had sent reaches the end (an
    // open stream would wait for its next heartbeat, 15 s away, instead).
    let read = crate::live::read_until_closed(stream).await;
    let received = read.expect("the server closed the slow client's connection");
    let text = String::from_utf8_lossy(&received);
    for id in later {
        assert!(
            !text.contains(&format!("comment-{id}\\\"")),
            "comment {id}, posted after the drop, reached the dropped client"
        );
    }
    // The rest of the site did not notice.
    let reply = app
        .get(&format!("/api/articles/{slug}/comments"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

async fn shutdown_ends_streams(app: TestApp) {
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Closing time", &[]).await;
    let server = ServerProcess::start(&app, &[]).await;
    let mut events = must_open(&server.base, &format!("/live?article={slug}"), None).await;
    events.expect("comments").await;
    let stopped = Instant::now();
    server.terminate();
    // The stream ends at once, and the server does not wait out its grace period.
    assert!(events.next(Duration::from_secs(5)).await.is_none());
    let (status, output) = actix_web::rt::task::spawn_blocking(move || server.wait_with_output())
        .await
        .expect("waited");
    assert!(status.success(), "{output}");
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        stopped.elapsed()
    );
}
