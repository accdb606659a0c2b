-- Suspension and forced password reset on accounts.
ALTER TABLE users ADD COLUMN suspended_at TIMESTAMP(3);
ALTER TABLE users ADD COLUMN suspended_until TIMESTAMP(3);
ALTER TABLE users ADD COLUMN suspension_reason TEXT;
ALTER TABLE users ADD COLUMN password_reset_required BOOLEAN NOT NULL DEFAULT false;

-- Moderation state of content: hidden from everyone but staff and the author; featured
-- articles are pinned on the home page, newest feature first.
ALTER TABLE articles ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE articles ADD COLUMN featured_at TIMESTAMP(3);
ALTER TABLE comments ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX articles_featured_idx ON articles (featured_at);

-- Reports from users about an article, a comment or a user.
CREATE TABLE reports (
    id SERIAL PRIMARY KEY,
    reporter_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('article', 'comment', 'user')),
    target_id INTEGER NOT NULL,
    target_label TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution_action TEXT,
    resolution_note TEXT,
    resolved_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP(3) NOT NULL,
    resolved_at TIMESTAMP(3)
);
CREATE INDEX reports_status_idx ON reports (status, created_at, id);

-- The audit log: written in the same transaction as each change; no foreign keys, so a
-- row outlives the accounts it names.
CREATE TABLE audit_log (
    id SERIAL PRIMARY KEY,
    actor_id INTEGER,
    actor_name TEXT,
    action TEXT NOT NULL,
    target_kind TEXT,
    target_id INTEGER,
    target_label TEXT,
    before_summary TEXT,
    after_summary TEXT,
    ip TEXT,
    created_at TIMESTAMP(3) NOT NULL
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC);

-- Append-only: rows can be added, never changed or removed.
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
