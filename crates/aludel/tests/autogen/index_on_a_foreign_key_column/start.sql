CREATE TABLE parents (id integer PRIMARY KEY);
CREATE TABLE children (
    id integer PRIMARY KEY,
    parent_id integer,
    CONSTRAINT fk_children_parent FOREIGN KEY (parent_id) REFERENCES parents (id)
);
