-- Personal access tokens: named, scoped API credentials that the owner creates and
-- revokes. Only the SHA-256 of the secret is kept (the secret is shown once). Revoking
-- sets revoked_at rather than deleting the row, so the owner's tokens can be told apart
-- from those revoked, and when, should a leak be investigated.
CREATE TABLE access_tokens (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP(3) NOT NULL,
    expires_at TIMESTAMP(3),
    last_used_at TIMESTAMP(3),
    revoked_at TIMESTAMP(3)
);
CREATE INDEX access_tokens_user_idx ON access_tokens (user_id);
