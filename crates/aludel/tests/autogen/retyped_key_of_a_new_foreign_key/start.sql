CREATE TABLE posts (
    id integer NOT NULL PRIMARY KEY,
    title varchar(200) NOT NULL
);
