CREATE TABLE parents (pk bigint PRIMARY KEY);
CREATE TABLE children (
    id integer PRIMARY KEY,
    parent_id bigint,
    CONSTRAINT fk_children_parent FOREIGN KEY (parent_id) REFERENCES parents (pk)
);
