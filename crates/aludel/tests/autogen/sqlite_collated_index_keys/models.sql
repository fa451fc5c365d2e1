-- Index keys with their own collation: read back from SQLite as the models write them, so
-- the change is made once and `check` is clean after it, both ways.
CREATE TABLE posts (id integer PRIMARY KEY, title text NOT NULL, "Kind" text, at text);
CREATE INDEX ix_posts_title ON posts (title COLLATE nocase);
CREATE INDEX ix_kind ON posts ("Kind" COLLATE NOCASE DESC, at);
