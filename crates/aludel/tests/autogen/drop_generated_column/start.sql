CREATE TABLE items (
    id integer PRIMARY KEY,
    price integer,
    price_with_tax integer GENERATED ALWAYS AS (price * 2) STORED
);
