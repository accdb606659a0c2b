DROP INDEX notifications_unmailed_idx;
ALTER TABLE notifications DROP COLUMN mailed_at;
ALTER TABLE notifications DROP COLUMN email_job;
DROP INDEX jobs_coalesce_queued_idx;
ALTER TABLE jobs DROP COLUMN coalesce_key;
