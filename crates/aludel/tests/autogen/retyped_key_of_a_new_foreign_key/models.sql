-- The key widens and a new table references it: on MySQL a foreign key needs equal types, so
-- the new table's foreign key waits for the type change.
CREATE TABLE posts (
    id bigint NOT NULL PRIMARY KEY,
    title varchar(200) NOT NULL
);

CREATE TABLE tags (
    post_id bigint NOT NULL,
    tag varchar(50) NOT NULL,
    PRIMARY KEY (post_id, tag),
    CONSTRAINT fk_tags_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE
);
