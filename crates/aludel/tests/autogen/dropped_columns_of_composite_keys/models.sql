CREATE TABLE regions (
    code varchar(10) NOT NULL,
    label varchar(50),
    PRIMARY KEY (code)
);
CREATE TABLE shops (
    id integer NOT NULL PRIMARY KEY,
    region varchar(10),
    name varchar(50)
);
CREATE INDEX ix_shops_name ON shops (name);
