CREATE TABLE items (
    id integer PRIMARY KEY,
    price bigint NOT NULL,
    name varchar(40) COLLATE "C",
    price_with_tax bigint GENERATED ALWAYS AS (price * 2) STORED,
    "Shout" varchar(40) GENERATED ALWAYS AS (upper(name)) STORED,
    price_with_fee bigint GENERATED ALWAYS AS (price + 1) STORED,
    CONSTRAINT items_taxed_positive CHECK (price_with_tax >= 0)
);
CREATE INDEX ix_items_price_with_tax ON items (price_with_tax);
CREATE INDEX ix_items_shout ON items ("Shout");
