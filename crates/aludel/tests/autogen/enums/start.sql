CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TYPE legacy AS ENUM ('x', 'y');
CREATE TABLE people (
    id integer PRIMARY KEY,
    mood mood NOT NULL DEFAULT 'ok',
    old legacy
);
