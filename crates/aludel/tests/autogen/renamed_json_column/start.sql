CREATE TABLE documents (
    id integer PRIMARY KEY,
    doc json
);
