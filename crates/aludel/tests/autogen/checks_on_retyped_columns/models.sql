CREATE TABLE tickets (
    id integer PRIMARY KEY,
    state varchar(20) NOT NULL CHECK (state IN ('open', 'closed')),
    kind text CHECK (kind IN ('bug', 'task')),
    label varchar(9) CHECK (label IN ('red', 'blue')),
    priority bigint CHECK (priority IN (1, 2, 3)),
    size integer CHECK (size IN (1, 2)),
    score numeric(10, 2) CHECK (score IN (1.5, 2))
);
