DROP TABLE search_pending;

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

CREATE TRIGGER article_search_article AFTER INSERT OR UPDATE OF title, description, body
    ON articles FOR EACH ROW EXECUTE FUNCTION article_search_on_article();
CREATE TRIGGER article_search_tagging AFTER INSERT OR DELETE
    ON article_tags FOR EACH ROW EXECUTE FUNCTION article_search_on_tagging();
