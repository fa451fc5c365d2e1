CREATE TABLE t (
    id integer PRIMARY KEY,
    x varchar(20) DEFAULT 'd\\n',
    g varchar(30) GENERATED ALWAYS AS (concat(x, '\\t', 'it\'s')) VIRTUAL,
    CONSTRAINT t_x_check CHECK (x <> 'a\\nb' AND x <> 'q\\')
);
