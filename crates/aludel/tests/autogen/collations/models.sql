CREATE TABLE words (
    id integer PRIMARY KEY,
    word text COLLATE "C" NOT NULL,
    note varchar(40) COLLATE "POSIX",
    code varchar(20),
    tag text COLLATE "C",
    title varchar(30) COLLATE "C"
);
CREATE INDEX ix_words_word ON words (word);
