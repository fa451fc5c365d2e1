CREATE TABLE t (id integer PRIMARY KEY, x varchar(20));
