-- Usernames are unique regardless of case: `username_key` is the name in lower case
-- (Unicode, computed by the application: `db::username_keys`), under a unique index.
-- Existing rows are keyed at start-up, right after the migrations; an account whose key
-- another (older) account already holds keeps none and is reported in the log, for
-- staff to rename, instead of failing the upgrade.
ALTER TABLE users ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX users_username_fold_idx ON users (username_key);
