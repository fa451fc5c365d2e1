CREATE TABLE tickets (
    id integer PRIMARY KEY,
    state varchar(10) NOT NULL CHECK (state IN ('open', 'closed')),
    kind varchar(10) CHECK (kind IN ('bug', 'task')),
    label text CHECK (label IN ('red', 'blue')),
    priority integer CHECK (priority IN (1, 2, 3)),
    size smallint CHECK (size IN (1, 2)),
    score numeric(5, 2) CHECK (score IN (1.5, 2))
);
