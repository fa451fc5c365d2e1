CREATE TABLE t (
    id integer PRIMARY KEY,
    a integer,
    b integer,
    CONSTRAINT t_a_b_first UNIQUE (a, b)
);
ALTER TABLE t ADD CONSTRAINT t_id_unique UNIQUE (id);
ALTER TABLE t ADD CONSTRAINT t_a_b_second UNIQUE (a, b);
ALTER TABLE t ADD CONSTRAINT t_b_a UNIQUE (b, a);
