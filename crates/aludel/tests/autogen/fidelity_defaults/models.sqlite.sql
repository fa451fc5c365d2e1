CREATE TABLE accounts (
    id integer PRIMARY KEY,
    code text DEFAULT 'none',
    balance numeric(12,2) DEFAULT 0.00,
    opened_at text DEFAULT '1970-01-01'
);
CREATE TABLE events (
    id integer PRIMARY KEY,
    at timestamp DEFAULT CURRENT_TIMESTAMP,
    weight numeric(6,3) DEFAULT 1.500,
    ratio real DEFAULT 1e3,
    small numeric DEFAULT -0.50
);
