CREATE TABLE parents (id int PRIMARY KEY);
CREATE TABLE dropped (
    id int PRIMARY KEY,
    parent_id int,
    UNIQUE (parent_id),
    CONSTRAINT fk_dropped_parent FOREIGN KEY (parent_id) REFERENCES parents (id)
);
CREATE TABLE replaced (
    id int PRIMARY KEY,
    parent_id int,
    CONSTRAINT uq_replaced_parent UNIQUE (parent_id),
    CONSTRAINT fk_replaced_parent FOREIGN KEY (parent_id) REFERENCES parents (id)
);
