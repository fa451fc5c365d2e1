CREATE TABLE people (
    id integer PRIMARY KEY,
    mood ENUM('sad', 'ok') NOT NULL DEFAULT 'ok',
    old ENUM('x', 'y')
);
