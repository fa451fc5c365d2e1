-- The primary key a foreign key relies on changes: MySQL keeps an index for the foreign key
-- while the key is replaced, and drops it again once the new key serves; both ways.
CREATE TABLE posts (
    id bigint NOT NULL PRIMARY KEY
);

CREATE TABLE tags (
    post_id bigint NOT NULL,
    tag varchar(50) NOT NULL,
    lang char(2) NOT NULL DEFAULT 'en',
    PRIMARY KEY (post_id, tag, lang),
    CONSTRAINT fk_tags_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE
);
