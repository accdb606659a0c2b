-- Claims read only the rows they may take, whatever the table holds (finished jobs
-- stay for a week): due queued jobs in run order, and running jobs by lease end (to
-- take over those of a worker that died). Partial indexes hold just those rows.
DROP INDEX jobs_claim_idx;
CREATE INDEX jobs_queued_idx ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_running_idx ON jobs (lease_expires_at) WHERE state = 'running';
-- Pruning finished jobs by age.
CREATE INDEX jobs_done_idx ON jobs (updated_at) WHERE state = 'done';
