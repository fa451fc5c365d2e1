CREATE TABLE parents (id integer PRIMARY KEY);
CREATE TABLE children (
    id integer PRIMARY KEY,
    parent_id integer,
    FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE NO ACTION
);
