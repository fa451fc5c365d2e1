CREATE TABLE notes (id integer PRIMARY KEY, body text COMMENT 'markdown', author text) COMMENT = 'what people write';
