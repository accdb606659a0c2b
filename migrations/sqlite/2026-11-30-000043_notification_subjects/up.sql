-- Notifications outlive what they are about: a deleted article leaves its
-- notifications (article_id becomes NULL) and `subject` keeps its title, so the page
-- can say it was deleted instead of linking to a 404. Two more kinds: `moderation`
-- (staff hid, showed again or deleted your article or comment; `detail` says which,
-- `reason` why) and `report` (your report was resolved). SQLite cannot change a
-- constraint in place, so the table is rebuilt.
CREATE TABLE notifications_new (
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
    created_at TIMESTAMP NOT NULL
);
INSERT INTO notifications_new (id, user_id, kind, actor_id, article_id, subject, dedupe_key, emailed, read_at, created_at)
SELECT n.id, n.user_id, n.kind, n.actor_id, n.article_id,
       (SELECT a.title FROM articles a WHERE a.id = n.article_id),
       n.dedupe_key, n.emailed, n.read_at, n.created_at
FROM notifications n;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, read_at);
