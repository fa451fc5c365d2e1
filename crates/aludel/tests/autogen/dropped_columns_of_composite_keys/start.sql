-- Every column dropped here is one column of a key or index of several: the revision must
-- drop those first, as no two backends drop or narrow them alike.
CREATE TABLE regions (
    code varchar(10) NOT NULL,
    country varchar(10) NOT NULL,
    label varchar(50),
    PRIMARY KEY (code, country)
);
CREATE TABLE shops (
    id integer NOT NULL PRIMARY KEY,
    region varchar(10),
    country varchar(10),
    name varchar(50),
    CONSTRAINT shops_region_country_fkey FOREIGN KEY (region, country) REFERENCES regions (code, country),
    CONSTRAINT shops_name_country_key UNIQUE (name, country)
);
CREATE INDEX ix_shops_country_name ON shops (country, name);
