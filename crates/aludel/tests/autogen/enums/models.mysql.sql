CREATE TABLE people (
    id integer PRIMARY KEY,
    mood ENUM('sad', 'ok', 'happy') NOT NULL DEFAULT 'ok',
    status ENUM('active', 'banned') NOT NULL DEFAULT 'active'
);
