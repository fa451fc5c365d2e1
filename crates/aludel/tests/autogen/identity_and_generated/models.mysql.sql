CREATE TABLE orders (
    id bigint AUTO_INCREMENT PRIMARY KEY,
    quantity integer NOT NULL,
    unit_price decimal(10,2) NOT NULL,
    total decimal(12,2) GENERATED ALWAYS AS (quantity * unit_price) STORED,
    external_id char(36) DEFAULT (uuid()),
    tags json DEFAULT ('[]'),
    meta json NOT NULL DEFAULT ('{}'),
    placed_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);
