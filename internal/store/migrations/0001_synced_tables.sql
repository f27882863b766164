-- The synced tables. Each record is keyed by its integration and the platform's id, so a re-sync updates it in
-- place. updated_at is the platform's last-change time when it sends one; synced_at is when our copy last changed.
-- Retention measures age by coalesce(updated_at, synced_at).
-- Buyers are found by buyer_pseudonym only; the plain personal-data columns are never searched.

CREATE TABLE products (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration  text NOT NULL,
    external_id  text NOT NULL,
    title        text,
    status       text,
    seller_sku   text,
    price_amount numeric,
    currency     text,
    quantity     integer,
    updated_at   timestamptz,
    synced_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (integration, external_id)
);

-- An order is kept for accounting after its buyer is erased: the buyer columns (category orders) and the address
-- columns (category shipping) are nulled separately, and *_erased_at stop a later sync from writing them again.
CREATE TABLE orders (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration        text NOT NULL,
    external_id        text NOT NULL,
    status             text,
    total_amount       numeric,
    currency           text,
    placed_at          timestamptz,
    buyer_pseudonym    text,
    buyer_user_id      text,
    buyer_name         text,
    buyer_email        text,
    buyer_phone        text,
    ship_address_line1 text,
    ship_address_line2 text,
    ship_city          text,
    ship_postal_code   text,
    ship_region        text,
    ship_country       text,
    buyer_erased_at    timestamptz,
    address_erased_at  timestamptz,
    updated_at         timestamptz,
    synced_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (integration, external_id)
);
CREATE INDEX orders_buyer_pseudonym_idx ON orders (buyer_pseudonym);

CREATE TABLE shipments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration       text NOT NULL,
    external_id       text NOT NULL,
    order_external_id text,
    status            text,
    carrier           text,
    tracking_number   text,
    buyer_pseudonym   text,
    recipient_name    text,
    recipient_phone   text,
    address_line1     text,
    address_line2     text,
    city              text,
    postal_code       text,
    region            text,
    country           text,
    updated_at        timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (integration, external_id)
);
CREATE INDEX shipments_buyer_pseudonym_idx ON shipments (buyer_pseudonym);

CREATE TABLE returns (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration       text NOT NULL,
    external_id       text NOT NULL,
    order_external_id text,
    status            text,
    return_type       text,
    reason            text,
    refund_amount     numeric,
    currency          text,
    buyer_pseudonym   text,
    buyer_name        text,
    buyer_email       text,
    updated_at        timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (integration, external_id)
);
CREATE INDEX returns_buyer_pseudonym_idx ON returns (buyer_pseudonym);

-- Records erasure deleted. The platforms still have them, so without this list the next sync would bring the
-- erased data back. It holds only platform record ids, no personal data.
CREATE TABLE erased_records (
    table_name  text NOT NULL,
    integration text NOT NULL,
    external_id text NOT NULL,
    erased_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, integration, external_id)
);
