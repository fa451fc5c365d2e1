CREATE TABLE authors (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (id integer PRIMARY KEY, author_id integer REFERENCES authors (id), title text NOT NULL);
CREATE INDEX ix_books_title ON books (title);
CREATE TABLE reviews (id integer PRIMARY KEY, book_id integer NOT NULL REFERENCES books (id) ON DELETE CASCADE, stars integer);
CREATE TABLE keep (id integer PRIMARY KEY);
