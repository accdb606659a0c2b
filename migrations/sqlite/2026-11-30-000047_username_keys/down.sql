DROP INDEX users_username_fold_idx;
ALTER TABLE users DROP COLUMN username_key;
