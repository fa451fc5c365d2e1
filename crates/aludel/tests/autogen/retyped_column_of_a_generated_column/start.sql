CREATE TABLE items (
    id integer PRIMARY KEY,
    price integer NOT NULL,
    name varchar(40),
    price_with_tax integer GENERATED ALWAYS AS (price * 2) STORED,
    "Shout" varchar(40) GENERATED ALWAYS AS (upper(name)) STORED,
    CONSTRAINT items_taxed_positive CHECK (price_with_tax >= 0)
);
CREATE INDEX ix_items_price_with_tax ON items (price_with_tax);
CREATE INDEX ix_items_shout ON items ("Shout");
