CREATE TABLE items (
    id integer PRIMARY KEY,
    "order" integer,
    "select" integer NOT NULL,
    CONSTRAINT items_n_check CHECK ("order" <> 7)
);
