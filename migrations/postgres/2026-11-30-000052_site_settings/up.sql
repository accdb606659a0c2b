-- Settings admins change from the admin area, read by every instance (cached, dropped
-- on every instance by the write that changes one).
CREATE TABLE site_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP(3) NOT NULL
);
