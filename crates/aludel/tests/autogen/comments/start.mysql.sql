CREATE TABLE notes (id integer PRIMARY KEY, body text, author text COMMENT 'who') COMMENT = 'old';
