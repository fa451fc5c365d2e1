CREATE TABLE words (
    id integer PRIMARY KEY,
    word text COLLATE NOCASE NOT NULL,
    note varchar(40) COLLATE RTRIM,
    code varchar(20),
    tag text COLLATE nocase,
    title varchar(30) COLLATE NOCASE
);
CREATE INDEX ix_words_word ON words (word);
