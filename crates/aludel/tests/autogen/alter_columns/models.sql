CREATE TABLE items (
    id integer PRIMARY KEY,
    code varchar(40) NOT NULL,
    name varchar(100) NOT NULL,
    qty bigint DEFAULT 1,
    price numeric(12,2),
    note text
);
