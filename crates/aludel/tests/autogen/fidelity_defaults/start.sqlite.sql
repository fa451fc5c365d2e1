CREATE TABLE accounts (
    id integer PRIMARY KEY,
    code varchar(20) DEFAULT 'none',
    balance numeric(10,2) DEFAULT 0.00
);
CREATE TABLE legacy (
    id integer PRIMARY KEY,
    note text DEFAULT 'x',
    share numeric DEFAULT 0.50
);
