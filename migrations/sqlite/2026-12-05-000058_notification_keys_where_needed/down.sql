CREATE TABLE notifications_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('article', 'comment', 'follower', 'favorite', 'moderation', 'report')),
    actor_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    subject TEXT,
    detail TEXT,
    reason TEXT,
    dedupe_key TEXT NOT NULL UNIQUE,
    emailed BOOLEAN NOT NULL DEFAULT FALSE,
    read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    email_job INTEGER,
    mailed_at TIMESTAMP
);
INSERT INTO notifications_old (id, user_id, kind, actor_id, article_id, subject, detail, reason, dedupe_key, emailed, read_at, created_at, email_job, mailed_at)
SELECT id, user_id, kind, actor_id, article_id, subject, detail, reason,
       COALESCE(dedupe_key, 'write:' || id), emailed, read_at, created_at, email_job, mailed_at
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC, read_at);
CREATE INDEX notifications_unmailed_idx ON notifications (user_id, id)
    WHERE emailed AND mailed_at IS NULL;
