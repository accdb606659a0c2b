-- Notifications outlive what they are about: a deleted article leaves its
-- notifications (article_id becomes NULL) and `subject` keeps its title, so the page
-- can say it was deleted instead of linking to a 404. Two more kinds: `moderation`
-- (staff hid, showed again or deleted your article or comment; `detail` says which,
-- `reason` why) and `report` (your report was resolved).
ALTER TABLE notifications ADD COLUMN subject TEXT;
ALTER TABLE notifications ADD COLUMN detail TEXT;
ALTER TABLE notifications ADD COLUMN reason TEXT;
UPDATE notifications n SET subject = a.title FROM articles a WHERE a.id = n.article_id;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('article', 'comment', 'follower', 'favorite', 'moderation', 'report'));
ALTER TABLE notifications DROP CONSTRAINT notifications_article_id_fkey;
ALTER TABLE notifications ADD CONSTRAINT notifications_article_id_fkey
    FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE SET NULL;
