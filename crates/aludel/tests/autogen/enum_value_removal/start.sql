CREATE TYPE status AS ENUM ('draft', 'review', 'published', 'archived');
CREATE TABLE posts (
    id integer PRIMARY KEY,
    status status NOT NULL DEFAULT 'review',
    history status[] DEFAULT '{draft}',
    CONSTRAINT posts_archived_check CHECK (status <> 'archived' OR id > 0)
);
CREATE INDEX ix_posts_live ON posts (id) WHERE status <> 'archived';
