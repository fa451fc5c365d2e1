CREATE TABLE owners (
    id integer PRIMARY KEY
);
CREATE TABLE items (
    id integer PRIMARY KEY,
    owner_id integer,
    code text,
    qty integer NOT NULL,
    amount bigint NOT NULL,
    CONSTRAINT items_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owners (id),
    CONSTRAINT items_code_key UNIQUE (code),
    CONSTRAINT items_qty_check CHECK (qty >= 0)
);
CREATE INDEX ix_items_qty ON items (qty);
CREATE TABLE labels (
    id integer PRIMARY KEY,
    item_id integer NOT NULL,
    CONSTRAINT labels_item_id_fkey FOREIGN KEY (item_id) REFERENCES items (id)
);
CREATE INDEX ix_labels_item_id ON labels (item_id);
