CREATE TABLE notes (id integer PRIMARY KEY, body text, author text);
COMMENT ON TABLE notes IS 'what people write';
COMMENT ON COLUMN notes.body IS 'markdown';
