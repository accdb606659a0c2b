DROP TRIGGER article_search_tag_renamed;
DROP TRIGGER article_search_tag_removed;
DROP TRIGGER article_search_tag_added;
DROP TRIGGER article_search_delete;
DROP TRIGGER article_search_update;
DROP TRIGGER article_search_insert;
DROP TABLE article_search;
