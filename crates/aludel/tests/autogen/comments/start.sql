CREATE TABLE notes (id integer PRIMARY KEY, body text, author text);
COMMENT ON TABLE notes IS 'old';
COMMENT ON COLUMN notes.author IS 'who';
