DROP INDEX articles_draft_idx;
ALTER TABLE articles DROP COLUMN publish_at;
ALTER TABLE articles DROP COLUMN draft;
