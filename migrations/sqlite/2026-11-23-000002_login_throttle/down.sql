ALTER TABLE users DROP COLUMN last_failed_login_at;
ALTER TABLE users DROP COLUMN failed_logins;
