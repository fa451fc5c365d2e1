CREATE TABLE accounts (
    id integer PRIMARY KEY,
    code varchar(20) DEFAULT 'none',
    balance numeric(10,2) DEFAULT 0.00
);
