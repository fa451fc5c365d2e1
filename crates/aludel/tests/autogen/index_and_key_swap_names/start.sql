CREATE TABLE t (
    id integer PRIMARY KEY,
    a integer,
    b integer,
    CONSTRAINT foo UNIQUE (a)
);
CREATE INDEX bar ON t (b);
