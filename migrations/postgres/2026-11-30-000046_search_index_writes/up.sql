-- The search index is written apart from the article's write (as the GIN index's own
-- "fast update" keeps a pending list): each write records its article in
-- `search_pending`, a plain row in the same transaction, and the pending articles are
-- indexed together, before every search on any instance (so a search always finds the
-- latest edit) and every second in the background. Building a weighted tsvector and
-- upserting it costs several plain rows' worth; paid once per batch instead of per
-- write, article writes stay nearly as fast as without search. (Triggers did it per
-- changed row: a new article with three tags was indexed four times.) Deletions
-- cascade; tag renames (rare, staff-only) keep their trigger.
DROP TRIGGER article_search_tagging ON article_tags;
DROP TRIGGER article_search_article ON articles;
DROP FUNCTION article_search_on_tagging();
DROP FUNCTION article_search_on_article();

CREATE TABLE search_pending (article_id INTEGER PRIMARY KEY);
