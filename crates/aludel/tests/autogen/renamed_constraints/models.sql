CREATE TABLE orgs (
    id integer,
    code varchar(20) NOT NULL,
    CONSTRAINT orgs_pkey PRIMARY KEY (id),
    CONSTRAINT orgs_code_key UNIQUE (code),
    CONSTRAINT orgs_id_check CHECK (id >= 0)
);

CREATE TABLE accounts (
    id integer PRIMARY KEY,
    org integer,
    score integer,
    CONSTRAINT accounts_org_fkey FOREIGN KEY (org) REFERENCES orgs (id) ON DELETE CASCADE,
    CONSTRAINT accounts_score_check CHECK (score >= 0)
);

CREATE TABLE invites (
    id integer PRIMARY KEY,
    org_code varchar(20),
    CONSTRAINT invites_org_code_fkey FOREIGN KEY (org_code) REFERENCES orgs (code)
);
