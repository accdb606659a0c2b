DROP TRIGGER article_search_tag_rename ON tags;
DROP TRIGGER article_search_tagging ON article_tags;
DROP TRIGGER article_search_article ON articles;
DROP FUNCTION article_search_on_tag_rename();
DROP FUNCTION article_search_on_tagging();
DROP FUNCTION article_search_on_article();
DROP FUNCTION article_search_refresh(INTEGER);
DROP TABLE article_search;
