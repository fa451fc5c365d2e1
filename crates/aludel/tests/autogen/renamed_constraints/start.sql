CREATE TABLE orgs (
    id integer,
    code varchar(20) NOT NULL,
    CONSTRAINT pk_orgs PRIMARY KEY (id),
    CONSTRAINT uq_orgs_code UNIQUE (code),
    -- Renamed and changed: dropped and added.
    CONSTRAINT ck_orgs_id CHECK (id > 0)
);

CREATE TABLE accounts (
    id integer PRIMARY KEY,
    org integer,
    score integer,
    CONSTRAINT fk_accounts_org FOREIGN KEY (org) REFERENCES orgs (id) ON DELETE CASCADE,
    CONSTRAINT ck_accounts_score CHECK (score >= 0)
);

-- MySQL drops and adds a renamed foreign key: two on one table would come back in another
-- order than `SHOW CREATE TABLE` lists them fresh.
CREATE TABLE invites (
    id integer PRIMARY KEY,
    org_code varchar(20),
    CONSTRAINT fk_invites_org_code FOREIGN KEY (org_code) REFERENCES orgs (code)
);
