-- serial to bigserial: the column and its sequence both become bigint (the sequence alone
-- would otherwise still stop at 2^31 - 1), and back on the downgrade.
CREATE TABLE articles (
    id bigserial PRIMARY KEY,
    title text NOT NULL
);
