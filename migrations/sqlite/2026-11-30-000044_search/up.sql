-- Full-text search: an FTS5 index of every article's title, description, body and tags
-- (rowid = article id), kept in step by triggers inside the writing transaction, so an
-- edit is found by its new words at once and a deletion is gone. Hidden articles stay
-- indexed: queries leave them out for everyone but their author and staff.
CREATE VIRTUAL TABLE article_search USING fts5(
    title, description, body, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO article_search (rowid, title, description, body, tags)
SELECT a.id, a.title, a.description, a.body,
       COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags x JOIN tags t ON t.id = x.tag_id
                 WHERE x.article_id = a.id), '')
FROM articles a;

CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_search (rowid, title, description, body, tags)
    VALUES (new.id, new.title, new.description, new.body, '');
END;

CREATE TRIGGER article_search_update AFTER UPDATE OF title, description, body ON articles BEGIN
    UPDATE article_search SET title = new.title, description = new.description, body = new.body
    WHERE rowid = new.id;
END;

CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN
    DELETE FROM article_search WHERE rowid = old.id;
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

CREATE TRIGGER article_search_tag_renamed AFTER UPDATE OF name ON tags BEGIN
    UPDATE article_search
    SET tags = COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags x JOIN tags t ON t.id = x.tag_id
                         WHERE x.article_id = article_search.rowid), '')
    WHERE rowid IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;
