DELETE FROM notifications WHERE kind IN ('moderation', 'report') OR (kind <> 'follower' AND article_id IS NULL);
ALTER TABLE notifications DROP CONSTRAINT notifications_article_id_fkey;
ALTER TABLE notifications ADD CONSTRAINT notifications_article_id_fkey
    FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('article', 'comment', 'follower', 'favorite'));
ALTER TABLE notifications DROP COLUMN reason;
ALTER TABLE notifications DROP COLUMN detail;
ALTER TABLE notifications DROP COLUMN subject;
