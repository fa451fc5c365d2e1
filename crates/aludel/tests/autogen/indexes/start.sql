CREATE TABLE accounts (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name text,
    region text,
    deleted boolean NOT NULL DEFAULT false
);
CREATE INDEX ix_accounts_name ON accounts (name);
CREATE INDEX ix_accounts_region ON accounts (region);
