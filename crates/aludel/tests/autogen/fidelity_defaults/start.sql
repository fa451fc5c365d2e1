CREATE TABLE accounts (
    id serial PRIMARY KEY,
    code varchar(20) DEFAULT 'none',
    balance numeric(10,2) DEFAULT 0.00,
    fee numeric(8,2) DEFAULT 1.50
);
CREATE TABLE legacy (
    id serial PRIMARY KEY,
    note text DEFAULT 'x',
    seen_at timestamptz DEFAULT now()
);
