DROP INDEX articles_author_created_idx;
CREATE INDEX articles_author_created_idx ON articles (author_id, created_at DESC, id DESC);
