//! The bcrypt cost floor as an operator meets it: the real binary refuses to start with a
//! cost below 10 from its environment and says why, and accepts the floor itself.

use crate::helpers::{ServerProcess, TestApp};

crate::tests![binary_refuses_a_cheap_bcrypt_cost, binary_accepts_the_floor];

async fn binary_refuses_a_cheap_bcrypt_cost(app: TestApp) {
    let output = ServerProcess::command(&app)
        .env("CONDUIT_BIND", "127.0.0.1:0")
        .env("CONDUIT_BCRYPT_COST", "4")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started with cost 4: {stderr}");
    assert!(
        stderr.contains("CONDUIT_BCRYPT_COST") && stderr.contains("minimum of 10"),
        "unclear error: {stderr}"
    );
}

async fn binary_accepts_the_floor(app: TestApp) {
    // `ServerProcess::command` sets cost 10; the server comes up and signs users up.
    let server = ServerProcess::start(&app, &[]).await;
    let reply = app
        .client
        .post(format!("{}/api/users", server.base))
        .send_json(&serde_json::json!({"user": {"username": "floor", "email": "floor@example.com", "password": "password123"}}))
        .await
        .expect("answered");
    assert_eq!(reply.status(), awc::http::StatusCode::CREATED);
    server.terminate();
    let (status, logs) = server.wait_with_output();
    assert!(status.success(), "exit status {status}: {logs}");
}
