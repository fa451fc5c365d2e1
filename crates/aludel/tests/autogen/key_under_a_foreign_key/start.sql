CREATE TABLE posts (
    id bigint NOT NULL PRIMARY KEY
);

CREATE TABLE tags (
    post_id bigint NOT NULL,
    tag varchar(50) NOT NULL,
    PRIMARY KEY (post_id, tag),
    CONSTRAINT fk_tags_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE
);
