-- Full-text search: one weighted tsvector per article (title A, tags and description B,
-- body D) under a GIN index, kept in step by triggers inside the writing transaction, so
-- an edit is found by its new words at once and a deletion is gone. Hidden articles stay
-- indexed: queries leave them out for everyone but their author and staff.
CREATE TABLE article_search (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    document TSVECTOR NOT NULL
);
CREATE INDEX article_search_document_idx ON article_search USING GIN (document);

CREATE FUNCTION article_search_refresh(target INTEGER) RETURNS void LANGUAGE sql AS $$
    INSERT INTO article_search (article_id, document)
    SELECT a.id,
           setweight(to_tsvector('english', a.title), 'A')
           || setweight(to_tsvector('english', COALESCE(
                  (SELECT string_agg(t.name, ' ') FROM article_tags x JOIN tags t ON t.id = x.tag_id
                   WHERE x.article_id = a.id), '')), 'B')
           || setweight(to_tsvector('english', a.description), 'B')
           || setweight(to_tsvector('english', a.body), 'D')
    FROM articles a WHERE a.id = target
    ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document;
$$;

CREATE FUNCTION article_search_on_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM article_search_refresh(NEW.id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION article_search_on_tagging() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM article_search_refresh(OLD.article_id);
    ELSE
        PERFORM article_search_refresh(NEW.article_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION article_search_on_tag_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM article_search_refresh(x.article_id) FROM article_tags x WHERE x.tag_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER article_search_article AFTER INSERT OR UPDATE OF title, description, body
    ON articles FOR EACH ROW EXECUTE FUNCTION article_search_on_article();
CREATE TRIGGER article_search_tagging AFTER INSERT OR DELETE
    ON article_tags FOR EACH ROW EXECUTE FUNCTION article_search_on_tagging();
CREATE TRIGGER article_search_tag_rename AFTER UPDATE OF name
    ON tags FOR EACH ROW EXECUTE FUNCTION article_search_on_tag_rename();

-- The articles already there.
SELECT article_search_refresh(id) FROM articles;
