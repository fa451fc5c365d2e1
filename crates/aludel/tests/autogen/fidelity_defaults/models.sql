CREATE TABLE accounts (
    id serial PRIMARY KEY,
    code text DEFAULT 'none',
    balance numeric(12,2) DEFAULT 0.00,
    opened_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE events (
    id bigserial PRIMARY KEY,
    at timestamptz DEFAULT now(),
    since timestamptz DEFAULT CURRENT_TIMESTAMP,
    weight numeric(6,3) DEFAULT 1.500,
    ratio double precision DEFAULT 1e3,
    step smallserial
);
