-- A notification needs a key only where something could create it twice: the jobs that
-- notify an article's followers in batches, and the single-recipient jobs queued before
-- writes made their own notifications, find what a run before them made by its key. A
-- notification made by the write that causes it (a comment, a favorite, a follow, a
-- moderation decision) exists exactly when that write commits, and was given a random
-- key only because the column was required: each went into a unique index at a random
-- place, to be never read. Those are made without a key now, and the random keys given
-- before are dropped; keys stay unique where they are given. SQLite cannot drop NOT NULL
-- in place, so the table is rebuilt.
CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('article', 'comment', 'follower', 'favorite', 'moderation', 'report')),
    actor_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    subject TEXT,
    detail TEXT,
    reason TEXT,
    dedupe_key TEXT,
    emailed BOOLEAN NOT NULL DEFAULT FALSE,
    read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    email_job INTEGER,
    mailed_at TIMESTAMP
);
INSERT INTO notifications_new (id, user_id, kind, actor_id, article_id, subject, detail, reason, dedupe_key, emailed, read_at, created_at, email_job, mailed_at)
SELECT id, user_id, kind, actor_id, article_id, subject, detail, reason,
       CASE WHEN dedupe_key LIKE 'write:%' THEN NULL ELSE dedupe_key END,
       emailed, read_at, created_at, email_job, mailed_at
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC, read_at);
CREATE INDEX notifications_unmailed_idx ON notifications (user_id, id)
    WHERE emailed AND mailed_at IS NULL;
CREATE UNIQUE INDEX notifications_dedupe_key_idx ON notifications (dedupe_key)
    WHERE dedupe_key IS NOT NULL;
