-- On PostgreSQL invalidations travel by NOTIFY inside the writing transaction and no
-- table is needed; this version exists so that both backends keep the same migration
-- names (SQLite creates its `cache_events` table here).
SELECT 1;
