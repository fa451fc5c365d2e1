CREATE TABLE accounts (
    id integer PRIMARY KEY,
    email varchar(200) NOT NULL,
    org integer,
    created date
);
CREATE UNIQUE INDEX ux_accounts_email ON accounts (email);
CREATE INDEX ix_accounts_org_created ON accounts (org, created DESC);
-- Renamed and changed: dropped and created.
CREATE INDEX ix_accounts_created ON accounts (created, id);

CREATE TABLE events (
    id integer PRIMARY KEY,
    kind varchar(20) NOT NULL
);
CREATE INDEX ix_events_kind ON events (kind);
