DROP INDEX articles_author_created_idx;
CREATE INDEX articles_author_created_idx ON articles (author_id, created_at DESC, id DESC, hidden);
DROP INDEX articles_draft_idx;
ALTER TABLE articles DROP COLUMN publish_at;
ALTER TABLE articles DROP COLUMN draft;
