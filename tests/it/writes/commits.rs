//! How a write transaction ends (`conduit::db::write_transaction`). On PostgreSQL its
//! `COMMIT` and the notifications it queued leave in one round trip, and when that
//! fails the caller learns the truth about the write: committed (only the
//! notifications failed) or not. On both backends a panic inside the work rolls back
//! and leaves the connection usable. A write inside a write (PostgreSQL) is a savepoint
//! of it. The application's writes (`Db::write`) leave their notifications to the
//! pool's notifier thread, which sends them before the write returns; a write of one
//! statement (`Db::write_single`) runs without a transaction block on PostgreSQL, and a
//! second statement inside one is caught.

use conduit::db::{Db, DbConnection, notify, write_transaction};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::helpers::TestApp;
use crate::tests;

tests![
    a_write_commits_when_only_its_notifications_fail,
    a_failed_commit_is_reported_and_sends_nothing,
    a_panic_inside_a_write_rolls_it_back,
    a_nested_write_that_fails_undoes_only_its_own,
    db_writes_send_their_notifications_before_they_return,
    a_single_statement_write_commits_alone_and_a_second_statement_is_caught
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn rows(conn: &mut DbConnection, table: &str) -> i64 {
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Count>(conn)
        .expect("count")
        .n
}

/// Whether `conn` is inside a transaction block (PostgreSQL refuses a savepoint
/// outside one).
fn in_transaction(conn: &mut DbConnection) -> bool {
    let open = conn.batch_execute("SAVEPOINT probe").is_ok();
    if open {
        conn.batch_execute("RELEASE SAVEPOINT probe")
            .expect("release");
    }
    open
}

fn connection(app: &TestApp) -> Option<conduit::db::Conn> {
    if !app.database_url.starts_with("postgres") {
        return None;
    }
    let db = Db::connect(&app.config.database_url, 1).expect("connect");
    Some(db.conn().expect("conn"))
}

async fn a_write_commits_when_only_its_notifications_fail(app: TestApp) {
    let Some(mut conn) = connection(&app) else {
        return; // SQLite sends no notifications.
    };
    conn.batch_execute("CREATE TABLE commit_probe (id INTEGER)")
        .expect("table");
    // PostgreSQL refuses an empty channel name: the statement after the COMMIT fails.
    let result = write_transaction(&mut conn, |conn| {
        conn.batch_execute("INSERT INTO commit_probe VALUES (1)")?;
        notify::after_commit("", "refused".into());
        Ok::<_, diesel::result::Error>(())
    });
    assert!(result.is_ok(), "the write committed: {result:?}");
    assert!(
        !in_transaction(&mut conn),
        "the connection is left outside any"
    );
    assert_eq!(rows(&mut conn, "commit_probe"), 1, "and the row is there");
}

async fn a_failed_commit_is_reported_and_sends_nothing(app: TestApp) {
    let Some(mut conn) = connection(&app) else {
        return;
    };
    // A deferred unique constraint is checked at COMMIT, which then fails.
    conn.batch_execute(
        "CREATE TABLE commit_probe (id INTEGER UNIQUE DEFERRABLE INITIALLY DEFERRED); \
         LISTEN commit_probe",
    )
    .expect("table");
    let result = write_transaction(&mut conn, |conn| {
        conn.batch_execute("INSERT INTO commit_probe VALUES (1), (1)")?;
        notify::after_commit("commit_probe", "sent".into());
        Ok::<_, diesel::result::Error>(())
    });
    assert!(
        matches!(
            result,
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        ),
        "the commit's own error comes back: {result:?}"
    );
    assert!(!in_transaction(&mut conn));
    assert_eq!(rows(&mut conn, "commit_probe"), 0, "nothing was written");
    let DbConnection::Pg(pg) = &mut *conn else {
        unreachable!("a PostgreSQL connection");
    };
    assert_eq!(
        pg.notifications_iter().count(),
        0,
        "and nothing was announced"
    );
}

async fn a_panic_inside_a_write_rolls_it_back(app: TestApp) {
    let db = Db::connect(&app.config.database_url, 1).expect("connect");
    let mut conn = db.conn().expect("conn");
    conn.batch_execute("CREATE TABLE commit_probe (id INTEGER)")
        .expect("table");
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        write_transaction(&mut conn, |conn| {
            conn.batch_execute("INSERT INTO commit_probe VALUES (1)")?;
            if rows(conn, "commit_probe") == 1 {
                panic!("a bug in the middle of a write");
            }
            Ok::<_, diesel::result::Error>(())
        })
    }));
    assert!(panicked.is_err(), "the panic goes on to the caller");
    assert_eq!(rows(&mut conn, "commit_probe"), 0, "the insert was undone");
    if app.database_url.starts_with("postgres") {
        assert!(!in_transaction(&mut conn));
    }
    write_transaction(&mut conn, |conn| {
        conn.batch_execute("INSERT INTO commit_probe VALUES (2)")
    })
    .expect("the connection takes the next write");
    assert_eq!(rows(&mut conn, "commit_probe"), 1);
}

async fn a_nested_write_that_fails_undoes_only_its_own(app: TestApp) {
    let Some(mut conn) = connection(&app) else {
        return; // SQLite's writes do not nest.
    };
    conn.batch_execute("CREATE TABLE commit_probe (id INTEGER UNIQUE)")
        .expect("table");
    write_transaction(&mut conn, |conn| {
        conn.batch_execute("INSERT INTO commit_probe VALUES (1)")?;
        let inner = write_transaction(conn, |conn| {
            conn.batch_execute("INSERT INTO commit_probe VALUES (2)")?;
            // A unique violation: on PostgreSQL it aborts whatever transaction it is in.
            conn.batch_execute("INSERT INTO commit_probe VALUES (1)")
        });
        assert!(inner.is_err(), "the inner write fails");
        conn.batch_execute("INSERT INTO commit_probe VALUES (3)")
    })
    .expect("the outer write goes on and commits");
    assert!(!in_transaction(&mut conn));
    assert_eq!(rows(&mut conn, "commit_probe"), 2, "rows 1 and 3, not 2");
}

/// What `listener` has heard by now, waiting up to a second for `expected` messages.
fn heard(listener: &mut PgConnection, expected: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let mut payloads = Vec::new();
    loop {
        for notification in listener.notifications_iter() {
            payloads.push(notification.expect("notification").payload);
        }
        if payloads.len() >= expected || std::time::Instant::now() > deadline {
            return payloads;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

async fn db_writes_send_their_notifications_before_they_return(app: TestApp) {
    if !app.database_url.starts_with("postgres") {
        return; // SQLite sends no notifications.
    }
    let db = Db::connect(&app.config.database_url, 2).expect("connect");
    let mut listener = PgConnection::establish(&app.database_url).expect("listener");
    listener
        .batch_execute("LISTEN notifier_probe")
        .expect("listen");
    db.conn()
        .expect("conn")
        .batch_execute("CREATE TABLE commit_probe (id INTEGER UNIQUE)")
        .expect("table");
    let insert = |id: i32, payload: &str| {
        let payload = payload.to_owned();
        move |conn: &mut DbConnection| {
            conn.batch_execute(&format!("INSERT INTO commit_probe VALUES ({id})"))?;
            notify::after_commit("notifier_probe", payload);
            Ok::<_, conduit::error::AppError>(())
        }
    };
    db.write(insert(1, "first")).await.expect("a write");
    db.write_single(insert(2, "second"))
        .await
        .expect("a single-statement write");
    // Refused by the unique constraint: rolled back, and nothing is sent.
    assert!(db.write(insert(1, "refused")).await.is_err());
    assert!(db.write_single(insert(2, "refused")).await.is_err());
    // Sent before each write returned: a notification sent after the listener's next
    // look would still arrive within the wait, so this also shows nothing else came.
    assert_eq!(heard(&mut listener, 3), ["first", "second"]);

    // Many writes at once share the notifier's batches; each is sent once (with a
    // payload of its own: PostgreSQL sends identical ones of one transaction once).
    let writes: Vec<_> = (10..60)
        .map(|id| {
            let db = db.clone();
            let write = insert(id, &format!("write {id}"));
            actix_web::rt::spawn(async move { db.write(write).await })
        })
        .collect();
    for write in writes {
        write.await.expect("task").expect("write");
    }
    let mut many = heard(&mut listener, 51);
    many.sort();
    let mut expected: Vec<String> = (10..60).map(|id| format!("write {id}")).collect();
    expected.sort();
    assert_eq!(many, expected, "one message per write");
}

async fn a_single_statement_write_commits_alone_and_a_second_statement_is_caught(app: TestApp) {
    let db = Db::connect(&app.config.database_url, 1).expect("connect");
    db.conn()
        .expect("conn")
        .batch_execute("CREATE TABLE commit_probe (id INTEGER)")
        .expect("table");
    let open = db
        .write_single(|conn| {
            conn.batch_execute("INSERT INTO commit_probe VALUES (1)")?;
            Ok::<_, conduit::error::AppError>(in_transaction(conn))
        })
        .await;
    // The probe is a second statement, which the guard refuses; a count of rows is not
    // wanted from inside either, so the outcome alone tells.
    let mut conn = db.conn().expect("conn");
    if !app.database_url.starts_with("postgres") {
        // SQLite: an ordinary write transaction of the writer thread.
        assert!(matches!(open, Ok(true)), "{open:?}");
        assert_eq!(rows(&mut conn, "commit_probe"), 1);
        return;
    }
    if cfg!(debug_assertions) {
        assert!(open.is_err(), "the second statement was caught: {open:?}");
    } else {
        // Only logged and counted: it ran, outside any transaction block.
        assert!(matches!(open, Ok(false)), "{open:?}");
    }
    // The first statement had committed on its own, as a single statement does.
    assert_eq!(rows(&mut conn, "commit_probe"), 1);
    assert!(!in_transaction(&mut conn));
    drop(conn);
    // The guard is gone with that write: the next ones run as usual.
    db.write_single(|conn| {
        conn.batch_execute("INSERT INTO commit_probe VALUES (2)")
            .map_err(conduit::error::AppError::from)
    })
    .await
    .expect("the next single-statement write");
    db.write(|conn| {
        conn.batch_execute("INSERT INTO commit_probe VALUES (3)")?;
        conn.batch_execute("INSERT INTO commit_probe VALUES (4)")
            .map_err(conduit::error::AppError::from)
    })
    .await
    .expect("and a write of two statements");
    assert_eq!(rows(&mut db.conn().expect("conn"), "commit_probe"), 4);
}
