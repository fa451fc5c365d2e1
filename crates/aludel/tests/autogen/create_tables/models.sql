CREATE TABLE users (
    id integer PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,
    display_name text,
    active boolean NOT NULL DEFAULT true,
    karma integer NOT NULL DEFAULT 0,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
    id integer PRIMARY KEY,
    author_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title varchar(200) NOT NULL,
    body text,
    score numeric(10,2) DEFAULT 0,
    published_on date,
    CHECK (length(title) > 0)
);
CREATE INDEX ix_posts_author_id ON posts (author_id);
CREATE UNIQUE INDEX ix_posts_title ON posts (title);
