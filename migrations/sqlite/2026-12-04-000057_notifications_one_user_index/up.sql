-- One index per recipient instead of two. Every new notification went into both
-- `notifications_user_idx` (the newest first) and `notifications_unread_idx` (the unread
-- count): each at the recipient's place, a page of its own per recipient, so an
-- article's fan-out to its followers wrote two scattered pages per follower, and a
-- group of creates wrote hundreds to the log. The list's index now carries `read_at`,
-- so the unread count and "mark all read" read it without the table.
DROP INDEX notifications_unread_idx;
DROP INDEX notifications_user_idx;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC, read_at);
