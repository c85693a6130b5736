-- Consent that is never forgotten (issue 8), and the WhatsApp user ids of issue 9.
-- Every row is keyed by the customer key (workflows.CustomerKey: 32 hex digits of a keyed HMAC
-- of the number), never by a phone number. Times are microseconds since the Unix epoch, UTC.
-- The SQL is the same for PostgreSQL and SQLite.

-- +goose Up

-- One row per customer and reason: each reason is lifted by its own rule.
CREATE TABLE suppressions (
    customer_key     TEXT   NOT NULL,
    reason           TEXT   NOT NULL,
    masked_phone     TEXT   NOT NULL DEFAULT '', -- the masked number (phone.Mask), empty if unknown
    source           TEXT   NOT NULL DEFAULT '',
    suppressed_at_us BIGINT NOT NULL,
    PRIMARY KEY (customer_key, reason)
);

-- The order of the compliance export's pages.
CREATE INDEX suppressions_by_time ON suppressions (suppressed_at_us, customer_key, reason);

-- The frequency cap: when Meta last accepted a template for the customer.
CREATE TABLE template_sends (
    customer_key     TEXT   NOT NULL PRIMARY KEY,
    last_accepted_us BIGINT NOT NULL
);

-- One WhatsApp business-scoped user id (its keyed HMAC) per customer, one customer per user id.
CREATE TABLE customer_user_ids (
    customer_key  TEXT   NOT NULL PRIMARY KEY,
    user_id_hash  TEXT   NOT NULL UNIQUE,
    linked_at_us  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE customer_user_ids;
DROP TABLE template_sends;
DROP INDEX suppressions_by_time;
DROP TABLE suppressions;
