-- The search index is written apart from the article's write (as PostgreSQL's GIN
-- "fast update" keeps a pending list): each write records its article in
-- `search_pending`, a plain row in the same transaction, and the pending articles are
-- indexed together, before every search (so a search always finds the latest edit)
-- and every second in the background. An FTS5 commit costs several times a plain row's
-- (a new index segment, its merge work, the content copy), so paying it once per batch
-- instead of per write keeps article writes nearly as fast as without search. (Triggers
-- did it per changed row: a new article with three tags was indexed four times.)
-- Deletions and tag renames keep their triggers.
DROP TRIGGER article_search_insert;
DROP TRIGGER article_search_update;
DROP TRIGGER article_search_tag_added;
DROP TRIGGER article_search_tag_removed;

CREATE TABLE search_pending (article_id INTEGER PRIMARY KEY NOT NULL);
