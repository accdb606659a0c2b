//! SQLite's checkpoints, on a thread of their own.
//!
//! In WAL mode, the connection whose commit takes the log past 1,000 pages copies the
//! log back into the database file and syncs both before that commit returns. The
//! writer thread ([`super::writer`]) makes most commits, so it paid for most
//! checkpoints while every queued write waited behind them: in the article-create row
//! of `bench/writes.sh`, their `fsync`s and copies were the largest share of the
//! writer's time left in the kernel (docs/benchmarks.md). The writer's connection does
//! not checkpoint; it tells this thread after each commit, and the thread runs a
//! passive checkpoint on a connection of its own, at most once per [`PAUSE`]. A passive
//! checkpoint copies what is committed without taking the write lock, so the writer
//! goes on meanwhile, on the other core.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;

use super::ConnectionManager;

/// The least time between two checkpoints: the commits of that time share one. Short,
/// because a checkpoint's syncs slow the writer's own writes to the log while they run,
/// the longer the more it copies: in the creates row, a pause of 1 s gave a p99 of
/// 114 ms, 200 ms 76 ms, 50 ms 69 ms and 20 ms 57 ms, for about the same throughput.
const PAUSE: Duration = Duration::from_millis(20);

/// The handle the writer thread keeps; the checkpoint thread ends when it is dropped.
pub(super) struct Checkpointer {
    nudge: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the checkpoint thread, which opens its connection from `manager` when it
    /// first has work.
    pub(super) fn start(manager: ConnectionManager) -> std::io::Result<Self> {
        let (nudge, nudged) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("conduit-checkpoint".into())
            .spawn(move || run(&manager, &nudged))?;
        Ok(Self { nudge })
    }

    /// A group committed: a checkpoint is due. Never waits; nudges that arrive before
    /// the thread takes the last one are one.
    pub(super) fn committed(&self) {
        let _ = self.nudge.try_send(());
    }
}

fn run(manager: &ConnectionManager, nudged: &Receiver<()>) {
    let mut conn = None;
    while nudged.recv().is_ok() {
        std::thread::sleep(PAUSE);
        // Commits nudged during the pause are in this checkpoint too. Once the writer
        // is gone, what it committed last is still copied, then the loop ends.
        let _ = nudged.try_recv();
        if conn.is_none() {
            conn = manager
                .connect()
                .inspect_err(|e| log::error!("the checkpoint connection: {e}"))
                .ok();
        }
        if let Some(open) = &mut conn
            && let Err(e) = open.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
        {
            log::warn!("SQLite checkpoint: {e}");
            conn = None;
        }
    }
}
