CREATE TABLE words (
    id integer PRIMARY KEY,
    word varchar(50) COLLATE utf8mb4_bin NOT NULL,
    note varchar(40) COLLATE latin1_bin,
    code varchar(20),
    tag varchar(30) COLLATE UTF8MB4_BIN,
    title varchar(30) COLLATE utf8mb4_bin,
    KEY ix_words_word (word)
);
