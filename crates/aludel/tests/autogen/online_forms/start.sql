CREATE TABLE owners (
    id integer PRIMARY KEY
);
CREATE TABLE items (
    id integer PRIMARY KEY,
    owner_id integer,
    code text,
    qty integer,
    amount integer NOT NULL
);
