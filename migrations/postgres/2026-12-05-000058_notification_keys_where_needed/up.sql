-- A notification needs a key only where something could create it twice: the jobs that
-- notify an article's followers in batches, and the single-recipient jobs queued before
-- writes made their own notifications, find what a run before them made by its key. A
-- notification made by the write that causes it (a comment, a favorite, a follow, a
-- moderation decision, the followers of a new article told inside its create) exists
-- exactly when that write commits, and was given a random key only because the column
-- was required: each went into a unique index at a random place, a page touched, a
-- split now and then and some 90 bytes of WAL per notification, to be never read.
-- Those are made without a key now; keys stay unique where they are given. Keys given
-- before stay as they are (rewriting every row is not worth a longer start-up).
ALTER TABLE notifications ALTER COLUMN dedupe_key DROP NOT NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_dedupe_key_key;
CREATE UNIQUE INDEX notifications_dedupe_key_idx ON notifications (dedupe_key)
    WHERE dedupe_key IS NOT NULL;
