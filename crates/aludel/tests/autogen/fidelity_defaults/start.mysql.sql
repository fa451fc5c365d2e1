CREATE TABLE accounts (
    id integer AUTO_INCREMENT PRIMARY KEY,
    code varchar(20) DEFAULT 'none',
    balance decimal(10,2) DEFAULT 0.00
);
CREATE TABLE legacy (
    id integer AUTO_INCREMENT PRIMARY KEY,
    note varchar(20) DEFAULT 'x',
    seen_at datetime(6) DEFAULT now(6)
);
