-- The feed and author lists also filter on `hidden`: with it in the author index they
-- are answered from the index alone, without reading each article row (and its body).
DROP INDEX articles_author_created_idx;
CREATE INDEX articles_author_created_idx ON articles (author_id, created_at DESC, id DESC, hidden);
