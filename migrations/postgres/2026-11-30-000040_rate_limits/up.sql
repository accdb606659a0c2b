-- Rate limits shared by every instance: one row per bucket (`login:ip:1.2.3.4`,
-- `write:acct:42`) with its GCRA theoretical arrival time in microseconds since the Unix
-- epoch; a row whose time has passed is the same as no row. UNLOGGED: losing the limits
-- in a crash only gives everyone a fresh allowance, and skipping the WAL keeps the upsert
-- of every limited request cheap. Room on each page lets those updates stay HOT.
CREATE UNLOGGED TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
) WITH (fillfactor = 70);
