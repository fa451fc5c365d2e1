CREATE TABLE teams (
    id integer PRIMARY KEY,
    slug text NOT NULL
);
CREATE TABLE members (
    id integer PRIMARY KEY,
    team_id integer NOT NULL,
    email text NOT NULL,
    rank integer NOT NULL,
    CONSTRAINT members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT members_rank_check CHECK (rank > 0 AND rank < 100),
    CONSTRAINT members_team_id_email_key UNIQUE (team_id, email)
);
