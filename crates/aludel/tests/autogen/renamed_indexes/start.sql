CREATE TABLE accounts (
    id integer PRIMARY KEY,
    email varchar(200) NOT NULL,
    org integer,
    created date
);
CREATE UNIQUE INDEX accounts_email ON accounts (email);
CREATE INDEX accounts_org_created ON accounts (org, created DESC);
CREATE INDEX accounts_created ON accounts (created);

CREATE TABLE events (
    id integer PRIMARY KEY,
    kind varchar(20) NOT NULL
);
CREATE INDEX events_kind ON events (kind);
