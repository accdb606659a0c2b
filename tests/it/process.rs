//! The binary as an operator runs it: graceful shutdown and online backups.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{ServerProcess, TestApp};

crate::tests![sigterm_lets_a_slow_request_finish, backup_under_write_load];

/// A sign-up at bcrypt cost 12 takes over a second in a debug build: SIGTERM arrives in the middle.
async fn sigterm_lets_a_slow_request_finish(app: TestApp) {
    let server = ServerProcess::start(&app, &[("CONDUIT_BCRYPT_COST", "12")]).await;
    let request = app
        .client
        .post(format!("{}/api/users", server.base))
        .send_json(&json!({"user": {"username": "slow", "email": "slow@example.com", "password": "password123"}}));
    let pid = server.child.id();
    let signal = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        ServerProcess::terminate_pid(pid);
    });
    let reply = request.await;
    signal.join().expect("signal sent");
    assert_eq!(
        reply.expect("in-flight request answered").status(),
        StatusCode::CREATED
    );
    let (status, logs) = server.wait_with_output();
    assert!(status.success(), "exit status {status}: {logs}");
}

async fn backup_under_write_load(app: TestApp) {
    let backend = app.config.database_url.kind();
    let target = tempfile::tempdir().expect("temp dir");
    let file = target.path().join("backup.db");
    if backend != conduit::db::BackendKind::Sqlite {
        let output = ServerProcess::command(&app)
            .args(["backup", file.to_str().unwrap_or_default()])
            .output()
            .expect("runs");
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"));
        return;
    }
    let token = app.register("busy").await;
    for i in 0..20 {
        app.publish(&token, &format!("Before backup {i}"), &["kept"])
            .await;
    }
    // Writers keep going while the backup runs.
    let writer = {
        let client = app.client.clone();
        let url = format!("{}/api/articles", app.address);
        let token = token.clone();
        actix_web::rt::spawn(async move {
            for i in 0..40 {
                let _ = client
                    .post(&url)
                    .insert_header(("Authorization", format!("Token {token}")))
                    .send_json(&json!({"article": {"title": format!("During {i}"), "description": "d", "body": "b"}}))
                    .await;
            }
        })
    };
    let output = ServerProcess::command(&app)
        .args(["backup", file.to_str().unwrap_or_default()])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    writer.await.expect("writer finished");

    let copy = conduit::db::Db::connect(
        &conduit::db::DatabaseUrl::parse(file.to_str().unwrap_or_default()).expect("url"),
        1,
    )
    .expect("the backup opens");
    assert_eq!(copy.migrate().expect("schema is current"), 0);
    let before: i64 = copy
        .run(|conn| {
            use conduit::db::schema::articles::dsl::*;
            use diesel::prelude::*;
            Ok::<_, conduit::error::AppError>(
                articles
                    .filter(title.like("Before backup %"))
                    .count()
                    .get_result(conn)?,
            )
        })
        .await
        .expect("count");
    assert_eq!(before, 20, "every row committed before the backup is in it");
    let again = ServerProcess::command(&app)
        .args(["backup", file.to_str().unwrap_or_default()])
        .output()
        .expect("runs");
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
}
