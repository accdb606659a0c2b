ALTER TABLE users DROP COLUMN two_factor_since;
DROP TABLE recovery_codes;
DROP TABLE two_factor;
DROP TABLE sessions;
