CREATE TABLE t (
    id integer PRIMARY KEY,
    a integer,
    b integer,
    CONSTRAINT bar UNIQUE (a)
);
CREATE INDEX foo ON t (b);
