CREATE TABLE items (
    id integer PRIMARY KEY,
    code varchar(20) NOT NULL,
    name varchar(100),
    qty integer DEFAULT 0,
    price numeric(8,2),
    note text DEFAULT 'none'
);
