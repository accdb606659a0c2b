UPDATE notifications SET dedupe_key = 'write:' || id WHERE dedupe_key IS NULL;
DROP INDEX notifications_dedupe_key_idx;
ALTER TABLE notifications ADD CONSTRAINT notifications_dedupe_key_key UNIQUE (dedupe_key);
ALTER TABLE notifications ALTER COLUMN dedupe_key SET NOT NULL;
