CREATE TABLE accounts (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name text,
    region text,
    deleted boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX ix_accounts_region ON accounts (region, name);
CREATE UNIQUE INDEX ix_accounts_email_live ON accounts (lower(email)) WHERE NOT deleted;
CREATE INDEX ix_accounts_name_region ON accounts (name, region);
