-- Email verification: when the account's current address was proved (NULL: not yet,
-- including accounts from before this migration, which can ask for a link in their
-- settings), and the emailed links, by the SHA-256 of their random token and the address
-- they prove (a link for an address since changed proves nothing).
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;

CREATE TABLE email_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);
