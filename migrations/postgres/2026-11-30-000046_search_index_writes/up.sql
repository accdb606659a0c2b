-- An article is indexed once per write, by the write itself (`domain::search::index`,
-- called after the article and its tags are saved), instead of by a trigger per changed
-- row (an article created with three tags was indexed four times). Deletions cascade;
-- tag renames (rare, staff-only) keep their trigger.
DROP TRIGGER article_search_tagging ON article_tags;
DROP TRIGGER article_search_article ON articles;
DROP FUNCTION article_search_on_tagging();
DROP FUNCTION article_search_on_article();
