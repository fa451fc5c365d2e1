CREATE TABLE accounts (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name text,
    region text,
    deleted boolean NOT NULL DEFAULT false,
    FULLTEXT KEY ft_accounts_name (name)
);
CREATE UNIQUE INDEX ix_accounts_region ON accounts (region, name);
CREATE UNIQUE INDEX ix_accounts_email ON accounts (email(100));
CREATE INDEX ix_accounts_name_region ON accounts (name(255), region(255));
