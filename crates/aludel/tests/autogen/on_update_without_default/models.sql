CREATE TABLE events (
    id integer PRIMARY KEY,
    touched datetime NOT NULL ON UPDATE CURRENT_TIMESTAMP,
    touched_ms datetime(3) NOT NULL ON UPDATE CURRENT_TIMESTAMP(3)
);
