CREATE TABLE users (
    id integer PRIMARY KEY,
    email text NOT NULL,
    CHECK (length(email) > 3)
);
CREATE INDEX ix_users_email ON users (email);
