CREATE TABLE users (
    id integer PRIMARY KEY,
    email varchar(255) NOT NULL,
    bio text,
    verified boolean NOT NULL DEFAULT false,
    joined_on date DEFAULT CURRENT_DATE
);
