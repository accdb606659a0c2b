-- An article is indexed once per write, by the write itself (`domain::search::index`,
-- called after the article and its tags are saved), instead of by a trigger per changed
-- row: FTS5 re-tokenizes a whole row (body included) on every update, so an article
-- created with three tags was tokenized seven times. Deletions and tag renames (rare,
-- staff-only) stay with triggers.
DROP TRIGGER article_search_insert;
DROP TRIGGER article_search_update;
DROP TRIGGER article_search_tag_added;
DROP TRIGGER article_search_tag_removed;
