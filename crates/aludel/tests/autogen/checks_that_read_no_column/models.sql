CREATE TABLE settings (
    id integer PRIMARY KEY,
    mode varchar(10),
    CHECK (2 > 1),
    CONSTRAINT settings_always CHECK (1 > 0)
);
