CREATE TABLE accounts (
    id integer AUTO_INCREMENT PRIMARY KEY,
    code varchar(20) DEFAULT 'none',
    balance decimal(10,2) DEFAULT 0.00
);
