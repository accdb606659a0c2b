DROP TABLE search_pending;

CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_search (rowid, title, description, body, tags)
    VALUES (new.id, new.title, new.description, new.body, '');
END;

CREATE TRIGGER article_search_update AFTER UPDATE OF title, description, body ON articles BEGIN
    UPDATE article_search SET title = new.title, description = new.description, body = new.body
    WHERE rowid = new.id;
END;

CREATE TRIGGER article_search_tag_added AFTER INSERT ON article_tags BEGIN
    UPDATE article_search
    SET tags = COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags x JOIN tags t ON t.id = x.tag_id
                         WHERE x.article_id = new.article_id), '')
    WHERE rowid = new.article_id;
END;

CREATE TRIGGER article_search_tag_removed AFTER DELETE ON article_tags BEGIN
    UPDATE article_search
    SET tags = COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags x JOIN tags t ON t.id = x.tag_id
                         WHERE x.article_id = old.article_id), '')
    WHERE rowid = old.article_id;
END;
