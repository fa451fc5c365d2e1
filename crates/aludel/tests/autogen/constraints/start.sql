CREATE TABLE teams (
    id integer PRIMARY KEY,
    slug text NOT NULL,
    CONSTRAINT teams_slug_key UNIQUE (slug)
);
CREATE TABLE members (
    id integer PRIMARY KEY,
    team_id integer NOT NULL,
    email text NOT NULL,
    rank integer NOT NULL,
    CONSTRAINT members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id),
    CONSTRAINT members_rank_check CHECK (rank > 0)
);
