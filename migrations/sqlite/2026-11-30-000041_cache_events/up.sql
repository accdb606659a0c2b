-- Invalidations written by the processes that change the database beside the server
-- (the CLI, `conduit worker`), in the transaction of the change. The server reads the
-- new rows when `PRAGMA data_version` says another connection committed, so a change
-- made by the command line shows at once. Rows older than a few minutes are pruned.
CREATE TABLE cache_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
