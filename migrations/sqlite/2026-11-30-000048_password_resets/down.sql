ALTER TABLE users DROP COLUMN token_generation;
DROP TABLE password_resets;
