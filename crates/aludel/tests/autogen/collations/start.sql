CREATE TABLE words (
    id integer PRIMARY KEY,
    word text COLLATE "C" NOT NULL,
    note varchar(40),
    code varchar(10) COLLATE "C",
    title varchar(10) COLLATE "C"
);
CREATE INDEX ix_words_word ON words (word);
