-- The PostgreSQL instances share their rate limits through this table. On SQLite (one
-- server process) the limits stay in memory and the table stays empty; it exists so that
-- both backends have the same schema.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY NOT NULL,
    tat BIGINT NOT NULL
);
