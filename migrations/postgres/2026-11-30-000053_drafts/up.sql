-- Drafts: seen only by their author until published (then `created_at` becomes the
-- publication time). `publish_at` is when a job publishes a scheduled draft.
ALTER TABLE articles ADD COLUMN draft BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE articles ADD COLUMN publish_at TIMESTAMP(3);
-- Drafts are few: their own small index serves an author's Drafts tab and lets the tag
-- list and searches leave them out by id (as `articles_hidden_idx` does for hidden ones).
CREATE INDEX articles_draft_idx ON articles (author_id, id) WHERE draft;
-- The feed and author lists filter on `draft` as on `hidden`: both in the author index,
-- so those lists are still answered from the index alone.
DROP INDEX articles_author_created_idx;
CREATE INDEX articles_author_created_idx ON articles (author_id, created_at DESC, id DESC, hidden, draft);
