CREATE TABLE posts (
    id integer PRIMARY KEY,
    status ENUM('draft', 'review', 'published', 'archived') NOT NULL DEFAULT 'review',
    CONSTRAINT posts_archived_check CHECK (status <> 'archived' OR id > 0)
);
