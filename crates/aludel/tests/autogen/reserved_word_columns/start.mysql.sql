CREATE TABLE items (
    id integer PRIMARY KEY,
    n integer,
    `select` integer,
    CONSTRAINT items_n_check CHECK (n <> 7)
);
