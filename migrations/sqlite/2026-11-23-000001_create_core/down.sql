DROP TABLE comments;
DROP TABLE follows;
DROP TABLE favorites;
DROP TABLE article_tags;
DROP TABLE tags;
DROP TABLE articles;
DROP TABLE users;
