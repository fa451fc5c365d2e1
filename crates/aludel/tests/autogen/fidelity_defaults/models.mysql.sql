CREATE TABLE accounts (
    id integer AUTO_INCREMENT PRIMARY KEY,
    code varchar(40) DEFAULT 'none',
    balance decimal(12,2) DEFAULT 0.00,
    opened_at datetime(6) NOT NULL DEFAULT now(6)
);
CREATE TABLE events (
    id bigint AUTO_INCREMENT PRIMARY KEY,
    at datetime(6) DEFAULT CURRENT_TIMESTAMP(6),
    weight decimal(6,3) DEFAULT 1.500,
    ratio double DEFAULT 1e3
);
