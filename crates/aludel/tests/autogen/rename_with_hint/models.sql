CREATE TABLE people (
    id integer PRIMARY KEY,
    email_address text NOT NULL,
    CHECK (length(email_address) > 3)
);
CREATE INDEX ix_users_email ON people (email_address);
