CREATE TABLE posts (id integer PRIMARY KEY, title text NOT NULL, "Kind" text, at text);
CREATE INDEX ix_posts_title ON posts (title);
CREATE INDEX ix_kind ON posts ("Kind" DESC, at);
