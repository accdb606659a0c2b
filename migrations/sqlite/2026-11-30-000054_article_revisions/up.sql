-- Article revisions: a full snapshot of what was saved (title, description, body and
-- tags as a JSON array), numbered per article from 1 (the original). The write path
-- keeps at most 50 per article (the original and the newest 49) and skips a save that
-- changed nothing. added_lines / removed_lines: the body's line diff against the
-- revision before it, for the history list.
CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    editor_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL,
    added_lines INTEGER NOT NULL,
    removed_lines INTEGER NOT NULL
);
CREATE UNIQUE INDEX article_revisions_article_number ON article_revisions (article_id, number);
-- Articles from before revisions start their history with what they are now.
INSERT INTO article_revisions (article_id, number, editor_id, created_at, title,
    description, body, tags, added_lines, removed_lines)
SELECT a.id, 1, a.author_id, a.updated_at, a.title, a.description, a.body,
    (SELECT json_group_array(t.name) FROM article_tags link JOIN tags t ON t.id = link.tag_id
        WHERE link.article_id = a.id),
    length(a.body) - length(replace(a.body, char(10), ''))
        + CASE WHEN substr(a.body, -1) = char(10) THEN 0 ELSE 1 END,
    0
FROM articles a;
