CREATE TABLE users (
    id integer PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE posts (
    id integer PRIMARY KEY,
    title text NOT NULL,
    author_id integer,
    editor_id integer,
    CONSTRAINT posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT posts_editor_id_fkey FOREIGN KEY (editor_id) REFERENCES users (id)
);
CREATE INDEX ix_posts_author_id ON posts (author_id);
