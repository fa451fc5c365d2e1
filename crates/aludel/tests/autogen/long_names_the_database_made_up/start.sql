CREATE TABLE a_table_whose_name_takes_fifty_of_the_sixty_three_b (
    id integer PRIMARY KEY,
    column_of_twenty_chars integer,
    other integer UNIQUE,
    CHECK (column_of_twenty_chars > 0),
    CHECK (column_of_twenty_chars > 1),
    CHECK (other < id)
);
