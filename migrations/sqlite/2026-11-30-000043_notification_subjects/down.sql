CREATE TABLE notifications_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('article', 'comment', 'follower', 'favorite')),
    actor_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    dedupe_key TEXT NOT NULL UNIQUE,
    emailed BOOLEAN NOT NULL DEFAULT FALSE,
    read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO notifications_old (id, user_id, kind, actor_id, article_id, dedupe_key, emailed, read_at, created_at)
SELECT id, user_id, kind, actor_id, article_id, dedupe_key, emailed, read_at, created_at
FROM notifications
WHERE kind = 'follower' OR (kind IN ('article', 'comment', 'favorite') AND article_id IS NOT NULL);
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, read_at);
