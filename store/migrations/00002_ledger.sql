-- The ledger: one row per flow run, saying what it sent, how it ended and what was bought.
-- Keyed by the run id; the customer by the customer key, never a phone number. Amounts are in
-- the currency's minor units; times are microseconds since the Unix epoch, UTC. Each writer (the
-- starter, the template's record, the outcome report, a purchase) fills its own columns, in
-- whichever order they arrive: every column but the key may still be empty.

-- +goose Up
CREATE TABLE ledger (
    run_id            TEXT   NOT NULL PRIMARY KEY,
    workflow_id       TEXT   NOT NULL DEFAULT '',
    cart_id           TEXT   NOT NULL DEFAULT '',
    customer_key      TEXT   NOT NULL DEFAULT '',
    cart_total_minor  BIGINT NOT NULL DEFAULT 0,
    cart_currency     TEXT   NOT NULL DEFAULT '',
    started_at_us     BIGINT,
    template_at_us    BIGINT,
    outcome           TEXT   NOT NULL DEFAULT '',
    reason            TEXT   NOT NULL DEFAULT '',
    coupon_code       TEXT   NOT NULL DEFAULT '',
    ended_at_us       BIGINT,
    purchased_at_us   BIGINT,
    order_id          TEXT   NOT NULL DEFAULT '',
    order_total_minor BIGINT,                      -- NULL: the storefront gave no total
    order_currency    TEXT   NOT NULL DEFAULT '',
    purchase          TEXT   NOT NULL DEFAULT ''   -- '', 'during', 'after' or 'not_attributed'
);

-- The totals of GET /v1/ledger are over the flows started in a period.
CREATE INDEX ledger_by_start ON ledger (started_at_us);

-- +goose Down
DROP INDEX ledger_by_start;
DROP TABLE ledger;
