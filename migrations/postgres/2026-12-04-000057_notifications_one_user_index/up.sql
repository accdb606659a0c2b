-- One index per recipient instead of two, as on SQLite: every new notification went
-- into both `notifications_user_idx` (the newest first) and `notifications_unread_idx`
-- (the unread count), each at the recipient's place, so an article's fan-out to its
-- followers wrote two scattered index pages per follower, and each entry went to the
-- WAL that every commit waits to flush. The list's index now carries `read_at`, so the
-- unread count and "mark all read" find the unread entries in it without the table.
DROP INDEX notifications_unread_idx;
DROP INDEX notifications_user_idx;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC, read_at);
