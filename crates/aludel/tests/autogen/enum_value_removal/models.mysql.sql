CREATE TABLE posts (
    id integer PRIMARY KEY,
    status ENUM('draft', 'published', 'archived', 'deleted') NOT NULL DEFAULT 'draft',
    CONSTRAINT posts_archived_check CHECK (status <> 'archived' OR id > 0)
);
