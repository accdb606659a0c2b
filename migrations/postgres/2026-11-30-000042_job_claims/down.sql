DROP INDEX jobs_done_idx;
DROP INDEX jobs_running_idx;
DROP INDEX jobs_queued_idx;
CREATE INDEX jobs_claim_idx ON jobs (state, run_at);
