-- Notification emails are sent per recipient: a recipient's notifications that wait for
-- their email share one queued job, which sends them together (one email for one, a
-- digest for several).

-- A queued job with a coalesce key absorbs every later job with the same key until a
-- worker claims it: the insert of the later one does nothing. Jobs queued again (a
-- retry, a release) lose their key, so only fresh ones are ever merged into.
ALTER TABLE jobs ADD COLUMN coalesce_key TEXT;
CREATE UNIQUE INDEX jobs_coalesce_queued_idx ON jobs (coalesce_key)
    WHERE state = 'queued' AND coalesce_key IS NOT NULL;

-- The email job sending the notification: it keeps it across its retries (a retry sends
-- it again), and no other job takes it, so that nobody gets it twice.
ALTER TABLE notifications ADD COLUMN email_job INTEGER;
-- When the email of a notification went out; NULL while it waits (when `emailed`).
ALTER TABLE notifications ADD COLUMN mailed_at TIMESTAMP;
-- Those queued before this migration have jobs of their own (`email.notification`).
UPDATE notifications SET mailed_at = created_at WHERE emailed;
CREATE INDEX notifications_unmailed_idx ON notifications (user_id, id)
    WHERE emailed AND mailed_at IS NULL;
