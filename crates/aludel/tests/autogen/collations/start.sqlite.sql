CREATE TABLE words (
    id integer PRIMARY KEY,
    word text COLLATE NOCASE NOT NULL,
    note varchar(40),
    code varchar(10) COLLATE NOCASE,
    title varchar(10) COLLATE NOCASE
);
CREATE INDEX ix_words_word ON words (word);
