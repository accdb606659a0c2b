//! SQLite's write gate (`Db::write_gate`): every pool on one file in a process shares
//! it (the server's and its workers'), so writers queue on it instead of in SQLite's
//! busy handler; pools on other files do not wait for it; PostgreSQL has none.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use conduit::db::Db;

use crate::helpers::TestApp;
use crate::tests;

tests![writers_take_turns_only_on_sqlite];

async fn writers_take_turns_only_on_sqlite(app: TestApp) {
    let server = Db::connect(&app.config.database_url, 1).expect("connect");
    if app.database_url.starts_with("postgres") {
        assert!(
            server.write_gate().is_none(),
            "PostgreSQL writers run side by side"
        );
        return;
    }
    let workers = Db::connect(&app.config.database_url, 1).expect("connect");
    let other_dir = tempfile::tempdir().expect("dir");
    let other_path = other_dir.path().join("other.db");
    let other_url = conduit::db::DatabaseUrl::parse(&other_path.to_string_lossy()).expect("url");
    let other = Db::connect(&other_url, 1).expect("connect");

    let turn = server.write_gate();
    assert!(turn.is_some());
    assert!(
        other.write_gate().is_some(),
        "another file has a gate of its own"
    );
    let passed = Arc::new(AtomicBool::new(false));
    let waiter = {
        let passed = Arc::clone(&passed);
        std::thread::spawn(move || {
            let _turn = workers.write_gate();
            passed.store(true, Ordering::SeqCst);
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !passed.load(Ordering::SeqCst),
        "the second pool waits for its turn"
    );
    drop(turn);
    waiter.join().expect("waiter");
    assert!(
        passed.load(Ordering::SeqCst),
        "and gets it when the first is done"
    );
}
