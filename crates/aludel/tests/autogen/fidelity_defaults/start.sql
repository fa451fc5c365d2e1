CREATE TABLE accounts (
    id serial PRIMARY KEY,
    code varchar(20) DEFAULT 'none',
    balance numeric(10,2) DEFAULT 0.00
);
