-- Browser sign-ins as rows, so that a member can see where they are signed in and end
-- any of them. The cookie holds a random key; the row only its SHA-256.
CREATE TABLE sessions (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE,
    -- SHA-256 of the browser's long-lived device cookie: a sign-in from a device this
    -- account never used is emailed to its owner.
    device_hash TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    ip TEXT,
    persistent BOOLEAN NOT NULL,
    created_at TIMESTAMP(3) NOT NULL,
    last_seen_at TIMESTAMP(3) NOT NULL,
    ended_at TIMESTAMP(3)
);
CREATE INDEX sessions_user_idx ON sessions (user_id, device_hash);

-- TOTP (RFC 6238): the shared secret, and the last time step accepted, so a code
-- works once.
CREATE TABLE two_factor (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    last_step BIGINT NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored hashed.
CREATE TABLE recovery_codes (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP(3)
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

-- On the account row, so that every request knows it from the cached account.
ALTER TABLE users ADD COLUMN two_factor_since TIMESTAMP(3);
