CREATE TABLE words (
    id integer PRIMARY KEY,
    word varchar(50) COLLATE utf8mb4_bin NOT NULL,
    note varchar(40),
    code varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    title varchar(10) COLLATE utf8mb4_bin,
    KEY ix_words_word (word)
);
