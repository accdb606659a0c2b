-- Password recovery: one row per emailed link, holding only the SHA-256 of its random
-- token. A link works once, for an hour, and only while it is the account's newest.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- Raised to sign an account out everywhere: every session and API token carries the
-- generation it was issued under and stops working once it is behind.
ALTER TABLE users ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
